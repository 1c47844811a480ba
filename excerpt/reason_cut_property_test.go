package excerpt

import (
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"pgregory.net/rapid"
)

// answerMatches finds what httpAnswer finds reading the whole line: the
// words it looks around, and the windows it reads, miss no match and add
// none, on lines made of answers' parts, numbers and other words.
func TestAnswerMatchesAsTheWholeLine(t *testing.T) {
	parts := []string{"status", "code:", "status:", "503", "404", "429", "200", "1503", "5034", "reason", "phrase:", "reasonphrase:",
		"return", "is:", "returned", "error:", "bad", "request", "requests", "too", "many", "internal", "server", "error",
		"gateway", "time-out", "timeout", "service", "unavailable", "not", "found", "method", "allowed", "conflict", "gone",
		"forbidden", "unauthorized", "connection", "reset", "refused", "timed", "out", "econnreset", "xeconnreset", "etimedout",
		"enotfound", "eai_again", "i/o", "no", "such", "host", "tls", "handshake", "a", "b_", "-", ":", "(", ")", "x",
		"network", "is", "unreachable", "aborted", "max", "retries", "exceeded", "temporary", "failure", "in", "name", "resolution",
		// whole answers, so that most lines hold some
		"503 service unavailable", "500 internal server error", "429 too many requests", "405 method not allowed",
		"504 gateway time-out", "tls handshake timeout", "returned error: 404", "status code: 503", "reason phrase:",
		"return code is: 502", "connection reset", "i/o timeout", "no such host", "403 forbidden",
		"network is unreachable", "connection aborted", "max retries exceeded", "temporary failure in name resolution"}
	rapid.Check(t, func(t *rapid.T) {
		words := rapid.SliceOfN(rapid.SampledFrom(parts), 1, 40).Draw(t, "words")
		seps := rapid.SliceOfN(rapid.SampledFrom([]string{" ", "", ", ", ": "}), len(words), len(words)).Draw(t, "seps")
		var b strings.Builder
		for i, w := range words {
			b.WriteString(w)
			b.WriteString(seps[i])
		}
		line := b.String()
		want := httpAnswer.FindAllStringIndex(line, -1)
		if got := answerMatches(line); !slices.EqualFunc(got, want, slices.Equal[[]int]) {
			t.Fatalf("answerMatches(%q) = %v, the whole line's matches %v", line, got, want)
		}
	})
}

// cutReason never panics, stays within its room, keeps UTF-8 whole and
// never splits a redaction marker, whatever the line holds: words, long
// paths, server answers, markers, and a literal "[REDACTED:" that a log
// printed without its closing bracket (which once drove the cut's head
// below zero).
func TestCutReasonBounded(t *testing.T) {
	parts := []string{"error:", "upload", "failed", "word", "é", "日本", "/home/runner/work/acme/app/node_modules/.pnpm/some-package@1.2.3/node_modules/some-package/dist/index.js",
		"https://registry.example.org/v2/acme/app/blobs/sha256:0123456789abcdef0123456789abcdef0123456789abcdef",
		"status code: 503, reason phrase: Service Unavailable", "403 Forbidden", "connection reset", "permission denied",
		"[REDACTED:token]", "[REDACTED:aws_secret_access_key]", "[REDACTED:", "'[REDACTED:'", ":", ",", "->"}
	rapid.Check(t, func(t *rapid.T) {
		words := rapid.SliceOfN(rapid.SampledFrom(parts), 20, 120).Draw(t, "words")
		line := strings.Join(words, " ")
		if len(line) <= maxReasonLen {
			return
		}
		got := cutReason(line, maxReasonLen)
		if len(got) > maxReasonLen {
			t.Fatalf("cutReason gave %d bytes, room %d: %q", len(got), maxReasonLen, got)
		}
		if !utf8.ValidString(got) {
			t.Fatalf("cutReason split a UTF-8 sequence: %q", got)
		}
		closed := strings.NewReplacer("[REDACTED:token]", "", "[REDACTED:aws_secret_access_key]", "")
		if !strings.Contains(closed.Replace(line), "[REDACTED:") && strings.Contains(closed.Replace(got), "[REDACTED:") {
			t.Fatalf("cutReason split a marker: %q", got)
		}
	})
}
