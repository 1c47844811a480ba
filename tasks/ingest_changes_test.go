package tasks_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ccm-ci/ccm/integrations/github"
	"github.com/ccm-ci/ccm/sim/githubsim"
	"github.com/ccm-ci/ccm/state"
	"github.com/ccm-ci/ccm/tasks"
)

// failingJobs is one failed npm job, as failedRun has.
func failingJobs() []githubsim.Job {
	return []githubsim.Job{{Name: "test", Conclusion: "failure", Log: npmLog, Steps: []githubsim.Step{
		{Number: 1, Name: "Set up job", Status: "completed", Conclusion: "success"},
		{Number: 2, Name: "Run npm ci", Status: "completed", Conclusion: "failure"},
	}}}
}

// TestIngestChangedFiles: the record's changed files come from the pull
// request or the push's comparison; when GitHub cannot say, the record is
// still made, marked unavailable.
func TestIngestChangedFiles(t *testing.T) {
	gone := githubsim.Fault{Status: http.StatusNotFound, Body: `{"message":"Not Found"}`, Count: -1}
	down := githubsim.Fault{Status: http.StatusBadGateway, Count: -1}
	tests := []struct {
		name        string
		setup       func(h *harness) githubsim.Run
		files       []string
		source      string
		unavailable bool
	}{
		{name: "pull request: its files", setup: func(h *harness) githubsim.Run {
			p := h.gh.AddPull(testRepo, githubsim.PullRequest{Head: "fix", Base: "main", Files: []string{"README.md", "src/app.ts"}})
			return h.gh.AddRun(testRepo, githubsim.Run{Event: "pull_request", Conclusion: "failure", HeadBranch: "fix",
				PullRequests: []int{p.Number}, ChangedFiles: []string{"README.md"}, Jobs: failingJobs()})
		}, files: []string{"README.md", "src/app.ts"}, source: github.SourcePullRequest},
		{name: "push: since the workflow's previous run", setup: func(h *harness) githubsim.Run {
			prev := h.gh.AddRun(testRepo, githubsim.Run{Conclusion: "success", CreatedAt: time.Now().Add(-time.Hour)})
			run := h.gh.AddRun(testRepo, githubsim.Run{Conclusion: "failure", ChangedFiles: []string{"docs/b.md"}, Jobs: failingJobs()})
			h.gh.SetCompare(testRepo, prev.HeadSHA, run.HeadSHA, []string{"docs/a.md", "docs/b.md"})
			return run
		}, files: []string{"docs/a.md", "docs/b.md"}, source: github.SourceCompare},
		{name: "GitHub answers 404: unknown", setup: func(h *harness) githubsim.Run {
			h.gh.FailNext(githubsim.RouteListWorkflowRuns, gone)
			h.gh.FailNext(githubsim.RouteGetCommit, gone)
			return h.gh.AddRun(testRepo, githubsim.Run{Conclusion: "failure", Jobs: failingJobs()})
		}, unavailable: true},
		{name: "GitHub answers 5xx: unknown", setup: func(h *harness) githubsim.Run {
			h.gh.FailNext(githubsim.RoutePullFiles, down)
			h.gh.FailNext(githubsim.RouteGetCommit, down)
			p := h.gh.AddPull(testRepo, githubsim.PullRequest{Head: "fix", Base: "main", Files: []string{"README.md"}})
			return h.gh.AddRun(testRepo, githubsim.Run{Event: "pull_request", Conclusion: "failure", HeadBranch: "fix",
				PullRequests: []int{p.Number}, Jobs: failingJobs()})
		}, unavailable: true},
		{name: "only the head commit is known: a part, so unknown", setup: func(h *harness) githubsim.Run {
			return h.gh.AddRun(testRepo, githubsim.Run{Conclusion: "failure", ChangedFiles: []string{"docs/a.md"}, Jobs: failingJobs()})
		}, files: []string{"docs/a.md"}, source: github.SourceCommit, unavailable: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, nil)
			run := tt.setup(h)
			if err := h.h.HandleIngest(context.Background(), ingestTask(t, run)); err != nil {
				t.Fatal(err)
			}
			rec := h.record(t, tasks.FailureID(testRepo, run.ID, 1))
			if diff := cmp.Diff(tt.files, rec.ChangedFiles); diff != "" {
				t.Errorf("changed files (-want +got):\n%s", diff)
			}
			if rec.ChangedFilesSource != tt.source || rec.ChangedFilesUnavailable != tt.unavailable {
				t.Errorf("source %q unavailable %v, want %q %v", rec.ChangedFilesSource, rec.ChangedFilesUnavailable, tt.source, tt.unavailable)
			}
			if rec.Status != state.StatusDetected || rec.FailureReason == "" {
				t.Errorf("record %s / %q: ingest must go on without the files", rec.Status, rec.FailureReason)
			}
		})
	}
}

