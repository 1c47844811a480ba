package excerpt

import (
	"bytes"
	"regexp"
	"strconv"
	"strings"

	"github.com/ccm-ci/ccm/logtext"
)

// The section keeps only the last MaxSectionBytes of the failing step: in a
// log without step groups (Jenkins, GitLab, a script's own log) that is the
// last 32 KiB of the whole log, and an error followed by a long run of
// output ("Archiving artifacts: …" a thousand times) falls out of it. So
// while streaming, ccm also keeps the first few error lines of the current
// step, with a little context, in a small fixed budget: the reason chooser
// ranks them against the kept windows (an earlier line wins only when it is
// stronger), and Text shows them, marked as cut from earlier in the log.
// Only the hits are ranked, never the context lines around them; they
// feed ErrorLines (and so the fingerprint) only when one became the
// reason, so that harmless early lines do not change the fingerprint of
// the same failure.
//
// A line is kept when it holds one of errorNeedles at a word's start
// ("error", "ERROR", "FAIL", "failed", "fatal", "…Exception"), or when it is
// a compiler's diagnostic at a file and line that the reason ranker rates an
// error without such a word (gc's "x.go:133:2: declared and not used: fee",
// Kotlin's "e: …", flake8's "a.py:3:1: F821 …", gcc's "a.c:3:1: Fehler: …";
// earlyPlaced). Known limit: an early error worded otherwise (Composer's "Your requirements could not
// be resolved to an installable set of packages.", "No space left on
// device") is not kept, unless as context right after a hit.
const (
	earlyHits      = 5        // error lines kept
	earlyContext   = 2        // lines kept before and after each
	earlyLineBytes = 512      // a kept line is cut to this
	earlyMaxBytes  = 6 << 10  // all kept lines together
	earlyMaxChecks = 64 << 10 // needle lines looked at per log, all steps together: bounds a pathological log
	earlyMaxTotal  = 64       // error-word lines kept per log, all steps together: a log full of "error" ends the search early
	skippedPrefix  = "[… "    // a skip marker: "[… 995 lines skipped …]"
	skippedSuffix  = " lines skipped …]"
)

// errorNeedles are what a line must contain to be rated at all: searched
// once per read buffer each, not per line (run keeps their next positions).
var errorNeedles = [...][]byte{[]byte("rror"), []byte("RROR"), []byte("FAIL"), []byte("ailed"), []byte("atal"), []byte("xception")}

// earlyErrors is the bounded store of the first error lines of the current
// step and their context, raw (normalized and redacted only at the end).
type earlyErrors struct {
	data   []byte
	lines  []earlyLine
	hits   int
	after  int  // context lines still to take after the last hit
	done   bool // no more hits are kept (full, frozen, or out of checks)
	on     bool // lines are still looked at: !done, or context still to take
	checks int
	total  int                 // hits over all steps
	prev   [earlyContext]int64 // stream offsets of the lines before the current one, newest last; -1 none
	prevNo [earlyContext]int64 // their line numbers
}

type earlyLine struct {
	no         int64
	start, end int  // in data
	hit        bool // an error word, not context
}

func newEarlyErrors() earlyErrors {
	e := earlyErrors{on: true}
	for i := range e.prev {
		e.prev[i] = -1
	}
	return e
}

// reset forgets what the previous step kept: a step that passed printed
// its own harmless "error" lines.
func (e *earlyErrors) reset() {
	if e.done && e.checks < earlyMaxChecks && e.total < earlyMaxTotal {
		e.done = false
	}
	e.data, e.lines, e.hits, e.after = e.data[:0], e.lines[:0], 0, 0
	e.on = !e.done
}

// stop ends the collection for good (the failing step was frozen).
func (e *earlyErrors) stop() { e.done, e.after, e.checks, e.on = true, 0, earlyMaxChecks, false }

// earlyLineFor is called for every line while the store is on: it takes
// context after a hit, and rates a line that holds a needle.
func (x *extractor) earlyLineFor(raw, body []byte, off int64, maybeErr bool) {
	e := &x.early
	x.earlyRate(raw, body, off, maybeErr)
	e.on = !e.done || e.after > 0
	copy(e.prev[:], e.prev[1:])
	copy(e.prevNo[:], e.prevNo[1:])
	e.prev[earlyContext-1], e.prevNo[earlyContext-1] = off, x.lines
}

