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
