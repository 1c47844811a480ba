package rules

import (
	"strings"

	"github.com/ccm-ci/ccm/excerpt"
)

// maxReasonContext bounds the lines returned with a better reason.
const maxReasonContext = 2

// Reason is the failure reason ccm shows for ex (the fingerprint stays on
// the excerpt's own reason: tasks.LogRecord): the
// excerpt's own reason, unless that only says a command exited non-zero
// (excerpt.IsGenericReason) and a rule signature matched a specific line
// of the log: then that line, the signature's evidence, is what a person
// needs to read ("go: updates to go.mod needed" rather than "Process
// completed with exit code 1"). A specific reason is never replaced: the
// chooser's pick is usually right, and a signature's first line is often
// not the cause. ctx is the reason's context lines.
//
// Reason runs the whole matcher, and ingest calls it (tasks.Ingest,
// tasks.LogRecord): like Classify it recovers, so a bug in a rule costs
// the better reason, never the ingest; the excerpt's own reason stays.
func Reason(ex excerpt.Excerpt) (reason string, ctx []string) {
	return reasonGuarded(ex, reasonFor)
}

// reasonGuarded is find, recovered: on a panic the excerpt's own reason and
// context. find is a parameter so that a test can inject the fault.
func reasonGuarded(ex excerpt.Excerpt, find func(excerpt.Excerpt) (string, []string)) (reason string, ctx []string) {
	defer func() {
		if r := recover(); r != nil {
			reason, ctx = ex.Reason, ex.Context
		}
	}()
	return find(ex)
}

// reasonFor is Reason's work, unguarded.
func reasonFor(ex excerpt.Excerpt) (reason string, ctx []string) {
	if !excerpt.IsGenericReason(ex.Reason) {
		return ex.Reason, ex.Context
	}
	in := excerptInput(ex)
	sc := newScan(in)
	hits := rank(in, sc, sc.match())
	if i := decider(hits); i >= 0 {
		// Only the deciding signature's first log line; a match on the
		// reason alone is no line to show.
		if sps := sc.logSpans(hits[i]); len(sps) > 0 {
			line := sc.line(sps[0])
			if line != "" && !excerpt.IsGenericReason(line) && !strings.HasPrefix(line, "##[") {
				return excerpt.ReasonLine(line), sc.followingLines(sps[0], maxReasonContext)
			}
		}
	}
	return ex.Reason, ex.Context
}

// followingLines are up to n indented lines right under sp: what a message
// like "go: updates to go.mod needed; to update it:" goes on to say.
func (sc scanned) followingLines(sp span, n int) []string {
	var out []string
	rest := sc.text[min(sp.end+1, len(sc.text)):]
	for len(out) < n && rest != "" {
		line, next, _ := strings.Cut(rest, "\n")
		if strings.TrimSpace(line) == "" || (line[0] != ' ' && line[0] != '\t') {
			break
		}
		out = append(out, excerpt.ReasonLine(line))
		rest = next
	}
	return out
}