func (x *extractor) earlyRate(raw, body []byte, off int64, maybeErr bool) {
	e := &x.early
	inKey := x.pem.InKey || len(x.keys) > 0 && x.inKeyAt(off)
	if e.after > 0 {
		e.after--
		if !inKey {
			e.add(x.lines, raw)
			// A compiler's diagnostic in a hit's context is a hit itself:
			// Bazel's wrapper ("ERROR: …/BUILD:14:11: Compiling a.cc
			// failed: (Exit 1) …") is generic, gcc's error two lines under
			// it says why. Only a diagnostic at a place: every hit is
			// rated in full later, and most error-worded context lines
			// (a stack trace's, a tool's echo) would cost that for nothing.
			if !e.done && maybeErr && errorWord(raw) && mayBePlaced(body) {
				e.hit()
			}
		}
		return
	}
	if e.done || inKey {
		return
	}
	placed := mayBePlaced(body)
	if !maybeErr && !placed {
		return
	}
	if e.checks++; e.checks >= earlyMaxChecks {
		e.done = true
	}
	if !(maybeErr && errorWord(raw)) && !(placed && placedConfirmed(body)) {
		return
	}
	for i, p := range e.prev {
		no := e.prevNo[i]
		if p < 0 || no != x.lines-int64(earlyContext-i) || len(e.lines) > 0 && e.lines[len(e.lines)-1].no >= no || x.inKeyAt(p) {
			continue
		}
		if l := x.rawLineAt(p); l != nil {
			e.add(no, l)
		}
	}
	e.add(x.lines, raw)
	e.hit()
}

// hit marks the line just added as a hit, with context to take after it.
func (e *earlyErrors) hit() {
	if len(e.lines) == 0 {
		return
	}
	e.lines[len(e.lines)-1].hit = true
	e.after = earlyContext
	e.total++
	if e.hits++; e.hits >= earlyHits || len(e.data) >= earlyMaxBytes || e.total >= earlyMaxTotal {
		e.done = true
	}
}

func (e *earlyErrors) add(no int64, line []byte) {
	if len(e.data) >= earlyMaxBytes {
		e.done, e.after = true, 0
		return
	}
	start := len(e.data)
	if len(line) > earlyLineBytes {
		e.data = append(e.data, line[:tokenCut(line, earlyLineBytes)]...)
		e.data = append(e.data, " [… line cut]"...)
	} else {
		e.data = append(e.data, line...)
	}
	e.lines = append(e.lines, earlyLine{no: no, start: start, end: len(e.data)})
}

// tokenCut is where to cut line at most at bytes in: before the word that
// crosses at, so that no token is cut to a prefix too short for redaction
// to know it ("ghp_A1b2C3d4E5f6G7h" of a 40-character token); 0 when the
// line's head is one word.
func tokenCut(line []byte, at int) int {
	for at > 0 && isTokenByte(line[at]) && isTokenByte(line[at-1]) {
		at--
	}
	return at
}

// isTokenByte is a byte of a credential as providers spell them: letters,
// digits and the base64, URL and separator marks they use.
func isTokenByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("_-+/=.~%", c) >= 0
}

// earlyKept is what the store hands on: all its lines (hits with their
// context) for Text, and the hits the rating keeps, for the reason chooser.
type earlyKept struct {
	all, hits []logLine
}

// kept returns the lines normalized (not yet redacted), in log order: each
// hit earlyStrength rates as an error or outcome, with its context, and
// those hits alone. Only the hits are rated, and only they can become the
// reason: a context line ("+ gcc -Werror …" under "0 errors") is shown,
// never chosen. The full rating runs here, on at most earlyHits lines, not
// while streaming.
func (e *earlyErrors) kept() earlyKept {
	all := make([]logLine, len(e.lines))
	keep := make([]bool, len(e.lines))
	var out earlyKept
	for i, l := range e.lines {
		all[i] = logLine{l.no, logtext.NormalizeLine(string(e.data[l.start:l.end]))}
	}
	for i, l := range e.lines {
		if !l.hit || earlyStrength(all[i].text) < strengthOutcome {
			continue
		}
		out.hits = append(out.hits, all[i])
		for j := range all {
			if d := all[j].no - l.no; d >= -earlyContext && d <= earlyContext {
				keep[j] = true
			}
		}
	}
	for i, k := range keep {
		if k {
			out.all = append(out.all, all[i])
		}
	}
	return out
}

// earlyStrength rates an early hit as lineStrength does, but stricter: the
// line is cut from the log and shown without what followed it, so a count
// of zero ("0 errors in 120 files", "Failures: 0") says nothing, a
// command the shell echoes ("+ gcc …", "$ make") is not its outcome, and
// compiler flags ("-Werror", "-Wno-error=format", "--fail-fast") name no
// failure.
func earlyStrength(line string) int {
	t := strings.TrimSpace(line)
	if commandEcho.MatchString(t) {
		return strengthNone
	}
	t = ZeroCounts.ReplaceAllString(t, " ")
	t = optionFlag.ReplaceAllString(t, "$1")
	return lineStrength(t)
}

