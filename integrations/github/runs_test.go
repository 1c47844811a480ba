package github

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ccm-ci/ccm/sim/githubsim"
)

func TestListFailedRuns_Filtering(t *testing.T) {
	c, s, clock := newTestClient(t, nil)
	now := clock.Now()
	since := now.Add(-time.Hour)
	for _, r := range []githubsim.Run{
		{ID: 1, Conclusion: "failure", CreatedAt: now.Add(-10 * time.Minute)},
		{ID: 2, Conclusion: "timed_out", CreatedAt: now.Add(-20 * time.Minute)},
		{ID: 3, Conclusion: "startup_failure", CreatedAt: now.Add(-30 * time.Minute)},
		{ID: 4, Conclusion: "success", CreatedAt: now.Add(-5 * time.Minute)},
		{ID: 5, Conclusion: "cancelled", CreatedAt: now.Add(-5 * time.Minute)},
		{ID: 6, Status: "in_progress", CreatedAt: now.Add(-5 * time.Minute)},
		{ID: 7, Conclusion: "failure", CreatedAt: now.Add(-2 * time.Hour)}, // before since
		{ID: 8, Conclusion: "failure", CreatedAt: since},                   // exactly since
	} {
		s.AddRun("acme/web", r)
	}

	runs, err := c.ListFailedRuns(context.Background(), "acme/web", since)
	if err != nil {
		t.Fatalf("ListFailedRuns: %v", err)
	}
	if diff := cmp.Diff([]int64{1, 2, 3, 8}, runIDs(runs)); diff != "" {
		t.Errorf("run IDs (-want +got):\n%s", diff)
	}
	var statuses []string
	for _, r := range s.RequestsTo(githubsim.RouteListRuns) {
		statuses = append(statuses, r.Query.Get("status"))
		if got, want := r.Query.Get("created"), ">="+since.UTC().Format(time.RFC3339); got != want {
			t.Errorf("created = %q, want %q", got, want)
		}
		if got := r.Query.Get("per_page"); got != "100" {
			t.Errorf("per_page = %q, want 100", got)
		}
	}
	if diff := cmp.Diff(FailedConclusions, statuses); diff != "" {
		t.Errorf("status filters (-want +got):\n%s", diff)
	}
}

func TestListFailedRuns_Pagination(t *testing.T) {
	tests := []struct {
		name      string
		runs      int
		maxPages  int
		ignore    bool // server ignores filters: client must filter and stop at since
		old       int  // extra failed runs created before since
		wantRuns  int
		wantPages int // list requests for the "failure" conclusion
	}{
		{name: "one page", runs: 40, wantRuns: 40, wantPages: 1},
		{name: "three pages", runs: 250, wantRuns: 250, wantPages: 3},
		{name: "bounded by max pages", runs: 250, maxPages: 2, wantRuns: 200, wantPages: 2},
		{name: "stops at a page older than since", runs: 150, old: 300, ignore: true, wantRuns: 150, wantPages: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, s, clock := newTestClient(t, func(o *Options) { o.MaxPages = tt.maxPages })
			s.IgnoreStatusFilter(tt.ignore)
			now := clock.Now()
			since := now.Add(-24 * time.Hour)
			for i := range tt.runs {
				s.AddRun("acme/web", githubsim.Run{ID: int64(1000 + i), Conclusion: "failure", CreatedAt: now.Add(-time.Duration(i) * time.Minute)})
			}
			for i := range tt.old {
				s.AddRun("acme/web", githubsim.Run{ID: int64(5000 + i), Conclusion: "failure", CreatedAt: since.Add(-time.Duration(i+1) * time.Minute)})
			}
			runs, err := c.ListFailedRuns(context.Background(), "acme/web", since)
			if err != nil {
				t.Fatalf("ListFailedRuns: %v", err)
			}
			if len(runs) != tt.wantRuns {
				t.Errorf("got %d runs, want %d", len(runs), tt.wantRuns)
			}
			for i := 1; i < len(runs); i++ {
				if runs[i].CreatedAt.After(runs[i-1].CreatedAt) {
					t.Fatalf("runs not newest first at %d", i)
				}
			}
			pages := 0
			for _, r := range s.RequestsTo(githubsim.RouteListRuns) {
				if r.Query.Get("status") == "failure" {
					pages++
				}
			}
			if pages != tt.wantPages {
				t.Errorf("fetched %d pages, want %d", pages, tt.wantPages)
			}
		})
	}
}

