package rules

import (
	"bytes"
	"regexp"
	"strconv"
	"strings"

	"github.com/ccm-ci/ccm/logtext"
)

// Test retries. A runner that retries failed tests (Gradle's test-retry
// plugin, Surefire's rerunFailingTestsCount, pytest-rerunfailures,
// Playwright's and Vitest's retries, go test -count and gotestsum
// --rerun-fails) prints every attempt. What the attempts say outweighs
// the words around them:
//   - a test that failed on every attempt the log shows failed the same
//     way each time: that is a deterministic failure, not a flaky one, and
//     a re-run would only fail again;
//   - a test that failed and then passed is the flaky one, and what its
//     failed attempt printed (a TimeoutException, a connection reset) is
//     no evidence that another test, the one that kept failing, is flaky.

// attempts are one test's verdicts in the order the log shows them, and
// the output of its failed attempts.
type attempts struct {
	name           string // as the log prints it
	failed, passed int
	blocks         []byteRange
}

// retryReport is what the log's retries say.
type retryReport struct {
	// alwaysFailed names the tests that failed on each of at least two
	// attempts and never passed.
	alwaysFailed []string
	// passedOutput holds the output of failed attempts of tests that
	// passed on a later attempt.
	passedOutput []byteRange
}

// otherTests reports a flakiness-evidence hit that says nothing of the
// test that failed: every line of it lies in the output of a test that
// passed on a later attempt, or it is a retry marker ("(retry #1)",
// "RERUN") when some test failed every attempt, whose attempts were read
// here already.
func (r retryReport) otherTests(sc scanned, h hit) bool {
	if h.sig.name == "rerun-marker" && len(r.alwaysFailed) > 0 {
		return true
	}
	return r.inPassedRetry(h.lines) && r.inPassedRetry(sc.findN(h.sig, compileScanLimit))
}

// inPassedRetry reports whether every line of h lies in the output of a
// test that passed on a later attempt.
func (r retryReport) inPassedRetry(lines []span) bool {
	if len(r.passedOutput) == 0 || len(lines) == 0 {
		return false
	}
	for _, sp := range lines {
		in := false
		for _, b := range r.passedOutput {
			if sp.start >= b.start && sp.start < b.end {
				in = true
				break
			}
		}
		if !in {
			return false
		}
	}
	return true
}

var (
	// gradleVerdict is Gradle's per-test line ("com.x.FooTest > bar()
	// FAILED"), behind an optional ISO timestamp (GitHub Actions, Azure).
	gradleVerdict = regexp.MustCompile(`(?m)^(?:\d{4}-\d\d-\d\dt[\d:.]+z[^\S\n]+)?([^\S\n]*)([\w.$]+ > [^\n]*?)[^\S\n]+(failed|passed)[^\S\n]*\r?$`)
	// goVerdict is go test's "--- FAIL: TestX (0.01s)"; -count=N and
	// gotestsum --rerun-fails print one per run.
	goVerdict = regexp.MustCompile(`(?m)^(?:\d{4}-\d\d-\d\dt[\d:.]+z[^\S\n]+)?([^\S\n]*)--- (fail|pass): (\S+)`)
	// goRepeated is a go test run that runs each test more than once:
	// "-count=3", gotestsum's "--rerun-fails" and its summary "DONE 2
	// runs, …".
	goRepeated = regexp.MustCompile(`-count[= ]?(?:[2-9]|[1-9]\d+)\b|--rerun-fails|\bdone [2-9]\d* runs\b`)
	// surefireRun is one run of a re-run test in Surefire's summary
	// ("[ERROR]   Run 2: FooTest.bar:41 expected:<1> but was:<2>",
	// "Run 2: PASS").
	surefireRun = regexp.MustCompile(`(?m)^[^\n]*?\brun (\d+): ([^\n]*?)[^\S\n]*\r?$`)
	// pytestPassedID is a test pytest -v reports passed.
	pytestPassedID = regexp.MustCompile(`(?m)^[^\S\n]*passed ([\w/.-]+\.py::[^\s]+)|([\w/.-]+\.py::[^\s]+) passed\b`)
	// playwrightVerdict is the list reporter's line for one attempt
	// ("✘  3 [chromium] › a.spec.ts:4:7 › title (retry #1) (23ms)").
	playwrightVerdict = regexp.MustCompile(`(?m)^[^\S\n]*(✘|✓|ok|x)[^\S\n]+\d+[^\S\n]+(\[[^\]\n]+\] › [^\n]*?)(?:[^\S\n]+\(retry #\d+\))?(?:[^\S\n]+\([\d.]+m?s\))?[^\S\n]*\r?$`)
	// vitestRetried is Vitest's verdict on a retried test ("× suite >
	// name 186540ms (retry x2)"): it ran once more than the count.
	vitestRetried = regexp.MustCompile(`(?m)^[^\S\n]*(×|✓)[^\S\n]+([^\n]*?)(?:[^\S\n]+\d+m?s)?[^\S\n]+\(retry x(\d+)\)`)
)

