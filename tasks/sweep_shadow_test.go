package tasks_test

import (
	"context"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/ccm-ci/ccm/config"
	"github.com/ccm-ci/ccm/state"
	"github.com/ccm-ci/ccm/tasks"
)

// shadowRecord is cleanRecord(runID) decided in shadow mode decided ago,
// still without an outcome.
func shadowRecord(runID int64, decided time.Duration) state.FailureRecord {
	rec := cleanRecord(runID)
	rec.DetectedAt = time.Now().UTC().Add(-decided - time.Minute)
	rec.UpdatedAt = rec.DetectedAt.Add(time.Minute)
	rec.Status, rec.Shadow = state.StatusAnalyzed, true
	rec.Gate = &state.GateDecision{Decision: "auto", Mode: "shadow", Actions: rec.Analysis.Actions, DecidedAt: rec.UpdatedAt}
	return rec
}

// TestPollSweepsLostShadowChecks: a shadow decision without an outcome one
// check interval after it was decided gets one recovery ccm:shadow-check
// under shadow:<id>:1000000, to run just after the horizon (at once when
// the horizon has passed, and then it judges it), audited as recovery once
// over two polls; a recent decision, one already judged, or a decision
// not made in shadow mode is left alone.
func TestPollSweepsLostShadowChecks(t *testing.T) {
	horizon := config.DefaultShadowHorizon
	tests := []struct {
		name  string
		rec   func() state.FailureRecord
		state asynq.TaskState // of the recovery check; 0 none
	}{
		{name: "decided 7h ago, no outcome", state: asynq.TaskStateScheduled,
			rec: func() state.FailureRecord { return shadowRecord(71, 7*time.Hour) }},
		{name: "past the horizon, no outcome", state: asynq.TaskStatePending,
			rec: func() state.FailureRecord { return shadowRecord(72, horizon+time.Hour) }},
		{name: "decided 1h ago",
			rec: func() state.FailureRecord { return shadowRecord(73, time.Hour) }},
		{name: "judged already",
			rec: func() state.FailureRecord {
				rec := shadowRecord(74, 7*time.Hour)
				rec.ShadowOutcome = &state.ShadowOutcome{Outcome: state.ShadowRerunPassed, At: rec.UpdatedAt}
				return rec
			}},
		{name: "not a shadow decision",
			rec: func() state.FailureRecord {
				rec := shadowRecord(75, 7*time.Hour)
				rec.Shadow = false
				return rec
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, nil)
			h.cfg.Mode = config.ModeShadow
			rec := tt.rec()
			storeRecord(t, h, rec)
			for range 2 {
				poll(t, h.h)
			}
			id := tasks.ShadowCheckTaskID(rec.ID, 1_000_000)
			info, err := h.queue.Inspector.GetTaskInfo(tasks.QueueLow, id)
			recovery := h.audit(t, state.AuditQuery{FailureID: rec.ID, ActionType: state.ActionRecovery})
			if tt.state == 0 {
				if err == nil || len(recovery) != 0 {
					t.Fatalf("task %+v, %d recovery entries: want none", info, len(recovery))
				}
				return
			}
			if err != nil || info.State != tt.state {
				t.Fatalf("recovery check %s: %+v, %v: want %s", id, info, err, tt.state)
			}
			if len(recovery) != 1 || recovery[0].Details["task_id"] != id {
				t.Fatalf("recovery audit %+v: want one for %s", recovery, id)
			}
			if tt.state != asynq.TaskStatePending {
				if at := info.NextProcessAt; at.Before(rec.Gate.DecidedAt.Add(horizon)) {
					t.Errorf("recovery check runs at %s, before the horizon %s", at, rec.Gate.DecidedAt.Add(horizon))
				}
				return
			}
			if err := h.h.HandleShadowCheck(context.Background(), asynq.NewTask(info.Type, info.Payload)); err != nil {
				t.Fatal(err)
			}
			// The fake has no such run: the check at the horizon judges it
			// unknown, which ccm stats counts.
			if got := h.record(t, rec.ID); got.ShadowOutcome == nil || got.ShadowOutcome.Outcome != state.ShadowUnknown {
				t.Errorf("outcome %+v: want it judged by the recovery check", got.ShadowOutcome)
			}
		})
	}
}
