package excerpt

import (
	"bytes"
	"io"
	"strconv"

	"github.com/ccm-ci/ccm/redact"
)

const readBufSize = 64 << 10

var privateKey = []byte("PRIVATE KEY")

// indexPrivateKey finds "PRIVATE KEY" by its rarest byte: dashes (in every
// timestamp) or 'P' would stop a search at nearly every line.
func indexPrivateKey(b []byte) int {
	const at = 3 // 'V' in "PRIVATE KEY"
	for i := 0; ; {
		j := bytes.IndexByte(b[i:], 'V')
		if j < 0 {
			return -1
		}
		if p := i + j - at; p >= 0 && bytes.HasPrefix(b[p:], privateKey) {
			return p
		}
		i += j + 1
	}
}

// run reads r in large chunks and scans the complete lines in them. Two
// things keep it near the speed of a bare line scan. Lines are not copied:
// a full read buffer is handed to the recent ring as it is (only a partial
// last line moves to the next buffer). And the one pattern searched for
// while streaming, a private-key header, is searched once per chunk, not per
// line: run keeps the position of its next occurrence.
func (x *extractor) run(r io.Reader) error {
	x.buf = x.recent.buffer()
	start, end := 0, 0
	x.copied = 0
	// Next key header at or after the current line, or end when none was
	// found up to end; below start means "search again".
	pem := -1
	x.needles.reset()
	var rerr error
	empty := 0
	for {
		buf := x.buf
		for start < end {
			i := bytes.IndexByte(buf[start:end], '\n')
			if i < 0 {
				break
			}
			le := start + i
			switch {
			case x.inLong:
				x.appendLong(buf[start:le])
				x.longLine(le + 1)
			case le-start > x.opt.MaxLineBytes:
				x.flush(start)
				x.appendLong(buf[start:le])
				x.longLine(le + 1)
			default:
				if pem < start {
					pem = end
					if j := indexPrivateKey(buf[start:end]); j >= 0 {
						pem = start + j
					}
				}
				off := x.recent.written + int64(start-x.copied)
				body := x.scan(buf[start:le], off, pem < le)
				if x.early.on {
					x.earlyLineFor(buf[start:le], body, off, x.needles.before(buf, start, le, end))
				}
			}
			start = le + 1
		}
		if rerr != nil {
			x.flush(start)
			// The last line had no newline (or the read failed mid-line).
			if x.inLong || start < end {
				x.appendLong(buf[start:end])
				x.longLine(end)
			}
			break
		}
		if end == len(buf) {
			// Full: hand the scanned lines to the ring, carry the partial
			// line over to a fresh buffer.
			next := x.recent.buffer()
			n := copy(next, buf[start:end])
			x.recent.push(buf[x.copied:start], buf)
			x.buf, x.copied = next, 0
			start, end, pem = 0, n, -1
			x.needles.reset()
			if end == len(next) {
				// A line longer than the buffer: keep its head, count the rest.
				x.appendLong(next[:end])
				start, end, pem = 0, 0, -1
			}
		}
		n, err := r.Read(x.buf[end:])
		x.bytes += int64(n)
		end += n
		switch {
		case err != nil:
			rerr = err
		case n == 0:
			if empty++; empty == 100 {
				rerr = io.ErrNoProgress
			}
		default:
			empty = 0
		}
	}
	if rerr == io.EOF {
		return nil
	}
	return rerr
}

// flush hands the scanned lines buf[copied:upTo] to the ring as a copy: the
// buffer is still being filled, so it cannot be handed over.
func (x *extractor) flush(upTo int) {
	if upTo > x.copied {
		x.recent.pushCopy(x.buf[x.copied:upTo])
		x.copied = upTo
	}
}

// longLine finishes a line that was too long: it is cut, scanned, and
// handed to the ring on its own. next is where the following line starts.
func (x *extractor) longLine(next int) {
	line := x.finishLong()
	body := x.scan(line, x.recent.written, true)
	if x.early.on {
		x.earlyLineFor(line, body, x.recent.written, true)
	}
	x.recent.writeLine(line)
	x.copied = next
}

// appendLong keeps at most MaxLineBytes+1 bytes of a line that spans reader
// buffers and only counts the rest.
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
		if redact.ValueStop(keep[i]) || keep[i] == '=' || keep[i] == ':' {
			keep = keep[:i+1]
			break
		}
	}
	out := make([]byte, 0, len(keep)+40)
	out = append(out, keep...)
	out = append(out, " [… line cut, "...)
	out = strconv.AppendInt(out, total, 10)
	return append(out, " bytes]"...)
}
