package excerpt

import (
	"regexp"
	"strings"
)

// rustPanicHeader is the line a Rust panic opens with since Rust 1.73:
// where, with the message on the next lines ("thread 'tests::parse'
// panicked at src/parse.rs:42:5:" / "assertion `left == right` failed").
// Newer releases put the thread's id after its name ("thread 'main'
// (86345) panicked at …"). Before 1.73 the message stood on the line
// itself ("panicked at 'msg', src/lib.rs:10:9"), which this does not match.
var rustPanicHeader = regexp.MustCompile(`\bthread '[^']*'(?: \(\d+\))? panicked at .+:\d+:\d+:$`)

// isRustPanicHeader reports a rustPanicHeader line; t is trimmed.
func isRustPanicHeader(t string) bool {
	return strings.HasSuffix(t, ":") && strings.Contains(t, "panicked at ") && rustPanicHeader.MatchString(t)
}

// panicStrength is the rank of the Rust panic header at lines[i]: its
// message's, at least an outcome's. The header says which test and where,
// the message what; joined (lineText) they are the reason a person reads,
// so the header is not outranked by its own message (an "assertion
// failed: …" is a cause), nor does it outrank what its message does not
// say: a harness's panic whose message only runs on to the error line
// that says why ("test failed running `cargo package`" / "error: process
// exited with code 0 (expected 101)") leaves that line the reason.
func panicStrength(lines []logLine, i int) int {
	tier := strengthOutcome
	for _, j := range panicMessage(lines, i) {
		tier = max(tier, lineStrength(lines[j].text))
	}
	return tier
}

// panicMessage returns the indexes of the lines lineText joins to the
// panic header at lines[i]: its message's first line, and the error it
// shows when that line only announces one ("called `Result::unwrap()`
// on an `Err` value:"). Blank lines and separator rules before the
// message are skipped, as joinContinuation skips them.
func panicMessage(lines []logLine, i int) []int {
	var out []int
	for j := i + 1; j < len(lines) && len(out) < 2; j++ {
		if lines[j].no != lines[j-1].no+1 {
			break
		}
		t := strings.TrimSpace(lines[j].text)
		if t == "" || separatorRule(t) {
			if len(out) > 0 {
				break
			}
			continue
		}
		out = append(out, j)
		if !strings.HasSuffix(t, "` value:") {
			break
		}
	}
	return out
}
