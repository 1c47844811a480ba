package rules

import (
	"testing"

	"github.com/ccm-ci/ccm/excerpt"
	"github.com/ccm-ci/ccm/logtext"
)

// TestMayFailCoversMarkerWords holds mayFail's prefilter to the words
// isFailureLine reads a line by (excerpt's markers), not only to the
// visible logs' lines: a marker alone on a line, or inside one, that reads
// as a failure must pass the prefilter ("SIGSEGV", "OOMKilled").
func TestMayFailCoversMarkerWords(t *testing.T) {
	for _, w := range excerpt.MarkerWords() {
		for _, line := range []string{w, "step 3: " + w + " in job build"} {
			if isFailureLine(line) && !mayFail(logtext.ASCIILower(line)) {
				t.Errorf("failure line %q: none of mayFailWords in it", line)
			}
		}
	}
}
