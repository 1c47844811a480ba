package policy

import (
	"fmt"
	"slices"
	"testing"

	"github.com/ccm-ci/ccm/analysis"
	"github.com/ccm-ci/ccm/cilogs"
	"github.com/ccm-ci/ccm/config"
	"github.com/ccm-ci/ccm/rules"
)

// The gate on the real-world logs, with the rule-based analysis (no model)
// and the default settings in auto mode. The logs come without GitHub's
// job record or changed files, so two readings are tallied: as ccm would
// see them (failed step and changed files unknown: application code
// assumed), and the most permissive one (a setup step failed on a
// documentation-only change). In neither may a log labelled code be acted
// on alone. A log whose label says a re-run would not fix it, but which the
// rules take for a transient failure, may be: the gate cannot know better
// than the analysis, and max_reruns bounds the cost to one wasted re-run.
func TestDecide_RealLogs(t *testing.T) {
	cfg := config.Default()
	cfg.Mode = config.ModeAuto
	settings := cfg.For("acme/web")
	readings := []struct {
		name  string
		steps []string
		files []string
		known bool
	}{
		{"as seen (step and files unknown)", nil, nil, false},
		{"permissive (setup step, docs-only change)", []string{"Initialize containers"}, []string{"README.md"}, true},
	}
	if len(cilogs.All()) == 0 {
		t.Fatal("cilogs.All() is empty: the test would pass without looking at a log")
	}
	for _, r := range readings {
		tally := map[string]int{}
		for _, l := range cilogs.All() {
			rules := rules.Classify(rules.Input{Text: l.Log})
			d := Decide(Input{
				Settings: settings, Analysis: rules, Rules: rules, Event: "push", Actor: "octocat",
				FailedSteps: r.steps, ChangedFiles: r.files, ChangedFilesKnown: r.known, LogExcerpt: l.Log,
			})
			tally[fmt.Sprintf("%-15s %s", l.Category, d.Kind)]++
			switch {
			case d.Kind != KindAuto:
			case l.Category == string(analysis.CategoryCode):
				t.Errorf("%s: %s, labelled code, is auto: %q", r.name, l.ID, d.Reasons)
			case !l.Transient:
				t.Logf("%s: %s is auto, but its label says a re-run would not fix it", r.name, l.ID)
			}
		}
		keys := make([]string, 0, len(tally))
		for k := range tally {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		t.Logf("%s, %d logs:", r.name, len(cilogs.All()))
		for _, k := range keys {
			t.Logf("  %s %d", k, tally[k])
		}
	}
}
