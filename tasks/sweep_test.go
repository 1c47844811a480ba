package tasks_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/ccm-ci/ccm/config"
	"github.com/ccm-ci/ccm/sim/githubsim"
	"github.com/ccm-ci/ccm/state"
	"github.com/ccm-ci/ccm/tasks"
)

// decidedRecord is cleanRecord(runID) after a person approved it an hour
// ago, moved to status.
func decidedRecord(runID int64, status state.Status) state.FailureRecord {
	rec := cleanRecord(runID)
	rec.DetectedAt = time.Now().UTC().Add(-2 * time.Hour)
	rec.UpdatedAt = rec.DetectedAt.Add(time.Hour)
	rec.Status = status
	rec.Gate = &state.GateDecision{Decision: "approval", Mode: "approve", Actions: rec.Analysis.Actions, DecidedAt: rec.DetectedAt}
	return rec
}

func poll(t *testing.T, h *tasks.Handlers) {
	t.Helper()
	if err := h.HandlePoll(context.Background(), pollTask(t, testRepo)); err != nil {
		t.Fatal(err)
	}
}

func pendingIDs(t *testing.T, h *harness, taskType string) []string {
	t.Helper()
	var ids []string
	for _, in := range h.queue.Pending(t, tasks.QueueCritical, taskType) {
		ids = append(ids, in.ID)
	}
	return ids
}

// TestPollSweepsLostWork: a failure waiting for a task that was lost gets
// it enqueued again by the poll, once, audited as recovery; a failure
// whose task is live, still in time, or that ccm would not act on, is
// left alone.
func TestPollSweepsLostWork(t *testing.T) {
	acted := func(rec *state.FailureRecord, deadline time.Time) {
		rec.Remediation = &state.Remediation{
			Steps:     []state.RemediationStep{{Action: "rerun_failed_jobs", State: "done", Result: map[string]any{"attempt": 2}}},
			StartedAt: rec.UpdatedAt, ActedAt: rec.UpdatedAt, VerifyAttempt: 2, VerifyDeadline: deadline,
		}
	}
	tests := []struct {
		name  string
		setup func(t *testing.T, h *harness) state.FailureRecord
		want  string // the task ID enqueued; "" none
		typ   string
		// then, when set, runs the enqueued task and checks what it did.
		then func(t *testing.T, h *harness, rec state.FailureRecord)
	}{
		{name: "approved, remediation enqueue lost", typ: tasks.TypeRemediate, want: "remediate:",
			setup: func(t *testing.T, h *harness) state.FailureRecord { return decidedRecord(61, state.StatusApproved) }},
		{name: "approved, remediation queued", typ: tasks.TypeRemediate,
			setup: func(t *testing.T, h *harness) state.FailureRecord {
				rec := decidedRecord(62, state.StatusApproved)
				if err := h.h.EnqueueRemediate(context.Background(), rec.ID); err != nil {
					t.Fatal(err)
				}
				return rec
			}},
		{name: "approved, but the repository is in shadow mode now", typ: tasks.TypeRemediate, want: "remediate:", then: stoppedInShadow,
			setup: func(t *testing.T, h *harness) state.FailureRecord {
				h.cfg.Mode = config.ModeShadow
				return decidedRecord(63, state.StatusApproved)
			}},
		{name: "approved a moment ago", typ: tasks.TypeRemediate,
			setup: func(t *testing.T, h *harness) state.FailureRecord {
				rec := decidedRecord(64, state.StatusApproved)
				rec.UpdatedAt = time.Now().UTC()
				return rec
			}},
		{name: "remediating, nothing done, task lost", typ: tasks.TypeRemediate, want: "remediate:",
			setup: func(t *testing.T, h *harness) state.FailureRecord {
				rec := decidedRecord(65, state.StatusRemediating)
				rec.Remediation = &state.Remediation{Steps: []state.RemediationStep{{Action: "rerun_failed_jobs", State: "pending"}}, StartedAt: rec.UpdatedAt}
				return rec
			}},
		{name: "remediating, repository now in shadow mode", typ: tasks.TypeRemediate, want: "remediate:", then: stoppedInShadow,
			setup: func(t *testing.T, h *harness) state.FailureRecord {
				h.cfg.Mode = config.ModeShadow
				rec := decidedRecord(69, state.StatusRemediating)
				rec.Remediation = &state.Remediation{Steps: []state.RemediationStep{{Action: "rerun_failed_jobs", State: "pending"}}, StartedAt: rec.UpdatedAt}
				return rec
			}},
		{name: "remediating past the verify deadline, verification lost", typ: tasks.TypeVerify, want: "verify:",
			setup: func(t *testing.T, h *harness) state.FailureRecord {
				rec := decidedRecord(66, state.StatusRemediating)
				acted(&rec, time.Now().Add(-30*time.Minute))
				return rec
			}},
		{name: "remediating within the verify deadline", typ: tasks.TypeVerify,
			setup: func(t *testing.T, h *harness) state.FailureRecord {
				rec := decidedRecord(67, state.StatusRemediating)
				acted(&rec, time.Now().Add(time.Hour))
				return rec
			}},
		{name: "remediated", typ: tasks.TypeVerify,
			setup: func(t *testing.T, h *harness) state.FailureRecord {
				rec := decidedRecord(68, state.StatusRemediated)
				acted(&rec, time.Now().Add(-30*time.Minute))
				return rec
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, nil)
			h.cfg.Mode = config.ModeApprove
			rec := tt.setup(t, h)
			storeRecord(t, h, rec)
			before := pendingIDs(t, h, tt.typ)
			for range 2 {
				poll(t, h.h)
			}
			added := strings.Join(pendingIDs(t, h, tt.typ)[len(before):], ",")
			recovery := h.audit(t, state.AuditQuery{FailureID: rec.ID, ActionType: state.ActionRecovery})
			if tt.want == "" {
				if added != "" || len(recovery) != 0 {
					t.Errorf("enqueued %q, %d recovery entries: want nothing", added, len(recovery))
				}
				return
			}
			if !strings.HasPrefix(added, tt.want+rec.ID) || strings.Contains(added, ",") {
				t.Errorf("enqueued %q: want one %s%s task", added, tt.want, rec.ID)
			}
			if len(recovery) != 1 || recovery[0].Actor != "ccm" || recovery[0].Details["task_type"] != tt.typ {
				t.Errorf("recovery audit %+v: want one by ccm for %s", recovery, tt.typ)
			}
			if tt.then != nil {
				queued := h.queue.Pending(t, tasks.QueueCritical, tt.typ)
				if err := h.h.HandleRemediate(context.Background(), asynq.NewTask(tt.typ, queued[len(queued)-1].Payload)); err != nil {
					t.Fatal(err)
				}
				tt.then(t, h, rec)
			}
		})
	}
}

