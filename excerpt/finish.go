package excerpt

import (
	"slices"
	"strconv"
	"strings"

	"github.com/ccm-ci/ccm/logtext"
	"github.com/ccm-ci/ccm/redact"
)

// finish turns the windows kept while streaming into the Excerpt. Only here,
// on bounded data, do redaction and the full error patterns run.
func (x *extractor) finish() Excerpt {
	section, cut, early, earlier := x.fSection, x.fCut, x.fCands, x.fEarly
	if !x.frozen {
		section, cut = x.sectionLines(x.lines)
		early = x.stepCands.lines()
		earlier = x.early.kept()
	}
	tail, _ := x.windowLines(x.recent.lastLineStart(x.opt.TailLines), x.lines)
	secLast := int64(0)
	if len(section) > 0 {
		secLast = section[len(section)-1].no
	}
	secFirst := secLast + 1
	if len(section) > 0 {
		secFirst = section[0].no
	}
	var before, after []logLine
	for _, l := range early {
		if l.no < secFirst {
			before = append(before, cleanLogLine(l))
		}
	}
	for _, l := range tail {
		if l.no > secLast {
			after = append(after, l)
		}
	}
	// Error lines from before both windows: shown and ranked, marked as cut.
	firstKept := secFirst
	if len(tail) > 0 && (len(section) == 0 || tail[0].no < firstKept) {
		firstKept = tail[0].no
	}
	earlierText, earlierHits := earlyBlock(earlier, firstKept)
	var earlierAll []logLine
	for _, l := range earlierText {
		if !strings.HasPrefix(l.text, skippedPrefix) {
			earlierAll = append(earlierAll, l)
		}
	}
	marks := make([]logLine, len(x.errMarks))
	for i, m := range x.errMarks {
		marks[i] = cleanLogLine(m)
	}

	body := withoutStepHeader(section)
	in := reasonInput{errMarks: marks, laterFrom: x.fEnd, exitCode: x.exitCode, last: lastNonEmptyLine(tail),
		earlier: earlierHits, earlierAll: earlierAll}
	if x.sawStep {
		in.cands = append(before, body...)
		in.fallback = after
	} else {
		in.cands = append(body, after...)
		in.fallback = before
	}

	reason, context, fromEarlier := chooseReasonFrom(in)
	ex := Excerpt{
		Reason:      reason,
		Context:     context,
		FailingStep: x.stepName,
		Earlier:     joinLogLines(earlierText),
		Section:     joinLogLines(section),
		Tail:        joinLogLines(tail),
		ExitCode:    x.exitCode,
		Lines:       x.lines,
		Bytes:       x.bytes,
	}
	if x.failed {
		ex.FailingStep = x.postStepName()
	}
	// The earlier lines feed ErrorLines, and so the fingerprint, only when
	// one of them is the reason: otherwise a harmless early line (a flag
	// changed on a compile line) would change the fingerprint of the same
	// failure.
	var errDropped bool
	var errorEarlier []logLine
	if fromEarlier {
		errorEarlier = earlierHits
	}
	ex.ErrorLines, errDropped = collectErrorLines(marks, slices.Concat(errorEarlier, before, body, after), x.opt.MaxErrorLines)
	covered := len(tail) > 0 && tail[0].no == 1 || len(section) > 0 && section[0].no == 1 && !cut
	ex.Truncated = x.lineCut || x.errDropped || errDropped || cut || (!covered && x.lines > 0)
	return ex
}

func cleanLogLine(l logLine) logLine {
	return logLine{l.no, logtext.Sanitize(redact.RedactLine(l.text))}
}

// withoutStepHeader drops the "##[group]Run X" … "##[endgroup]" block: it is
// the step's script and environment, not its output, and scripts are full of
// words like "error" and "exit 1". A header whose "##[endgroup]" is missing
// (a log cut or abridged) is only its first line: where it ends is unknown,
// and dropping the rest would drop the step's output.
func withoutStepHeader(lines []logLine) []logLine {
	out := make([]logLine, 0, len(lines))
	lastEnd := -1
	for i := len(lines) - 1; i >= 0 && lastEnd < 0; i-- {
		if strings.HasPrefix(lines[i].text, "##[endgroup]") {
			lastEnd = i
		}
	}
	inHeader := false
	for i, l := range lines {
		switch {
		case strings.HasPrefix(l.text, "##[group]Run "):
			inHeader = i < lastEnd
		case inHeader && strings.HasPrefix(l.text, "##[endgroup]"):
			inHeader = false
		case !inHeader:
			out = append(out, l)
		}
	}
	return out
}

