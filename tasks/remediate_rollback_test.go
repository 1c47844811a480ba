package tasks_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/hibiken/asynq"

	"github.com/ccm-ci/ccm/analysis"
	"github.com/ccm-ci/ccm/integrations/github"
	"github.com/ccm-ci/ccm/sim/githubsim"
	"github.com/ccm-ci/ccm/state"
)

// TestRemediateRollback: the PR step fails for good after the re-run was
// made: the re-run is cancelled, the branch deleted, each undo audited
// (phase rollback), the record failed and escalated.
func TestRemediateRollback(t *testing.T) {
	h := newHarness(t, nil)
	ctx := context.Background()
	fix := analysis.Action{Type: analysis.ActionOpenFixPR, Title: "Pin the mirror", Body: "ccm",
		Files: []analysis.FileChange{{Path: "docs/ci.md", Content: "x\n"}}}
	rec, run := h.remediable(t, "main", nil, rerunFailed, fix)
	h.gh.FailNext(githubsim.RouteCreatePull, githubsim.NoPermission())
	if err := h.h.HandleRemediate(ctx, remediateTask(t, rec.ID)); !errors.Is(err, asynq.SkipRetry) {
		t.Fatalf("err %v: want a final failure", err)
	}
	got := h.record(t, rec.ID)
	if got.Status != state.StatusFailed {
		t.Fatalf("status %s", got.Status)
	}
	if n := len(h.gh.WritesTo(githubsim.RouteCancel)); n != 1 {
		t.Errorf("%d cancels, want 1 (the re-run ccm started)", n)
	}
	if latest, _ := h.gh.LatestRun(testRepo, run.ID); latest.Conclusion != "cancelled" {
		t.Errorf("re-run attempt %d is %s/%s, want cancelled", latest.Attempt, latest.Status, latest.Conclusion)
	}
	if _, ok := h.gh.Branch(testRepo, github.FixBranch(rec.ID)); ok {
		t.Errorf("fix branch %s left behind", github.FixBranch(rec.ID))
	}
	for _, b := range h.gh.Branches(testRepo) {
		if strings.HasPrefix(b, "ccm/") {
			t.Errorf("fix branch %s left behind", b)
		}
	}
	rb := h.remediationEntries(t, rec.ID, "rollback")
	if len(rb) < 1 {
		t.Fatalf("no rollback entries")
	}
	for _, e := range rb {
		if e.Outcome != state.OutcomeSuccess {
			t.Errorf("rollback entry %+v", e)
		}
	}
	if a := criticalAlerts(t, h, rec.ID); len(a) != 1 {
		t.Errorf("%d critical alerts, want 1", len(a))
	}
}

// TestRemediateNeverActsOnShadowOrApproval: shadow decisions, approval
// decisions not yet approved, and none decisions write nothing.
func TestRemediateNeverActsOnShadowOrApproval(t *testing.T) {
	for name, change := range map[string]func(*state.FailureRecord){
		"shadow":   func(r *state.FailureRecord) { r.Shadow, r.Gate.Mode = true, "shadow" },
		"approval": func(r *state.FailureRecord) { r.Gate.Decision = "approval" },
		"none":     func(r *state.FailureRecord) { r.Gate.Decision = "none" },
	} {
		t.Run(name, func(t *testing.T) {
			h := newHarness(t, nil)
			rec, _ := h.remediable(t, "main", change, rerunFailed)
			if err := h.h.HandleRemediate(context.Background(), remediateTask(t, rec.ID)); err != nil {
				t.Fatal(err)
			}
			if w := h.gh.Writes(); len(w) != 0 {
				t.Fatalf("writes %+v", w)
			}
			if got := h.record(t, rec.ID); got.Status != state.StatusAnalyzed {
				t.Fatalf("status %s", got.Status)
			}
		})
	}
}
