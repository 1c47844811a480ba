// Package excerpt reads a CI job log in one streaming pass with bounded
// memory and keeps what a person (or a model) needs to understand the
// failure: the failing step's section, the tail, the error lines and the
// one line chosen as the reason (reason.go), all normalized (logtext) and
// redacted (redact). It also fingerprints a failure from those lines, so
// the same failure on another run is recognised, and reads a log file or
// stdin for the CLI (input.go). It does no network I/O: callers hand it an
// io.Reader and get values back.
package excerpt

import (
	"bytes"
	"fmt"
	"io"
	"strconv"

	"github.com/ccm-ci/ccm/logtext"
	"github.com/ccm-ci/ccm/redact"
)

// Options bound the excerpt. Zero values mean the defaults shown.
type Options struct {
	MaxSectionBytes int // 32 KiB: bytes kept from the failing step's section (its last bytes, where errors are)
	TailLines       int // 100: last lines of the whole log (the memory for both is capped near 16 MiB)
	MaxLineBytes    int // 4 KiB: longer lines are cut (with a marker)
	MaxErrorLines   int // 20: `##[error]` and error-looking lines collected
}

func (o Options) withDefaults() Options {
	if o.MaxSectionBytes <= 0 {
		o.MaxSectionBytes = 32 << 10
	}
	if o.TailLines <= 0 {
		o.TailLines = 100
	}
	if o.MaxLineBytes <= 0 {
		o.MaxLineBytes = 4 << 10
	}
	o.MaxLineBytes = max(o.MaxLineBytes, 64)
	if o.MaxErrorLines <= 0 {
		o.MaxErrorLines = 20
	}
	return o
}

// Excerpt is what ccm keeps of a job log: enough for a person or a model to
// see why it failed, small enough to store and send, and already redacted.
type Excerpt struct {
	Reason      string   // one-line failure reason, redacted, <= 300 chars
	Context     []string // up to 3 lines a person needs with Reason (expected/received, the conflicting peer, the failing test), redacted
	FailingStep string   // name of the step whose group contains the failure ("Run X"; a post step: "Post Run X", or PostCleanupStep when the log does not tell its action), "" if unknown
	Earlier     string   // redacted, normalized first error lines (with context) from before the section and tail, "[… N lines skipped …]" between runs; "" when none was cut
	Section     string   // redacted, normalized lines of the failing step's section (bounded)
	Tail        string   // redacted, normalized last lines of the log (bounded)
	ErrorLines  []string // redacted, normalized error lines (bounded), in order
	ExitCode    int      // from "Process completed with exit code N", -1 if none
	Lines       int64    // lines read
	Bytes       int64    // bytes read
	Truncated   bool     // something was cut
}

// Extract reads a job log once, in a stream, and keeps only a bounded
// excerpt: memory does not grow with the log, and a single enormous line
// costs MaxLineBytes. The only error is a read error (wrapped); the Excerpt of
// what was read before it is returned with it.
func Extract(r io.Reader, opt Options) (Excerpt, error) {
	x := newExtractor(opt.withDefaults())
	err := x.run(r)
	ex := x.finish()
	if err != nil {
		return ex, fmt.Errorf("read log: %w", err)
	}
	return ex, nil
}

// logLine is a line with its 1-based position in the log, so lines from
// different windows can be merged in log order.
type logLine struct {
	no   int64
	text string
}

// extractor is the state of one streaming pass. The hot path per line is a
// prefix check and a few byte compares: raw lines go to the recent ring in
// bulk, and normalization and redaction run at the end, on the few lines the
// excerpt keeps.
type extractor struct {
	opt Options

	lines, bytes int64
	lineCut      bool
	inLong       bool   // in the middle of a line longer than the reader's buffer
	long         []byte // its first MaxLineBytes+1 bytes
	longLen      int64
	buf          []byte // the read buffer; buf[copied:] is not in recent yet
	copied       int

	recent recentRing // the last raw lines: the tail, and the current step's section
	pem    redact.Scrubber
	keys   []keySpan // private-key blocks that may still be in recent

	stepName  string
	sawStep   bool
	stepStart int64       // offset in recent of the current step's first line
	stepCands rawLines    // error-looking lines early in the current step
	early     earlyErrors // the current step's first error lines with context (early.go)
	needles   needleScan
	fEarly    earlyKept // the failing step's, once frozen
	post      postState // actions and post steps (poststep.go)

	failed     bool // a ##[error] has been seen
	failStep   string
	frozen     bool      // the failing step ended; its section is kept below
	fSection   []logLine // normalized and redacted
	fCut       bool      // its start was cut
	fCands     []logLine
	fEnd       int64     // the line that began the step after the failing one (0: none did)
	errMarks   []logLine // ##[error] messages, first MaxErrorLines distinct
	errDropped bool
	exitCode   int
}

