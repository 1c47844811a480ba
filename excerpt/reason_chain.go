package excerpt

import (
	"regexp"
	"strings"
)

// A cause printed with its effects: the rank of a summary or an effect line
// goes to the line that names the cause, when the log holds it.

// causeChain ranks line i of a Gradle cause chain ("> Could not resolve all
// files…" over "   > Could not find g:a:1.0."): a link with a deeper link
// under it is a summary, and hands its rank, at least an error's, down to
// the deepest link, the cause, whatever its words. handed is the rank handed
// down so far; a line off the chain ends it.
func causeChain(lines []logLine, i, tier, handed int) (int, int) {
	raw := chainText(lines[i].text)
	t := strings.TrimSpace(raw)
	if !strings.HasPrefix(t, "> ") {
		if tier > strengthNone && gradleChainTop(lines, i) {
			// Gradle's message under "* What went wrong:" sums up the
			// "> " links under it.
			return min(tier, strengthGeneric), max(tier, handed, strengthError)
		}
		if t == "" || indentOf(raw) == 0 {
			handed = strengthNone // a blank or unindented line ends the chain
		}
		return tier, handed
	}
	if deeperLink(lines, i) {
		if tier > strengthNone {
			handed = max(tier, handed, strengthError)
		}
		return min(tier, strengthGeneric), handed
	}
	if tier == strengthGeneric {
		return tier, handed // the deepest link only points elsewhere ("See log for more details")
	}
	return max(tier, handed), handed
}

// gradleChainTop reports Gradle's line under "* What went wrong:" when a
// "> " link follows it, or its "Execution failed for task '…'." with a
// link under it wherever it is (a log cut or quoted without the header):
// Gradle's summary of the links, whose last names the cause ("> Process
// 'Gradle Test Executor 53' finished with non-zero exit value 137",
// https://github.com/elastic/elasticsearch/issues/44553).
func gradleChainTop(lines []logLine, i int) bool {
	if i+1 >= len(lines) || !strings.HasPrefix(strings.TrimSpace(lines[i+1].text), "> ") {
		return false
	}
	t := strings.TrimSpace(lines[i].text)
	return i > 0 && strings.TrimSpace(lines[i-1].text) == "* What went wrong:" ||
		strings.HasPrefix(t, "Execution failed for task '") && indentOf(lines[i].text) == 0
}

// deeperLink reports whether the next link of the chain under line i, before
// a blank line, is indented deeper: line i only sums it up.
func deeperLink(lines []logLine, i int) bool {
	indent := indentOf(chainText(lines[i].text))
	for _, l := range lines[i+1 : min(len(lines), i+12)] {
		raw := chainText(l.text)
		t := strings.TrimSpace(raw)
		if t == "" {
			return false
		}
		if strings.HasPrefix(t, "> ") {
			return indentOf(raw) > indent
		}
	}
	return false
}

// chainText is a line of a cause chain without the clock a CI system
// (Jenkins' timestamper: "20:49:31     > Could not find …") puts before
// it: the links' indents are read after it.
func chainText(s string) string {
	if s == "" || (s[0] < '0' || s[0] > '9') && s[0] != '[' && !strings.ContainsRune("IWEF", rune(s[0])) {
		return s // no clock: spare the expression
	}
	return unstamped(s)
}