// TestIngestAPICallsPerFailure counts the GitHub API requests one failure
// costs at ingest (the log's signed download is not an API request): the
// run, its jobs, the failed job's log URL, and the change — two for a
// push (the previous run, the comparison), one for a pull request's up to
// 100 files, none for a re-run of a commit already recorded.
func TestIngestAPICallsPerFailure(t *testing.T) {
	h := newHarness(t, nil)
	ctx := context.Background()
	prev := h.gh.AddRun(testRepo, githubsim.Run{Conclusion: "success", CreatedAt: time.Now().Add(-time.Hour)})
	run := h.gh.AddRun(testRepo, githubsim.Run{Conclusion: "failure", Jobs: failingJobs()})
	h.gh.SetCompare(testRepo, prev.HeadSHA, run.HeadSHA, []string{"README.md"})
	p := h.gh.AddPull(testRepo, githubsim.PullRequest{Head: "fix", Base: "main", Files: []string{"README.md"}})
	pr := h.gh.AddRun(testRepo, githubsim.Run{Event: "pull_request", Conclusion: "failure", HeadBranch: "fix",
		PullRequests: []int{p.Number}, Jobs: failingJobs()})

	apiCalls := func(task func() error) map[string]int {
		t.Helper()
		h.gh.ResetRequests()
		if err := task(); err != nil {
			t.Fatal(err)
		}
		n := map[string]int{}
		for _, r := range h.gh.Requests() {
			if r.Route != githubsim.RouteLogBlob {
				n[r.Route]++
			}
		}
		return n
	}
	base := map[string]int{githubsim.RouteGetAttempt: 1, githubsim.RouteListAttemptJobs: 1, githubsim.RouteJobLogs: 1}
	with := func(extra map[string]int) map[string]int {
		out := map[string]int{}
		for k, v := range base {
			out[k] = v
		}
		for k, v := range extra {
			out[k] += v
		}
		return out
	}
	got := apiCalls(func() error { return h.h.HandleIngest(ctx, ingestTask(t, run)) })
	if diff := cmp.Diff(with(map[string]int{githubsim.RouteListWorkflowRuns: 1, githubsim.RouteCompare: 1}), got); diff != "" {
		t.Errorf("push (-want +got):\n%s", diff)
	}
	got = apiCalls(func() error { return h.h.HandleIngest(ctx, ingestTask(t, pr)) })
	if diff := cmp.Diff(with(map[string]int{githubsim.RouteGetPull: 1, githubsim.RoutePullFiles: 1}), got); diff != "" {
		t.Errorf("pull request (-want +got):\n%s", diff)
	}
	// Someone re-runs the push's run by hand and the re-run fails too.
	run2 := run
	run2.Attempt, run2.Jobs = 2, failingJobs()
	run2 = h.gh.AddRun(testRepo, run2)
	got = apiCalls(func() error { return h.h.HandleIngest(ctx, ingestTask(t, run2)) })
	if diff := cmp.Diff(base, got); diff != "" {
		t.Errorf("re-run of a recorded commit (-want +got):\n%s", diff)
	}
	rec := h.record(t, tasks.FailureID(testRepo, run.ID, 2))
	if rec.ChangedFilesSource != "earlier_attempt" || len(rec.ChangedFiles) != 1 || rec.ChangedFilesUnavailable || rec.RetryOf != "" {
		t.Errorf("attempt 2: files %v from %q unavailable %v retry_of %q: want attempt 1's, and no retry_of (a person re-ran it)",
			rec.ChangedFiles, rec.ChangedFilesSource, rec.ChangedFilesUnavailable, rec.RetryOf)
	}
}