// keySpan is where a private-key block lies in recent: lines from its BEGIN
// up to (not including) offset to are key material. to is -1 while open.
type keySpan struct{ from, to int64 }

func newExtractor(opt Options) *extractor {
	// Room for TailLines full-length raw lines (timestamp, colours, cut
	// marker) and for the section with its raw overhead, capped so that
	// huge options cannot ask for gigabytes.
	size := max(opt.TailLines*(opt.MaxLineBytes+128), 2*opt.MaxSectionBytes)
	size = min(size, maxRecentBytes) + opt.MaxLineBytes + 128
	return &extractor{
		opt:      opt,
		recent:   newRecentRing(size),
		early:    newEarlyErrors(),
		exitCode: -1,
	}
}

const maxRecentBytes = 16 << 20

// scan looks at one raw line (without its newline) that starts at offset
// off of the recent ring. maybeKey is false when the line surely holds no
// private-key header. It returns the line's own text, its runner prefix
// (timestamp) stripped, for the early store's look at its start.
func (x *extractor) scan(raw []byte, off int64, maybeKey bool) []byte {
	x.lines++
	var body []byte
	if len(raw) > 29 && raw[28] == ' ' && raw[27] == 'Z' && raw[19] == '.' && raw[10] == 'T' && raw[4] == '-' {
		// GitHub's own timestamp ("2024-01-02T03:04:05.1234567Z "), told by
		// its punctuation alone: this only steers marker detection, the
		// lines kept are normalized in full at the end.
		body = raw[29:]
	} else {
		body = logtext.StripPrefix(logtext.TrimBOM(raw))
	}

	// Track private-key blocks now: a block can straddle the edge of what
	// the windows keep, and the end must know where it stands.
	if x.pem.InKey || maybeKey {
		x.trackKey(logtext.NormalizeBytes(raw, new([]byte)), off)
	}

	if len(body) > 3 && body[0] == '#' && body[1] == '#' && body[2] == '[' {
		x.marker(body, off)
	} else if len(body) > 0 && body[0] == 'E' && bytes.HasPrefix(body, uiExitPrefix) {
		x.noteExit(body[len(uiExitPrefix)-len(exitPhrase):])
	} else if len(body) > 0 && (body[0] == 'P' || body[0] == 'C') {
		x.scanPost(body, off)
	}
	if !x.frozen && len(x.stepCands.nos) < x.opt.MaxErrorLines && cheapErrorStart(body) {
		x.stepCands.add(x.lines, raw)
	}
	return body
}

func (x *extractor) trackKey(line []byte, off int64) {
	was := x.pem.InKey
	_, _ = x.pem.Line(string(line))
	switch {
	case !was && x.pem.InKey:
		x.keys = append(x.keys, keySpan{from: off, to: -1})
	case was && !x.pem.InKey:
		x.keys[len(x.keys)-1].to = off
	}
	// Forget blocks the ring no longer holds.
	for len(x.keys) > 0 && x.keys[0].to >= 0 && x.keys[0].to <= x.recent.oldest() {
		x.keys = x.keys[1:]
	}
}

// inKeyAt reports whether offset off of recent lies inside a key block
// (after its BEGIN line).
func (x *extractor) inKeyAt(off int64) bool {
	for _, k := range x.keys {
		if k.from < off && (k.to < 0 || off < k.to) {
			return true
		}
	}
	return false
}

var (
	exitPhrase   = "Process completed with exit code "
	uiExitPrefix = []byte("Error: " + exitPhrase) // ##[error] as the web UI renders it
)

// marker handles a "##[...]" workflow command line.
func (x *extractor) marker(line []byte, off int64) {
	switch {
	case bytes.HasPrefix(line, []byte("##[group]")):
		title := line[len("##[group]"):]
		// "Run X" opens a step; any other group is output inside the step,
		// unless no step has begun yet (the "Set up job" groups) or it
		// names a post step.
		if x.postGroup(title, off) {
			break
		}
		if bytes.HasPrefix(title, []byte("Run ")) || !x.sawStep {
			x.startStep(logtext.NormalizeLine(string(bytes.TrimSpace(title))), off)
		}
	case bytes.HasPrefix(line, []byte("##[error]")):
		msg := []byte(logtext.NormalizeLine(string(line[len("##[error]"):])))
		x.noteExit(msg)
		if !x.failed {
			x.failed = true
			x.failStep = x.stepName
			if x.post.inPost {
				x.post.failPost = x.post.posts
			}
		}
		x.addErrMark(logLine{x.lines, string(msg)})
	}
}

