package excerpt

import (
	"slices"
	"strings"
	"testing"

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