func TestGetRunAndListJobs(t *testing.T) {
	c, s, clock := newTestClient(t, nil)
	created := clock.Now().Add(-time.Hour).UTC()
	base := githubsim.Run{
		ID: 42, Name: "Build", Event: "pull_request", Conclusion: "failure", HeadBranch: "feature/x",
		HeadSHA: strings.Repeat("ab", 20), Actor: "alice", FromFork: true, WorkflowID: 7,
		CreatedAt: created, RunStartedAt: created.Add(time.Minute), UpdatedAt: created.Add(10 * time.Minute),
		Jobs: []githubsim.Job{
			{ID: 100, Name: "lint", Conclusion: "success", RunnerName: "r1", StartedAt: created, CompletedAt: created.Add(time.Minute)},
			{ID: 101, Name: "test", Conclusion: "failure", RunnerName: "r2", StartedAt: created, CompletedAt: created.Add(2 * time.Minute),
				Steps: []githubsim.Step{{Number: 1, Name: "checkout", Status: "completed", Conclusion: "success"}, {Number: 2, Name: "go test", Status: "completed", Conclusion: "failure"}}},
		},
	}
	s.AddRun("acme/web", base)
	second := base
	second.Attempt, second.TriggeringActor = 2, "bob"
	second.Jobs = []githubsim.Job{{ID: 200, Name: "test", Conclusion: "failure"}}
	s.AddRun("acme/web", second)

	ctx := context.Background()
	got, err := c.GetRun(ctx, "acme/web", 42, 1)
	if err != nil {
		t.Fatalf("GetRun: %v", err)
	}
	want := Run{
		ID: 42, Attempt: 1, Name: "Build", Event: "pull_request", Status: "completed", Conclusion: "failure",
		HeadBranch: "feature/x", HeadSHA: base.HeadSHA, HTMLURL: "https://github.com/acme/web/actions/runs/42",
		Actor: "alice", TriggeringActor: "alice", HeadRepoFullName: "alice/web", FromFork: true, WorkflowID: 7,
		CreatedAt: created, UpdatedAt: created.Add(10 * time.Minute), RunStartedAt: created.Add(time.Minute),
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("GetRun attempt 1 (-want +got):\n%s", diff)
	}
	latest, err := c.GetRun(ctx, "acme/web", 42, 0)
	if err != nil {
		t.Fatalf("GetRun latest: %v", err)
	}
	if latest.Attempt != 2 || latest.TriggeringActor != "bob" {
		t.Errorf("latest = attempt %d by %q, want attempt 2 by bob", latest.Attempt, latest.TriggeringActor)
	}

	jobs, err := c.ListJobs(ctx, "acme/web", 42, 1)
	if err != nil {
		t.Fatalf("ListJobs: %v", err)
	}
	wantJobs := []Job{
		{ID: 100, RunID: 42, Attempt: 1, Name: "lint", Status: "completed", Conclusion: "success",
			HTMLURL: "https://github.com/acme/web/actions/runs/42/job/100", RunnerName: "r1",
			StartedAt: created, CompletedAt: created.Add(time.Minute)},
		{ID: 101, RunID: 42, Attempt: 1, Name: "test", Status: "completed", Conclusion: "failure",
			HTMLURL: "https://github.com/acme/web/actions/runs/42/job/101", RunnerName: "r2",
			StartedAt: created, CompletedAt: created.Add(2 * time.Minute),
			Steps: []Step{{Number: 1, Name: "checkout", Status: "completed", Conclusion: "success"}, {Number: 2, Name: "go test", Status: "completed", Conclusion: "failure"}}},
	}
	if diff := cmp.Diff(wantJobs, jobs); diff != "" {
		t.Errorf("ListJobs attempt 1 (-want +got):\n%s", diff)
	}
	latestJobs, err := c.ListJobs(ctx, "acme/web", 42, 0)
	if err != nil {
		t.Fatalf("ListJobs latest: %v", err)
	}
	if diff := cmp.Diff([]int64{200}, jobIDs(latestJobs)); diff != "" {
		t.Errorf("latest jobs (-want +got):\n%s", diff)
	}
}

