package logtext

import (
	"strings"
	"testing"
)

func TestBound(t *testing.T) {
	small := "a\nb\n"
	if got := Bound(small); got != small {
		t.Errorf("Bound(small) = %q", got)
	}
	big := strings.Repeat("0123456789\n", 100000)
	got := Bound(big)
	if len(got) > 2*ScanHalf || !strings.HasPrefix(big, got[:100]) || !strings.HasSuffix(big, got[len(got)-100:]) {
		t.Errorf("Bound kept %d bytes, want at most %d from both ends", len(got), 2*ScanHalf)
	}
	for _, line := range strings.Split(strings.TrimSuffix(got, "\n"), "\n") {
		if line != "0123456789" {
			t.Fatalf("Bound cut a line: %q", line)
		}
	}
}
