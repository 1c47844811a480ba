package tasks_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ccm-ci/ccm/config"
	"github.com/ccm-ci/ccm/sim/githubsim"
	"github.com/ccm-ci/ccm/state"
	"github.com/ccm-ci/ccm/tasks"
)

// TestGateAutoEnqueuesRemediation: in mode auto the gate's auto decision
// enqueues ccm:remediate once; in shadow it enqueues nothing.
func TestGateAutoEnqueuesRemediation(t *testing.T) {
	for _, mode := range []config.Mode{config.ModeAuto, config.ModeShadow} {
		t.Run(string(mode), func(t *testing.T) {
			h := newHarness(t, nil)
			h.cfg.Mode = mode
			rec := cleanRecord(77)
			storeRecord(t, h, rec)
			for range 2 {
				if err := h.h.HandleGate(context.Background(), gateTask(t, rec.ID)); err != nil {
					t.Fatal(err)
				}
			}
			want := 0
			if mode == config.ModeAuto {
				want = 1
			}
			if n := len(h.queue.Pending(t, tasks.QueueCritical, tasks.TypeRemediate)); n != want {
				t.Fatalf("%d remediate tasks, want %d", n, want)
			}
			if len(h.gh.Writes()) != 0 {
				t.Fatalf("the gate wrote to GitHub: %+v", h.gh.Writes())
			}
		})
	}
}

// TestApproveRemediates: Approve decides the pending request approved
// (record approved, approval audit entry by the person) and enqueues
// ccm:remediate, which then acts; a second Approve is refused as already
// decided and enqueues nothing more.
func TestApproveRemediates(t *testing.T) {
	h := newHarness(t, nil)
	ctx := context.Background()
	sha := h.gh.PushCommit(testRepo, "main", map[string]string{"README.md": "x\n"})
	run := h.gh.AddRun(testRepo, githubsim.Run{Conclusion: "failure", HeadBranch: "main", HeadSHA: sha,
		Jobs: []githubsim.Job{{Name: "test", Conclusion: "failure", Log: npmLog}}})
	h.cfg.Mode = config.ModeApprove
	h.cfg.ApprovalTimeout = 2 * time.Hour
	rec := cleanRecord(run.ID)
	rec.CommitSHA = sha
	storeRecord(t, h, rec)
	if err := h.h.HandleGate(ctx, gateTask(t, rec.ID)); err != nil {
		t.Fatal(err)
	}
	req, err := h.store.ApprovalForFailure(ctx, rec.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(h.gh.Writes()) != 0 || len(h.queue.Pending(t, tasks.QueueCritical, tasks.TypeRemediate)) != 0 {
		t.Fatal("an approval decision acted before anyone approved")
	}
	a, err := h.h.Approve(ctx, req.ID, "U012ABCDEF")
	if err != nil || a.Status != state.ApprovalApproved || a.DecidedBy != "U012ABCDEF" {
		t.Fatalf("approve: %+v, %v", a, err)
	}
	if got := h.record(t, rec.ID); got.Status != state.StatusApproved {
		t.Fatalf("status %s, want approved", got.Status)
	}
	if n := len(h.queue.Pending(t, tasks.QueueCritical, tasks.TypeRemediate)); n != 1 {
		t.Fatalf("%d remediate tasks, want 1", n)
	}
	if _, err := h.h.Approve(ctx, req.ID, "U099ZZZZZZ"); !errors.Is(err, state.ErrAlreadyDecided) {
		t.Fatalf("second approve: %v, want ErrAlreadyDecided", err)
	}
	if err := h.h.HandleRemediate(ctx, remediateTask(t, rec.ID)); err != nil {
		t.Fatal(err)
	}
	if n := len(h.gh.WritesTo(githubsim.RouteRerunFailedJobs)); n != 1 || len(h.gh.Writes()) != 1 {
		t.Fatalf("writes %+v: want one re-run", h.gh.Writes())
	}
	if got := h.record(t, rec.ID); got.Status != state.StatusRemediating || got.Remediation.VerifyAttempt != 2 {
		t.Fatalf("%s %+v", got.Status, got.Remediation)
	}
}
