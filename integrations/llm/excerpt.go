package llm

import (
	"fmt"
	"strings"
)

const (
	// maxLineRunes bounds one log line: a minified bundle or a base64 dump on
	// one line would otherwise take the whole budget.
	maxLineRunes = 1000
	lineHead     = 800
	lineTail     = 150
	// The end of the log (where runners print the failing command and its
	// exit code) first gets 1/tailShare of the budget, then error lines,
	// then the end again. A quarter kept the labelled root-cause line in
	// 26-27 of 34 fixture logs squeezed to half their size (a half: 20).
	tailShare = 4
	// headLines are the first lines kept when room is left: they usually
	// name the command the step ran.
	headLines = 3
)

// errorWords mark lines that usually carry a root cause. The list is broad:
// a false positive costs a few tokens, a false negative can lose the cause.
// Matched as lower-case substrings: a regexp was 50x slower on big logs.
var errorWords = []string{
	"error", "err!", "err_", "fatal", "fail", "exception", "panic", "traceback",
	"timed out", "timeout", "denied", "not found", "no such", "cannot", "can't",
	"could not", "unable to", "exit code", "exit status", "killed",
	"segmentation fault", "out of memory", "assert", "undefined", "unresolved",
	"mismatch",
}

func isErrorLine(l string) bool {
	low := strings.ToLower(l)
	for _, w := range errorWords {
		if strings.Contains(low, w) {
			return true
		}
	}
	return false
}

// cutMarker is the line that stands where lines were removed.
func cutMarker(n int) string {
	return fmt.Sprintf("[... %d lines cut by ccm ...]", n)
}

// splitLines splits a log, dropping a trailing newline and carriage returns,
// and shortens overlong lines (keeping their head and tail).
func splitLines(s string) []string {
	s = strings.TrimRight(strings.ReplaceAll(s, "\r\n", "\n"), "\n")
	if s == "" {
		return nil
	}
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		l = strings.TrimRight(l, "\r")
		if r := []rune(l); len(r) > maxLineRunes {
			l = fmt.Sprintf("%s [... %d characters cut by ccm ...] %s",
				string(r[:lineHead]), len(r)-lineHead-lineTail, string(r[len(r)-lineTail:]))
		}
		lines[i] = l
	}
	return lines
}

// logLines is a split log with what fitLines needs per line, computed once
// because buildPrompt may call fitLines several times.
type logLines struct {
	text     []string
	cost     []int // tokens, newline included
	errorish []bool
	total    int
}

func newLogLines(lines []string) logLines {
	ll := logLines{text: lines, cost: make([]int, len(lines)), errorish: make([]bool, len(lines))}
	for i, l := range lines {
		ll.cost[i] = CountTokens(l) + 1
		ll.errorish[i] = isErrorLine(l)
		ll.total += ll.cost[i]
	}
	return ll
}

// fitLines picks the lines of a log that fit allowance tokens: everything
// when it fits; otherwise the end of the log, then the lines that look like
// errors (first ones first, each with the line after it), then the first
// lines, then more of the end. Gaps are marked with cutMarker. It returns
// the lines to send, markers included, and how many log lines were cut.
// Marker costs are estimated, so the result may overshoot allowance by a
// few tokens; buildPrompt measures and shrinks again.
func fitLines(ll logLines, allowance int) ([]string, int) {
	lines, cost := ll.text, ll.cost
	if ll.total <= allowance {
		return lines, 0
	}
	markerCost := CountTokens(cutMarker(len(lines))) + 1
	keep := make([]bool, len(lines))
	used := 0
	take := func(i int, budget int) bool {
		if keep[i] {
			return true
		}
		if used+cost[i] > budget {
			return false
		}
		keep[i] = true
		used += cost[i]
		return true
	}
	// Each kept block but the first brings one cut marker; its cost is
	// booked when the block is opened.
	// The last line (the runner's verdict, or the exception of a
	// traceback) is kept even when it is longer than the tail share.
	tail := len(lines)
	if take(tail-1, allowance/2) {
		tail--
	}
	for tail > 0 && take(tail-1, allowance/tailShare) {
		tail--
	}
	used += markerCost
	open := func(i int) bool {
		if keep[i] {
			return true
		}
		gap := markerCost
		if i > 0 && keep[i-1] {
			gap = 0
		}
		if used+gap+cost[i] > allowance {
			return false
		}
		used += gap
		return take(i, allowance)
	}
	for i := 0; i < tail; i++ {
		if ll.errorish[i] && open(i) && i+1 < tail {
			take(i+1, allowance)
		}
	}
	for i := 0; i < headLines && i < tail; i++ {
		open(i)
	}
	for tail > 0 && take(tail-1, allowance) {
		tail--
	}

	var out []string
	cut, gap := 0, 0
	for i, l := range lines {
		if !keep[i] {
			gap++
			continue
		}
		if gap > 0 {
			out = append(out, cutMarker(gap))
			cut += gap
			gap = 0
		}
		out = append(out, l)
	}
	if gap > 0 {
		out = append(out, cutMarker(gap))
		cut += gap
	}
	return out, cut
}
