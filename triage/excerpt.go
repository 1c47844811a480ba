package triage

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// Options bound the excerpt. Zero values mean the defaults shown.
type Options struct {
	MaxSectionBytes int // 32 KiB: bytes kept from the failing step's section (its last bytes, where errors are)
	TailLines       int // 100: last lines of the whole log
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
	FailingStep string   // name of the step whose group contains the failure ("Run X"), "" if unknown
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

type extractor struct {
	opt Options

	lines, bytes int64
	kept         int64 // lines kept in the windows (key material is dropped); numbers logLines
	lineCut      bool
	inLong       bool   // in the middle of a line longer than the reader's buffer
	long         []byte // its first MaxLineBytes+1 bytes
	longLen      int64
	scratch      []byte
	pem          secretScrubber

	recent    recentRing // the tail, and the current step's section
	stepName  string
	sawStep   bool
	stepStart int64 // offset in recent where the current step began
	stepCands []logLine

	failed     bool // a ##[error] has been seen
	failStep   string
	frozen     bool // the failing step ended; its section is kept below
	fSection   []string
	fLast      int64 // line number of its last line
	fWrapped   bool  // its start was cut
	fCands     []logLine
	errMarks   []logLine // ##[error] lines, first MaxErrorLines distinct
	errDropped bool
	exitCode   int
}

func newExtractor(opt Options) *extractor {
	// Room for TailLines full-length lines (with a cut marker) and for the
	// section, capped so that a huge TailLines cannot ask for gigabytes.
	size := min(opt.TailLines*(opt.MaxLineBytes+64), maxRecentBytes)
	size = max(size, opt.MaxSectionBytes) + opt.MaxLineBytes + 64
	return &extractor{
		opt:      opt,
		recent:   newRecentRing(size),
		exitCode: -1,
	}
}

const (
	readBufSize    = 64 << 10
	maxRecentBytes = 16 << 20
)

func (x *extractor) run(r io.Reader) error {
	br := bufio.NewReaderSize(r, readBufSize)
	for {
		chunk, err := br.ReadSlice('\n')
		x.bytes += int64(len(chunk))
		if errors.Is(err, bufio.ErrBufferFull) {
			x.appendLong(chunk)
			continue
		}
		if len(chunk) > 0 {
			line := bytes.TrimSuffix(chunk, lf)
			if x.inLong {
				x.appendLong(line)
				line = x.finishLong()
			} else if len(line) > x.opt.MaxLineBytes {
				line = x.cut(line, int64(len(line)))
			}
			x.handle(line)
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// appendLong keeps at most MaxLineBytes of a line that spans reader buffers
// and only counts the rest.
func (x *extractor) appendLong(p []byte) {
	x.inLong = true
	x.longLen += int64(len(p))
	if room := x.opt.MaxLineBytes + 1 - len(x.long); room > 0 {
		x.long = append(x.long, p[:min(room, len(p))]...)
	}
}

func (x *extractor) finishLong() []byte {
	line, n := x.long, x.longLen
	x.inLong, x.long, x.longLen = false, x.long[:0], 0
	if n > int64(x.opt.MaxLineBytes) {
		line = x.cut(line, n)
	}
	return line
}

// cut shortens an over-long line to MaxLineBytes plus a marker. It backs off
// to a word boundary so that a secret straddling the cut is dropped whole
// instead of leaving a prefix the redaction patterns no longer recognise.
func (x *extractor) cut(line []byte, total int64) []byte {
	x.lineCut = true
	keep := line[:x.opt.MaxLineBytes]
	floor := max(0, len(keep)-1024)
	for i := len(keep) - 1; i >= floor; i-- {
		if isValueStop(keep[i]) || keep[i] == '=' || keep[i] == ':' {
			keep = keep[:i+1]
			break
		}
	}
	out := append(x.scratch[:0], keep...)
	out = append(out, " [… line cut, "...)
	out = strconv.AppendInt(out, total, 10)
	out = append(out, " bytes]"...)
	x.scratch = out
	// Normalization below needs its own scratch space.
	return bytes.Clone(out)
}

func (x *extractor) handle(raw []byte) {
	x.lines++
	line := normalizeBytes(raw, &x.scratch)

	// Private keys are dropped here, in the stream, because a key block can
	// straddle the edge of what the windows keep; everything else is
	// redacted at the end, on the bounded excerpt only.
	if x.pem.inKey || bytes.Contains(line, pemBegin) {
		out, keep := x.pem.line(string(line))
		if !keep {
			return
		}
		line = []byte(out)
	}
	x.kept++

	if len(line) > 3 && line[0] == '#' && line[1] == '#' && line[2] == '[' {
		x.marker(line)
	} else if bytes.HasPrefix(line, uiExitPrefix) {
		x.noteExit(line[len(uiExitPrefix)-len(exitPhrase):])
	}

	if !x.frozen && len(x.stepCands) < x.opt.MaxErrorLines && cheapErrorStart(line) {
		x.stepCands = append(x.stepCands, logLine{x.kept, string(line)})
	}
	x.recent.writeLine(line)
}

var (
	pemBegin     = []byte("-----BEGIN")
	exitPhrase   = "Process completed with exit code "
	uiExitPrefix = []byte("Error: " + exitPhrase) // ##[error] as the web UI renders it
)

// marker handles a "##[...]" workflow command line.
func (x *extractor) marker(line []byte) {
	switch {
	case bytes.HasPrefix(line, []byte("##[group]")):
		title := line[len("##[group]"):]
		// "Run X" opens a step; any other group is output inside the step,
		// unless no step has begun yet (the "Set up job" groups).
		if bytes.HasPrefix(title, []byte("Run ")) || !x.sawStep {
			x.startStep(string(bytes.TrimSpace(title)))
		}
	case bytes.HasPrefix(line, []byte("##[error]")):
		msg := line[len("##[error]"):]
		x.noteExit(msg)
		if !x.failed {
			x.failed = true
			x.failStep = x.stepName
		}
		x.addErrMark(logLine{x.kept, string(msg)})
	}
}

func (x *extractor) startStep(name string) {
	if x.failed && !x.frozen {
		x.freeze()
	}
	x.stepName = name
	x.sawStep = true
	x.stepStart = x.recent.written
	if !x.frozen {
		x.stepCands = x.stepCands[:0]
	}
}

// freeze keeps the failing step's section once the next step begins.
func (x *extractor) freeze() {
	x.frozen = true
	x.fSection, x.fWrapped = x.recent.linesSince(x.stepStart, x.opt.MaxSectionBytes)
	x.fLast = x.kept - 1 // the line that opened the next step is not in it
	x.fCands = x.stepCands
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
	case 'e', 'E', 'f', 'F', 'p', 'n', 'T':
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
