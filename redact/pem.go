package redact

import (
	"strings"

	"github.com/ccm-ci/ccm/logtext"
)

// keyHeaders are the header lines a key block may hold: RFC 1421 (PEM) and
// RFC 4880 armor headers (PGP). Any other "Word: text" line ends a block
// that lost its END marker.
var keyHeaders = []string{"Proc-Type:", "DEK-Info:", "Comment:", "Version:", "Hash:", "Charset:", "MessageID:"}

// maxPrefixFields is how many words a tool may put before each line of
// output it relays: BuildKit "#12 0.312", docker compose "web  |",
// kubectl "[pod/web-1/app]".
const maxPrefixFields = 3

// looksLikeKeyMaterial reports whether a line inside a key block is part of
// the key: base64 text, a header, a PGP checksum ("=AbCd") or blank — also
// behind a short prefix a tool adds to every line it relays, or the key
// would leak line by line from `docker build` and `docker compose` output.
func looksLikeKeyMaterial(s string) bool {
	s = strings.TrimSpace(string(logtext.StripPrefix([]byte(s))))
	if s == "" || isKeyLine(s) {
		return true
	}
	fields := strings.Fields(s)
	if len(fields) < 2 || len(fields) > maxPrefixFields+1 {
		return false
	}
	// Behind a prefix: the rest of the line after some prefix words is a
	// key line (a header keeps its spaces, so test the remainder). A prefix
	// word carries a digit or a sign (#12, 0.312, web-1, |, [pod/x]): plain
	// words are output ("npm error code E401") and end a truncated key.
	pos := 0
	for _, f := range fields[:len(fields)-1] {
		if !prefixWord(f) {
			return false
		}
		pos = strings.Index(s[pos:], f) + pos + len(f)
		if isKeyLine(strings.TrimSpace(s[pos:])) {
			return true
		}
	}
	return false
}

func prefixWord(f string) bool {
	return strings.IndexFunc(f, func(r rune) bool { return !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z') }) >= 0
}

// isKeyLine is a bare key line: a header or only base64 characters.
func isKeyLine(s string) bool {
	for _, h := range keyHeaders {
		if strings.HasPrefix(s, h) {
			return true
		}
	}
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '+' || c == '/' || c == '=') {
			return false
		}
	}
	return true
}
