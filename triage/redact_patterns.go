package triage

import (
	"regexp"
	"strings"
)

// secretPattern is one recognisable secret format. replace returns what a
// match becomes, or ok=false to leave that match alone.
type secretPattern struct {
	needs   []string // the regexp only runs when one of these occurs
	re      *regexp.Regexp
	replace func(s string, m []int) (repl string, ok bool)
}

func (p secretPattern) apply(s string) string {
	if !containsAnyOf(s, p.needs) {
		return s
	}
	ms := p.re.FindAllStringSubmatchIndex(s, -1)
	if ms == nil {
		return s
	}
	var b strings.Builder
	last := 0
	for _, m := range ms {
		repl, ok := p.replace(s, m)
		if !ok {
			continue
		}
		b.WriteString(s[last:m[0]])
		b.WriteString(repl)
		last = m[1]
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

func redactAs(kind string) func(string, []int) (string, bool) {
	marker := "[REDACTED:" + kind + "]"
	return func(string, []int) (string, bool) { return marker, true }
}

// secretPatterns run in order on lines that passed mayContainSecret. Every
// pattern needs a trigger there (see mayContainSecret), or it never runs.
var secretPatterns = []secretPattern{
	{ // https://user:pass@host keeps scheme and host.
		needs: []string{"://"},
		re:    regexp.MustCompile(`([A-Za-z][A-Za-z0-9+.\-]*://)[^/\s:@'"]+:[^/\s@'"]+@`),
		replace: func(s string, m []int) (string, bool) {
			return s[m[2]:m[3]] + "[REDACTED:url_credentials]@", true
		},
	},
	{needs: []string{"ghp_", "gho_", "ghs_", "ghu_", "ghr_", "github_pat_"}, re: regexp.MustCompile(`gh[pousr]_[A-Za-z0-9]{36,251}|github_pat_[A-Za-z0-9_]{22,251}`), replace: redactAs("github_token")},
	{needs: []string{"xox", "xapp-"}, re: regexp.MustCompile(`xox[abposre]-[A-Za-z0-9-]{10,}|xapp-[0-9]+-[A-Za-z0-9-]{10,}`), replace: redactAs("slack_token")},
	{needs: []string{"AKIA", "ASIA"}, re: regexp.MustCompile(`(?:AKIA|ASIA)[A-Z0-9]{16}`), replace: redactAs("aws_access_key_id")},
	{needs: []string{"AIza"}, re: regexp.MustCompile(`AIza[0-9A-Za-z_\-]{35}`), replace: redactAs("google_api_key")},
	{needs: []string{"glpat-"}, re: regexp.MustCompile(`glpat-[A-Za-z0-9_\-]{20,}`), replace: redactAs("gitlab_token")},
	{needs: []string{"npm_"}, re: regexp.MustCompile(`npm_[A-Za-z0-9]{36}`), replace: redactAs("npm_token")},
	{needs: []string{"eyJ"}, re: regexp.MustCompile(`eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]*`), replace: redactAs("jwt")},
	{ // OpenAI keys: sk-, sk-proj-, sk-svcacct-, sk-admin-.
		needs: []string{"sk-"},
		re:    regexp.MustCompile(`sk-(?:proj-|svcacct-|admin-)?([A-Za-z0-9_\-]{20,})`),
		replace: func(s string, m []int) (string, bool) {
			if m[0] > 0 && secretAlnum(s[m[0]-1]) {
				return "", false // "task-…", "disk-…"
			}
			// Real keys are random base62: upper, lower and digits all occur.
			// This keeps "sk-learn-compatible-estimator" readable.
			body := s[m[2]:m[3]]
			if !secretHasAny(body, secretUpper) || !secretHasAny(body, secretLower) || !secretHasAny(body, secretDigit) {
				return "", false
			}
			return "[REDACTED:openai_key]", true
		},
	},
}

// redactKeyValues redacts the values of secret-named keys: `password=…`,
// `"api_key": "…"`, `token: …`, `Authorization: Bearer …`. Hand-written so
// that it sees exactly the separators mayContainSecret looks at.
func redactKeyValues(s string) string {
	var b strings.Builder
	last := 0
	for i := 0; i < len(s); i++ {
		if s[i] != ':' && s[i] != '=' {
			continue
		}
		kind := secretKindBefore(s, i)
		if kind == "" {
			continue
		}
		j := i + 1
		for j < len(s) && (s[j] == ' ' || s[j] == '\t') {
			j++
		}
		var quote byte
		if j < len(s) && (s[j] == '"' || s[j] == '\'') {
			quote = s[j]
			j++
		}
		if kind == "authorization" {
			j = skipAuthScheme(s, j)
		}
		k := j
		if quote != 0 {
			// A quoted value may hold spaces: it ends at its quote.
			for k < len(s) && s[k] != quote {
				k++
			}
		} else {
			for k < len(s) && !isValueStop(s[k]) {
				k++
			}
		}
		if !secretValue(kind, s[j:k]) {
			continue
		}
		b.WriteString(s[last:j])
		b.WriteString("[REDACTED:" + kind + "]")
		last = k
		i = k - 1
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

// skipAuthScheme steps over "Bearer ", "Basic "… so the scheme stays readable.
func skipAuthScheme(s string, j int) int {
	for _, scheme := range []string{"bearer", "basic", "token", "bot", "digest", "negotiate"} {
		n := len(scheme)
		if j+n < len(s) && strings.EqualFold(s[j:j+n], scheme) && (s[j+n] == ' ' || s[j+n] == '\t') {
			j += n
			for j < len(s) && (s[j] == ' ' || s[j] == '\t') {
				j++
			}
			return j
		}
	}
	return j
}

func isValueStop(c byte) bool {
	switch c {
	case ' ', '\t', '"', '\'', ',', ';', '&', '\n', '\r':
		return true
	}
	return false
}

// secretValue decides whether v is a secret worth redacting for a key of the
// given kind. A bare word after "token:" ("token: required") is prose, not a
// credential; a variable reference ("${{ secrets.X }}", "$TOKEN") or a value
// already masked ("***") carries nothing to hide.
func secretValue(kind, v string) bool {
	if v == "" || strings.HasPrefix(v, "[REDACTED") || v[0] == '$' || v[0] == '%' || v[0] == '<' || v[0] == '{' {
		return false
	}
	if strings.Trim(v, "*xX.") == "" {
		return false
	}
	switch strings.ToLower(v) {
	case "null", "nil", "none", "true", "false", "undefined", "required", "optional", "redacted", "masked":
		return false
	}
	switch kind {
	case "password":
		return len(v) >= 2
	case "authorization":
		return len(v) >= 4
	}
	if len(v) < 8 {
		return false
	}
	letter := secretHasAny(v, secretUpper) || secretHasAny(v, secretLower)
	return letter && secretHasAny(v, secretDigit) || len(v) >= 16 && secretHasAny(v, secretUpper) && secretHasAny(v, secretLower)
}

func secretAlnum(c byte) bool { return secretUpper(c) || secretLower(c) || secretDigit(c) }
func secretUpper(c byte) bool { return 'A' <= c && c <= 'Z' }
func secretLower(c byte) bool { return 'a' <= c && c <= 'z' }
func secretDigit(c byte) bool { return '0' <= c && c <= '9' }

func secretHasAny(s string, f func(byte) bool) bool {
	for i := 0; i < len(s); i++ {
		if f(s[i]) {
			return true
		}
	}
	return false
}