func TestListJobs_Pagination(t *testing.T) {
	c, s, _ := newTestClient(t, nil)
	r := githubsim.Run{ID: 9, Conclusion: "failure"}
	for i := range 230 {
		r.Jobs = append(r.Jobs, githubsim.Job{ID: int64(1 + i), Name: "matrix", Conclusion: "failure"})
	}
	s.AddRun("acme/web", r)
	jobs, err := c.ListJobs(context.Background(), "acme/web", 9, 0)
	if err != nil {
		t.Fatalf("ListJobs: %v", err)
	}
	if len(jobs) != 230 {
		t.Errorf("got %d jobs, want 230", len(jobs))
	}
	if n := len(s.RequestsTo(githubsim.RouteListJobs)); n != 3 {
		t.Errorf("%d job list requests, want 3", n)
	}
}

func TestRateLimit(t *testing.T) {
	c, s, _ := newTestClient(t, nil)
	s.RateLimitRemaining(1234)
	remaining, reset, err := c.RateLimit(context.Background())
	if err != nil {
		t.Fatalf("RateLimit: %v", err)
	}
	if remaining != 1234 || reset.IsZero() {
		t.Errorf("RateLimit = %d, %v; want 1234 and a reset time", remaining, reset)
	}
}

func jobIDs(jobs []Job) []int64 {
	ids := make([]int64, 0, len(jobs))
	for _, j := range jobs {
		ids = append(ids, j.ID)
	}
	return ids
}

func TestListRerunRuns(t *testing.T) {
	c, s, clock := newTestClient(t, nil)
	now := clock.Now()
	since := now.Add(-time.Hour)
	for _, r := range []githubsim.Run{
		{ID: 1, Conclusion: "failure", CreatedAt: now.Add(-10 * time.Minute)},
		{ID: 1, Attempt: 2, Conclusion: "success", CreatedAt: now.Add(-10 * time.Minute)}, // re-run that passed
		{ID: 2, Conclusion: "success", CreatedAt: now.Add(-20 * time.Minute)},             // never re-run
		{ID: 3, Conclusion: "failure", CreatedAt: now.Add(-30 * time.Minute)},
		{ID: 3, Attempt: 2, Status: "in_progress", CreatedAt: now.Add(-30 * time.Minute)}, // re-run still running
		{ID: 4, Conclusion: "failure", CreatedAt: now.Add(-2 * time.Hour)},
		{ID: 4, Attempt: 3, Conclusion: "failure", CreatedAt: now.Add(-2 * time.Hour)}, // before since
	} {
		s.AddRun("acme/web", r)
	}
	runs, err := c.ListRerunRuns(context.Background(), "acme/web", since)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]int64{1}, runIDs(runs)); diff != "" {
		t.Errorf("run IDs (-want +got):\n%s", diff)
	}
	if len(runs) == 1 && runs[0].Attempt != 2 {
		t.Errorf("attempt = %d, want 2", runs[0].Attempt)
	}
}

// GetRun of an attempt takes only that attempt's answer: a run re-run
// before ccm first saw it must not be recorded as attempt 1 with attempt
// 2's data.
func TestGetRunChecksTheAttempt(t *testing.T) {
	tests := []struct {
		name        string
		attempt     int
		served      int // attempt the server answers with instead (0 = the right one)
		wantAttempt int
		wantErr     error
	}{
		{name: "attempt 1", attempt: 1, wantAttempt: 1},
		{name: "attempt 2", attempt: 2, wantAttempt: 2},
		{name: "latest", attempt: 0, wantAttempt: 2},
		{name: "attempt 1 answered with attempt 2", attempt: 1, served: 2, wantErr: ErrAttemptMismatch},
		{name: "attempt 2 answered with attempt 1", attempt: 2, served: 1, wantErr: ErrAttemptMismatch},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, s, _ := newTestClient(t, nil)
			s.AddRun("acme/web", githubsim.Run{ID: 7, Attempt: 1, Conclusion: "failure", HeadSHA: "aaaaaaa"})
			s.AddRun("acme/web", githubsim.Run{ID: 7, Attempt: 2, Conclusion: "success", HeadSHA: "bbbbbbb"})
			if tt.served > 0 {
				s.FailNext(githubsim.RouteGetAttempt, s.OtherAttempt("acme/web", 7, tt.served))
			}
			run, err := c.GetRun(context.Background(), "acme/web", 7, tt.attempt)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) || !errors.Is(err, ErrMalformedResponse) {
					t.Fatalf("GetRun = %+v, %v; want %v (an ErrMalformedResponse)", run, err, tt.wantErr)
				}
				return
			}
			if err != nil || run.Attempt != tt.wantAttempt {
				t.Fatalf("GetRun = attempt %d, %v; want attempt %d", run.Attempt, err, tt.wantAttempt)
			}
		})
	}
}
