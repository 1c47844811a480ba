package excerpt

import (
	"strings"
	"testing"

	"pgregory.net/rapid"
)

// Any bytes at all: Extract does not panic, reads everything, and keeps
// within its bounds.
func TestExtract_PropertyArbitraryInput(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		data := rapid.SliceOfN(rapid.SampledFrom([]byte("ab \t\n\r\x1b[]#-_:=eyJ0\xff\x00")), 0, 4000).Draw(t, "data")
		opt := Options{
			MaxSectionBytes: rapid.IntRange(0, 2048).Draw(t, "section"),
			TailLines:       rapid.IntRange(0, 20).Draw(t, "tail"),
			MaxLineBytes:    rapid.IntRange(0, 300).Draw(t, "line"),
			MaxErrorLines:   rapid.IntRange(0, 5).Draw(t, "errors"),
		}
		ex, err := Extract(strings.NewReader(string(data)), opt)
		if err != nil {
			t.Fatal(err)
		}
		o := opt.withDefaults()
		if ex.Bytes != int64(len(data)) {
			t.Fatalf("Bytes = %d, want %d", ex.Bytes, len(data))
		}
		if len(ex.Reason) > maxReasonLen {
			t.Fatalf("reason of %d bytes", len(ex.Reason))
		}
		if len(ex.ErrorLines) > o.MaxErrorLines {
			t.Fatalf("%d error lines", len(ex.ErrorLines))
		}
		if n := strings.Count(ex.Tail, "\n") + 1; ex.Tail != "" && n > o.TailLines {
			t.Fatalf("%d tail lines", n)
		}
		_ = ex.Text()
	})
}
