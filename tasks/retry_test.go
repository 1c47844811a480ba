package tasks_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/ccm-ci/ccm/config"
	"github.com/ccm-ci/ccm/policy"
	"github.com/ccm-ci/ccm/sim/githubsim"
	"github.com/ccm-ci/ccm/state"
	"github.com/ccm-ci/ccm/tasks"
)

// TestPipelineRetryOfAndMaxReruns: the contract's loop. ccm re-runs a
// failure alone; the new attempt fails too, and when it is ingested (as the
// poll or a webhook would) it is a failure of its own, owner/repo#run.2,
// linked to the first (retry_of); max_reruns (1) then keeps the gate from
// re-running it again, so GitHub sees exactly one re-run.
func TestPipelineRetryOfAndMaxReruns(t *testing.T) {
	h := newHarness(t, nil)
	h.cfg.Mode = config.ModeAuto
	startWorker(t, h)
	prev := h.gh.AddRun(testRepo, githubsim.Run{Conclusion: "success", CreatedAt: time.Now().Add(-time.Hour)})
	run := h.gh.AddRun(testRepo, githubsim.Run{Conclusion: "failure", Jobs: failingJobs()})
	h.gh.SetCompare(testRepo, prev.HeadSHA, run.HeadSHA, []string{"README.md"})
	h.gh.ScriptAttempts(testRepo, run.ID, 0, "failure")
	ctx := context.Background()
	if _, err := h.queue.EnqueueContext(ctx, ingestTask(t, run)); err != nil {
		t.Fatal(err)
	}
	first := tasks.FailureID(testRepo, run.ID, 1)
	eventually(t, "the first failure's verification to fail", func() bool { return h.status(first) == state.StatusFailed })
	if rem := h.record(t, first).Remediation; rem == nil || rem.VerifyAttempt != 2 {
		t.Fatalf("remediation %+v: want a re-run that created attempt 2", rem)
	}

	// The re-run failed the same way: its job logs say so.
	retry, ok := h.gh.LatestRun(testRepo, run.ID)
	if !ok || retry.Attempt != 2 {
		t.Fatalf("latest attempt %+v", retry)
	}
	for _, j := range retry.Jobs {
		h.gh.SetLog(testRepo, j.ID, npmLog)
	}
	if _, err := h.queue.EnqueueContext(ctx, ingestTask(t, retry)); err != nil {
		t.Fatal(err)
	}
	second := tasks.FailureID(testRepo, run.ID, 2)
	eventually(t, "the re-run's failure to be gated", func() bool {
		s := h.status(second)
		return s == state.StatusAwaitingApproval || s == state.StatusRemediating || s == state.StatusRemediated || s == state.StatusFailed
	})
	rec := h.record(t, second)
	if rec.RetryOf != first {
		t.Errorf("retry_of = %q, want %q", rec.RetryOf, first)
	}
	if rec.Gate == nil || rec.Gate.Decision == policy.KindAuto.String() || !slices.Contains(rec.Gate.Failed, string(policy.CheckReruns)) {
		t.Errorf("gate on the re-run's failure: %+v: want max_reruns to keep it from another unattended re-run", rec.Gate)
	}
	det := h.audit(t, state.AuditQuery{FailureID: second, ActionType: state.ActionDetection})
	if len(det) != 1 || det[0].Details["retry_of"] != first {
		t.Errorf("detection audit %+v: want retry_of %s", det, first)
	}
	reruns := 0
	for _, w := range h.gh.Writes() {
		if w.Route == githubsim.RouteRerunFailedJobs || w.Route == githubsim.RouteRerun {
			reruns++
		}
	}
	if reruns != 1 {
		t.Errorf("re-runs sent = %d, want 1", reruns)
	}
}
