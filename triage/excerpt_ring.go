package triage

import (
	"bytes"
	"strings"
)

// recentRing keeps the most recent bytes of the (normalized) log, one
// "line\n" after another, in a fixed-size circle. Both the tail and the
// current step's section are read out of it, so each line is copied once;
// its size never changes, so a log of any length costs the same memory.
type recentRing struct {
	buf     []byte // grows to size, then is overwritten in a circle
	size    int
	written int64 // bytes ever written; buf[written % size] is the next slot
	lost    byte  // the byte just before the oldest one held, once overwritten
}

func newRecentRing(size int) recentRing { return recentRing{size: size} }

func (r *recentRing) writeLine(line []byte) {
	if len(line) >= r.size {
		line = line[len(line)-r.size+1:]
	}
	if len(r.buf) < r.size {
		// Still growing: a small log allocates only what it needs.
		if room := r.size - len(r.buf); len(line)+1 <= room {
			r.buf = append(r.buf, line...)
			r.buf = append(r.buf, '\n')
			r.written += int64(len(line) + 1)
			return
		}
		r.buf = append(r.buf, make([]byte, r.size-len(r.buf))...)
	}
	if oldest := r.written + int64(len(line)+1) - int64(r.size); oldest > 0 {
		r.lost = r.buf[(oldest-1)%int64(r.size)]
	}
	pos := int(r.written % int64(r.size))
	n := copy(r.buf[pos:], line)
	if n < len(line) {
		copy(r.buf, line[n:])
	}
	r.buf[(pos+len(line))%r.size] = '\n'
	r.written += int64(len(line) + 1)
}

// oldest is the stream offset of the oldest byte still held.
func (r *recentRing) oldest() int64 { return max(0, r.written-int64(len(r.buf))) }

// since returns a copy of the bytes written from stream offset from (clamped
// to what is held) to now.
func (r *recentRing) since(from int64) []byte {
	from = max(from, r.oldest())
	n := int(r.written - from)
	out := make([]byte, n)
	if n == 0 {
		return out
	}
	pos := int(from % int64(r.size))
	c := copy(out, r.buf[pos:min(len(r.buf), pos+n)])
	copy(out[c:], r.buf[:n-c])
	return out
}

// byteBefore reports the byte just before stream offset off, if still held.
func (r *recentRing) byteBefore(off int64) (byte, bool) {
	if off == r.oldest() && off > 0 {
		return r.lost, true
	}
	if off <= r.oldest() || off > r.written {
		return 0, false
	}
	return r.buf[(off-1)%int64(r.size)], true
}

// linesSince returns the complete lines written from stream offset from,
// keeping at most maxBytes of the newest ones. cut reports that older bytes
// of that span were left out (or had already been overwritten).
func (r *recentRing) linesSince(from int64, maxBytes int) (lines []string, cut bool) {
	start := max(from, r.written-int64(maxBytes), r.oldest())
	cut = start > from
	data := r.since(start)
	if start > 0 {
		if b, ok := r.byteBefore(start); !ok || b != '\n' {
			// Starts mid-line: drop the fragment.
			if i := bytes.IndexByte(data, '\n'); i >= 0 && i < len(data)-1 {
				data = data[i+1:]
			}
		}
	}
	return splitRingLines(data), cut
}

// lastLines returns the last n complete lines held.
func (r *recentRing) lastLines(n int) []string {
	if n <= 0 || r.written == 0 {
		return nil
	}
	from := r.oldest()
	// Walk back over n newlines (the last byte is always one).
	seen := 0
	for off := r.written - 1; off > from; off-- {
		if r.buf[(off-1)%int64(r.size)] == '\n' {
			seen++
			if seen == n {
				from = off
				break
			}
		}
	}
	lines, _ := r.linesSince(from, r.size)
	return lines
}

func splitRingLines(data []byte) []string {
	data = bytes.TrimSuffix(data, lf)
	if len(data) == 0 {
		return nil
	}
	return strings.Split(string(data), "\n")
}

var lf = []byte{'\n'}
