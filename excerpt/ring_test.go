package excerpt

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func ringTexts(r *recentRing, from int64) ([]string, bool) {
	lines, cut := r.linesFrom(from)
	var out []string
	for _, l := range lines {
		out = append(out, string(l.text))
	}
	return out, cut
}

func TestRecentRing(t *testing.T) {
	tests := []struct {
		name   string
		keep   int
		chunks []string
		last   int
		want   []string
	}{
		{name: "fits", keep: 100, chunks: []string{"a\n", "b\n", "c\n"}, last: 2, want: []string{"b", "c"}},
		{name: "evicts whole chunks beyond keep", keep: 10, chunks: []string{"aaaa\n", "bbbb\n", "cccc\n"}, last: 5, want: []string{"bbbb", "cccc"}},
		{name: "many lines per chunk", keep: 4, chunks: []string{"a1\nb2\nc3\n", "d4\ne5\n"}, last: 5, want: []string{"d4", "e5"}},
		{name: "last line of a multi-line chunk", keep: 100, chunks: []string{"a1\nb2\nc3\n", "d4\ne5\n"}, last: 4, want: []string{"b2", "c3", "d4", "e5"}},
		{name: "empty", keep: 10, last: 3, want: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRecentRing(tt.keep)
			for _, c := range tt.chunks {
				r.pushCopy([]byte(c))
			}
			got, _ := ringTexts(&r, r.lastLineStart(tt.last))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("last lines (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRecentRing_LinesFromAndReuse(t *testing.T) {
	r := newRecentRing(20)
	buf := r.buffer()
	n := copy(buf, "before\n")
	r.push(buf[:n], buf)
	step := r.written
	r.writeLine([]byte("step one"))
	r.writeLine([]byte("step two"))
	lines, cut := ringTexts(&r, step)
	if diff := cmp.Diff([]string{"step one", "step two"}, lines); diff != "" || cut {
		t.Errorf("whole step (-want +got):\n%s cut=%v", diff, cut)
	}
	r.writeLine([]byte("step three"))
	lines, cut = ringTexts(&r, step)
	if diff := cmp.Diff([]string{"step two", "step three"}, lines); diff != "" || !cut {
		t.Errorf("after eviction (-want +got):\n%s cut=%v", diff, cut)
	}
	if got := r.buffer(); &got[0] != &buf[0] {
		t.Error("evicted read buffer not reused")
	}
}