// stoppedInShadow checks that a swept remediation in a repository now in
// shadow mode ended with the audited stop and wrote nothing.
func stoppedInShadow(t *testing.T, h *harness, rec state.FailureRecord) {
	t.Helper()
	if w := h.gh.Writes(); len(w) != 0 {
		t.Errorf("writes %+v: want none in shadow mode", w)
	}
	got := h.record(t, rec.ID)
	if got.Status != state.StatusFailed || got.Remediation == nil || !strings.Contains(got.Remediation.Reason, "now in shadow mode") {
		t.Errorf("%s %+v: want failed, stopped for shadow mode", got.Status, got.Remediation)
	}
	stops := 0
	for _, e := range h.audit(t, state.AuditQuery{FailureID: rec.ID, ActionType: state.ActionRemediation}) {
		if e.Details["stopped"] == true && e.Outcome == state.OutcomeFailure && e.Details["phase"] == "act" {
			stops++
		}
	}
	if stops != 1 {
		t.Errorf("%d audited stops, want 1", stops)
	}
}

// TestSweptVerificationFailsAtTheDeadline: the verification the sweep
// enqueues again ends the remediation: failed, with its escalation.
func TestSweptVerificationFailsAtTheDeadline(t *testing.T) {
	h := newHarness(t, nil)
	run := h.gh.AddRun(testRepo, githubsim.Run{Conclusion: "failure", Jobs: failingJobs()})
	again := run
	again.Attempt, again.Status, again.Conclusion = 2, "in_progress", ""
	h.gh.AddRun(testRepo, again)
	rec := decidedRecord(run.ID, state.StatusRemediating)
	rec.Remediation = &state.Remediation{
		Steps:     []state.RemediationStep{{Action: "rerun_failed_jobs", State: "done", Result: map[string]any{"attempt": 2}}},
		StartedAt: rec.UpdatedAt, ActedAt: rec.UpdatedAt, VerifyAttempt: 2, VerifyDeadline: time.Now().Add(-time.Hour),
	}
	storeRecord(t, h, rec)
	poll(t, h.h)
	queued := h.queue.Pending(t, tasks.QueueCritical, tasks.TypeVerify)
	if len(queued) != 1 {
		t.Fatalf("verify tasks %d, want 1", len(queued))
	}
	if err := h.h.HandleVerify(context.Background(), asynq.NewTask(queued[0].Type, queued[0].Payload)); err != nil {
		t.Fatal(err)
	}
	if got := h.record(t, rec.ID); got.Status != state.StatusFailed {
		t.Errorf("status %s, want failed", got.Status)
	}
	if n := len(criticalAlerts(t, h, rec.ID)); n != 1 {
		t.Errorf("%d critical alerts, want 1", n)
	}
}