func (x *extractor) startStep(name string, off int64) {
	if x.failed && !x.frozen {
		x.freeze(off)
	}
	x.stepName = name
	x.sawStep = true
	x.post.inPost = false
	x.noteAction(name)
	x.stepStart = off
	if !x.frozen {
		x.stepCands.reset()
		x.early.reset()
	}
}

// freeze keeps the failing step's section once the next step begins at
// offset end.
func (x *extractor) freeze(end int64) {
	x.flush(x.copied + int(end-x.recent.written)) // the ring must hold the whole step
	x.frozen = true
	x.fEnd = x.lines
	x.fSection, x.fCut = x.sectionLines(x.lines - 1)
	x.fCands = x.stepCands.lines()
	x.fEarly = x.early.kept()
	x.early.stop()
}

// sectionLines returns the current step's lines, whose last is line number
// last: normalized, redacted, and at most MaxSectionBytes of the newest.
func (x *extractor) sectionLines(last int64) ([]logLine, bool) {
	lines, cut := x.windowLines(x.stepStart, last)
	size := 0
	for i := len(lines) - 1; i >= 0; i-- {
		size += len(lines[i].text) + 1
		if size > x.opt.MaxSectionBytes {
			return lines[i+1:], true
		}
	}
	return lines, cut
}

// windowLines reads the ring from offset from to its end (line number
// last): each line normalized, redacted and made safe to store. Key material
// is dropped, also when the window starts inside a key block.
func (x *extractor) windowLines(from, last int64) ([]logLine, bool) {
	raw, cut := x.recent.linesFrom(from)
	out := make([]logLine, 0, len(raw))
	var sc redact.Scrubber
	if len(raw) > 0 {
		sc.InKey = x.inKeyAt(raw[0].off)
	}
	var scratch []byte
	for i, l := range raw {
		norm := logtext.NormalizeBytes(l.text, &scratch)
		text, keep := sc.Line(string(norm))
		if keep {
			out = append(out, logLine{last - int64(len(raw)-1-i), logtext.Sanitize(text)})
		}
	}
	return out, cut
}

func (x *extractor) noteExit(msg []byte) {
	if x.exitCode != -1 || !bytes.HasPrefix(msg, []byte(exitPhrase)) {
		return
	}
	digits := bytes.TrimRight(msg[len(exitPhrase):], ".\r ")
	if n, err := strconv.Atoi(string(digits)); err == nil {
		x.exitCode = n
	}
}

func (x *extractor) addErrMark(l logLine) {
	for _, m := range x.errMarks {
		if m.text == l.text {
			return
		}
	}
	if len(x.errMarks) >= x.opt.MaxErrorLines {
		x.errDropped = true
		return
	}
	x.errMarks = append(x.errMarks, l)
}

// rawLines collects a few raw lines in one reusable buffer: a step's early
// error lines cost no allocation until they are needed.
type rawLines struct {
	data []byte
	ends []int
	nos  []int64
}

func (r *rawLines) add(no int64, line []byte) {
	r.data = append(r.data, line...)
	r.ends = append(r.ends, len(r.data))
	r.nos = append(r.nos, no)
}

func (r *rawLines) reset() {
	r.data, r.ends, r.nos = r.data[:0], r.ends[:0], r.nos[:0]
}

// lines returns the lines normalized.
func (r *rawLines) lines() []logLine {
	out := make([]logLine, len(r.nos))
	start := 0
	for i, end := range r.ends {
		out[i] = logLine{r.nos[i], logtext.NormalizeLine(string(r.data[start:end]))}
		start = end
	}
	return out
}

// cheapErrorStart is the streaming detector for error lines early in a long
// step, before the section window: a few byte compares on the line's start.
// The full patterns run later, on the bounded windows only.
func cheapErrorStart(line []byte) bool {
	i := 0
	for i < len(line) && (line[i] == ' ' || line[i] == '\t') {
		i++
	}
	if i == len(line) {
		return false
	}
	switch line[i] {
	case 'e', 'E', 'f', 'F', 'p', 'n':
	default:
		return false
	}
	rest := line[i:]
	for _, p := range cheapErrorPrefixes {
		if bytes.HasPrefix(rest, p) {
			return true
		}
	}
	return false
}

var cheapErrorPrefixes = [][]byte{
	[]byte("error"), []byte("Error"), []byte("ERROR"), []byte("fatal:"), []byte("FATAL"),
	[]byte("panic:"), []byte("npm ERR!"), []byte("npm error"), []byte("Exception"),
}
