package redact

import (
	"regexp"
	"strings"
)

// Which keys and values name a secret: the key before a separator
// ("DB_PASSWORD=", "token:"), and whether the value after it looks like one.

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
	if j >= 3 && s[j-3:j] == "://" && maskedUserinfo(s[sep+1:]) {
		return "" // a URL's user name before a password the CI masked already: gitlab-ci-token:xxxx@
	}
	if key == "pass" && s[sep] == ':' {
		// openssl -passin pass:SECRET; a bare "PASS:" is test output.
		before := strings.TrimRight(s[:j], " ")
		if strings.HasSuffix(before, "-passin") || strings.HasSuffix(before, "-passout") || strings.HasSuffix(before, "-pass") {
			return "password"
		}
		return ""
	}
	if !secretHasAny(key, secretUpper) {
		return secretKeyWord(key)
	}
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

// attributeSuffixes name where a secret is or a rule about it, not the
// secret: KEY_PASSWORD_FILE=/tmp/keystore.pass, password_min_length=12
// (as the command-line flags' --token-file and --password-path are, in
// flagValueStart).
var attributeSuffixes = []string{"_file", "-file", "_path", "-path", "_dir", "_length", "-length", "_len", "_min", "_max", "_policy", "_prompt"}

// secretAttribute reports a lowercased key that names such an attribute.
func secretAttribute(key string) bool {
	for _, s := range attributeSuffixes {
		if strings.HasSuffix(key, s) {
			return true
		}
	}
	return false
}

// maskedUserinfo reports a URL's password, up to its '@', that a CI
// masked already (all 'x', 'X' or '*').
func maskedUserinfo(rest string) bool {
	at := strings.IndexByte(rest, '@')
	return at > 0 && strings.Trim(rest[:at], "xX*") == ""
}

func isKeyByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		c == '_' || c == '-' || c == '.'
}

func keyEnd(s string, i int) int {
	for i < len(s) && isKeyByte(s[i]) {
		i++
	}
	return i
}

// secretKeyWord returns the redaction kind for a lower-cased key name, or ""
// when the key does not name a secret.
func secretKeyWord(key string) string {
	if key == "" || secretAttribute(key) {
		return ""
	}
	switch key[len(key)-1] {
	case 'g', 'e':
		if key == "sig" || strings.HasSuffix(key, "signature") {
			return "signature" // Azure SAS sig=, S3 presigned X-Amz-Signature=
		}
	case 's':
		if strings.HasSuffix(key, "_pass") || strings.HasSuffix(key, "-pass") {
			return "password" // DB_PASS, SMTP_PASS
		}
	}
	// Every other secret word has a 'w' (password, passwd, pwd), 'c'
	// (secret), 'k' (key, token), "uth" (auth) or "sph" (passphrase): one
	// scan rejects most keys ("https", "error", "line") before the word
	// list is tried.
	hint := false
	for i := 0; i < len(key) && !hint; i++ {
		switch key[i] {
		case 'w', 'c', 'k':
			hint = true
		case 'h':
			hint = i >= 2 && (key[i-2:i] == "ut" || key[i-2:i] == "sp")
		}
	}
	if !hint {
		return ""
	}
	switch {
	case strings.Contains(key, "authorization"):
		return "authorization"
	case strings.Contains(key, "password"), strings.Contains(key, "passwd"), strings.Contains(key, "passphrase"),
		strings.HasSuffix(key, "_pwd"), strings.HasSuffix(key, "-pwd"):
		return "password"
	case strings.Contains(key, "secret_access_key"), strings.Contains(key, "secretaccesskey"):
		return "aws_secret_access_key"
	case strings.Contains(key, "secret"):
		return "secret"
	case strings.Contains(key, "api_key"), strings.Contains(key, "apikey"), strings.Contains(key, "api-key"):
		return "api_key"
	case key == "accountkey", strings.HasSuffix(key, "account_key"), strings.HasSuffix(key, "account-key"),
		strings.HasSuffix(key, "storage_key"), strings.HasSuffix(key, "storage-key"):
		return "azure_storage_key" // DefaultEndpointsProtocol=…;AccountKey=…
	case strings.Contains(key, "access_key"), strings.Contains(key, "accesskey"),
		strings.Contains(key, "private_key"), strings.Contains(key, "privatekey"):
		return "secret"
	case key == "auth", key == "_auth":
		return "basic_auth" // docker config.json "auth", .npmrc _auth
	case strings.Contains(key, "token"), strings.HasSuffix(key, "_auth"):
		return "token"
	}
	return ""
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
		// A crate or package whose name holds the word (rpassword,
		// keyring-password) is given a version requirement, not a secret:
		// cargo's `rpassword = "^7.0.0"`.
		return len(v) >= 2 && !versionRequirement.MatchString(v)
	case "authorization":
		return len(v) >= 4
	case "basic_auth":
		// base64 of user:password, often shorter than a token.
		return len(v) >= 8 && strings.Trim(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=") == "" &&
			(secretHasAny(v, secretDigit) || secretHasAny(v, secretUpper) && secretHasAny(v, secretLower))
	}
	if len(v) < 8 {
		return false
	}
	letter := secretHasAny(v, secretUpper) || secretHasAny(v, secretLower)
	return letter && secretHasAny(v, secretDigit) || len(v) >= 16 && secretHasAny(v, secretUpper) && secretHasAny(v, secretLower)
}

// versionRequirement is a package manager's version constraint with its
// operator and at least one dot (^7.0.0, ~1.2, >=1.0, <2.0, = 1.2.3, ~>
// 2.1), nothing after its numbers: the operator and the dotted numbers
// tell it from a password ("^123456789", ">=1.0-hunter2" stay secrets).
var versionRequirement = regexp.MustCompile(`^(?:[\^~>=]=?|~>)\s*v?\d+(?:\.(?:\d+|[*x])){1,3}(?:\s*,\s*(?:[\^~<>=]=?|~>)\s*v?\d+(?:\.(?:\d+|[*x])){0,3})*$`)
