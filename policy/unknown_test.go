package policy

import (
	"slices"
	"strings"
	"testing"

	"github.com/ccm-ci/ccm/config"
	"github.com/ccm-ci/ccm/rules"
)

// TestDecide_UnknownAsksAPerson: when no signature matched, the rules'
// answer is a guess and the gate must say so. A transient-looking guess
// proposes a re-run, which the confidence check turns into a request for
// approval, never an unattended action, even in auto mode on a permissive
// reading; a code or config guess proposes nothing and the gate acts on
// nothing. The learned guess (rules/guess.go) moves the answer away from
// code (InvolvesApplicationCode false, a lower risk), so its answer is held
// to the same: only the confidence check stands between it and a re-run.
func TestDecide_UnknownAsksAPerson(t *testing.T) {
	cfg := config.Default()
	cfg.Mode = config.ModeAuto
	settings := cfg.For("acme/web")
	tests := []struct {
		name, log string
		want      Kind
		learned   bool // the category is the learned guess's
	}{
		{"server 503 (infrastructure guess)", "error: 503 Server Error: No healthy backends for url: https://pypi.python.org/pypi", KindApproval, false},
		{"job time limit (timeout guess)", "The job exceeded the maximum allowed time of 01:00:00 and was stopped.", KindApproval, false},
		{"pipeline validator (config guess)", "/azure-pipelines.yml (Line: 2, Col: 1): Unexpected value 'ms.openlocfilehash'", KindNone, false},
		{"no hint (code guess)", "something odd happened\nError: Process completed with exit code 1.", KindNone, false},
		{"learned guess (infrastructure)", "Error: the runner machine went offline\nError: Process completed with exit code 1.", KindApproval, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := rules.Classify(rules.Input{Text: tc.log})
			if !strings.HasPrefix(r.Reasoning, "No known signature matched") {
				t.Fatalf("not the unknown answer: %q", r.Reasoning)
			}
			if learned := strings.Contains(r.Reasoning, "words are most like"); learned != tc.learned {
				t.Fatalf("learned guess %v, want %v: %q", learned, tc.learned, r.Reasoning)
			}
			if r.Confidence >= MinConfidence {
				t.Errorf("unknown answer confidence %d, want below MinConfidence %d", r.Confidence, MinConfidence)
			}
			d := Decide(Input{
				Settings: settings, Analysis: r, Rules: r, Event: "push", Actor: "octocat",
				FailedSteps: []string{"Initialize containers"}, ChangedFiles: []string{"README.md"}, ChangedFilesKnown: true, LogExcerpt: tc.log,
			})
			if d.Kind != tc.want {
				t.Fatalf("decision %s, want %s: %q", d.Kind, tc.want, d.Reasons)
			}
			if d.Kind == KindApproval && !slices.Contains(d.Failed, CheckConfidence) {
				t.Errorf("approval without the confidence check failing: %v %q", d.Failed, d.Reasons)
			}
		})
	}
}
