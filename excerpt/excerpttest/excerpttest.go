// Package excerpttest builds CI job logs for the tests of excerpt, redact
// and rules: GitHub Actions lines with runner timestamps, the set-up lines
// every job starts with, and random noise that states no failure.
package excerpttest

import (
	"fmt"
	"strings"

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
