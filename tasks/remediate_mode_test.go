package tasks_test

import (
	"context"
	"testing"
	"time"

	"github.com/ccm-ci/ccm/config"
	"github.com/ccm-ci/ccm/state"
)

// The mode in force when ccm is about to act decides, not the one the gate
// saw: a repository moved to shadow touches nothing, even on an approved
// request, and an unattended decision needs the repository still in auto.
// An approved request in a repository now in shadow mode ends (failed,
// stopped, audited) rather than wait in approved forever.
func TestRemediateHonoursTheModeInForce(t *testing.T) {
	for _, tt := range []struct {
		name     string
		mode     config.Mode
		approved bool
		shadow   bool
		stopped  bool // failed with the shadow stop, not left as it was
	}{
		{name: "auto decision, repository now approve", mode: config.ModeApprove},
		{name: "auto decision, repository now shadow", mode: config.ModeShadow},
		{name: "approved request, repository now shadow", mode: config.ModeShadow, approved: true, stopped: true},
		{name: "approved request re-gated in shadow", mode: config.ModeApprove, approved: true, shadow: true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, nil)
			rec, _ := h.remediable(t, "main", func(r *state.FailureRecord) {
				if tt.approved {
					r.Status = state.StatusApproved
					r.Gate.Decision = "approval"
				}
				r.Shadow = tt.shadow
			}, rerunFailed)
			h.cfg.Mode = tt.mode
			if err := h.h.HandleRemediate(context.Background(), remediateTask(t, rec.ID)); err != nil {
				t.Fatal(err)
			}
			if w := h.gh.Writes(); len(w) != 0 {
				t.Fatalf("writes %+v in mode %s: want none", w, tt.mode)
			}
			if tt.stopped {
				stoppedInShadow(t, h, rec)
				return
			}
			if got := h.record(t, rec.ID); got.Status != rec.Status {
				t.Errorf("status %s, want it left at %s", got.Status, rec.Status)
			}
		})
	}
}

// Two workers with the same remediation (asynq delivers at least once):
// while one holds it, the other acts on nothing and asks to be retried.
func TestRemediateOneWorkerAtATime(t *testing.T) {
	h := newHarness(t, nil)
	ctx := context.Background()
	rec, _ := h.remediable(t, "main", nil, rerunFailed)
	release, ok, err := h.store.Lease(ctx, "remediate:"+rec.ID, time.Minute)
	if err != nil || !ok {
		t.Fatalf("lease: %v %v", ok, err)
	}
	err = h.h.HandleRemediate(ctx, remediateTask(t, rec.ID))
	if err == nil {
		t.Fatal("a second worker went ahead while the first held the remediation")
	}
	// Retried when the holder's lease ends, not in a loop that spends
	// every retry while a dead holder's lease runs out.
	if d := h.h.RetryDelay(0, err, remediateTask(t, rec.ID)); d < 50*time.Second || d > 62*time.Second {
		t.Errorf("retried in %s, want about the minute the lease has left", d)
	}
	if w := h.gh.Writes(); len(w) != 0 {
		t.Fatalf("writes %+v from the second worker", w)
	}
	if err := release(ctx); err != nil {
		t.Fatal(err)
	}
	if err := h.h.HandleRemediate(ctx, remediateTask(t, rec.ID)); err != nil {
		t.Fatal(err)
	}
	if w := h.gh.Writes(); len(w) != 1 {
		t.Fatalf("writes %+v once the lease is free: want the one re-run", w)
	}
}
