package excerpt

import (
	"regexp"
	"strings"
)

// maxContextLines bounds failure_context: the reason is one line, and the
// context only what a person needs next to it.
const maxContextLines = 3

// contextAfter are the lines under a reason that complete it: the values an
// assertion compared, the dependency that conflicts, where a compiler
// points.
var contextAfter = regexp.MustCompile(strings.Join([]string{
	`^\s*[-+]?\s*(?:Expected|Received|Actual|expected|actual|got|want)\b.*[:=]`,
	`^\s*(?:Expected|Received|Actual)\s*$`,
	`^(?:npm (?:ERR!|error) )?(?:peer \S|Conflicting peer dependency|Could not resolve dependency)`,
	`^\s*--> \S+:\d+`,
	`^\s*(?:E\s+)?(?:assert|AssertionError)\b`,
	`^\s*(?:Caused by|caused by):`,
	`^\s*(?:left|right)\s*:\s*\S`,                       // Rust's assert_eq!: the values compared
	`^\s*(?:\[ERROR\]\s+)?(?:symbol|location)\s*:\s*\S`, // javac's "cannot find symbol": what, and where
	`^\s*(?:Expression|Evaluated):\s*\S`,                // Julia's failed @test: what it tested, and its values
	`✕ (?:unmet|missing) peer \S`,                       // pnpm's peer rows: the peer wanted, and the version found
}, "|"))

// contextBefore names what failed when the reason does not: the test, or
// what a package manager was resolving.
var contextBefore = regexp.MustCompile(strings.Join([]string{
	`^(?:npm (?:ERR!|error) )?(?:Found: \S+@|While resolving: \S+@)`,
	`^\s*● \S`,
	`^\s*--- FAIL: \S`,
	`^\s*_{3,} \S.* _{3,}$`,
	`^\s*\[FAIL(?:ED)?\]\s+\S`,
	`^\s*\w+\(\S+\)\s+Time elapsed: .*<<< (?:FAILURE|ERROR)!`,
	`^(?:ERROR|FAIL): test\w* \(\S+\)`, // Python unittest
	`^---- \S+ stdout ----$`,           // Rust's test harness
}, "|"))

// pytestBanner is pytest's "____ test_name ____" over a failure: the name
// is what a person needs, not the rule around it.
var pytestBanner = regexp.MustCompile(`^_{3,} (\S.*?) _{3,}$`)

// caretLine is a compiler's pointer under the source line it quotes
// (gcc's "   |     ^~~~~~", javac's "       ^").
var caretLine = regexp.MustCompile(`^\s*(?:\|\s*)?[~^]*\^[~^]*\s*$`)

// failureContext returns up to maxContextLines lines around lines[at] that
// a person needs with the reason. When the reason came from elsewhere (an
// annotation), alt holds the step's output to find it in.
func failureContext(lines []logLine, at int, reason string, alt []logLine) []string {
	if alt != nil {
		lines, at = alt, indexOfText(alt, lines[at].text)
		if at < 0 {
			return nil
		}
	}
	var out []string
	reason = reasonLine(reason)
	add := func(t string) {
		t = reasonLine(t)
		if m := pytestBanner.FindStringSubmatch(t); m != nil {
			t = m[1]
		}
		if t == "" || len(out) == maxContextLines || strings.Contains(reason, t) || strings.Contains(reason, untagged(t)) {
			return
		}
		for _, o := range out {
			if o == t {
				return
			}
		}
		out = append(out, t)
	}
	if !contextBefore.MatchString(reason) {
		for i := at - 1; i >= 0 && i >= at-10; i-- {
			if t := unstamped(lines[i].text); contextBefore.MatchString(t) {
				add(t)
				break
			}
		}
	}
	if at+2 < len(lines) && lines[at+1].no+1 == lines[at+2].no && caretLine.MatchString(lines[at+2].text) &&
		strings.TrimSpace(lines[at+1].text) != "" && len(out)+2 <= maxContextLines {
		// Where a compiler points: the source line it quotes and its
		// caret, spaced as printed so that the caret stays under the
		// code.
		out = append(out, pointed(unstamped(lines[at+1].text), unstamped(lines[at+2].text))...)
	}
	for i := at + 1; i < len(lines) && i <= at+10; i++ {
		t := unstamped(lines[i].text)
		if trimmed := strings.TrimSpace(t); isTraceFrame(trimmed) || strings.HasPrefix(trimmed, "##[") {
			break
		}
		// meson's summary counts are no values an assertion compared,
		// whatever the count (only "Expected Fail: N" looks like one): a
		// zero counts nothing, another only sums up the test rows above
		// it, which say which test.
		if contextAfter.MatchString(t) && !mesonSummaryRow.MatchString(strings.TrimSpace(t)) {
			add(t)
		}
	}
	return out
}

// untagged is t without the tool's tag a joined reason states only once
// (see joinContinuation).
func untagged(t string) string {
	for _, p := range repeatedPrefixes {
		if strings.HasPrefix(t, p+" ") {
			return strings.TrimSpace(t[len(p):])
		}
	}
	return t
}

// pointed returns a quoted source line and the caret under it without the
// indentation they share, each bounded as a reason is.
func pointed(src, caret string) []string {
	src, caret = strings.TrimRight(src, " \t"), strings.TrimRight(caret, " \t")
	cut := min(indentOf(src), indentOf(caret))
	out := []string{src[cut:], caret[cut:]}
	for i, s := range out {
		if len(s) > maxReasonLen {
			out[i] = reasonLine(s)
		}
	}
	return out
}

// lineStamp is a clock or klog prefix that CI systems other than GitHub
// Actions put before each line ("09:23:02 ", "I0116 19:19:51.137] ").
var lineStamp = regexp.MustCompile(`^(?:\[?\d{1,2}:\d\d:\d\d(?:\.\d+)?\]?|[IWEF]\d{4} \d\d:\d\d:\d\d\.\d+\])\s?`)

func unstamped(s string) string { return lineStamp.ReplaceAllString(s, "") }

// indexOfText finds the line whose text ends with t (the annotation's text
// without its marker), or -1.
func indexOfText(lines []logLine, t string) int {
	t = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(t), "##[error]"))
	if t == "" {
		return -1
	}
	for i, l := range lines {
		if strings.HasSuffix(strings.TrimSpace(l.text), t) {
			return i
		}
	}
	return -1
}

// announcedInStep is a marked header's message: a ##[error] line that ends
// in a colon ("Error: processing vignette 'a.Rmd' failed with
// diagnostics:") printed its message on the next lines of the step's
// output, unmarked.
func announcedInStep(p pick, cands []logLine) string {
	if !strings.HasSuffix(p.joined, ":") || p.joined != strings.TrimSpace(p.lines[p.at].text) {
		return ""
	}
	for i, l := range cands {
		if strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(l.text), "##[error]")) == p.joined {
			if t := reasonText(cands, i, max(p.tier, strengthError)); t != p.joined {
				return t
			}
		}
	}
	return ""
}