// consequences pair a line that only reports an effect with the line that
// names its cause when both are printed: the exit status of a process killed
// by a signal and the shell's or kernel's word for the signal; an agent's
// shutdown and the job's time limit that stopped it.
var consequences = []struct{ effect, cause string }{
	{"exit code 137", "Killed"},
	{"exit code 137", "insufficient memory for the Java Runtime Environment"},
	{"exit code 139", "Segmentation fault"},
	{"exit code 143", "Terminated"},
	{"exit code 143", "Sending interrupt signal to process"}, // Jenkins stopping a step
	{"received a shutdown signal", "exceeded the maximum allowed time"},
	{"received a shutdown signal", "ran longer than the maximum time"},
	// A job cancelled after a test framework gave up on a test or a hook.
	{"The operation was canceled", "Timeout of"},
	{"The operation was canceled", "Exceeded timeout of"},
	{"The operation was canceled", "Jest did not exit one second after the test run has completed"},
	// A job cancelled by its CI system's time limit (Azure Pipelines
	// prints both, the cancellation first).
	{"The operation was canceled", "has exceeded the maximum execution time"},
	{"The operation was canceled", "exceeded the maximum allowed time"},
	{"The operation was canceled", "ran longer than the maximum time"},
	// A runner that cancels its work when the disk or memory ran out,
	// having said so in a warning.
	{"A task was canceled", "not enough space on the disk"},
	{"A task was canceled", "No space left on device"},
	{"A task was canceled", "no space left on device"},
	{"The operation was canceled", "not enough space on the disk"},
	{"The operation was canceled", "No space left on device"},
	{"The operation was canceled", "no space left on device"},
	// CocoaPods' header over the pod's requirements, and its resolver's
	// verdict under them (unresolvable).
	{"could not find compatible versions for pod", "None of your spec sources contain a spec satisfying"},
}

// causeNamed reports an effect line (see consequences) whose cause one of
// lines names: the effect only repeats it.
func causeNamed(t string, lines []logLine) bool {
	if verdictNamed(t, lines) {
		return true
	}
	for _, c := range consequences {
		if !strings.Contains(t, c.effect) {
			continue
		}
		for _, l := range lines {
			if strings.Contains(l.text, c.cause) && !strings.Contains(l.text, c.effect) {
				return true
			}
		}
	}
	return false
}

// rspecFailure follows RSpec's failure block: "Failure/Error: <code>", or
// the header alone over the lines of the code, then the message ("expected
// … to include …", "expected: 3" / "got: 4", or an exception's class line,
// joined with the message under it as any line ending in a colon is). A
// header whose own line holds the expectation ("expect(x).to eq(1)") says
// what was expected: it stays the reason, joined with the message that
// says what came instead (reasonText); any other header only quotes the
// code that failed, and the message under it is the cause, above the
// example's title ("should include \"x\" (FAILED - 1)").
type rspecFailure struct{ state int }

const (
	rspecOff     = iota
	rspecCode    // after a header that holds no expectation, before the blank line
	rspecMessage // after the code (a blank line, or the header's own line), before the message
)

// rspecExpected is a matcher's message ("expected [1, 2] to include 3",
// "expected: 3", "expected to find text …"), not code ("expected = 3").
var rspecExpected = regexp.MustCompile(`^expected(?::|\s+[^=\s])`)

// rank rates the next line of the log given its own rank.
func (r *rspecFailure) rank(line string, tier int) int {
	if _, code, ok := strings.Cut(line, "Failure/Error:"); ok {
		r.state = rspecCode
		switch {
		case tier == strengthCause:
			r.state = rspecOff // joined with its message (reasonText)
			return tier
		case strings.TrimSpace(code) != "":
			// The code on the header's own line is all RSpec quotes:
			// the message follows, with or without a blank line.
			r.state = rspecMessage
		}
		return strengthGeneric
	}
	if r.state == rspecOff {
		return tier
	}
	t := strings.TrimSpace(line)
	switch {
	case r.state == rspecCode:
		switch {
		case t == "":
			r.state = rspecMessage
		case rubyClassHeader.MatchString(t), rspecExpected.MatchString(t):
			// The exception's class, its message under it, or the
			// matcher's message, with no blank line after the code.
			r.state = rspecOff
			return max(tier, strengthError)
		default:
			// The code RSpec quotes: an expectation in it is source,
			// the message under it says what went wrong.
			return min(tier, strengthNone)
		}
		return tier
	case t == "":
		return tier
	case strings.HasPrefix(t, "# "):
		r.state = rspecOff // a backtrace: there was no message
		return tier
	}
	r.state = rspecOff
	return max(tier, strengthError)
}
