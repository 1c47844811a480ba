package rules

import (
	"strings"
	"testing"
)

// TestEvidenceLineKeepsRedactionMarker: a long line cut to its window as
// evidence never ends or starts inside a redaction marker: half a marker
// ("[REDACTED:github_t") reads like a leaked prefix and hides what was
// masked. The window stays verbatim from the log and within its bound.
func TestEvidenceLineKeepsRedactionMarker(t *testing.T) {
	pad := strings.Repeat("x", 262)
	cases := []struct {
		name string
		line string
		at   string // the match, inside the line
	}{
		{
			name: "the window's end falls in a marker",
			line: "error: push " + pad + " token [REDACTED:github_token] lacks write:packages and more words after it",
			at:   "error: push",
		},
		{
			name: "the window's start falls in a marker",
			line: "deploy " + strings.Repeat("y", 80) + " with [REDACTED:github_token] " + strings.Repeat("w", 95) + " 403 Forbidden " + strings.Repeat("z", 300),
			at:   "403 Forbidden " + strings.Repeat("z", 180),
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			sc := newScan(Input{Text: c.line})
			i := strings.Index(c.line, c.at)
			got := sc.line(span{start: 0, end: len(c.line), mstart: i, mend: i + len(c.at)})
			if !strings.Contains(c.line, got) || len(got) > maxEvidenceLine {
				t.Fatalf("line = %q: not verbatim or longer than %d", got, maxEvidenceLine)
			}
			if !strings.Contains(got, c.at) {
				t.Errorf("line = %q, want it to hold the match %q", got, c.at)
			}
			if splitsMarker(got, "[REDACTED:github_token]") {
				t.Errorf("line = %q splits a redaction marker", got)
			}
		})
	}
}

// splitsMarker reports a window that holds part of marker at either end.
func splitsMarker(got, marker string) bool {
	for i := 1; i < len(marker); i++ {
		if strings.HasSuffix(got, marker[:i]) || strings.HasPrefix(got, marker[i:]) {
			return true
		}
	}
	return false
}
