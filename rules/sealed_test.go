package rules

import (
	"testing"

	"github.com/ccm-ci/ccm/analysis"
	"github.com/ccm-ci/ccm/cilogs"
)

// TestSealedFloor holds the rules to the sealed sets' figures and prints
// the totals only: naming their misses would invite fitting rules to them,
// and their figures are worth something only while nobody has.
func TestSealedFloor(t *testing.T) {
	sets := []struct {
		name  string
		logs  []cilogs.Log
		floor int
	}{
		// 37/60 before its sibling corpus2 was tuned on, 38/60 after, 37/60
		// once one label moved to cilogs/README.md's conventions, 38/60
		// after the families researched on 2026-12-05, 44/60 with the
		// learned guess (guess.go) for logs no signature matches, 42/60 once
		// its model was trained on corpus5 too (2 logs: noise at this size).
		{name: cilogs.SetSealed, logs: cilogs.Sealed(), floor: 42},
		// 52/80 when first measured, before any rule changed after its
		// collection; 54/80 after the families researched that day, 59/80
		// with the learned guess.
		{name: cilogs.SetSealed2, logs: cilogs.Sealed2(), floor: 59},
	}
	for _, set := range sets {
		right := 0
		for _, l := range set.logs {
			if Classify(ccmInput(t, l.Log)).Category == analysis.Category(l.Category) {
				right++
			}
		}
		t.Logf("%s: %d/%d", set.name, right, len(set.logs))
		if right < set.floor {
			t.Errorf("%s: %d/%d correct, floor %d (measure with go run ./rules/internal/measure -sealed; do not read its misses)", set.name, right, len(set.logs), set.floor)
		}
	}
}
