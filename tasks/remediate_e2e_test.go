package tasks_test

import (
	"context"
	"testing"
	"time"

	"github.com/ccm-ci/ccm/config"
	"github.com/ccm-ci/ccm/sim/githubsim"
	"github.com/ccm-ci/ccm/state"
	"github.com/ccm-ci/ccm/tasks"
)

// TestPipelineAutoRemediatesTransientFailure: mode auto, a registry reset
// on a docs-only push goes ingest → analyze → gate (auto) → remediate (one
// re-run) → verify (the new attempt passes) → remediated, with exactly one
// write to GitHub.
func TestPipelineAutoRemediatesTransientFailure(t *testing.T) {
	h := newHarness(t, nil)
	h.cfg.Mode = config.ModeAuto
	startWorker(t, h)
	// The workflow passed on main before, so the push's changes are known.
	prev := h.gh.AddRun(testRepo, githubsim.Run{Conclusion: "success", Name: "CI", HeadBranch: "main", CreatedAt: time.Now().Add(-time.Hour)})
	run := h.gh.AddRun(testRepo, githubsim.Run{
		Conclusion: "failure", Name: "CI", HeadBranch: "main", ChangedFiles: []string{"README.md"},
		Jobs: []githubsim.Job{{Name: "test", Conclusion: "failure", Log: npmLog, Steps: []githubsim.Step{
			{Number: 1, Name: "Set up job", Status: "completed", Conclusion: "success"},
			{Number: 2, Name: "Run npm ci", Status: "completed", Conclusion: "failure"},
		}}},
	})
	h.gh.SetCompare(testRepo, prev.HeadSHA, run.HeadSHA, []string{"README.md"})
	h.gh.ScriptAttempts(testRepo, run.ID, 0, "success")
	if _, err := h.queue.EnqueueContext(context.Background(), ingestTask(t, run)); err != nil {
		t.Fatal(err)
	}
	id := tasks.FailureID(testRepo, run.ID, 1)
	eventually(t, "remediated", func() bool {
		s := h.status(id)
		return s == state.StatusRemediated || s == state.StatusFailed || s == state.StatusAwaitingApproval
	})
	rec := h.record(t, id)
	if rec.Status != state.StatusRemediated {
		t.Fatalf("status %s, gate %+v, remediation %+v", rec.Status, rec.Gate, rec.Remediation)
	}
	if w := h.gh.Writes(); len(w) != 1 || w[0].Route != githubsim.RouteRerunFailedJobs {
		t.Fatalf("writes %+v: want one re-run", w)
	}
}
