package tasks_test

import (
	"context"
	"testing"
	"time"

	"github.com/ccm-ci/ccm/analysis"
	"github.com/ccm-ci/ccm/sim/githubsim"
	"github.com/ccm-ci/ccm/state"
)

// TestRemediateRunsTheApprovedActions: a person approves the actions the
// request showed them. When the gate is re-evaluated after the request
// was made and now names other actions, the approved ones run, not the
// new gate's.
func TestRemediateRunsTheApprovedActions(t *testing.T) {
	h := newHarness(t, nil)
	ctx := context.Background()
	rec, _ := h.remediable(t, "main", func(r *state.FailureRecord) { r.Gate.Decision = "approval" }, rerunFailed)
	if err := h.h.HandleGate(ctx, gateTask(t, rec.ID)); err != nil {
		t.Fatal(err)
	}
	req, err := h.store.ApprovalForFailure(ctx, rec.ID)
	if err != nil || req.Status != state.ApprovalPending {
		t.Fatalf("request %+v, %v: want pending", req, err)
	}
	// The re-evaluation: the gate now says re-run the whole workflow.
	regated := *h.record(t, rec.ID).Gate
	regated.Actions, regated.DecidedAt = []analysis.Action{{Type: analysis.ActionRerunWorkflow}}, time.Now().UTC()
	ev := state.AuditEntry{Timestamp: regated.DecidedAt, Actor: "ccm", ActionType: state.ActionValidation,
		Outcome: state.OutcomePending, Details: map[string]any{"decision": regated.Decision}}
	if _, err := h.store.SaveGate(ctx, rec.ID, state.StatusAwaitingApproval, regated, ev, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := h.h.Approve(ctx, req.ID, "U012ABCDEF"); err != nil {
		t.Fatal(err)
	}
	if err := h.h.HandleRemediate(ctx, remediateTask(t, rec.ID)); err != nil {
		t.Fatal(err)
	}
	if n, all := len(h.gh.WritesTo(githubsim.RouteRerunFailedJobs)), len(h.gh.Writes()); n != 1 || all != 1 {
		t.Fatalf("writes %+v: want the approved rerun-failed-jobs only", h.gh.Writes())
	}
	got := h.record(t, rec.ID).Remediation
	if len(got.Steps) != 1 || got.Steps[0].Action != string(analysis.ActionRerunFailedJobs) ||
		len(got.Actions) != 1 || got.Actions[0].Type != analysis.ActionRerunFailedJobs {
		t.Errorf("remediation %+v: want the approved action recorded and run", got)
	}
}
