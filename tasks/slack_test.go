package tasks_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/ccm-ci/ccm/config"
	"github.com/ccm-ci/ccm/policy"
	"github.com/ccm-ci/ccm/state"
	"github.com/ccm-ci/ccm/tasks"
)

// Reject decides a request rejected with its reason, once; racing an
// Approve, exactly one of them wins and a remediation is enqueued only
// when Approve did.
func TestRejectRacesApprove(t *testing.T) {
	for range 5 {
		h := newHarness(t, nil)
		a := pendingApproval(t, h, 1)
		ctx := context.Background()
		var wg sync.WaitGroup
		var approveErr, rejectErr error
		wg.Go(func() { _, approveErr = h.h.Approve(ctx, a.ID, "U1ALICE") })
		wg.Go(func() { _, rejectErr = h.h.Reject(ctx, a.ID, "U2BOB", "not now") })
		wg.Wait()
		if (approveErr == nil) == (rejectErr == nil) {
			t.Fatalf("approve %v, reject %v: want exactly one winner", approveErr, rejectErr)
		}
		lost := approveErr
		if lost == nil {
			lost = rejectErr
		}
		if !errors.Is(lost, state.ErrAlreadyDecided) {
			t.Errorf("loser: %v, want ErrAlreadyDecided", lost)
		}
		got, err := h.store.GetApproval(ctx, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		remediations := len(h.queue.Pending(t, tasks.QueueCritical, tasks.TypeRemediate))
		switch got.Status {
		case state.ApprovalRejected:
			if got.Reason != "not now" || got.DecidedBy != "U2BOB" || remediations != 0 {
				t.Errorf("rejected %+v with %d remediations", got, remediations)
			}
		case state.ApprovalApproved:
			if remediations != 1 {
				t.Errorf("approved with %d remediations, want 1", remediations)
			}
		default:
			t.Errorf("status %s", got.Status)
		}
	}
}

// Regate decides an analyzed failure again under the config in force and
// enqueues ccm:gate under a task ID of its own; anything past analyzed is
// refused with ErrNotGateable.
func TestRegate(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t, nil)
	h.cfg.Mode = config.ModeShadow
	rec := cleanRecord(1)
	storeRecord(t, h, rec)
	if err := h.h.HandleGate(ctx, gateTask(t, rec.ID)); err != nil {
		t.Fatal(err)
	}
	h.cfg.Mode = config.ModeApprove
	decision, err := h.h.Regate(ctx, rec.ID, "U1ALICE")
	if err != nil || decision != "approval" {
		t.Fatalf("Regate: %q, %v; want approval", decision, err)
	}
	if gates := h.queue.Pending(t, tasks.QueueCritical, tasks.TypeGate); len(gates) != 1 || gates[0].ID == tasks.GateTaskID(rec.ID) {
		t.Fatalf("gate tasks %v: want one under its own ID", gates)
	}
	if err := h.h.HandleGate(ctx, gateTask(t, rec.ID)); err != nil {
		t.Fatal(err)
	}
	if _, err := h.h.Regate(ctx, rec.ID, "U1ALICE"); !errors.Is(err, tasks.ErrNotGateable) {
		t.Errorf("Regate of a failure awaiting approval: %v, want ErrNotGateable", err)
	}
	if _, err := h.h.Regate(ctx, "acme/web#404.1", "U1ALICE"); !errors.Is(err, state.ErrNotFound) {
		t.Errorf("Regate of an unknown failure: %v, want ErrNotFound", err)
	}
}

// ThresholdInForce follows the gate's precedence: the repository's own
// file value, then Slack's for the repository, then Slack's global, then
// the file's global.
func TestThresholdInForce(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t, nil)
	check := func(repo string, want int, src policy.ThresholdSource) {
		t.Helper()
		got, gotSrc, _, err := h.h.ThresholdInForce(ctx, repo)
		if err != nil || got != want || gotSrc != src {
			t.Errorf("%s: %d from %s, %v; want %d from %s", repo, got, gotSrc, err, want, src)
		}
	}
	check(testRepo, 5, policy.ThresholdGlobal)
	if _, err := h.h.SetRiskThreshold(ctx, "", 3, "U1ALICE"); err != nil {
		t.Fatal(err)
	}
	check(testRepo, 3, policy.ThresholdSlack)
	if _, err := h.h.SetRiskThreshold(ctx, testRepo, 8, "U1ALICE"); err != nil {
		t.Fatal(err)
	}
	check(testRepo, 8, policy.ThresholdSlack)
	seven := 7
	h.cfg.Repositories[0].RiskThreshold = &seven
	check(testRepo, 7, policy.ThresholdRepository)
}

// PollNow enqueues one poll a minute per repository; IngestRun one ingest
// per run attempt.
func TestPollNowAndIngestRun(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t, nil)
	if err := h.h.PollNow(ctx, testRepo); err != nil {
		t.Fatal(err)
	}
	if err := h.h.PollNow(ctx, testRepo); !errors.Is(err, tasks.ErrPollQueued) {
		t.Errorf("second PollNow in the minute: %v, want ErrPollQueued", err)
	}
	if already, err := h.h.IngestRun(ctx, testRepo, 5, 2); err != nil || already {
		t.Fatalf("IngestRun: already %v, %v", already, err)
	}
	if already, err := h.h.IngestRun(ctx, testRepo, 5, 2); err != nil || !already {
		t.Errorf("IngestRun again: already %v, %v; want already", already, err)
	}
	if n := len(h.queue.Pending(t, tasks.QueueDefault, tasks.TypePoll)); n != 1 {
		t.Errorf("%d polls queued, want 1", n)
	}
}
