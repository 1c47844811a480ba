package rules

import (
	"bytes"
	"strings"
)

// Which scanned lines are log lines. Evidence promises "log lines the
// verdict rests on, verbatim from the log", but the analyzer's input also
// carries ccm's own words: the reason (a summary that may join several log
// lines with spaces) and, when Text is Excerpt.Text(), a header and section
// titles. Those still count for matching (the reason) or are dropped (the
// header), and never become evidence.

// excerptHeader is the header Excerpt.Text writes above the log lines, in
// order. "Failing step" is always there, the others only when known.
var excerptHeader = []string{"Failing step: ", "Reason: ", "Exit code: "}

// excerptMarkers are the lines Excerpt.Text writes between and after the
// log lines.
var excerptMarkers = []string{"--- error lines ---", "--- earlier lines ---", "--- section ---", "--- last lines ---",
	"--- earlier in the log (cut: only its first error lines are kept) ---"}

const excerptTrailer = "(excerpt: the log was "

// withoutHeader drops the header of an Excerpt.Text: at the very top, or
// under each "=== job: NAME ===" title of serve's excerpt of several jobs
// (the titles go too). It is recognised only there, where ccm writes it,
// so a log line that happens to start with "Reason: " is kept. The header
// is not matched at all: the reason comes in Input.Reason, a step named
// "Run flaky suite" says nothing about this failure, and none of it may
// become evidence "verbatim from the log".
func withoutHeader(t string) string {
	body, _ := splitHeader(t)
	return body
}

// splitHeader is withoutHeader that also returns the header lines it
// dropped (not the job titles), for the checks that read ccm's own words.
func splitHeader(t string) (body string, header []string) {
	if !strings.HasPrefix(t, excerptHeader[0]) && !strings.HasPrefix(t, jobTitle) {
		return t, nil // a raw log: no copy, whatever its size
	}
	var b strings.Builder
	b.Grow(len(t))
	next := 0 // index in excerptHeader of the header line that may come next; -1 outside a header
	for rest := t; rest != ""; {
		line, tail, found := strings.Cut(rest, "\n")
		rest = tail
		switch {
		case isJobTitle(line):
			next = 0
			continue
		case next >= 0 && next < len(excerptHeader):
			// Optional header lines may be missing: try the later ones.
			if i := headerIndex(line, next); i >= 0 {
				next = i + 1
				header = append(header, line)
				continue
			}
		}
		next = -1
		b.WriteString(line)
		if found {
			b.WriteByte('\n')
		}
	}
	return b.String(), header
}

// jobTitle starts the title tasks writes above each job of an excerpt.
const jobTitle = "=== job: "

func isJobTitle(line string) bool {
	return strings.HasPrefix(line, jobTitle) && strings.HasSuffix(line, " ===")
}

// headerIndex is the index of the header line that line is, looking from
// excerptHeader[from] on, or -1.
func headerIndex(line string, from int) int {
	for i := from; i < len(excerptHeader); i++ {
		if strings.HasPrefix(line, excerptHeader[i]) {
			return i
		}
	}
	return -1
}

// isExcerptMarker reports a section title or trailer Excerpt.Text wrote.
func isExcerptMarker(line string) bool {
	t := strings.TrimSpace(line)
	for _, m := range excerptMarkers {
		if t == m {
			return true
		}
	}
	return strings.HasPrefix(t, excerptTrailer) ||
		strings.HasPrefix(t, "[… ") && strings.HasSuffix(t, " lines skipped …]") // Excerpt.Earlier's gaps
}

// isLog reports whether sp lies on a line of the log rather than on the
// reason or a marker ccm wrote.
func (sc scanned) isLog(sp span) bool {
	return sp.start >= sc.logFrom && !isExcerptMarker(sc.text[sp.start:sp.end])
}

// logSpans is where h shows in the log: the lines it matched that are log
// lines or, when it matched in the reason only, the log lines that contain
// the text it matched there. Empty when no single log line has it, e.g.
// when the match spans lines the reason joined.
func (sc scanned) logSpans(h hit) []span {
	var out []span
	inReason := -1
	for i, sp := range h.lines {
		switch {
		case sc.isLog(sp):
			out = append(out, sp)
		case sp.start < sc.logFrom && inReason < 0:
			inReason = i
		}
	}
	if len(out) > 0 || inReason < 0 {
		return out
	}
	sp := h.lines[inReason]
	return sc.logLinesContaining(sc.low[sp.mstart:sp.mend])
}

// logLinesContaining returns up to maxLinesPerSig log lines that contain m
// (lowercased, like low).
func (sc scanned) logLinesContaining(m []byte) []span {
	if len(bytes.TrimSpace(m)) == 0 {
		return nil
	}
	var out []span
	for off := sc.logFrom; off < len(sc.low) && len(out) < maxLinesPerSig; {
		i := bytes.Index(sc.low[off:], m)
		if i < 0 {
			break
		}
		at := off + i
		ls := bytes.LastIndexByte(sc.low[:at], '\n') + 1
		le := len(sc.low)
		if j := bytes.IndexByte(sc.low[at:], '\n'); j >= 0 {
			le = at + j
		}
		if sp := (span{start: ls, end: le, mstart: at, mend: at + len(m)}); sc.isLog(sp) {
			out = append(out, sp)
		}
		off = le + 1
	}
	return out
}

// quoteSpan is the line to quote for h in explanations: a log line when
// there is one, else where it matched in the reason.
func (sc scanned) quoteSpan(h hit) span {
	if sps := sc.logSpans(h); len(sps) > 0 {
		return sps[0]
	}
	return h.lines[0]
}
