package rules

import (
	"bytes"
	"regexp"
	"slices"

	"github.com/ccm-ci/ccm/analysis"
	"github.com/ccm-ci/ccm/logtext"
)

// What a test run prints that is not a failure of its own: the output a
// passing test captured, and the test names and source lines a runner
// quotes when it reports a failure. A network or timeout signature that
// matches there read the test's own words, not an error the job met.

// byteRange is a half-open range of the scanned text's offsets.
type byteRange struct{ start, end int }

// passedOutput returns the ranges of low (the scanned, ASCII-lowercased
// text) that hold output captured by tests that passed: pytest's
// "Captured log/stdout/stderr" sections in a session whose summary says
// nothing failed, or under its PASSES header (-rP, -rA); Jest's console
// blocks under a PASS suite header, or in a run whose summary says no test
// failed. A section of a failed test is kept: what it captured may be the
// cause (the connection the test could not open). The cheap guards keep
// the common log, which has neither, to two substring searches.
func passedOutput(low []byte) []byteRange {
	var out []byteRange
	if bytes.Contains(low, []byte(" captured ")) {
		out = pytestPassedOutput(low, out)
	}
	if bytes.Contains(low, []byte("console.")) {
		out = jestPassedOutput(low, out)
	}
	return out
}

var (
	// pytestCaptured is the header of a captured-output section.
	pytestCaptured = regexp.MustCompile(`(?m)^[^\S\n]*-{3,} captured (?:stdout|stderr|log)(?: (?:setup|call|teardown))? -{3,}[^\S\n]*$`)
	// pytestSectionEnd ends one: another header (a test's "____ name ____",
	// the session's "==== x ====", a captured section's "---- x ----") or
	// a progress line ("tests/x.py ....  [ 43%]").
	pytestSectionEnd = regexp.MustCompile(`(?m)^[^\S\n]*(?:_{3,} |={3,}|-{3,} )|\[\s*\d+%\][^\S\n]*$`)
	// pytestSummary is the session's closing count line ("==== 2 failed,
	// 210 passed in 18.33s ====", "-q": "212 passed in 1.2s").
	pytestSummary = regexp.MustCompile(`(?m)^[=\s]*\d+ (?:passed|failed|errors?)\b[^\n]* in [\d.]+s\b`)
	// pytestSession is a session header ("===== PASSES =====").
	pytestSession = regexp.MustCompile(`(?m)^[^\S\n]*={3,} ([a-z][a-z ]*?) ={3,}[^\S\n]*$`)
)

// pytestAllPassed reports a pytest session whose summary counts passed
// tests and no failed test or error.
func pytestAllPassed(low []byte) bool {
	sums := pytestSummary.FindAll(low, -1)
	if len(sums) == 0 {
		return false
	}
	for _, s := range sums {
		if bytes.Contains(s, []byte(" failed")) || bytes.Contains(s, []byte(" error")) || !bytes.Contains(s, []byte(" passed")) {
			return false
		}
	}
	return true
}

func pytestPassedOutput(low []byte, out []byteRange) []byteRange {
	all := pytestAllPassed(low)
	sessions := pytestSession.FindAllSubmatchIndex(low, -1)
	for _, h := range pytestCaptured.FindAllIndex(low, -1) {
		if !all && !underPasses(low, sessions, h[0]) {
			continue
		}
		start := h[1]
		end := len(low)
		if m := pytestSectionEnd.FindIndex(low[min(start+1, len(low)):]); m != nil {
			// A progress line matches at its end: the section ends where
			// that line starts.
			end = start + 1 + m[0]
			end = bytes.LastIndexByte(low[:end], '\n') + 1
		}
		out = append(out, byteRange{start, end})
	}
	return out
}

// underPasses reports whether the nearest session header before off is
// pytest's PASSES.
func underPasses(low []byte, sessions [][]int, off int) bool {
	name := ""
	for _, s := range sessions {
		if s[0] > off {
			break
		}
		name = string(low[s[2]:s[3]])
	}
	return name == "passes"
}

