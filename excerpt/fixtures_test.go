package excerpt

import (
	"strings"
	"testing"

	"github.com/ccm-ci/ccm/cilogs"
	"github.com/ccm-ci/ccm/excerpt/excerpttest"
)

// reasonKey puts a reason and a key line on the same footing: normalized,
// marker stripped, whitespace collapsed.
var reasonKey = excerpttest.ReasonKey

// TestExtract_FixtureReasons measures how often the extracted reason is the
// line the fixture's labeller picked (or contains it, or is contained in
// it). The floor guards against regressions; the log lists every miss.
func TestExtract_FixtureReasons(t *testing.T) {
	fixtures := cilogs.Labelled()
	hits := 0
	for _, fx := range fixtures {
		ex, err := Extract(strings.NewReader(fx.Log), Options{})
		if err != nil {
			t.Fatalf("%s: %v", fx.ID, err)
		}
		if ex.Reason == "" {
			t.Errorf("%s: empty reason", fx.ID)
		}
		got, want := reasonKey(ex.Reason), reasonKey(fx.KeyLine)
		if strings.Contains(got, want) || strings.Contains(want, got) && got != "" {
			hits++
			continue
		}
		t.Logf("miss %-45s\n   got:  %q\n   want: %q", fx.ID, got, want)
	}
	t.Logf("reason hit rate: %d/%d (%.0f%%)", hits, len(fixtures), 100*float64(hits)/float64(len(fixtures)))
	if min := len(fixtures) * 7 / 10; hits < min {
		t.Errorf("reason hit rate %d/%d, want at least %d", hits, len(fixtures), min)
	}
}
