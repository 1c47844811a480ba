package excerpt

import (
	"regexp"
	"strings"
)

// How go test says a test failed: its t.Log and t.Error lines under a
// "--- FAIL" header, and the words that make one of them the reason.

// goTestLine is a Go test's message: "config_test.go:48: got 1, want 2".
var goTestLine = regexp.MustCompile(`^\s*\w+_test\.go:\d+: \S`)

// goFailMessage reports a Go test's message (line i) printed for a failing
// subtest, under the chain of "--- FAIL:" headers go test prints without
// -v, or for a failing test under -v, which streams a test's messages
// before its result. The chain's headers only name the tests (they are
// context); a top-level test's header stays the reason, joined with the
// messages under it. A passing test's log lines are no error.
func goFailMessage(lines []logLine, i int) bool {
	if !goTestLine.MatchString(lines[i].text) {
		return false
	}
	for j := i - 1; j >= 0 && j >= i-30; j-- {
		t := strings.TrimSpace(lines[j].text)
		if strings.HasPrefix(t, "--- FAIL:") {
			return indentOf(lines[j].text) > 0
		}
		if strings.HasPrefix(t, "--- ") || strings.HasPrefix(t, "=== ") || t != "" && indentOf(lines[j].text) == 0 {
			break
		}
	}
	// Under -v every t.Log line of the failing test comes before its
	// result too: only a message that reads as a failure, or the last one
	// before the result, is the test's complaint.
	if goFailWords.MatchString(lines[i].text) {
		return goResultFails(lines, i)
	}
	for j := i + 1; j < len(lines) && j <= i+30; j++ {
		t := strings.TrimSpace(lines[j].text)
		if strings.HasPrefix(t, "--- FAIL:") {
			// The last message, when none of the test's reads as a failure.
			return !goFailWordsAround(lines, i)
		}
		if strings.HasPrefix(t, "--- ") || strings.HasPrefix(t, "=== RUN") || goTestLine.MatchString(lines[j].text) {
			return false
		}
	}
	return false
}

// goResultFails reports whether the test result after line i is a FAIL.
func goResultFails(lines []logLine, i int) bool {
	for j := i + 1; j < len(lines) && j <= i+30; j++ {
		t := strings.TrimSpace(lines[j].text)
		if strings.HasPrefix(t, "--- FAIL:") {
			return true
		}
		if strings.HasPrefix(t, "--- ") || strings.HasPrefix(t, "=== RUN") {
			return false
		}
	}
	return false
}

// goFailWordsAround reports whether another message of the same test,
// before line i, reads as a failure.
func goFailWordsAround(lines []logLine, i int) bool {
	for k := i - 1; k >= 0 && k >= i-30; k-- {
		t := strings.TrimSpace(lines[k].text)
		if strings.HasPrefix(t, "--- ") || strings.HasPrefix(t, "=== ") {
			return false
		}
		if goTestLine.MatchString(lines[k].text) && goFailWords.MatchString(lines[k].text) {
			return true
		}
	}
	return false
}

// goFailWords are what a Go test's failure message says (got/want,
// expected, mismatch…), unlike its progress logs ("starting server").
var goFailWords = regexp.MustCompile(`(?i)\bwant\b|\bexpected\b|\bunexpected\b|\bfailed\b|\bmismatch|!=|\bnot equal\b|\berror\b`)
