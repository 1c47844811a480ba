package tasks_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/hibiken/asynq"

	"github.com/ccm-ci/ccm/analysis"
	"github.com/ccm-ci/ccm/integrations/github"
	"github.com/ccm-ci/ccm/sim/githubsim"
	"github.com/ccm-ci/ccm/state"
	"github.com/ccm-ci/ccm/tasks"
)

// TestRemediateOtherActions: delete_cache deletes only a key GitHub lists
// for the failing branch; cancel_run of a completed run is a no-op
// success; neither creates an attempt, so the action's success is the
// verification (remediated at once).
func TestRemediateOtherActions(t *testing.T) {
	h := newHarness(t, nil)
	ctx := context.Background()
	h.gh.AddCache(testRepo, githubsim.Cache{Key: "npm-linux-abc", Ref: "refs/heads/main", SizeInBytes: 10})
	h.gh.AddCache(testRepo, githubsim.Cache{Key: "npm-linux-abc", Ref: "refs/heads/other", SizeInBytes: 10})
	rec, _ := h.remediable(t, "main", nil, analysis.Action{Type: analysis.ActionDeleteCache, Key: "npm-linux-abc"},
		analysis.Action{Type: analysis.ActionCancelRun})
	if err := h.h.HandleRemediate(ctx, remediateTask(t, rec.ID)); err != nil {
		t.Fatal(err)
	}
	got := h.record(t, rec.ID)
	if got.Status != state.StatusRemediated || got.Remediation.VerifyAttempt != 0 {
		t.Fatalf("%s %+v: want remediated at once", got.Status, got.Remediation)
	}
	left := h.gh.Caches(testRepo)
	if len(left) != 1 || left[0].Ref != "refs/heads/other" {
		t.Errorf("caches left %+v: want only the other branch's", left)
	}
	if got.Remediation.Steps[0].Result["key"] != "npm-linux-abc" || got.Remediation.Steps[1].Result["cancelled"] != false {
		t.Errorf("captured results %+v", got.Remediation.Steps)
	}
}

