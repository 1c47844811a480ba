package excerpt

import (
	"strings"
	"testing"

	"github.com/ccm-ci/ccm/cilogs"
	"github.com/ccm-ci/ccm/excerpt/excerpttest"
)

// TestSealedReasonFloor is TestExtract_FixtureReasons for the sealed set,
// total only (see cilogs.Sealed): 44/60 when first measured, 45/60 after
// the reason families were tuned on the other sets.
func TestSealedReasonFloor(t *testing.T) {
	const floor = 45
	hits, logs := 0, cilogs.Sealed()
	for _, l := range logs {
		ex, err := Extract(strings.NewReader(l.Log), Options{})
		if err != nil {
			t.Fatalf("sealed log %d: %v", hits, err)
		}
		if excerpttest.ReasonHit(ex.Reason, l.KeyLine) {
			hits++
		}
	}
	t.Logf("sealed: %d/%d", hits, len(logs))
	if hits < floor {
		t.Errorf("sealed set: reason line in %d/%d, floor %d (do not read its misses)", hits, len(logs), floor)
	}
}
