package excerpt

import (
	"regexp"
	"strings"
)

// Headers that say where (or that an assertion failed) and print what on
// the lines under them: the Rust panic's (reason_panic.go), GHC's
// diagnostic, ExUnit's assertion. Alone neither part is the reason a
// person reads; joined they are (GHC's and ExUnit's by joinHeader, the
// panic's by panicJoin), and the header is ranked as what its message
// says (headerStrength), so that the message does not outrank its own
// header.

// headerStrength is the rank of line i when it is one of the headers
// above, tier (its own rank) otherwise.
func headerStrength(lines []logLine, i, tier int) int {
	t := strings.TrimSpace(lines[i].text)
	switch {
	case isRustPanicHeader(t):
		return panicStrength(lines, i)
	case isGHCHeader(t):
		tier = max(tier, strengthError)
		for _, j := range ghcMessage(lines, i) {
			tier = max(tier, lineStrength(lines[j].text))
		}
		return tier
	case exunitHeader(lines, i) > 0:
		// The values an assertion compared, as Jest's Expected and
		// Received are (detailLines).
		return strengthCause
	}
	return tier
}

// joinHeader is line i (text, trimmed) joined with the message under it
// when it is a GHC or ExUnit header; ok is false for any other line.
func joinHeader(lines []logLine, i int, text string) (joined string, ok bool) {
	if isGHCHeader(text) {
		for _, j := range ghcMessage(lines, i) {
			text += " " + strings.TrimSpace(ghcUnmarked(lines[j].text))
		}
		return text, true
	}
	if more := twineMessage(lines, i); len(more) > 0 {
		for _, j := range more {
			text += " " + strings.TrimSpace(lines[j].text)
		}
		return text, true
	}
	if code := exunitHeader(lines, i); code > 0 {
		// What was asserted. The values compared under it ("left:  201",
		// "right: 403") stay context (contextAfter), as they do without a
		// code line: a flaky assertion's values differ from run to run,
		// and the reason makes the fingerprint that history recognises
		// the same failure by.
		return text + " " + strings.TrimSpace(lines[code].text), true
	}
	return "", false
}

// ghcHeader is GHC's diagnostic header: the place, then "error:", then
// (since GHC 9.4) its code and, under -Werror, the warning's flag
// ("src/Hledger/StockQuotes.hs:81:25: error: [GHC-88464]",
// "src/A.hs:(3,1)-(4,9): error: [GHC-62161] [-Wincomplete-patterns,
// Werror=incomplete-patterns]"). The message is on the indented lines
// under it ("    Variable not in scope: jcommodities :: Journal -> …"),
// with the quoted source ("81 |   …") after them. A log pasted from a
// narrow terminal may carry the path's start on the line above: the header
// is read as the line it is.
var ghcHeader = regexp.MustCompile(`^\S+\.(?:hs|lhs|hsc|hs-boot):(?:\d+:\d+(?:-\d+)?|\(\d+,\d+\)-\(\d+,\d+\)): error:(?: \[[^\]]+\])*$`)

// isGHCHeader reports a ghcHeader line; t is trimmed.
func isGHCHeader(t string) bool {
	return strings.Contains(t, ": error:") && ghcHeader.MatchString(t)
}

// ghcMessage returns the indexes of the message lines under the GHC header
// at lines[i]: the first, indented deeper than the header, and those that
// go on with it: a line the previous one announces ("Variable not in
// scope:" / "jinferredcommodities :: Journal -> …") or that GHC wrapped
// deeper still. The quoted source, a blank line or a new part of the
// message ("Suggested fix:", "• In the expression: …") end it.
func ghcMessage(lines []logLine, i int) []int {
	var out []int
	indent, first := indentOf(lines[i].text), 0
	for j := i + 1; j < len(lines) && len(out) < 3; j++ {
		raw := ghcUnmarked(lines[j].text)
		t := strings.TrimSpace(raw)
		if lines[j].no != lines[j-1].no+1 || t == "" || t == "|" || codeFrame.MatchString(t) || indentOf(raw) <= indent {
			break
		}
		if len(out) > 0 && !strings.HasSuffix(strings.TrimSpace(lines[j-1].text), ":") && indentOf(raw) <= first {
			break
		}
		if len(out) == 0 {
			first = indentOf(raw)
		}
		out = append(out, j)
	}
	return out
}

// ghcUnmarked is a line of GHC's message without the marker a problem
// matcher's annotation puts before it, as GitHub shows it ("Error:
// Variable not in scope: fastRem :: Int -> t0 -> Int"), so that its
// indent is GHC's and the joined reason holds GHC's words alone. (A raw
// log's "##[error]" on the message line makes it an annotation, chosen
// alone before the step's lines are read: no marker of that kind reaches
// here.)
func ghcUnmarked(s string) string {
	return strings.TrimPrefix(s, "Error:")
}

// exunitAssertion is the first line of an ExUnit assertion's report: which
// assertion failed ("Assertion with == failed", "Assertion with =~
// failed", "match (=) failed", "Assertion failed", "Expected truthy, got
// false"). The lines under it say what: "code:  assert resp.status_code()
// == 403", then the values compared, "left:  201" and "right: 403".
var exunitAssertion = regexp.MustCompile(`^(?:Assertion with \S+ failed(?:, .+)?|Assertion failed|match \(=\) failed|Expected truthy, got .+|Expected false or nil, got .+)$`)

// exunitHeader returns the index of the "code:" line under the ExUnit
// assertion header at lines[i], or 0 when line i is none: the header's
// words alone are a generic "Assertion failed" in many other tools.
func exunitHeader(lines []logLine, i int) int {
	t := strings.TrimSpace(lines[i].text)
	if !strings.HasSuffix(t, "failed") && !strings.HasPrefix(t, "Expected ") || !exunitAssertion.MatchString(t) {
		return 0
	}
	if j := i + 1; j < len(lines) && lines[j].no == lines[i].no+1 && strings.HasPrefix(strings.TrimSpace(lines[j].text), "code:") {
		return j
	}
	return 0
}

// twineHTTPError is twine's upload error ("ERROR    HTTPError: 400 Bad
// Request from https://upload.pypi.org/legacy/"), whose index's own words
// ("File already exists ('pkg-0.4.1-py3-none-any.whl', with …") are
// wrapped under it, indented to its message's column: the status alone
// does not say why.
var twineHTTPError = regexp.MustCompile(`^ERROR\s+HTTPError: \d{3} .* from \S+$`)

// twineMessage returns the indices of the index's message under a twine
// upload error at lines[i]: the next lines indented to the message's
// column, at most two, before its "See https://…" pointer.
func twineMessage(lines []logLine, i int) []int {
	t := strings.TrimSpace(lines[i].text)
	if !strings.HasPrefix(t, "ERROR") || !strings.Contains(t, "HTTPError: ") || !twineHTTPError.MatchString(t) {
		return nil
	}
	col := indentOf(lines[i].text) + strings.Index(t, "HTTPError") // next lines are read untrimmed
	var more []int
	for j := i + 1; j < len(lines) && len(more) < 2 && lines[j].no == lines[i].no+int64(len(more))+1; j++ {
		next := strings.TrimRight(lines[j].text, " ")
		if indentOf(next) != col || strings.HasPrefix(strings.TrimSpace(next), "See ") {
			break
		}
		more = append(more, j)
	}
	return more
}
