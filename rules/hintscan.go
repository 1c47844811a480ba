package rules

import (
	"bytes"
	"regexp"
	"strings"

	"github.com/ccm-ci/ccm/analysis"
)

// How the hints (hints.go, and unknown.go's weak hints) are looked for:
// only on lines that hold an anchor, and never on a line every hint must
// pass over (hintExcluded).

// familyHint returns the first family that matches a line of the scan, and
// that line.
func (sc scanned) familyHint() (analysis.Category, string, span, bool) {
	for _, h := range familyHints {
		if sp, ok := sc.firstLineMatching(h.re, h.anchors, h.lead, h.unless); ok {
			return h.category, h.why, sp, true
		}
	}
	return "", "", span{}, false
}

// firstLineMatching returns the first line of the scan that re matches
// and that holds none of unless, trying only the lines that hold one of
// anchors (or, with lead, start with "<digits>:" after blanks).
func (sc scanned) firstLineMatching(re *regexp.Regexp, anchors []string, lead bool, unless []string) (span, bool) {
	low := sc.low
	// next[i] is the next occurrence of anchors[i] (the last slot: of a
	// digit-led line) at or after from, -1 when there is none; each is
	// searched again only once from has passed it, so the text is read
	// once per anchor.
	next := make([]int, len(anchors)+1)
	for i := range next {
		next[i] = -2 // not searched yet
	}
	for from := 0; from < len(low); {
		best := -1
		for i := range next {
			if next[i] == -1 || next[i] >= from {
				if next[i] >= 0 && (best < 0 || next[i] < best) {
					best = next[i]
				}
				continue
			}
			switch {
			case i < len(anchors) && next[i] == -2 && !sc.tris.mayContain(anchorTris[anchors[i]]):
				// Absent from the text's trigrams: no scan at all.
				next[i] = -1
			case i < len(anchors):
				if j := bytes.Index(low[from:], []byte(anchors[i])); j >= 0 {
					next[i] = from + j
				} else {
					next[i] = -1
				}
			case lead:
				next[i] = digitLedLine(low, from)
			default:
				next[i] = -1
			}
			if next[i] >= 0 && (best < 0 || next[i] < best) {
				best = next[i]
			}
		}
		if best < 0 {
			return span{}, false
		}
		ls, le := lineBounds(low, best)
		if loc := re.FindIndex(low[ls:le]); loc != nil && !containsAny(low[ls:le], unless) && !sc.hintExcluded(ls, le) {
			return span{start: ls, end: le, mstart: ls + loc[0], mend: ls + loc[1]}, true
		}
		from = le + 1
	}
	return span{}, false
}

// anchorTris holds every hint anchor's trigram hashes, so that an anchor
// the text cannot hold costs a bitset probe, not a scan of the text: with
// some sixty anchors a 512 KiB log with no hint would otherwise be read
// sixty times.
var anchorTris = func() map[string][]uint32 {
	m := map[string][]uint32{}
	for _, h := range familyHints {
		for _, a := range h.anchors {
			m[a] = trigramHashes(a)
		}
	}
	for _, h := range weakHints {
		for _, a := range h.anchors {
			m[a] = trigramHashes(a)
		}
	}
	return m
}()

// hintExcluded reports a line no hint may be taken from, whatever its
// words: a passing test or package (the no-failure check's passingTest:
// "✓ maps name or service not known to offline (2 ms)", Go's "ok  pkg
// 0.2s", "--- PASS", "test x ... ok"), a notice that the tool tries again
// or recovered ("Trying again in 5s", "retry 1/3", "served from cache",
// "re-authenticating"). Passing logs print them, and a hint turns a
// passing log into a failure.
func (sc scanned) hintExcluded(ls, le int) bool {
	if containsAny(sc.low[ls:le], recoveredWords) {
		return true
	}
	if bytes.Contains(sc.low[ls:le], []byte("retry")) && retryCount.Match(sc.low[ls:le]) {
		return true
	}
	return passingTest.MatchString(strings.TrimSpace(sc.text[ls:le]))
}

// recoveredWords and retryCount are the retry and recovery notices of
// hintExcluded, lowercased.
var (
	recoveredWords = []string{"retrying", "will retry", "will be retried", "trying again", "served from cache", "re-authenticat", "reconnecting"}
	retryCount     = regexp.MustCompile(`\bretry (?:#|attempt )?\d+ ?(?:/|of) ?\d+`)
)

// containsAny reports whether line holds one of words.
func containsAny(line []byte, words []string) bool {
	for _, w := range words {
		if bytes.Contains(line, []byte(w)) {
			return true
		}
	}
	return false
}

// digitLedLine returns the offset of the first line at or after from
// that starts, after blanks, with digits and a colon (a linter's
// "12:5  error"), or -1. A timestamp ("2024-05-01T…") is not one.
func digitLedLine(low []byte, from int) int {
	for ls := from; ls < len(low); {
		if ls == from && ls > 0 && low[ls-1] != '\n' {
			// from is inside a line: start at the next one.
			j := bytes.IndexByte(low[ls:], '\n')
			if j < 0 {
				return -1
			}
			ls += j + 1
			continue
		}
		i := ls
		for i < len(low) && (low[i] == ' ' || low[i] == '\t') {
			i++
		}
		d := i
		for d < len(low) && low[d] >= '0' && low[d] <= '9' {
			d++
		}
		if d > i && d < len(low) && low[d] == ':' {
			return i
		}
		j := bytes.IndexByte(low[i:], '\n')
		if j < 0 {
			return -1
		}
		ls = i + j + 1
	}
	return -1
}

// lineBounds returns the start and end of the line of low that holds
// offset at.
func lineBounds(low []byte, at int) (int, int) {
	ls := bytes.LastIndexByte(low[:at], '\n') + 1
	le := len(low)
	if j := bytes.IndexByte(low[at:], '\n'); j >= 0 {
		le = at + j
	}
	return ls, le
}

// lineSpan is the line a match loc ends on (multi-line patterns report it:
// that is where the decisive words are), with the match clipped to it.
func lineSpan(low []byte, loc []int) span {
	ls, le := lineBounds(low, max(loc[1]-1, loc[0]))
	return span{start: ls, end: le, mstart: max(loc[0], ls), mend: min(loc[1], le)}
}
