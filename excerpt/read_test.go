package excerpt

// Hostile and broken input: huge lines, binary garbage, failing readers.

import (
	"errors"
	"io"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/ccm-ci/ccm/redact/redacttest"
)

// patternReader streams n bytes of a repeated pattern without holding them.
type patternReader struct {
	pattern []byte
	off     int
	left    int64
}

func (r *patternReader) Read(p []byte) (int, error) {
	if r.left <= 0 {
		return 0, io.EOF
	}
	n := 0
	for n < len(p) && r.left > 0 {
		c := copy(p[n:], r.pattern[r.off:])
		c = int(min(int64(c), r.left))
		n += c
		r.left -= int64(c)
		r.off = (r.off + c) % len(r.pattern)
	}
	return n, nil
}

func TestExtract_HugeSingleLine(t *testing.T) {
	const size = 50 << 20
	src := io.MultiReader(
		strings.NewReader("2024-01-02T03:04:05.1Z Error: "),
		&patternReader{pattern: []byte("abcdefgh" + redacttest.FakeGHP + " "), left: size},
		strings.NewReader("\nlast line\n"),
	)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	ex, err := Extract(src, Options{})
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	if ex.Lines != 2 {
		t.Errorf("Lines = %d, want 2", ex.Lines)
	}
	if ex.Bytes < size {
		t.Errorf("Bytes = %d, want >= %d", ex.Bytes, size)
	}
	if !ex.Truncated {
		t.Error("Truncated = false")
	}
	for _, l := range strings.Split(ex.Tail, "\n") {
		if len(l) > 4096+64 {
			t.Errorf("kept a %d-byte line", len(l))
		}
	}
	if strings.Contains(ex.Text(), "ghp_") {
		t.Error("a token or a piece of one survived the cut")
	}
	if !strings.Contains(ex.Tail, "line cut") {
		t.Errorf("no cut marker in %q", ex.Tail[:min(len(ex.Tail), 200)])
	}
	// Allocation, not timing: streaming 50 MB must not allocate anything
	// near 50 MB. About 1 MB is measured; the race detector's own
	// allocations add 5 to 9 MB (the same before this session's changes),
	// so the bound leaves room for them and still catches a copy of the
	// line.
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 16<<20 {
		t.Errorf("allocated %d bytes for a 50 MB line", alloc)
	}
}

func TestExtract_BinaryGarbage(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	buf := make([]byte, 1<<20)
	for i := range buf {
		buf[i] = byte(rng.UintN(256))
	}
	ex := extract(t, string(buf), Options{})
	for name, s := range map[string]string{"reason": ex.Reason, "section": ex.Section, "tail": ex.Tail, "text": ex.Text()} {
		if !utf8.ValidString(s) {
			t.Errorf("%s is not valid UTF-8", name)
		}
		if strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 && r != '\t' && r != '\n' }) {
			t.Errorf("%s holds control characters", name)
		}
	}
	if ex.Bytes != int64(len(buf)) {
		t.Errorf("Bytes = %d, want %d", ex.Bytes, len(buf))
	}
}

var errBoom = errors.New("connection reset")

// failingReader serves data, then fails.
type failingReader struct{ r io.Reader }

func (f *failingReader) Read(p []byte) (int, error) {
	n, err := f.r.Read(p)
	if err == io.EOF {
		return n, errBoom
	}
	return n, err
}

func TestExtract_ReadErrorMidStream(t *testing.T) {
	log := ghLog("##[group]Run make", "##[endgroup]", "error: first problem", "partial")
	ex, err := Extract(&failingReader{strings.NewReader(log + "half a li")}, Options{})
	if !errors.Is(err, errBoom) {
		t.Fatalf("err = %v, want wrapping %v", err, errBoom)
	}
	if !strings.HasPrefix(err.Error(), "read log: ") {
		t.Errorf("err = %q, want context", err)
	}
	if ex.Reason != "error: first problem" || ex.FailingStep != "Run make" || ex.Lines != 5 {
		t.Errorf("partial excerpt: Reason %q, Step %q, Lines %d", ex.Reason, ex.FailingStep, ex.Lines)
	}
	if !strings.HasSuffix(ex.Tail, "half a li") {
		t.Errorf("Tail = %q, want the partial last line", ex.Tail)
	}
}