// collectErrorLines merges ##[error] messages with the error-looking lines of
// the windows, in log order, without repeats.
func collectErrorLines(marks, lines []logLine, limit int) ([]string, bool) {
	pick := func(minTier int) []logLine {
		var out []logLine
		for _, l := range lines {
			if strings.HasPrefix(l.text, "##[error]") {
				continue // already among marks
			}
			if lineStrength(l.text) >= minTier {
				out = append(out, l)
			}
		}
		return out
	}
	found := pick(strengthError)
	if len(found) == 0 && len(marks) == 0 {
		found = pick(strengthOutcome)
	}
	all := append(slices.Clone(marks), found...)
	slices.SortStableFunc(all, func(a, b logLine) int { return int(a.no - b.no) })
	seen := make(map[string]bool, len(all))
	var out []string
	dropped := false
	for _, l := range all {
		t := strings.TrimSpace(l.text)
		if t == "" || seen[t] {
			continue
		}
		seen[t] = true
		if len(out) == limit {
			dropped = true
			break
		}
		out = append(out, t)
	}
	return out, dropped
}

// lastNonEmptyLine is the reason of last resort: the log's last line, or,
// when the log ends in a stack trace, the line above its frames (a frame,
// or the JVM's "... 4 more", says where, never what).
func lastNonEmptyLine(lines []logLine) string {
	last := ""
	for i := len(lines) - 1; i >= 0; i-- {
		t := strings.TrimSpace(lines[i].text)
		if t == "" {
			continue
		}
		if last == "" {
			last = lines[i].text
		}
		if !isTraceFrame(t) {
			return lines[i].text
		}
	}
	return last
}

func joinLogLines(lines []logLine) string {
	var b strings.Builder
	for i, l := range lines {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(l.text)
	}
	return b.String()
}

// Text is what gets stored and sent to the model: the failing step, the
// reason, error lines the windows do not show, then the log lines kept, in
// log order and each printed once (the tail and the section often overlap).
// Every part is already redacted; Text redacts once more so that a
// hand-built Excerpt cannot leak either.
func (e Excerpt) Text() string {
	var b strings.Builder
	step := e.FailingStep
	if step == "" {
		step = "(unknown)"
	}
	b.WriteString("Failing step: " + step + "\n")
	if e.Reason != "" {
		b.WriteString("Reason: " + e.Reason + "\n")
	}
	if e.ExitCode >= 0 {
		b.WriteString("Exit code: " + strconv.Itoa(e.ExitCode) + "\n")
	}
	section := splitNonEmpty(e.Section)
	tail := splitNonEmpty(e.Tail)
	var extra []string
	for _, l := range e.ErrorLines {
		if !strings.Contains(e.Section, l) && !strings.Contains(e.Tail, l) && !strings.Contains(e.Earlier, l) {
			extra = append(extra, l)
		}
	}
	writeBlock(&b, "error lines", extra)
	before, after := []string(nil), tail
	if start, n := alignTail(section, tail); n > 0 {
		before, after = tail[:start], tail[start+n:]
	}
	writeBlock(&b, earlierTitle, splitNonEmpty(e.Earlier))
	writeBlock(&b, "earlier lines", before)
	writeBlock(&b, "section", section)
	writeBlock(&b, "last lines", after)
	if e.Truncated {
		b.WriteString("(excerpt: the log was " + strconv.FormatInt(e.Lines, 10) + " lines, " +
			strconv.FormatInt(e.Bytes, 10) + " bytes; parts were left out)\n")
	}
	return redact.Redact(b.String())
}

// earlierTitle heads the error lines kept from a stretch of the log the
// windows no longer hold.
const earlierTitle = "earlier in the log (cut: only its first error lines are kept)"

func writeBlock(b *strings.Builder, title string, lines []string) {
	if len(lines) == 0 {
		return
	}
	b.WriteString("--- " + title + " ---\n")
	for _, l := range lines {
		b.WriteString(l)
		b.WriteByte('\n')
	}
}

func splitNonEmpty(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// alignTail finds where the end of section lies in tail, so that lines
// shown in the section are not printed twice. It returns the tail index at
// which the matched run starts and its length; the run either starts the
// tail (the tail begins inside the section) or is the whole section (the
// section lies inside the tail). n is 0 when they do not meet.
func alignTail(section, tail []string) (start, n int) {
	if len(section) == 0 {
		return 0, 0
	}
	last := section[len(section)-1]
	for j := len(tail) - 1; j >= 0; j-- {
		if tail[j] != last {
			continue
		}
		m := 1
		for m <= j && m < len(section) && tail[j-m] == section[len(section)-1-m] {
			m++
		}
		if (m == j+1 || m == len(section)) && m > n {
			start, n = j-m+1, m
		}
	}
	return start, n
}
