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

// pendingApproval gates a clean failure in mode approve, so a person is
// asked, and returns the request.
func pendingApproval(t *testing.T, h *harness, runID int64) state.Approval {
	t.Helper()
	h.cfg.Mode = config.ModeApprove
	rec := cleanRecord(runID)
	storeRecord(t, h, rec)
	if err := h.h.HandleGate(context.Background(), gateTask(t, rec.ID)); err != nil {
		t.Fatal(err)
	}
	a, err := h.store.ApprovalForFailure(context.Background(), rec.ID)
	if err != nil || a.Status != state.ApprovalPending {
		t.Fatalf("request %+v, %v: want pending", a, err)
	}
	return a
}

// at returns handlers on the harness's parts whose clock reads now.
func (h *harness) at(now time.Time) *tasks.Handlers {
	d := h.deps
	d.Now = func() time.Time { return now }
	return tasks.NewHandlers(d)
}

func expireTask(t *testing.T, a state.Approval) *asynq.Task {
	t.Helper()
	task, err := tasks.NewExpireTask(a.ID, a.FailureID, a.ExpiresAt)
	if err != nil {
		t.Fatal(err)
	}
	return task
}

func criticalAlerts(t *testing.T, h *harness, failureID string) []state.AuditEntry {
	t.Helper()
	var out []state.AuditEntry
	for _, e := range h.audit(t, state.AuditQuery{FailureID: failureID, ActionType: state.ActionAlert}) {
		if e.Details["severity"] == tasks.SeverityCritical {
			out = append(out, e)
		}
	}
	return out
}

// TestExpirePendingDue: a request nobody decided becomes expired (request
// and record, one approval entry by ccm) with one critical alert; a second
// delivery does nothing more.
func TestExpirePendingDue(t *testing.T) {
	h := newHarness(t, nil)
	a := pendingApproval(t, h, 51)
	late := h.at(a.ExpiresAt.Add(time.Second))
	ctx := context.Background()
	for range 2 {
		if err := late.HandleExpire(ctx, expireTask(t, a)); err != nil {
			t.Fatal(err)
		}
	}
	got, err := h.store.GetApproval(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	rec, err := h.store.GetFailure(ctx, a.FailureID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != state.ApprovalExpired || got.DecidedBy != "ccm" || got.Reason != "approval_timeout elapsed" ||
		rec.Status != state.StatusExpired {
		t.Fatalf("request %+v, record %s: want expired by ccm, record expired", got, rec.Status)
	}
	var expired int
	for _, e := range h.audit(t, state.AuditQuery{FailureID: a.FailureID, ActionType: state.ActionApproval}) {
		if e.Details["decision"] == "expired" {
			expired++
			if e.Actor != "ccm" || e.RequestID != a.ID {
				t.Errorf("expiry entry %+v: want actor ccm and the request ID", e)
			}
		}
	}
	if expired != 1 {
		t.Errorf("%d expiry entries, want 1", expired)
	}
	if n := len(criticalAlerts(t, h, a.FailureID)); n != 1 {
		t.Errorf("%d critical alerts, want 1", n)
	}
}

// TestExpireAlreadyDecided: a person answered first; the expiry writes
// nothing and alerts nobody.
func TestExpireAlreadyDecided(t *testing.T) {
	h := newHarness(t, nil)
	a := pendingApproval(t, h, 52)
	ctx := context.Background()
	if _, err := h.store.DecideApproval(ctx, a.ID, state.ApprovalRejected, "U123", "not now", state.AuditEntry{}); err != nil {
		t.Fatal(err)
	}
	before := len(h.audit(t, state.AuditQuery{FailureID: a.FailureID}))
	if err := h.at(a.ExpiresAt.Add(time.Hour)).HandleExpire(ctx, expireTask(t, a)); err != nil {
		t.Fatal(err)
	}
	got, _ := h.store.GetApproval(ctx, a.ID)
	after := len(h.audit(t, state.AuditQuery{FailureID: a.FailureID}))
	if got.Status != state.ApprovalRejected || got.DecidedBy != "U123" || after != before {
		t.Errorf("request %+v, %d audit entries (were %d): want the person's decision untouched, nothing written", got, after, before)
	}
}

// TestExpireNotDue: an expiry that runs early leaves the request pending.
func TestExpireNotDue(t *testing.T) {
	h := newHarness(t, nil)
	a := pendingApproval(t, h, 53)
	ctx := context.Background()
	if err := h.at(a.ExpiresAt.Add(-time.Minute)).HandleExpire(ctx, expireTask(t, a)); err != nil {
		t.Fatal(err)
	}
	if got, _ := h.store.GetApproval(ctx, a.ID); got.Status != state.ApprovalPending {
		t.Errorf("status %s before expires_at, want pending", got.Status)
	}
}

// TestPollSweepsDueApprovals: with the expiry task lost, the next poll
// expires the request (and only the due one).
func TestPollSweepsDueApprovals(t *testing.T) {
	h := newHarness(t, nil)
	due := pendingApproval(t, h, 54)
	h.cfg.ApprovalTimeout = 48 * time.Hour
	later := pendingApproval(t, h, 55)
	ctx := context.Background()
	poll, err := tasks.NewPollTask(testRepo)
	if err != nil {
		t.Fatal(err)
	}
	if err := h.at(due.ExpiresAt.Add(time.Minute)).HandlePoll(ctx, poll); err != nil {
		t.Fatal(err)
	}
	got, _ := h.store.GetApproval(ctx, due.ID)
	kept, _ := h.store.GetApproval(ctx, later.ID)
	if got.Status != state.ApprovalExpired || kept.Status != state.ApprovalPending {
		t.Errorf("due request %s, later one %s: want expired and pending", got.Status, kept.Status)
	}
	if n := len(criticalAlerts(t, h, due.FailureID)); n != 1 {
		t.Errorf("%d critical alerts, want 1", n)
	}
}

// TestPollReenqueuesLostGate: an analyzed failure the gate never saw (its
// task lost) is gated again from the poll.
func TestPollReenqueuesLostGate(t *testing.T) {
	h := newHarness(t, nil)
	rec := cleanRecord(56)
	rec.DetectedAt = time.Now().UTC().Add(-time.Hour)
	rec.UpdatedAt = rec.DetectedAt
	storeRecord(t, h, rec)
	poll, err := tasks.NewPollTask(testRepo)
	if err != nil {
		t.Fatal(err)
	}
	if err := h.h.HandlePoll(context.Background(), poll); err != nil {
		t.Fatal(err)
	}
	queued := h.queue.Pending(t, tasks.QueueCritical, tasks.TypeGate)
	if len(queued) != 1 || queued[0].ID != tasks.GateTaskID(rec.ID) {
		t.Errorf("gate tasks %+v: want %s", queued, tasks.GateTaskID(rec.ID))
	}
}