var (
	// jestConsole is the header of a console block Jest prints for a
	// test's console.log/error ("  console.error").
	jestConsole = regexp.MustCompile(`(?m)^([^\S\n]*)console\.(?:log|error|warn|info|debug|trace)[^\S\n]*$`)
	// jestSuite is a suite's verdict header ("PASS src/a.test.ts").
	// Jest pads it to align with " FAIL " when it colours it ("PASS  src/…").
	jestSuite = regexp.MustCompile(`(?m)^[^\S\n]*(pass|fail)[^\S\n]+[^\s]`)
	// jestTests is the run's test count ("Tests:       201 passed, 201 total").
	jestTests = regexp.MustCompile(`(?m)^[^\S\n]*tests:[^\S\n]+[^\n]*\d+ total`)
)

func jestPassedOutput(low []byte, out []byteRange) []byteRange {
	noneFailed := false
	if t := jestTests.FindAll(low, -1); len(t) > 0 {
		noneFailed = !slices.ContainsFunc(t, func(l []byte) bool { return bytes.Contains(l, []byte(" failed")) })
	}
	suites := jestSuite.FindAllSubmatchIndex(low, -1)
	for _, h := range jestConsole.FindAllSubmatchIndex(low, -1) {
		// Which suite printed it: without --verbose the block follows its
		// suite's verdict, with it the block comes first, as the tests
		// run. So a block counts as a passing suite's only between two
		// PASS verdicts (or a PASS and the run's end), unless nothing
		// failed at all.
		before, after := "", ""
		for _, s := range suites {
			if s[0] > h[0] {
				after = string(low[s[2]:s[3]])
				break
			}
			before = string(low[s[2]:s[3]])
		}
		if !noneFailed && (before != "pass" || after == "fail") {
			continue
		}
		// The block is the lines indented deeper than its header, and
		// blank lines among them.
		indent := h[3] - h[2]
		end := h[1]
		for end < len(low) {
			next := bytes.IndexByte(low[end+1:], '\n')
			line := low[end+1:]
			if next >= 0 {
				line = line[:next]
			}
			if t := bytes.TrimLeft(line, " \t"); len(t) > 0 && len(line)-len(t) <= indent {
				break
			}
			if next < 0 {
				end = len(low)
				break
			}
			end += 1 + next
		}
		out = append(out, byteRange{h[1], end})
	}
	return out
}

// inPassedOutput reports whether the line starting at off lies in the
// output of a passing test.
func (sc scanned) inPassedOutput(off int) bool {
	return slices.ContainsFunc(sc.passed, func(r byteRange) bool { return off > r.start && off < r.end })
}

var (
	// failedTestTitle is a failed test's title as the JavaScript runners
	// print it: Jest's "● suite › name", the verbose list's "✕ name" and
	// Vitest's "× name". The title is the test's name, chosen by its author.
	failedTestTitle = regexp.MustCompile(`^[^\S\n]*(?:●|✕|×|✗|✘)[^\S\n]`)
	// codeFrame is a source line a runner or compiler quotes around the
	// failing line: Babel's and Jest's "  27 |   code" and "> 29 |   code",
	// rustc's " 12 |     code", pytest's ">       code".
	codeFrame = regexp.MustCompile(`^[^\S\n]*(?:>[^\S\n]*)?\d+[^\S\n]*\|(?:[^\S\n]|$)|^>[^\S\n]{3,}\S`)
)

// quotedLine reports a line that only quotes the test, for the
// flakiness-evidence signature s: a failed test's title, or a line of
// source code in a code frame. Words found there (a test "retries when the
// upstream answers ECONNRESET", a mock's new Error("read ECONNRESET")) are
// the test's subject, not an error the job met, so they are no evidence.
// The flaky_test signatures still read a code frame: the one that finds a
// timing assertion (timing-assertion) reads the assertion it quotes.
func (sc scanned) quotedLine(s *signature, sp span) bool {
	line := logtext.StripPrefix([]byte(sc.text[sp.start:sp.end]))
	return failedTestTitle.Match(line) || s.category != analysis.CategoryFlakyTest && codeFrame.Match(line)
}