// TestRemediateBadInput: each is a clear, audited outcome and an alert,
// with nothing half-done left behind.
func TestRemediateBadInput(t *testing.T) {
	fix := analysis.Action{Type: analysis.ActionOpenFixPR, Title: "Fix", Body: "ccm",
		Files: []analysis.FileChange{{Path: "docs/ci.md", Content: "x\n"}}}
	tests := []struct {
		name   string
		acts   []analysis.Action
		setup  func(h *harness, rec state.FailureRecord, run githubsim.Run)
		reason string
		writes int
	}{
		{name: "deleted run", acts: []analysis.Action{rerunFailed},
			setup: func(h *harness, _ state.FailureRecord, _ githubsim.Run) {
				h.gh.FailNext(githubsim.RouteGetRun, githubsim.NotFound().WithCount(-1))
			}, reason: "is gone"},
		{name: "cache key GitHub does not list", acts: []analysis.Action{{Type: analysis.ActionDeleteCache, Key: "made-up-by-the-model"}},
			reason: "no such cache"},
		{name: "PR branch exists and is not ccm's", acts: []analysis.Action{fix},
			setup: func(h *harness, rec state.FailureRecord, _ githubsim.Run) {
				h.gh.PushCommit(testRepo, github.FixBranch(rec.ID), map[string]string{"other.txt": "someone's\n"})
			}, reason: "branch already exists"},
		{name: "fix touching .github", acts: []analysis.Action{{Type: analysis.ActionOpenFixPR, Title: "x", Body: "y",
			Files: []analysis.FileChange{{Path: ".github/workflows/ci.yml", Content: "on: push\n"}}}}, reason: "refused"},
		{name: "GitHub down mid-remediation, retries exhausted", acts: []analysis.Action{rerunFailed, fix},
			setup: func(h *harness, _ state.FailureRecord, _ githubsim.Run) {
				h.gh.FailNext(githubsim.RouteCreateGitCommit, githubsim.ServerError(503).WithCount(-1))
			}, reason: "503", writes: -1}, // checked by route below
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, nil)
			rec, run := h.remediable(t, "main", nil, tt.acts...)
			if tt.setup != nil {
				tt.setup(h, rec, run)
			}
			ctx := context.Background()
			var err error
			for range 6 { // asynq's deliveries; the last is final below
				if err = h.h.HandleRemediate(ctx, remediateTask(t, rec.ID)); err == nil || errors.Is(err, asynq.SkipRetry) {
					break
				}
			}
			got := h.record(t, rec.ID)
			if got.Status != state.StatusRemediating && got.Status != state.StatusFailed {
				t.Fatalf("status %s", got.Status)
			}
			if got.Status == state.StatusRemediating {
				// Retries ran out: asynq's last delivery fails it.
				err = h.h.HandleRemediate(tasks.LastDelivery(ctx), remediateTask(t, rec.ID))
				got = h.record(t, rec.ID)
			}
			if got.Status != state.StatusFailed || !strings.Contains(got.Remediation.Reason, tt.reason) {
				t.Fatalf("%s %+v (err %v): want failed saying %q", got.Status, got.Remediation, err, tt.reason)
			}
			if a := criticalAlerts(t, h, rec.ID); len(a) != 1 {
				t.Errorf("%d critical alerts, want 1", len(a))
			}
			if n := len(h.gh.Writes()); tt.writes >= 0 && n != tt.writes {
				t.Errorf("%d writes %+v, want %d", n, h.gh.Writes(), tt.writes)
			}
			if tt.writes < 0 {
				// The re-run made before GitHub went down is taken back; no
				// PR was opened.
				if r, c, p := len(h.gh.WritesTo(githubsim.RouteRerunFailedJobs)), len(h.gh.WritesTo(githubsim.RouteCancel)),
					len(h.gh.Pulls(testRepo)); r != 1 || c != 1 || p != 0 {
					t.Errorf("re-runs %d, cancels %d, pull requests %d: want 1, 1, 0", r, c, p)
				}
			}
			branch := github.FixBranch(rec.ID)
			if tt.name == "PR branch exists and is not ccm's" {
				// Someone else's branch: still there, untouched.
				if c, ok := h.gh.FileAt(testRepo, branch, "other.txt"); !ok || c != "someone's\n" {
					t.Errorf("branch %s: other.txt %q (found %v): want the branch kept as it was", branch, c, ok)
				}
				if n := len(h.gh.WritesTo(githubsim.RouteDeleteRef)); n != 0 {
					t.Errorf("%d DELETEs of a ref, want 0", n)
				}
			} else if _, ok := h.gh.Branch(testRepo, branch); ok {
				t.Errorf("fix branch %s left behind", branch)
			}
		})
	}
}

// TestRemediateRaceWithManualRerun: a person re-runs the run between the
// world check and ccm's write (GitHub answers "already running"): stopped
// with the reason, no alert, nothing else written.
func TestRemediateRaceWithManualRerun(t *testing.T) {
	h := newHarness(t, nil)
	rec, _ := h.remediable(t, "main", nil, rerunFailed)
	h.gh.FailNext(githubsim.RouteRerunFailedJobs, githubsim.Fault{Status: 403, Body: `{"message":"This workflow is already running"}`})
	if err := h.h.HandleRemediate(context.Background(), remediateTask(t, rec.ID)); err != nil {
		t.Fatal(err)
	}
	got := h.record(t, rec.ID)
	if got.Status != state.StatusFailed || !strings.Contains(got.Remediation.Reason, "someone else re-ran") {
		t.Fatalf("%s %+v", got.Status, got.Remediation)
	}
	if a := criticalAlerts(t, h, rec.ID); len(a) != 0 {
		t.Errorf("%d critical alerts, want none", len(a))
	}
}
