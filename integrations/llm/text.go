package llm

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

const (
	// maxQuoteRunes bounds a value quoted in a validation problem.
	maxQuoteRunes = 80
	// maxProblemBytes bounds the problems of one answer: they go into the
	// repair request, the logs and the fallback reason.
	maxProblemBytes = 2048
	// maxErrorBytes bounds an error's text where it leaves the package
	// (a server's error message can be a megabyte of HTML).
	maxErrorBytes = 2048
	// maxModelName bounds the model name a server reports.
	maxModelName = 100
	// maxTokens is the most tokens one response may claim to have used;
	// usage is clamped to [0, maxTokens] before it reaches counters.
	maxTokens = 10_000_000
)

// stripControls removes C0 and C1 control characters (but \n and \t) and
// DEL: text from the model or a server reaches terminals and Slack, where
// ESC[2J or an OSC 8 link would act instead of being read.
func stripControls(s string) string {
	if !strings.ContainsFunc(s, isControl) {
		return s
	}
	return strings.Map(func(r rune) rune {
		if isControl(r) {
			return -1
		}
		return r
	}, s)
}

func isControl(r rune) bool {
	return r < 0x20 && r != '\n' && r != '\t' || r >= 0x7f && r <= 0x9f
}

// clipBytes cuts s to at most n bytes (plus a note), on a rune boundary.
func clipBytes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + fmt.Sprintf("... (%d bytes cut)", len(s)-cut)
}

// goQuoted matches a Go-quoted string, as fmt's %q and encoding/json's
// "unknown field" messages write them.
var goQuoted = regexp.MustCompile(`"(?:[^"\\]|\\.)*"`)

// clipQuotes shortens every quoted value in a message to maxQuoteRunes, so
// a megabyte key or category makes a short problem.
func clipQuotes(s string) string {
	return goQuoted.ReplaceAllStringFunc(s, func(q string) string {
		if len(q) <= maxQuoteRunes+2 {
			return q
		}
		v, err := strconv.Unquote(q)
		if err != nil {
			return clipBytes(q, maxQuoteRunes)
		}
		r := []rune(v)
		if len(r) <= maxQuoteRunes {
			return q
		}
		return fmt.Sprintf("%q... (%d characters)", string(r[:maxQuoteRunes]), len(r))
	})
}

// safeText is how untrusted text (a server's error, the model's problem
// list) leaves the package: without control characters, quoted values
// clipped, and at most n bytes in all.
func safeText(s string, n int) string {
	return clipBytes(stripControls(clipQuotes(s)), n)
}

// boundedError keeps err's chain for errors.Is but shows a bounded, clean
// text: a server's error body can be a megabyte or carry terminal escapes.
type boundedError struct{ err error }

func (e boundedError) Error() string { return safeText(e.err.Error(), maxErrorBytes) }

func (e boundedError) Unwrap() error { return e.err }

func bounded(err error) error {
	if err == nil {
		return nil
	}
	if _, ok := err.(boundedError); ok {
		return err
	}
	return boundedError{err}
}

// modelName is the model a server says answered, when it is a plausible
// name: short printable ASCII, redacted. Anything else (a megabyte,
// escapes) is replaced by the configured model.
func modelName(reported, configured string, redact func(string) string) string {
	m := redact(reported)
	if m == "" || len(m) > maxModelName {
		return configured
	}
	for i := 0; i < len(m); i++ {
		if m[i] < 0x20 || m[i] > 0x7e {
			return configured
		}
	}
	return m
}

// clampTokens bounds a usage count a server reports: a negative count
// would panic a Prometheus counter, an absurd one would poison totals.
func clampTokens(n int) int { return min(max(n, 0), maxTokens) }
