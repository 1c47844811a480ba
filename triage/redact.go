package triage

import (
	"strings"
)

// Redact replaces every secret in s with "[REDACTED:<kind>]". s may hold
// many lines: a PEM private-key block is removed whole even though it spans
// lines (its BEGIN line becomes the marker, the key lines disappear).
// Redact is idempotent: redacting redacted text changes nothing.
func Redact(s string) string {
	if !strings.Contains(s, "\n") {
		return RedactLine(s)
	}
	var b strings.Builder
	b.Grow(len(s))
	var sc secretScrubber
	first := true
	for line := range strings.SplitSeq(s, "\n") {
		out, keep := sc.line(line)
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
	var sc secretScrubber
	out, _ := sc.line(s)
	return out
}

// secretScrubber carries the one piece of cross-line state redaction needs:
// whether we are inside a PEM private-key block.
type secretScrubber struct {
	inKey bool
}

// line redacts one line. keep is false when the whole line is key material
// inside a private-key block and must be dropped.
func (sc *secretScrubber) line(s string) (out string, keep bool) {
	if sc.inKey {
		if end := pemEndMarker(s, 0); end >= 0 {
			sc.inKey = false
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
			sc.inKey = false
		}
	}
	if !mayContainSecret(s) {
		return s, true
	}
	s, sc.inKey = redactPEM(s)
	for _, p := range secretPatterns {
		s = p.apply(s)
	}
	return redactKeyValues(s), true
}

// secretTrigger marks bytes at which a secret can be recognised cheaply.
var secretTrigger = func() (t [256]bool) {
	for _, c := range []byte("_-@:=AJ") {
		t[c] = true
	}
	return t
}()

// mayContainSecret is the cheap pre-check in front of the regular
// expressions. It must never say no to a line a pattern would change; the
// redaction property tests hold it to that. Each trigger byte anchors a
// redactAs look-around instead of a regexp.
func mayContainSecret(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !secretTrigger[c] {
			continue
		}
		switch c {
		case '_':
			// ghp_ gho_ ghs_ ghu_ ghr_, github_pat_, npm_
			if i >= 3 && s[i-3] == 'g' && s[i-2] == 'h' && strings.IndexByte("pousr", s[i-1]) >= 0 {
				return true
			}
			if i >= 6 && s[i-6:i] == "github" || i >= 3 && s[i-3:i] == "npm" {
				return true
			}
		case '-':
			// xox?-, xapp-, sk-, glpat-, -----BEGIN
			if i >= 4 && s[i-4:i-1] == "xox" || i >= 4 && s[i-4:i] == "xapp" ||
				i >= 2 && s[i-2:i] == "sk" || i >= 5 && s[i-5:i] == "glpat" ||
				strings.HasPrefix(s[i:], "-----BEGIN") {
				return true
			}
		case '@':
			if strings.Contains(s[:i], "://") {
				return true
			}
		case 'A':
			// AKIA / ASIA access key IDs, AIza Google API keys.
			if i+4 <= len(s) && (s[i+1:i+4] == "KIA" || s[i+1:i+4] == "SIA" || s[i+1:i+4] == "Iza") {
				return true
			}
		case 'J':
			if i >= 2 && s[i-2] == 'e' && s[i-1] == 'y' {
				return true
			}
		case ':', '=':
			if secretKindBefore(s, i) != "" {
				return true
			}
		}
	}
	return false
}

// secretKindBefore returns the redaction kind of the identifier just before
// the separator at sep ("password", "API_KEY", `"token"`…), or "".
func secretKindBefore(s string, sep int) string {
	j := sep
	for j > 0 && (s[j-1] == ' ' || s[j-1] == '\t') {
		j--
	}
	if j > 0 && (s[j-1] == '"' || s[j-1] == '\'') {
		j--
	}
	end := j
	for j > 0 && isKeyByte(s[j-1]) {
		j--
	}
	if j == end {
		return ""
	}
	key := s[j:end]
	if len(key) <= 64 {
		var buf [64]byte
		n := copy(buf[:], key)
		for k := range n {
			if c := buf[k]; 'A' <= c && c <= 'Z' {
				buf[k] = c + 'a' - 'A'
			}
		}
		return secretKeyWord(string(buf[:n]))
	}
	return secretKeyWord(strings.ToLower(key))
}

func isKeyByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		c == '_' || c == '-' || c == '.'
}

// secretKeyWord returns the redaction kind for a lower-cased key name, or ""
// when the key does not name a secret.
func secretKeyWord(key string) string {
	// Every secret word has a 'w' (password, passwd, pwd), 'c' (secret), 'k'
	// (key, token) or 'h' (auth): one scan rejects most keys ("error",
	// "status", "line") before the word list is tried.
	if strings.IndexAny(key, "wckh") < 0 {
		return ""
	}
	switch {
	case strings.Contains(key, "authorization"):
		return "authorization"
	case strings.Contains(key, "password"), strings.Contains(key, "passwd"),
		strings.HasSuffix(key, "_pwd"), strings.HasSuffix(key, "-pwd"):
		return "password"
	case strings.Contains(key, "secret_access_key"), strings.Contains(key, "secretaccesskey"):
		return "aws_secret_access_key"
	case strings.Contains(key, "secret"):
		return "secret"
	case strings.Contains(key, "api_key"), strings.Contains(key, "apikey"), strings.Contains(key, "api-key"):
		return "api_key"
	case strings.Contains(key, "access_key"), strings.Contains(key, "accesskey"),
		strings.Contains(key, "private_key"), strings.Contains(key, "privatekey"):
		return "secret"
	case strings.Contains(key, "token"), key == "auth", strings.HasSuffix(key, "_auth"):
		return "token"
	}
	return ""
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

// pemBeginMarker finds "-----BEGIN ... PRIVATE KEY...-----" at or after from.
func pemBeginMarker(s string, from int) int {
	for from < len(s) {
		i := strings.Index(s[from:], "-----BEGIN")
		if i < 0 {
			return -1
		}
		i += from
		hdr := s[i+len("-----BEGIN"):]
		if j := strings.Index(hdr, "-----"); j >= 0 && strings.Contains(hdr[:j], "PRIVATE KEY") {
			return i
		}
		from = i + len("-----BEGIN")
	}
	return -1
}

// pemEndMarker returns the index just past "-----END ... PRIVATE KEY...-----"
// at or after from, or -1.
func pemEndMarker(s string, from int) int {
	for from < len(s) {
		i := strings.Index(s[from:], "-----END")
		if i < 0 {
			return -1
		}
		i += from
		hdr := s[i+len("-----END"):]
		if j := strings.Index(hdr, "-----"); j >= 0 && strings.Contains(hdr[:j], "PRIVATE KEY") {
			return i + len("-----END") + j + len("-----")
		}
		from = i + len("-----END")
	}
	return -1
}

// looksLikeKeyMaterial reports whether a line inside a PEM block is part of
// the key: base64 text, an RFC 1421 header, or blank.
func looksLikeKeyMaterial(s string) bool {
	s = strings.TrimSpace(string(stripLogPrefix([]byte(s))))
	if strings.HasPrefix(s, "Proc-Type:") || strings.HasPrefix(s, "DEK-Info:") || strings.HasPrefix(s, "Comment:") {
		return true
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '+' || c == '/' || c == '=') {
			return false
		}
	}
	return true
}
