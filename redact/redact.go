// Package redact removes secrets from CI log text before ccm stores it,
// shows it or sends it to a model: tokens and keys by their known formats,
// credentials in key=value pairs, URLs and command-line flags, and PEM/PGP
// private-key blocks across lines (Scrubber carries that state for a
// caller that streams lines, such as excerpt).
package redact

import (
	"strings"
)

// Redact replaces every secret in s with "[REDACTED:<kind>]". s may hold
// many lines: a PEM or PGP private-key block is removed whole even though it
// spans lines (its BEGIN line becomes the marker, the key lines disappear).
// Redact is idempotent: redacting redacted text changes nothing.
func Redact(s string) string {
	if !strings.Contains(s, "\n") {
		return RedactLine(s)
	}
	var b strings.Builder
	b.Grow(len(s))
	var sc Scrubber
	first := true
	for line := range strings.SplitSeq(s, "\n") {
		out, keep := sc.Line(line)
		if !keep {
			continue
		}
		if !first {
			b.WriteByte('\n')
		}
		first = false
		b.WriteString(out)
	}
	return b.String()
}

// RedactLine is Redact for one line, the hot path: a line without any
// trigger byte pattern (nearly all of them) costs one table-driven scan and
// no allocation. A private-key header without its END marker on the same
// line redacts the rest of the line; use Redact or Extract for blocks.
func RedactLine(s string) string {
	var sc Scrubber
	out, _ := sc.Line(s)
	return out
}

// Scrubber carries the one piece of cross-line state redaction needs:
// whether we are inside a PEM private-key block. The zero value starts
// outside one; a streaming caller that starts mid-log sets InKey from what
// it saw earlier.
type Scrubber struct {
	InKey bool
}

// Line redacts one line. keep is false when the whole line is key material
// inside a private-key block and must be dropped.
func (sc *Scrubber) Line(s string) (out string, keep bool) {
	if sc.InKey {
		if end := pemEndMarker(s, 0); end >= 0 {
			sc.InKey = false
			rest := s[end:]
			if strings.TrimSpace(rest) == "" {
				return "", false
			}
			s = rest
		} else if looksLikeKeyMaterial(s) {
			return "", false
		} else {
			// Not base64 and no END marker: the key was cut short (a
			// truncated log); what follows is ordinary output again.
			sc.InKey = false
		}
	}
	if !mayContainSecret(s) {
		return s, true
	}
	s, sc.InKey = scrubLine(s)
	return s, true
}

// scrubLine runs every redaction on one line, without the pre-check. open
// reports a private-key BEGIN whose END is not on this line.
func scrubLine(s string) (out string, open bool) {
	s, open = redactPEM(s)
	for _, p := range secretPatterns {
		s = p.apply(s)
	}
	s = redactKeyValues(s)
	s = redactFlags(s)
	for _, p := range lateSecretPatterns {
		s = p.apply(s)
	}
	return s, open
}

// secretTrigger marks bytes at which a secret can be recognised cheaply.
var secretTrigger = func() (t [256]bool) {
	for _, c := range []byte("_-@:=AJBGK~") {
		t[c] = true
	}
	return t
}()

// mayContainSecret is the cheap pre-check in front of the regular
// expressions. It must never say no to a line scrubLine would change;
// TestRedact_PropertyPrecheckNeverMisses holds it to that. Each trigger byte
// anchors a look-around instead of a regexp.
func mayContainSecret(s string) bool {
	for i := 0; i < len(s); i++ {
		if secretTrigger[s[i]] && secretAt(s, i) {
			return true
		}
	}
	return false
}

// secretAt reports whether the trigger byte at i starts, ends or sits in
// something a redaction pass would look at.
func secretAt(s string, i int) bool {
	switch s[i] {
	case '_':
		return underscoreSecret(s, i)
	case '-':
		return dashSecret(s, i)
	case '@':
		return strings.Contains(s[:i], "://")
	case 'A':
		// AKIA / ASIA access key IDs, AIza Google API keys.
		return i+4 <= len(s) && (s[i+1:i+4] == "KIA" || s[i+1:i+4] == "SIA" || s[i+1:i+4] == "Iza")
	case 'J':
		// eyJ: JWTs and base64 JSON; ewogICJ: base64 of pretty JSON;
		// LS0tLS1CRUdJ: base64 of "-----BEGIN".
		return i >= 2 && s[i-2:i] == "ey" || i >= 6 && s[i-6:i] == "ewogIC" || i >= 11 && s[i-11:i] == "LS0tLS1CRUd"
	case 'B':
		return strings.HasPrefix(s[i:], "Bearer ")
	case 'G':
		return i > 0 && s[i-1] == 'S' && i+1 < len(s) && s[i+1] == '.' // SendGrid
	case 'K':
		return i > 0 && s[i-1] == 'S' && hexRun(s[i+1:]) >= 32 // Twilio API key SID
	case '~':
		return i >= 2 && s[i-1] == 'Q' && secretDigit(s[i-2]) // Azure AD client secret
	case ':':
		if secretKindBefore(s, i) != "" {
			return true
		}
		if i+1 < len(s) && s[i+1] == '/' && (strings.HasPrefix(s[i:], "://hooks.slack.com/") || strings.HasPrefix(s[i:], "://discord")) {
			return true
		}
		return i >= 11 && s[i-1] == ':' && s[i-11:i+1] == "::add-mask::"
	case '=':
		return secretKindBefore(s, i) != ""
	}
	return false
}