// retries reads the attempts of the tests the log shows. Each format sits
// behind a substring its lines must hold, so a log without retries costs
// a few searches.
func (sc scanned) retries() retryReport {
	low := sc.low[sc.logFrom:]
	off := sc.logFrom
	tests := map[string]*attempts{}
	var order []string
	// get returns the attempts of the test named at low[start:end] by a
	// runner of the kind given.
	get := func(kind string, start, end int) *attempts {
		key := kind + " " + string(low[start:end])
		a := tests[key]
		if a == nil {
			a = &attempts{name: sc.text[off+start : off+end]}
			tests[key] = a
			order = append(order, key)
		}
		return a
	}
	if bytes.Contains(low, []byte(" > ")) {
		for _, m := range gradleVerdict.FindAllSubmatchIndex(low, -1) {
			a := get("gradle", m[4], m[5])
			if string(low[m[6]:m[7]]) == "passed" {
				a.passed++
				continue
			}
			a.failed++
			a.blocks = append(a.blocks, indentedBlock(low, off, m[1], m[3]-m[2]))
		}
	}
	// go test prints a test's verdict once per run, so a second "--- FAIL"
	// of it is a retry only when the log shows the tests were run again
	// (-count=N, gotestsum's re-runs): several failed runs pasted together
	// (an issue collecting a flaky test's failures on several builders,
	// a matrix) are several runs, each free to fail on its own.
	if bytes.Contains(low, []byte("--- fail: ")) && goRepeated.Match(low) {
		for _, m := range goVerdict.FindAllSubmatchIndex(low, -1) {
			a := get("go", m[6], m[7])
			if string(low[m[4]:m[5]]) == "pass" {
				a.passed++
				continue
			}
			a.failed++
			a.blocks = append(a.blocks, indentedBlock(low, off, m[1], m[3]-m[2]))
		}
	}
	if bytes.Contains(low, []byte("run 2: ")) {
		// A "Run 1:" starts a test's runs; the runs after it are its
		// re-runs.
		var cur *attempts
		for _, m := range surefireRun.FindAllSubmatchIndex(low, -1) {
			n, _ := strconv.Atoi(string(low[m[2]:m[3]]))
			if n == 1 {
				cur = get("surefire", m[4], m[5])
			}
			if cur == nil {
				continue
			}
			if string(low[m[4]:m[5]]) == "pass" {
				cur.passed++
			} else {
				cur.failed++
			}
		}
	}
	if bytes.Contains(low, []byte("rerun")) {
		// Each "RERUN" is a failed run; the last run is "FAILED" (the
		// progress line and the summary both say so: it counts once) or
		// "PASSED".
		final := map[string]bool{}
		for _, m := range pytestRerunID.FindAllSubmatchIndex(low, -1) {
			g := pytestGroup(m)
			get("pytest", m[g], m[g+1]).failed++
		}
		for _, m := range pytestFailedID.FindAllSubmatchIndex(low, -1) {
			g := pytestGroup(m)
			id := "pytest " + string(low[m[g]:m[g+1]])
			if a := tests[id]; a != nil && !final[id] {
				final[id] = true
				a.failed++
			}
		}
		for _, m := range pytestPassedID.FindAllSubmatchIndex(low, -1) {
			g := pytestGroup(m)
			if a := tests["pytest "+string(low[m[g]:m[g+1]])]; a != nil {
				a.passed++
			}
		}
		// A rerun whose last run the log does not show (cut short) says
		// only that the test failed once.
		for id, a := range tests {
			if strings.HasPrefix(id, "pytest ") && !final[id] && a.passed == 0 {
				a.failed = min(a.failed, 1)
			}
		}
	}
	if bytes.Contains(low, []byte(" › ")) && bytes.Contains(low, []byte("retry #")) {
		for _, m := range playwrightVerdict.FindAllSubmatchIndex(low, -1) {
			a := get("playwright", m[4], m[5])
			if v := string(low[m[2]:m[3]]); v == "✓" || v == "ok" {
				a.passed++
			} else {
				a.failed++
			}
		}
	}
	if bytes.Contains(low, []byte("(retry x")) {
		for _, m := range vitestRetried.FindAllSubmatchIndex(low, -1) {
			n, _ := strconv.Atoi(string(low[m[6]:m[7]]))
			a := get("vitest", m[4], m[5])
			if string(low[m[2]:m[3]]) == "✓" {
				// Passed on its last run, after n failed ones.
				a.failed += n
				a.passed++
			} else {
				a.failed += n + 1
			}
		}
	}
	var r retryReport
	for _, name := range order {
		a := tests[name]
		switch {
		case a.passed == 0 && a.failed >= 2:
			r.alwaysFailed = append(r.alwaysFailed, a.name)
		case a.passed > 0 && a.failed > 0:
			r.passedOutput = append(r.passedOutput, a.blocks...)
		}
	}
	return r
}

// pytestGroup is the index in m of the group that names the test: the
// pytest expressions name it before or after the verdict.
func pytestGroup(m []int) int {
	if m[2] >= 0 {
		return 2
	}
	return 4
}

// indentedBlock is the output under a verdict line that ends at from (an
// offset of low, which starts at off in the scanned text): the lines
// after it indented deeper than the verdict (indent), up to the first
// blank line or line that is not. CI prefixes (timestamps) are skipped.
func indentedBlock(low []byte, off, from, indent int) byteRange {
	end := from
	for end < len(low) {
		next := bytes.IndexByte(low[end+1:], '\n')
		line := low[end+1:]
		if next >= 0 {
			line = line[:next]
		}
		line = bytes.TrimRight(logtext.StripPrefix(line), "\r")
		t := bytes.TrimLeft(line, " \t")
		if len(t) == 0 || len(line)-len(t) <= indent {
			break
		}
		if next < 0 {
			end = len(low)
			break
		}
		end += 1 + next
	}
	return byteRange{off + from, off + end}
}