var (
	// commandEcho is a command a shell or CI prints before running it:
	// sh -x's "+ cmd" ("++ cmd" nested), a prompt's "$ cmd", Jenkins's
	// "[job] $ cmd".
	commandEcho = regexp.MustCompile(`^(?:\++|\$|\[[^\]]*\] \$) `)
	// optionFlag is a command-line option: "-Werror", "-Werror=format",
	// "-Wno-error", "--fail-fast", "-DERROR_LEVEL=2" (a lone "-" or "---"
	// is not one).
	optionFlag = regexp.MustCompile(`(^|\s)--?[A-Za-z]\S*`)
)

// errorWord is the streaming check on a line holding a needle: one of them
// starts a word ("error:", "Error", "FAILED", "fatal:", "failed") or ends
// an exception's name, rather than sitting inside a flag or a name
// ("-Werror", "on_error", "/errors/"). A few byte compares per needle.
func errorWord(line []byte) bool {
	for i, nd := range errorNeedles {
		rest := line
		for {
			j := bytes.Index(rest, nd)
			if j < 0 {
				break
			}
			if needleStartsWord(rest, j, i) {
				return true
			}
			rest = rest[j+len(nd):]
		}
	}
	return false
}

// needleStartsWord checks the needle errorNeedles[which] found at j.
func needleStartsWord(b []byte, j, which int) bool {
	start := j
	switch string(errorNeedles[which]) {
	case "xception":
		return j > 0 && b[j-1] == 'E'
	case "rror":
		if j == 0 || b[j-1] != 'e' && b[j-1] != 'E' {
			return false
		}
		if b[j-1] == 'E' && j > 1 && b[j-2] >= 'a' && b[j-2] <= 'z' {
			return true // an exception's CamelCase name: "ModuleNotFoundError"
		}
		start = j - 1
	case "RROR":
		if j == 0 || b[j-1] != 'E' {
			return false
		}
		start = j - 1
	case "ailed", "atal":
		if j == 0 || b[j-1] != 'f' && b[j-1] != 'F' {
			return false
		}
		start = j - 1
	}
	if start == 0 {
		return true
	}
	c := b[start-1]
	return !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '/' || c == '.')
}

// rawLineAt returns the raw line at stream offset off: in the read buffer
// not yet handed to the ring, or in the ring. nil when neither holds it.
func (x *extractor) rawLineAt(off int64) []byte {
	var b []byte
	if off >= x.recent.written {
		i := x.copied + int(off-x.recent.written)
		if i < 0 || i >= len(x.buf) {
			return nil
		}
		b = x.buf[i:]
	} else {
		for _, c := range x.recent.chunks {
			if off >= c.off && off < c.off+int64(len(c.data)) {
				b = c.data[off-c.off:]
				break
			}
		}
	}
	if j := bytes.IndexByte(b, '\n'); j >= 0 {
		b = b[:j]
	}
	return b
}

// needleScan keeps the next position of each error needle in the current
// read buffer, so each needle is searched at most once per stretch of
// buffer: a log with no error at all costs one search per needle per buffer.
type needleScan struct{ next [len(errorNeedles)]int }

// reset forgets the positions (a new buffer).
func (n *needleScan) reset() {
	for i := range n.next {
		n.next[i] = -1
	}
}

// before reports whether a needle occurs in buf[start:le] (a line), with
// end the end of the valid data in buf.
func (n *needleScan) before(buf []byte, start, le, end int) bool {
	hit := false
	for i, nd := range errorNeedles {
		if n.next[i] < start {
			n.next[i] = end
			if j := bytes.Index(buf[start:end], nd); j >= 0 {
				n.next[i] = start + j
			}
		}
		if n.next[i] < le {
			hit = true
		}
	}
	return hit
}

// earlyBlock is the lines kept from before the first kept line first
// (first < 1: none kept), redacted, each run preceded by a skip marker; and
// the hits among them without markers, for the reason chooser.
func earlyBlock(early earlyKept, first int64) (text []logLine, hits []logLine) {
	last := int64(0)
	for _, l := range early.all {
		if first > 0 && l.no >= first {
			break
		}
		if l.no > last+1 {
			text = append(text, logLine{l.no, skipMarker(l.no - last - 1)})
		}
		text = append(text, cleanLogLine(l))
		last = l.no
	}
	for _, l := range early.hits {
		if first > 0 && l.no >= first {
			break
		}
		hits = append(hits, cleanLogLine(l))
	}
	if len(text) > 0 && first > last+1 {
		text = append(text, logLine{first - 1, skipMarker(first - last - 1)})
	}
	return text, hits
}

func skipMarker(n int64) string {
	return skippedPrefix + strconv.FormatInt(n, 10) + skippedSuffix
}
