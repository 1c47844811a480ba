package excerpt

import "bytes"

// recentRing keeps the most recent raw lines of the log: the tail, and the
// current step's section, are read out of it at the end. It holds the read
// buffers themselves, in order, instead of copying lines out of them: when
// a buffer is full its complete lines are handed over whole, and the oldest
// buffers go back to the reader once the ring holds at least keep bytes
// without them. Memory stays at about keep plus two buffers for a log of
// any length.
type recentRing struct {
	chunks  []ringChunk // oldest first; each holds complete lines
	keep    int
	held    int
	written int64 // bytes ever handed over; the next chunk starts here
	spare   [][]byte
}

type ringChunk struct {
	off  int64  // stream offset of data[0], a line start
	data []byte // whole lines, each ending in '\n'
	buf  []byte // the read buffer behind data, to reuse once evicted; nil if owned by no reader
}

func newRecentRing(keep int) recentRing { return recentRing{keep: keep} }

// buffer returns an empty read buffer, reusing an evicted one if it can.
func (r *recentRing) buffer() []byte {
	if n := len(r.spare); n > 0 {
		b := r.spare[n-1]
		r.spare = r.spare[:n-1]
		return b
	}
	return make([]byte, readBufSize)
}

// push hands over data (whole lines) that lives in read buffer buf; the
// caller must not touch buf again.
func (r *recentRing) push(data, buf []byte) {
	if len(data) == 0 {
		if buf != nil {
			r.spare = append(r.spare, buf)
		}
		return
	}
	r.chunks = append(r.chunks, ringChunk{off: r.written, data: data, buf: buf})
	r.written += int64(len(data))
	r.held += len(data)
	for len(r.chunks) > 1 && r.held-len(r.chunks[0].data) >= r.keep {
		old := r.chunks[0]
		r.chunks[0] = ringChunk{}
		r.chunks = r.chunks[1:]
		r.held -= len(old.data)
		if old.buf != nil && len(r.spare) < 2 {
			r.spare = append(r.spare, old.buf[:cap(old.buf)])
		}
	}
}

// pushCopy hands over a copy of data (whole lines).
func (r *recentRing) pushCopy(data []byte) { r.push(bytes.Clone(data), nil) }

// writeLine hands over one line.
func (r *recentRing) writeLine(line []byte) {
	r.push(append(append(make([]byte, 0, len(line)+1), line...), '\n'), nil)
}

// oldest is the stream offset of the oldest byte still held.
func (r *recentRing) oldest() int64 {
	if len(r.chunks) == 0 {
		return r.written
	}
	return r.chunks[0].off
}

// rawLine is one line read back from the ring with its stream offset.
type rawLine struct {
	off  int64
	text []byte
}

// linesFrom returns the lines from stream offset from (a line start) to the
// end. When from is no longer held, it starts at the oldest line held and cut
// is true. The texts alias the ring: use them before the next push.
func (r *recentRing) linesFrom(from int64) (lines []rawLine, cut bool) {
	cut = from < r.oldest()
	for _, c := range r.chunks {
		data, off := c.data, c.off
		if end := c.off + int64(len(data)); end <= from {
			continue
		}
		if from > off {
			data, off = data[from-off:], from
		}
		for len(data) > 0 {
			j := bytes.IndexByte(data, '\n')
			if j < 0 {
				j = len(data) // cannot happen: chunks hold whole lines
			}
			lines = append(lines, rawLine{off, data[:j:j]})
			data = data[min(j+1, len(data)):]
			off += int64(j + 1)
		}
	}
	return lines, cut
}

// lastLineStart returns the offset of the n-th last line held (or of the
// oldest line when fewer are held).
func (r *recentRing) lastLineStart(n int) int64 {
	seen := 0
	for i := len(r.chunks) - 1; i >= 0; i-- {
		data := r.chunks[i].data
		data = data[:len(data)-1] // its final '\n'
		for {
			j := bytes.LastIndexByte(data, '\n')
			if seen++; seen == n || j < 0 {
				if seen == n {
					return r.chunks[i].off + int64(j+1)
				}
				break
			}
			data = data[:j]
		}
	}
	return r.oldest()
}
