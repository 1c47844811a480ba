package triage

import (
	"bytes"
	"strings"
)

// byteRing keeps the last max bytes of a stream of lines ("line\n" each).
// It never grows past max, so a step that prints gigabytes costs max bytes.
type byteRing struct {
	buf     []byte
	max     int
	pos     int  // next write index once full
	wrapped bool // older bytes have been overwritten
	dropped byte // the newest byte overwritten: '\n' means no partial line
}

func newByteRing(max int) byteRing { return byteRing{max: max} }

func (r *byteRing) reset() {
	r.buf = r.buf[:0]
	r.pos = 0
	r.wrapped = false
	r.dropped = 0
}

func (r *byteRing) writeLine(line []byte) {
	r.write(line)
	r.write(lf)
}

var lf = []byte{'\n'}

func (r *byteRing) write(p []byte) {
	if len(p) >= r.max {
		if len(p) > r.max {
			r.dropped = p[len(p)-r.max-1]
		} else if len(r.buf) > 0 {
			r.dropped = r.buf[(r.pos+len(r.buf)-1)%len(r.buf)]
		}
		p = p[len(p)-r.max:]
		r.buf = append(r.buf[:0], p...)
		r.pos = 0
		r.wrapped = true
		return
	}
	if !r.wrapped && len(r.buf)+len(p) <= r.max {
		r.buf = append(r.buf, p...)
		return
	}
	if !r.wrapped {
		// First overflow: grow to max once, then overwrite in a circle.
		fill := r.max - len(r.buf)
		r.buf = append(r.buf, p[:fill]...)
		p = p[fill:]
		r.pos = 0
		r.wrapped = true
	}
	for len(p) > 0 {
		n := min(len(r.buf)-r.pos, len(p))
		r.dropped = r.buf[r.pos+n-1]
		copy(r.buf[r.pos:], p[:n])
		p = p[n:]
		r.pos = (r.pos + n) % r.max
	}
}

// lines returns the complete lines held, oldest first. When the ring has
// wrapped, the first, partial line is dropped.
func (r *byteRing) lines() []string {
	var data []byte
	if r.wrapped {
		data = make([]byte, 0, r.max)
		data = append(data, r.buf[r.pos:]...)
		data = append(data, r.buf[:r.pos]...)
		if r.dropped != '\n' {
			if i := bytes.IndexByte(data, '\n'); i >= 0 && i < len(data)-1 {
				data = data[i+1:]
			}
		}
	} else {
		data = r.buf
	}
	data = bytes.TrimSuffix(data, lf)
	if len(data) == 0 {
		return nil
	}
	return strings.Split(string(data), "\n")
}

// lineRing keeps the last n lines. Slots are reused, so after warm-up a
// push is one copy and no allocation.
type lineRing struct {
	slots [][]byte
	next  int
	count int
}

func newLineRing(n int) lineRing { return lineRing{slots: make([][]byte, n)} }

func (r *lineRing) push(line []byte) {
	r.slots[r.next] = append(r.slots[r.next][:0], line...)
	r.next = (r.next + 1) % len(r.slots)
	if r.count < len(r.slots) {
		r.count++
	}
}

// lines returns the held lines, oldest first.
func (r *lineRing) lines() []string {
	out := make([]string, 0, r.count)
	start := (r.next - r.count + len(r.slots)) % len(r.slots)
	for i := range r.count {
		out = append(out, string(r.slots[(start+i)%len(r.slots)]))
	}
	return out
}
