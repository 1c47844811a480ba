package redact_test

import (
	"testing"

	"github.com/ccm-ci/ccm/redact"
)

// TestMarkerAround: a position inside a marker gives its bounds; one at
// its edges, outside any, or inside text that only starts like a marker
// (unclosed, or closed too far away to be one) gives none.
func TestMarkerAround(t *testing.T) {
	s := "push with [REDACTED:github_token] refused"
	open, end := 10, 33 // s[10:33] is the marker
	cases := []struct {
		name       string
		s          string
		at         int
		start, end int
	}{
		{"inside the kind", s, 20, open, end},
		{"just after its first byte", s, open + 1, open, end},
		{"inside its opening word", s, open + 4, open, end},
		{"on its closing bracket", s, end - 1, open, end},
		{"at its start", s, open, -1, -1},
		{"just after it", s, end, -1, -1},
		{"before it", s, 3, -1, -1},
		{"an unclosed literal", "config value '[REDACTED:' near the end of the line", 20, -1, -1},
		{"a bracket too far to close one", "x [REDACTED:" + "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz]", 20, -1, -1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if start, end := redact.MarkerAround(tc.s, tc.at); start != tc.start || end != tc.end {
				t.Errorf("MarkerAround(%q, %d) = %d, %d, want %d, %d", tc.s, tc.at, start, end, tc.start, tc.end)
			}
		})
	}
}
