package slack

import (
	"strings"
	"testing"
	"time"

	"github.com/ccm-ci/ccm/analysis"
	"github.com/ccm-ci/ccm/state"
)

// TestApprovalRequestRegated: a request made while an incident was open
// keeps its reasons, and once the gate ran again (the incident closed)
// the message says what it decided then, so nobody acts on a reason that
// no longer holds. Before the re-gate, or once decided, nothing is added.
func TestApprovalRequestRegated(t *testing.T) {
	asked := time.Date(2026, 12, 5, 21, 0, 0, 0, time.UTC)
	a := state.Approval{ID: "r1", Status: state.ApprovalPending, RequestedAt: asked, ExpiresAt: asked.Add(time.Hour), Risk: 2,
		Actions: []analysis.Action{{Type: analysis.ActionRerunFailedJobs}},
		Reasons: []string{"an incident is open for this failure's fingerprint: unattended actions are paused until it closes"}}
	gate := func(decision string, at time.Time, reasons ...string) *state.GateDecision {
		return &state.GateDecision{Decision: decision, DecidedAt: at, Reasons: reasons}
	}
	tests := []struct {
		name    string
		gate    *state.GateDecision
		status  state.ApprovalStatus
		want    []string
		notWant bool
	}{
		{name: "re-gated to auto", gate: gate("auto", asked.Add(time.Minute), "risk 2 is below the threshold 5"),
			status: state.ApprovalPending, want: []string{"*Since it was asked*", "ccm could now do this alone", "risk 2 is below the threshold 5", "stays open for a person"}},
		{name: "re-gated, still asks", gate: gate("approval", asked.Add(time.Minute), "risk 7 is above the threshold 5"),
			status: state.ApprovalPending, want: []string{"ccm would still ask a person", "risk 7 is above"}},
		{name: "the gate that asked", gate: gate("approval", asked, a.Reasons...), status: state.ApprovalPending, notWant: true},
		{name: "same reasons later", gate: gate("approval", asked.Add(time.Minute), a.Reasons...), status: state.ApprovalPending, notWant: true},
		{name: "decided", gate: gate("auto", asked.Add(time.Minute), "risk 2 is below the threshold 5"), status: state.ApprovalApproved, notWant: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := state.FailureRecord{ID: "acme/app#1.1", Repo: "acme/app", Workflow: "CI", Branch: "main", Gate: tc.gate}
			req := a
			req.Status = tc.status
			body := blockText(t, ApprovalRequest(rec, req, ""))
			if tc.notWant {
				if strings.Contains(body, "Since it was asked") {
					t.Errorf("message says the gate ran again:\n%s", body)
				}
				return
			}
			for _, w := range tc.want {
				if !strings.Contains(body, w) {
					t.Errorf("message lacks %q:\n%s", w, body)
				}
			}
		})
	}
}
