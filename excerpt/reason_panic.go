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
// the message what; joined (panicJoin) they are the reason a person reads,
// so the header is not outranked by its own message (an "assertion
// failed: …" is a cause), nor does it outrank what its message does not
// say: a harness's panic whose message only runs on to the error line
// that says why ("test failed running `cargo package`" / "error: process
// exited with code 0 (expected 101)") leaves that line the reason.
func panicStrength(lines []logLine, i int) int {
	tier := strengthOutcome
	_, msg := panicJoin(lines, i, lineOwnText(lines[i].text))
	for _, j := range msg {
		tier = max(tier, lineStrength(lines[j].text))
	}
	return tier
}

// panicJoin is the Rust panic header at lines[i] (text) joined with its
// message, and the indexes of the message's lines, so that the rank
// (panicStrength) reads the lines the reason holds. The message is at the
// header's own indent (no outcome's deeper detail), and is its first line
// (the values it compared are context), or two when that line only
// announces the error it shows: Rust's unwrap or expect on an Err
// ("called `Result::unwrap()` on an `Err` value:" / "Os { code: 24, …
// }"), whose error is the cause.
func panicJoin(lines []logLine, i int, text string) (string, []int) {
	indent := indentOf(lines[i].text)
	joined, at := continuation(text, lines[i+1:], false, indent, 1)
	if strings.HasSuffix(joined, "` value:") {
		joined, at = continuation(text, lines[i+1:], false, indent, 2)
	}
	for k := range at {
		at[k] += i + 1
	}
	return joined, at
}
