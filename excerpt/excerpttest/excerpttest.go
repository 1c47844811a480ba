// Package excerpttest builds CI job logs for the tests of excerpt, redact
// and rules: GitHub Actions lines with runner timestamps, the set-up lines
// every job starts with, and random noise that states no failure.
package excerpttest

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/ccm-ci/ccm/logtext"
	"pgregory.net/rapid"
)

// GHLog builds a GitHub Actions job log: each line gets a runner timestamp.
func GHLog(lines ...string) string {
	var b strings.Builder
	for i, l := range lines {
		fmt.Fprintf(&b, "2024-05-06T07:08:09.%07dZ %s\n", i, l)
	}
	return b.String()
}

// SetupJob is what every GitHub job log starts with.
var SetupJob = []string{
	"Current runner version: '2.317.0'",
	"##[group]Operating System",
	"Ubuntu",
	"22.04.4",
	"##[endgroup]",
	"##[group]Run actions/checkout@v4",
	"with:",
	"  repository: o/r",
	"  token: ***",
	"##[endgroup]",
	"Syncing repository: o/r",
}

// WithSetup prepends the set-up lines every job log starts with.
func WithSetup(lines ...string) []string { return append(append([]string(nil), SetupJob...), lines...) }

// NoiseWords never state a failure: logs built from them hold exactly one
// root cause, the injected one.
var NoiseWords = []string{
	"compiling", "module", "resolved", "packages", "downloading", "cache", "restored",
	"step", "build", "done", "ok", "passed", "running", "tests", "checking", "files",
	"bytes", "linking", "target", "workspace", "install", "added", "audited", "from",
	"node_modules", "src/app.ts", "v1.2.3", "42", "0.5s", "[1/4]", "->", "=", "==>",
}

// NoiseLine draws one line of NoiseWords, sometimes coloured, with a
// carriage return or behind a workflow marker that is not an error.
func NoiseLine(t *rapid.T) string {
	n := rapid.IntRange(0, 10).Draw(t, "words")
	words := make([]string, n)
	for i := range words {
		words[i] = rapid.SampledFrom(NoiseWords).Draw(t, "word")
	}
	line := strings.Repeat(" ", rapid.IntRange(0, 4).Draw(t, "indent")) + strings.Join(words, " ")
	switch rapid.IntRange(0, 5).Draw(t, "decor") {
	case 0:
		line = "\x1b[" + rapid.SampledFrom([]string{"32m", "1;36m", "0m", "2K"}).Draw(t, "ansi") + line + "\x1b[0m"
	case 1:
		line += "\r"
	case 2:
		line = rapid.SampledFrom([]string{"##[debug]", "##[warning]deprecated ", "##[notice]"}).Draw(t, "marker") + line
	}
	return line
}

// Word draws a lowercase identifier.
func Word(t *rapid.T, label string) string {
	return rapid.StringMatching(`[a-z][a-z0-9_]{2,10}`).Draw(t, label)
}

// ReasonKey is a reason or log line as the reason tests compare it: normalized,
// without an ##[error] marker, blanks collapsed.
func ReasonKey(s string) string {
	if i := strings.LastIndexByte(s, '\t'); i >= 0 && strings.Count(s, "\t") >= 2 {
		s = s[i+1:] // a downloaded log's "job<TAB>step<TAB>" prefix
	}
	s = strings.TrimPrefix(strings.TrimSpace(logtext.NormalizeLine(s)), "##[error]")
	return strings.Join(strings.Fields(s), " ")
}

// ReasonHit reports whether a chosen reason carries a labelled key line:
// one contains the other once both are normalized. A reason cut at its
// bound ("…") counts when what is left is in the key line. A reason that
// joins a tool's message states the tool's tag once ("npm error Could not
// resolve dependency: peer a@1 …"): a key line with that tag counts
// without it when the reason starts with it.
func ReasonHit(reason, keyLine string) bool {
	got := strings.TrimSuffix(ReasonKey(reason), "…")
	want := ReasonKey(keyLine)
	tags := []string{"npm ERR! ", "npm error "}
	if got == "" || slices.Contains(tags, got+" ") {
		return false // a bare tag says nothing, whatever the key line
	}
	if strings.Contains(got, want) || strings.Contains(want, got) {
		return true
	}
	if strings.Contains(got, "[REDACTED:") && redactedIn(got, want) {
		return true
	}
	for _, tag := range tags {
		rest := strings.TrimPrefix(want, tag)
		// The key line's message, whole: "errno 1" must not count in
		// "errno 127".
		if strings.HasPrefix(got, tag) && len(rest) < len(want) && len(rest) >= 8 {
			at := strings.Index(got, rest)
			return at >= 0 && (at+len(rest) == len(got) || got[at+len(rest)] == ' ')
		}
	}
	return false
}

// redactedMark is ccm's stand-in for a credential it removed from a line.
var redactedMark = regexp.MustCompile(`\\\[REDACTED:[a-z_]+\\\]`)

// redactedLiteral is the marker as ccm writes it.
var redactedLiteral = regexp.MustCompile(`\[REDACTED:[a-z_]+\]`)

// redactedIn reports whether got is want with credentials redacted: each
// "[REDACTED:kind]" in got stands for any run of non-blank characters.
func redactedIn(got, want string) bool {
	// A reason that is little more than the marker would match any line.
	if len(redactedLiteral.ReplaceAllLiteralString(got, "")) < 16 {
		return false
	}
	re := redactedMark.ReplaceAllLiteralString(regexp.QuoteMeta(got), `\S+`)
	return regexp.MustCompile(re).MatchString(want)
}

// JestFailure is a Jest assertion failure as a job prints it, and
// JestContext the lines a person needs with its reason (the failing test,
// the values compared): the end-to-end case for failure_context.
var (
	JestFailure = []string{
		"Summary of all failing tests",
		"FAIL src/cart.test.js",
		"  ● Cart › applies the discount",
		"",
		"    expect(received).toBe(expected) // Object.is equality",
		"",
		"    Expected: 90",
		"    Received: 100",
		"",
		"      at Object.<anonymous> (src/cart.test.js:12:5)",
	}
	JestContext = []string{"● Cart › applies the discount", "Expected: 90", "Received: 100"}
)
