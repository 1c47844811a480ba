package analysis

import (
	"strings"
	"testing"
)

// TestValidateCountsTheRestInWords: the count of problems left out of the
// message agrees with its noun ("1 more problem", "2 more problems").
func TestValidateCountsTheRestInWords(t *testing.T) {
	tests := []struct {
		paths []string // each an invalid fix path: one problem each
		want  string   // "" = no count
	}{
		{paths: nil, want: ""},
		{paths: []string{"/a"}, want: "; and 1 more problem"},
		{paths: []string{"/a", "/b"}, want: "; and 2 more problems"},
	}
	for _, tc := range tests {
		a := validAnalysis()
		a.AffectedComponents = make([]string, MaxComponents) // all empty: maxProblems problems
		if len(tc.paths) > 0 {
			a.Actions = fixPR(tc.paths...)
		}
		msg := a.Validate().Error()
		if tc.want == "" {
			if strings.Contains(msg, "more problem") {
				t.Errorf("%d extra: %q counts problems it did not leave out", len(tc.paths), msg)
			}
			continue
		}
		if !strings.HasSuffix(msg, tc.want) {
			t.Errorf("%d extra: message ends %q, want %q", len(tc.paths), msg[max(0, len(msg)-40):], tc.want)
		}
	}
}
