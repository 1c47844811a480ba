package tasks_test

import (
	"context"
	"strings"
	"testing"

	"github.com/ccm-ci/ccm/config"
	"github.com/ccm-ci/ccm/sim/githubsim"
	"github.com/ccm-ci/ccm/state"
)

// midway puts rec where a remediation left it part-way: remediating, one
// step per state given (with prep as each started step's result).
func (h *harness) midway(t *testing.T, rec state.FailureRecord, prep map[string]any, states ...string) {
	t.Helper()
	steps := make([]state.RemediationStep, len(states))
	for i, s := range states {
		steps[i] = state.RemediationStep{Action: string(rec.Gate.Actions[i].Type), State: s}
		switch s {
		case "started":
			steps[i].Result = prep
		case "done":
			steps[i].Result = map[string]any{"attempt": 2}
		}
	}
	ev := state.AuditEntry{Actor: "test", ActionType: state.ActionRemediation, Outcome: state.OutcomePending}
	if err := h.store.Transition(context.Background(), rec.ID, rec.Status, state.StatusRemediating, ev,
		func(f *state.FailureRecord) {
			f.Remediation = &state.Remediation{Steps: steps, Actions: rec.Gate.Actions, StartedAt: rec.DetectedAt}
		}); err != nil {
		t.Fatal(err)
	}
}

// TestRemediateModeSwitchedMidway: a remediation already remediating
// re-reads the repository's mode before every step not started yet. Shadow
// stops everything, an unattended one needs auto still, an approved one
// goes on in approve; a step an earlier delivery started settles what it
// sent (ccm's attempt is verified) but nothing new is sent. A stop is the
// audited one: failed, stopped, with the reason and the writes made.
func TestRemediateModeSwitchedMidway(t *testing.T) {
	tests := []struct {
		name     string
		mode     config.Mode
		approved bool
		states   []string
		landed   bool // ccm's re-run of a started step reached GitHub
		writes   int  // writes ccm sends now
		status   state.Status
		reason   string
		done     float64 // the stop's writes detail
	}{
		{name: "pending, repository now shadow", mode: config.ModeShadow, states: []string{"pending"},
			status: state.StatusFailed, reason: "now in shadow mode"},
		{name: "pending approved, repository now shadow", mode: config.ModeShadow, approved: true, states: []string{"pending"},
			status: state.StatusFailed, reason: "now in shadow mode"},
		{name: "pending unattended, repository now approve", mode: config.ModeApprove, states: []string{"pending"},
			status: state.StatusFailed, reason: "acting alone needs mode auto"},
		{name: "pending approved, repository now approve", mode: config.ModeApprove, approved: true, states: []string{"pending"},
			writes: 1, status: state.StatusRemediating},
		{name: "started, ccm's re-run landed, now shadow", mode: config.ModeShadow, states: []string{"started"}, landed: true,
			status: state.StatusRemediating},
		{name: "started, nothing landed, now shadow", mode: config.ModeShadow, states: []string{"started"},
			status: state.StatusFailed, reason: "now in shadow mode"},
		{name: "first step done, second pending, now shadow", mode: config.ModeShadow, states: []string{"done", "pending"},
			status: state.StatusFailed, reason: "now in shadow mode", done: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, nil)
			change := func(r *state.FailureRecord) {
				if tt.approved {
					r.Gate.Decision = "approval"
				}
			}
			rec, run := h.remediable(t, "main", change, rerunFailed, rerunFailed)
			rec.Gate.Actions = rec.Gate.Actions[:len(tt.states)]
			if tt.approved {
				h.approve(t, rec)
				rec.Status = state.StatusApproved
			}
			h.midway(t, rec, map[string]any{"seen_attempt": 1}, tt.states...)
			if tt.landed {
				h.rerunAs(run, githubsim.DefaultLogin)
			}
			h.cfg.Mode = tt.mode
			h.gh.ResetWrites()
			if err := h.h.HandleRemediate(context.Background(), remediateTask(t, rec.ID)); err != nil {
				t.Fatal(err)
			}
			if n := len(h.gh.Writes()); n != tt.writes {
				t.Fatalf("writes %+v in mode %s: want %d", h.gh.Writes(), tt.mode, tt.writes)
			}
			got := h.record(t, rec.ID)
			if got.Status != tt.status || !strings.Contains(got.Remediation.Reason, tt.reason) {
				t.Fatalf("%s %+v: want %s with %q", got.Status, got.Remediation, tt.status, tt.reason)
			}
			if tt.status != state.StatusFailed {
				return
			}
			var stop *state.AuditEntry
			for _, e := range h.audit(t, state.AuditQuery{FailureID: rec.ID, ActionType: state.ActionRemediation}) {
				if e.Details["stopped"] == true {
					stop = &e
				}
			}
			if stop == nil || stop.Outcome != state.OutcomeFailure || stop.Details["phase"] != "act" ||
				!strings.Contains(stop.Details["reason"].(string), tt.reason) || stop.Details["writes"] != tt.done {
				t.Errorf("stop audit %+v: want remediation/act/failure, stopped, %q, writes %v", stop, tt.reason, tt.done)
			}
		})
	}
}