// underscoreSecret: ghp_ gho_ ghs_ ghu_ ghr_, github_pat_, npm_, dckr_pat_,
// sk_live_ rk_test_, whsec_, and aws_secret_access_key given on a CLI.
func underscoreSecret(s string, i int) bool {
	if i < 2 {
		return false
	}
	// Snake_case is everywhere: dispatch on the byte before '_' first.
	pre := s[:i]
	gh := i >= 3 && s[i-3] == 'g' && s[i-2] == 'h'
	switch s[i-1] {
	case 'p', 'o', 'u':
		return gh
	case 's', 'S':
		return gh && s[i-1] == 's' || i >= 3 && strings.EqualFold(pre[i-3:], "aws")
	case 'r':
		return gh || strings.HasSuffix(pre, "dckr")
	case 'b':
		return strings.HasSuffix(pre, "github")
	case 'm':
		return strings.HasSuffix(pre, "npm")
	case 'c':
		return strings.HasSuffix(pre, "whsec")
	case 'k':
		return (s[i-2] == 's' || s[i-2] == 'r') && (strings.HasPrefix(s[i+1:], "live_") || strings.HasPrefix(s[i+1:], "test_"))
	}
	return false
}

// dashSecret: token prefixes ending in '-' (xoxb-, sk-, glpat-, pypi-…),
// -----BEGIN, and secret-bearing command-line flags.
func dashSecret(s string, i int) bool {
	if i+1 < len(s) {
		switch s[i+1] {
		case '-':
			if strings.HasPrefix(s[i:], "-----BEGIN") {
				return true
			}
			name := s[i+2 : keyEnd(s, i+2)]
			if name != "" && (secretKeyWord(strings.ToLower(name)) != "" || strings.EqualFold(name, "user")) {
				return true
			}
		case 'p', 'u':
			if shortFlagContext(s, i) != "" {
				return true
			}
		}
	}
	j := i
	for j > 0 && i-j < 8 && ('a' <= s[j-1] && s[j-1] <= 'z' || 'A' <= s[j-1] && s[j-1] <= 'Z') {
		j--
	}
	w := s[j:i]
	if len(w) >= 4 && w[len(w)-4:len(w)-1] == "xox" {
		return true
	}
	if len(w) < 2 || strings.IndexByte("kpiUts", w[len(w)-1]) < 0 { // last letters of dashPrefixes
		return false
	}
	for _, p := range dashPrefixes {
		if strings.HasSuffix(w, p) {
			return true
		}
	}
	return false
}

// dashPrefixes are the token prefixes (before their '-') of secretPatterns.
var dashPrefixes = []string{"sk", "xapp", "pypi", "HRKU", "glpat", "gldt", "glrt", "glcbt", "glptt",
	"glft", "glimt", "glagent", "gloas", "glsoat", "glffct"}

func hexRun(s string) int {
	n := 0
	for n < len(s) && ('0' <= s[n] && s[n] <= '9' || 'a' <= s[n] && s[n] <= 'f' || 'A' <= s[n] && s[n] <= 'F') {
		n++
	}
	return n
}

// redactPEM replaces private-key blocks on this line. open reports a BEGIN
// whose END is not on this line: the following lines are key material.
func redactPEM(s string) (out string, open bool) {
	from := 0
	for {
		begin := pemBeginMarker(s, from)
		if begin < 0 {
			return s, false
		}
		const marker = "[REDACTED:private_key]"
		end := pemEndMarker(s, begin+len("-----BEGIN"))
		if end < 0 {
			return s[:begin] + marker, true
		}
		s = s[:begin] + marker + s[end:]
		from = begin + len(marker)
	}
}

// pemBeginMarker finds "-----BEGIN ... PRIVATE KEY...-----" at or after
// from; the PGP "PRIVATE KEY BLOCK" header matches too.
func pemBeginMarker(s string, from int) int {
	begin, _ := pemMarker(s, from, "-----BEGIN")
	return begin
}

// pemEndMarker returns the index just past "-----END ... PRIVATE KEY...-----"
// at or after from, or -1.
func pemEndMarker(s string, from int) int {
	_, end := pemMarker(s, from, "-----END")
	return end
}

// pemMarker finds the private-key marker "<tag> ... PRIVATE KEY...-----" at
// or after from and returns where it starts and ends, or -1, -1.
func pemMarker(s string, from int, tag string) (start, end int) {
	for from < len(s) {
		i := strings.Index(s[from:], tag)
		if i < 0 {
			return -1, -1
		}
		i += from
		hdr := s[i+len(tag):]
		if j := strings.Index(hdr, "-----"); j >= 0 && strings.Contains(hdr[:j], "PRIVATE KEY") {
			return i, i + len(tag) + j + len("-----")
		}
		from = i + len(tag)
	}
	return -1, -1
}
