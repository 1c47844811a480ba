package redact

import (
	"bytes"
	"encoding/base64"
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
	mark := marker(kind)
	return func(string, []int) (string, bool) { return mark, true }
}

// keepFirst keeps the first group (a URL's host and path, a key name) and
// redacts the rest of the match.
func keepFirst(kind string) func(string, []int) (string, bool) {
	mark := marker(kind)
	return func(s string, m []int) (string, bool) { return s[m[2]:m[3]] + mark, true }
}

// secretPatterns run in order on lines that passed mayContainSecret. Every
// pattern needs a trigger there (see secretAt), or it never runs. Formats
// follow the providers' documented token prefixes, as secret scanners
// (gitleaks, GitHub secret scanning) know them.
var secretPatterns = []secretPattern{
	{ // scheme://user:pass@host keeps scheme and host; the user may be empty
		// (redis://:pass@) and the password may hold '@'.
		needs: []string{"://"},
		re:    regexp.MustCompile(`([A-Za-z][A-Za-z0-9+.\-]*://)([^/\s:@'"]*):[^/\s'"?#]+@`),
		replace: func(s string, m []int) (string, bool) {
			if strings.HasPrefix(s[m[4]:], "[REDACTED") {
				return "", false // https://[REDACTED:github_token]@host
			}
			if pass := s[m[5]+1 : m[1]-1]; strings.Trim(pass, "*xX") == "" {
				return "", false // masked already: gitlab-ci-token:xxxxxxxx@, npm's :***@
			}
			return s[m[2]:m[3]] + "[REDACTED:url_credentials]@", true
		},
	},
	{needs: []string{"hooks.slack.com/"}, re: regexp.MustCompile(`(://hooks\.slack\.com/(?:services|workflows|triggers)/)[A-Za-z0-9_/\-]{8,}`), replace: keepFirst("slack_webhook")},
	{needs: []string{"://discord"}, re: regexp.MustCompile(`(://discord(?:app)?\.com/api/webhooks/[0-9]+/)[A-Za-z0-9_\-]{20,}`), replace: keepFirst("discord_webhook")},
	{needs: []string{"ghp_", "gho_", "ghs_", "ghu_", "ghr_", "github_pat_"}, re: regexp.MustCompile(`gh[pousr]_[A-Za-z0-9]{36,251}|github_pat_[A-Za-z0-9_]{22,251}`), replace: redactAs("github_token")},
	{needs: []string{"glpat-", "gldt-", "glrt-", "glcbt-", "glptt-", "glft-", "glimt-", "glagent-", "gloas-", "glsoat-", "glffct-"}, re: regexp.MustCompile(`gl(?:pat|dt|rt|cbt|ptt|ft|imt|agent|oas|soat|ffct)-[0-9A-Za-z_\-]{20,}(?:\.[0-9A-Za-z]{2,})?`), replace: redactAs("gitlab_token")},
	{needs: []string{"xox", "xapp-"}, re: regexp.MustCompile(`xox[abposre]-[A-Za-z0-9-]{10,}|xapp-[0-9]+-[A-Za-z0-9-]{10,}`), replace: redactAs("slack_token")},
	{needs: []string{"AKIA", "ASIA"}, re: regexp.MustCompile(`(?:AKIA|ASIA)[A-Z0-9]{16}`), replace: redactAs("aws_access_key_id")},
	{ // `aws configure set aws_secret_access_key VALUE`: no separator to key on.
		needs: []string{"aws_secret_access_key", "AWS_SECRET_ACCESS_KEY", "aws_session_token", "AWS_SESSION_TOKEN"},
		re:    regexp.MustCompile(`(?i)((aws_secret_access_key|aws_session_token)[ \t]+["']?)[A-Za-z0-9/+][A-Za-z0-9/+=]{15,}`),
		replace: func(s string, m []int) (string, bool) {
			return s[m[2]:m[3]] + marker(secretKeyWord(strings.ToLower(s[m[4]:m[5]]))), true
		},
	},
	{needs: []string{"AIza"}, re: regexp.MustCompile(`AIza[0-9A-Za-z_\-]{35}`), replace: redactAs("google_api_key")},
	{needs: []string{"npm_"}, re: regexp.MustCompile(`npm_[A-Za-z0-9]{36}`), replace: redactAs("npm_token")},
	{needs: []string{"pypi-"}, re: regexp.MustCompile(`pypi-AgE[A-Za-z0-9_\-]{40,}`), replace: redactAs("pypi_token")},
	{needs: []string{"dckr_"}, re: regexp.MustCompile(`dckr_(?:pat|oat)_[A-Za-z0-9_\-]{20,}`), replace: redactAs("docker_token")},
	{needs: []string{"_live_", "_test_"}, re: regexp.MustCompile(`\b[rs]k_(?:live|test)_[0-9A-Za-z]{10,}`), replace: redactAs("stripe_key")},
	{needs: []string{"whsec_"}, re: regexp.MustCompile(`whsec_[A-Za-z0-9+/=]{20,}`), replace: redactAs("stripe_webhook_secret")},
	{needs: []string{"SK"}, re: regexp.MustCompile(`\bSK[0-9a-fA-F]{32}\b`), replace: redactAs("twilio_api_key")},
	{needs: []string{"SG."}, re: regexp.MustCompile(`SG\.[A-Za-z0-9_\-]{16,}\.[A-Za-z0-9_\-]{16,}`), replace: redactAs("sendgrid_key")},
	{needs: []string{"HRKU-"}, re: regexp.MustCompile(`HRKU-[A-Za-z0-9_\-]{20,}`), replace: redactAs("heroku_key")},
	{needs: []string{"Q~"}, re: regexp.MustCompile(`[A-Za-z0-9_~.]{3}[0-9]Q~[A-Za-z0-9_~.\-]{31,34}`), replace: redactAs("azure_client_secret")},
	{needs: []string{"eyJ"}, re: regexp.MustCompile(`eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]*`), replace: redactAs("jwt")},
	{ // A private key or service-account JSON, base64-wrapped whole
		// (kubeconfig client-key-data, GOOGLE_CREDENTIALS): decoded to
		// tell it from base64 of anything else.
		needs:   []string{"eyJ", "ewogICJ", "LS0tLS1CRUdJ"},
		re:      regexp.MustCompile(`(?:eyJ|ewogICJ|LS0tLS1CRUdJ)[A-Za-z0-9+/]{40,}={0,2}`),
		replace: redactEncodedKey,
	},
	{needs: []string{"sk-ant-"}, re: regexp.MustCompile(`sk-ant-[A-Za-z0-9_\-]{20,}`), replace: redactAs("anthropic_key")},
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

// lateSecretPatterns run after the key=value and flag passes, so that a
// value those passes name more precisely keeps its kind.
var lateSecretPatterns = []secretPattern{
	{ // A bearer token outside an Authorization header (curl -v, HTTP dumps).
		needs: []string{"Bearer "},
		re:    regexp.MustCompile(`(Bearer +)([A-Za-z0-9\-._~+/]+=*)`),
		replace: func(s string, m []int) (string, bool) {
			if !secretValue("token", s[m[4]:m[5]]) {
				return "", false
			}
			return s[m[2]:m[3]] + "[REDACTED:bearer_token]", true
		},
	},
	{ // echo SECRET | docker login -u me --password-stdin
		needs: []string{"--password-stdin"},
		re:    regexp.MustCompile(`(\becho[ \t]+(?:-[ne][ \t]+)?["']?)([^"'\s|$][^"'|]*?)(["']?[ \t]*\|[^|]*\blogin\b[^|]*--password-stdin)`),
		replace: func(s string, m []int) (string, bool) {
			if !secretValue("password", s[m[4]:m[5]]) {
				return "", false
			}
			return s[m[2]:m[3]] + "[REDACTED:password]" + s[m[6]:m[7]], true
		},
	},
	{ // A value registered with ::add-mask:: is by definition a secret; it
		// leaks when a traced shell echoes the command.
		needs: []string{"::add-mask::"},
		re:    regexp.MustCompile(`(::add-mask::)(.*\S.*)`),
		replace: func(s string, m []int) (string, bool) {
			v := s[m[4]:m[5]]
			if v[0] == '$' || strings.HasPrefix(v, "[REDACTED") {
				return "", false
			}
			return s[m[2]:m[3]] + "[REDACTED:masked_value]", true
		},
	},
}

func redactEncodedKey(s string, m []int) (string, bool) {
	blob := strings.TrimRight(s[m[0]:m[1]], "=")
	blob = blob[:min(len(blob), 1<<16)]
	dec, err := base64.RawStdEncoding.DecodeString(blob[:len(blob)-len(blob)%4])
	switch {
	case err != nil:
		return "", false
	case bytes.Contains(dec, []byte(`"private_key"`)):
		return "[REDACTED:service_account_key]", true
	case bytes.Contains(dec, []byte("PRIVATE KEY-----")):
		return "[REDACTED:private_key]", true
	}
	return "", false
}

// redactKeyValues redacts the values of secret-named keys: `password=…`,
// `"api_key": "…"`, `token: …`, `Authorization: Bearer …`. Hand-written so
// that it sees exactly the separators mayContainSecret looks at.
func redactKeyValues(s string) string {
	out := spanRedactor{s: s}
	for i := 0; i < len(s); i++ {
		if s[i] != ':' && s[i] != '=' {
			continue
		}
		kind := secretKindBefore(s, i)
		if kind == "" {
			continue
		}
		j := skipBlanks(s, i+1)
		if j < len(s) && s[j] == '[' && !strings.HasPrefix(s[j:], "[REDACTED") {
			j++ // Go's header maps: Authorization:[Bearer …]
		}
		if kind == "authorization" {
			j = skipAuthScheme(s, j)
		}
		j, k := valueSpan(s, j)
		if !secretValue(kind, s[j:k]) {
			continue
		}
		out.replace(j, k, kind)
		i = k - 1
	}
	return out.String()
}

// valueSpan returns where the value starting at j lies: a quoted value may
// hold spaces and ends at its quote, a bare one ends at a value stop.
func valueSpan(s string, j int) (start, end int) {
	if j < len(s) && (s[j] == '"' || s[j] == '\'') {
		q := s[j]
		j++
		k := j
		for k < len(s) && s[k] != q {
			k++
		}
		return j, k
	}
	k := j
	for k < len(s) && !ValueStop(s[k]) {
		k++
	}
	return j, k
}

// skipAuthScheme steps over "Bearer ", "Basic "… so the scheme stays readable.
func skipAuthScheme(s string, j int) int {
	for _, scheme := range []string{"bearer", "basic", "token", "bot", "digest", "negotiate"} {
		n := len(scheme)
		if j+n < len(s) && strings.EqualFold(s[j:j+n], scheme) && (s[j+n] == ' ' || s[j+n] == '\t') {
			return skipBlanks(s, j+n)
		}
	}
	return j
}

// redactFlags redacts values given as separate command-line arguments:
// `--password VALUE`, `--api-token VALUE`, `docker login -p VALUE`,
// `sshpass -p VALUE`, `mysql -pVALUE`, `curl -u user:VALUE`. The `=` forms
// are key=value and redacted before.
func redactFlags(s string) string {
	out := spanRedactor{s: s}
	for i := 0; i+1 < len(s); i++ {
		if s[i] != '-' || i > 0 && isKeyByte(s[i-1]) {
			continue
		}
		kind, j := flagValueStart(s, i)
		if kind == "" {
			continue
		}
		j, k := valueSpan(s, j)
		if kind == "url_credentials" {
			c := strings.IndexByte(s[j:k], ':')
			if c < 0 {
				continue // curl -u user: curl asks for the password
			}
			j += c + 1
			kind = "password"
		}
		if v := s[j:k]; v == "" || v[0] == '-' || !secretValue(kind, v) {
			continue
		}
		if strings.HasPrefix(s[j:], "via the CLI") {
			continue // Docker's own "WARNING! Using --password via the CLI is insecure."
		}
		out.replace(j, k, kind)
		i = k - 1
	}
	return out.String()
}

// flagValueStart returns the kind of secret the flag at i takes and where
// its value starts, or "" when it takes none.
func flagValueStart(s string, i int) (kind string, j int) {
	if s[i+1] != '-' {
		switch shortFlagContext(s, i) {
		case "login":
			return "password", skipBlanks(s, i+2)
		case "mysql":
			return "password", i + 2
		case "curl":
			return "url_credentials", skipBlanks(s, i+2)
		}
		return "", 0
	}
	e := keyEnd(s, i+2)
	if e == i+2 || e >= len(s) || s[e] != ' ' && s[e] != '\t' {
		return "", 0
	}
	name := strings.ToLower(s[i+2 : e])
	switch {
	case name == "user" && strings.Contains(s[:i], "curl"):
		return "url_credentials", skipBlanks(s, e)
	case strings.HasPrefix(name, "no-"), strings.Contains(name, "stdin"), strings.Contains(name, "file"),
		strings.Contains(name, "path"), strings.Contains(name, "prompt"), strings.HasSuffix(name, "-id"),
		strings.HasSuffix(name, "-name"), strings.HasSuffix(name, "-arn"), strings.HasSuffix(name, "-type"):
		return "", 0 // --password-stdin, --token-file PATH, --secret-id NAME
	}
	return secretKeyWord(name), skipBlanks(s, e)
}

// shortFlagContext tells a one-letter flag that takes a secret from the
// same letter meaning something else (mkdir -p, docker run -p, ssh -p):
// "login" for -p after a login command or sshpass, "mysql" for mysql's
// -pSECRET, "curl" for curl's -u user:SECRET, or "".
func shortFlagContext(s string, i int) string {
	if i > 0 && s[i-1] != ' ' && s[i-1] != '\t' || i+2 >= len(s) {
		return ""
	}
	before := s[:i]
	spaced := s[i+2] == ' ' || s[i+2] == '\t'
	switch {
	case s[i+1] == 'p' && spaced:
		if strings.Contains(before, "login") || strings.Contains(before, "sshpass") {
			return "login"
		}
	case s[i+1] == 'p':
		if strings.Contains(before, "mysql") || strings.Contains(before, "mariadb") {
			return "mysql"
		}
	case s[i+1] == 'u' && spaced:
		if strings.Contains(before, "curl") {
			return "curl"
		}
	}
	return ""
}

func containsAnyOf(s string, subs []string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

func skipBlanks(s string, j int) int {
	for j < len(s) && (s[j] == ' ' || s[j] == '\t') {
		j++
	}
	return j
}

// ValueStop reports a byte that ends a credential value: a line cut there
// (excerpt does, for over-long lines) leaves whole values the patterns still
// recognise.
func ValueStop(c byte) bool {
	switch c {
	case ' ', '\t', '"', '\'', ',', ';', '&', '\n', '\r':
		return true
	}
	return false
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
