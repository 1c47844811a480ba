package github

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ccm-ci/ccm/sim/githubsim"
	"github.com/google/go-cmp/cmp"
)

const remRepo = "acme/web"

// writeRoutes lists the routes of the writes the fake received, in order.
func writeRoutes(s *githubsim.Server) []string {
	out := []string{}
	for _, w := range s.Writes() {
		out = append(out, w.Route)
	}
	return out
}

// appliedWrites counts the writes that took effect on the fake.
func appliedWrites(s *githubsim.Server) int {
	n := 0
	for _, w := range s.Writes() {
		if w.Applied {
			n++
		}
	}
	return n
}

// checkWrites fails the test unless the fake received exactly the write
// routes want (in order), applied of them taking effect.
func checkWrites(t *testing.T, s *githubsim.Server, applied int, want ...string) {
	t.Helper()
	if want == nil {
		want = []string{}
	}
	if diff := cmp.Diff(want, writeRoutes(s)); diff != "" {
		t.Errorf("writes (-want +got):\n%s", diff)
	}
	if got := appliedWrites(s); got != applied {
		t.Errorf("%d writes applied, want %d", got, applied)
	}
}

// withTimeout gives the client a short HTTP timeout, for Hang faults.
func withTimeout(o *Options) { o.HTTPClient = &http.Client{Timeout: 300 * time.Millisecond} }

// failAfterFirstWrite makes every GET after the first write fail at the
// transport, as a GitHub that went down just after accepting a write.
type failAfterFirstWrite struct {
	wrote atomic.Bool
}

func (f *failAfterFirstWrite) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Method == http.MethodGet && f.wrote.Load() {
		return nil, errors.New("connection refused (test)")
	}
	if r.Method != http.MethodGet {
		f.wrote.Store(true)
	}
	return http.DefaultTransport.RoundTrip(r)
}

func TestRerun(t *testing.T) {
	t.Parallel()
	type want struct {
		err       error // errors.Is; nil = success
		attempt   int
		recovered bool
		writes    []string
		applied   int
	}
	failed, all := githubsim.RouteRerunFailedJobs, githubsim.RouteRerun
	tests := []struct {
		name       string
		onlyFailed bool
		run        githubsim.Run
		fault      func(s *githubsim.Server)
		mod        func(*Options)
		want       want
	}{
		{name: "re-run failed jobs", onlyFailed: true,
			want: want{attempt: 2, writes: []string{failed}, applied: 1}},
		{name: "re-run workflow",
			want: want{attempt: 2, writes: []string{all}, applied: 1}},
		{name: "running run: refused without a write", onlyFailed: true,
			run:  githubsim.Run{Status: "in_progress"},
			want: want{err: ErrAlreadyRunning, writes: nil}},
		{name: "green run has no failed jobs", onlyFailed: true,
			run:  githubsim.Run{Conclusion: "success"},
			want: want{err: ErrNoFailedJobs, writes: []string{failed}}},
		{name: "403 without actions:write", onlyFailed: true,
			fault: func(s *githubsim.Server) { s.FailNext(failed, githubsim.NoPermission()) },
			want:  want{err: ErrForbidden, writes: []string{failed}}},
		{name: "deleted run", onlyFailed: true,
			fault: func(s *githubsim.Server) {
				s.FailNext(githubsim.RouteGetRun, githubsim.NotFound())
			},
			want: want{err: ErrNotFound}},
		{name: "5xx not applied is sent again", onlyFailed: true,
			fault: func(s *githubsim.Server) { s.FailNext(failed, githubsim.ServerError(502)) },
			want:  want{attempt: 2, writes: []string{failed, failed}, applied: 1}},
		{name: "5xx after applying is not sent again", onlyFailed: true,
			fault: func(s *githubsim.Server) {
				s.FailNext(failed, githubsim.Fault{Apply: true, Status: 502, Body: `{"message":"Server Error"}`})
			},
			want: want{attempt: 2, recovered: true, writes: []string{failed}, applied: 1}},
		{name: "lagging read after an applied 502: the repeat's 'already running' is checked", onlyFailed: true,
			fault: func(s *githubsim.Server) {
				s.FailNext(failed, githubsim.Fault{Apply: true, Status: 502, Body: `{"message":"Server Error"}`})
				// The read before the write and the first check both see
				// attempt 1, as a lagging replica would.
				s.FailNext(githubsim.RouteGetRun, s.OtherAttempt(remRepo, 1, 1).WithCount(2))
			},
			want: want{attempt: 2, recovered: true, writes: []string{failed, failed}, applied: 1}},
		{name: "timeout after applying is not sent again",
			fault: func(s *githubsim.Server) { s.FailNext(all, githubsim.Timeout(true)) }, mod: withTimeout,
			want: want{attempt: 2, recovered: true, writes: []string{all}, applied: 1}},
		{name: "timeout not applied is sent again",
			fault: func(s *githubsim.Server) { s.FailNext(all, githubsim.Timeout(false)) }, mod: withTimeout,
			want: want{attempt: 2, writes: []string{all, all}, applied: 1}},
		{name: "GitHub down: nothing written", onlyFailed: true,
			fault: func(s *githubsim.Server) { s.FailNext("*", githubsim.ServerError(503).WithCount(-1)) },
			want:  want{err: &RetryError{}}},
		{name: "GitHub down mid-remediation: bounded, never applied", onlyFailed: true,
			fault: func(s *githubsim.Server) { s.FailNext(failed, githubsim.ServerError(503).WithCount(-1)) },
			want:  want{err: &RetryError{}, writes: []string{failed, failed, failed}}},
		{name: "applied, then GitHub down: uncertain", onlyFailed: true,
			fault: func(s *githubsim.Server) {
				s.FailNext(failed, githubsim.Fault{Apply: true, Status: 502, Body: `{"message":"Server Error"}`})
			},
			mod:  func(o *Options) { o.HTTPClient = &http.Client{Transport: &failAfterFirstWrite{}} },
			want: want{err: ErrUncertain, writes: []string{failed}, applied: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, s, _ := newTestClient(t, tt.mod)
			run := tt.run
			run.ID = 1
			if run.Conclusion == "" && run.Status == "" {
				run.Conclusion = "failure"
			}
			run.Jobs = []githubsim.Job{{Name: "lint", Conclusion: "success"}, {Name: "test", Conclusion: "failure"}}
			if run.Conclusion == "success" {
				run.Jobs[1].Conclusion = "success"
			}
			s.AddRun(remRepo, run)
			if tt.fault != nil {
				tt.fault(s)
			}
			rerun := c.RerunWorkflow
			if tt.onlyFailed {
				rerun = c.RerunFailedJobs
			}
			res, err := rerun(context.Background(), remRepo, 1)
			checkErr(t, err, tt.want.err)
			if tt.want.err == nil {
				if res.Attempt != tt.want.attempt || res.PreviousAttempt != 1 || res.Recovered != tt.want.recovered {
					t.Errorf("result %+v, want attempt %d after 1, recovered %v", res, tt.want.attempt, tt.want.recovered)
				}
				if latest, _ := s.LatestRun(remRepo, 1); latest.Attempt != tt.want.attempt {
					t.Errorf("fake has attempt %d, want %d", latest.Attempt, tt.want.attempt)
				}
			}
			checkWrites(t, s, tt.want.applied, tt.want.writes...)
		})
	}
}

// checkErr fails unless err matches want: nil, a sentinel (errors.Is) or a
// pointer to an error type (errors.As).
func checkErr(t *testing.T, err, want error) {
	t.Helper()
	switch w := want.(type) {
	case nil:
		if err != nil {
			t.Fatalf("err = %v, want success", err)
		}
	case *RetryError:
		var re *RetryError
		if !errors.As(err, &re) {
			t.Fatalf("err = %v, want a *RetryError", err)
		}
	default:
		if !errors.Is(err, w) {
			t.Fatalf("err = %v, want %v", err, w)
		}
	}
}

func TestRerun_PermissionErrorNamesScope(t *testing.T) {
	t.Parallel()
	c, s, _ := newTestClient(t, nil)
	s.AddRun(remRepo, failedRun(1, time.Now()))
	s.FailNext(githubsim.RouteRerunFailedJobs, githubsim.NoPermission())
	_, err := c.RerunFailedJobs(context.Background(), remRepo, 1)
	var pe *PermissionError
	if !errors.As(err, &pe) || pe.Scope != ScopeActions || !strings.Contains(err.Error(), "actions:write") ||
		!strings.Contains(err.Error(), "Resource not accessible") {
		t.Fatalf("err = %v, want a *PermissionError naming actions:write and GitHub's message", err)
	}
	if errors.Is(err, ErrConflict) {
		t.Errorf("a permission error must not read as a conflict: %v", err)
	}
}

func TestCancelRun(t *testing.T) {
	t.Parallel()
	cancel := githubsim.RouteCancel
	tests := []struct {
		name    string
		status  string // of the run
		fault   func(s *githubsim.Server)
		wantErr error
		writes  []string
		applied int
		checks  int // reads of the run to resolve a lost answer
	}{
		{name: "running run", status: "in_progress", writes: []string{cancel}, applied: 1},
		{name: "completed run", status: "completed", wantErr: ErrRunCompleted, writes: []string{cancel}},
		{name: "applied, answer lost: checked, not repeated", status: "in_progress",
			fault: func(s *githubsim.Server) {
				s.FailNext(cancel, githubsim.Fault{Apply: true, Status: 500, Body: `{"message":"Server Error"}`})
			},
			writes: []string{cancel}, applied: 1, checks: 1},
		{name: "5xx not applied is sent again", status: "queued",
			fault:  func(s *githubsim.Server) { s.FailNext(cancel, githubsim.ServerError(500)) },
			writes: []string{cancel, cancel}, applied: 1, checks: 1},
		{name: "403 without actions:write", status: "in_progress",
			fault:   func(s *githubsim.Server) { s.FailNext(cancel, githubsim.NoPermission()) },
			wantErr: ErrForbidden, writes: []string{cancel}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, s, _ := newTestClient(t, nil)
			run := githubsim.Run{ID: 7, Status: tt.status, Jobs: []githubsim.Job{{Name: "test"}}}
			if tt.status == "completed" {
				run.Conclusion = "failure"
			}
			s.AddRun(remRepo, run)
			if tt.fault != nil {
				tt.fault(s)
			}
			err := c.CancelRun(context.Background(), remRepo, 7)
			checkErr(t, err, tt.wantErr)
			if tt.wantErr == nil {
				if r, _ := s.LatestRun(remRepo, 7); r.Conclusion != "cancelled" {
					t.Errorf("run conclusion %q, want cancelled", r.Conclusion)
				}
			}
			checkWrites(t, s, tt.applied, tt.writes...)
			if got := len(s.RequestsTo(githubsim.RouteGetRun)); got != tt.checks {
				t.Errorf("%d reads of the run, want %d (202 Accepted is success, not a lost answer)", got, tt.checks)
			}
		})
	}
	t.Run("deleted run", func(t *testing.T) {
		t.Parallel()
		c, s, _ := newTestClient(t, nil)
		s.AddRepo(remRepo)
		checkErr(t, c.CancelRun(context.Background(), remRepo, 99), ErrNotFound)
	})
}

func TestRunState(t *testing.T) {
	t.Parallel()
	c, s, _ := newTestClient(t, nil)
	ctx := context.Background()
	run := s.AddRun(remRepo, failedRun(1, time.Now()))

	st, err := c.RunState(ctx, remRepo, 1)
	if err != nil {
		t.Fatal(err)
	}
	if st.Run.Attempt != 1 || st.BranchSHA != run.HeadSHA || st.BranchMoved() {
		t.Errorf("fresh state %+v, want attempt 1 on an unmoved branch at %s", st, run.HeadSHA)
	}

	pushed := s.PushCommit(remRepo, "main", map[string]string{"src/a.go": "package a\n"})
	if _, err := c.RerunFailedJobs(ctx, remRepo, 1); err != nil {
		t.Fatal(err)
	}
	st, err = c.RunState(ctx, remRepo, 1)
	if err != nil {
		t.Fatal(err)
	}
	if st.Run.Attempt != 2 || st.Run.Status != "queued" || st.BranchSHA != pushed || !st.BranchMoved() {
		t.Errorf("state after a push and a re-run %+v, want attempt 2 queued, branch moved to %s", st, pushed)
	}

	s.SetBranch(remRepo, "main", run.HeadSHA)
	if err := s.FinishRun(remRepo, 1, "success"); err != nil {
		t.Fatal(err)
	}
	if st, err = c.RunState(ctx, remRepo, 1); err != nil || st.Run.Conclusion != "success" || st.BranchMoved() {
		t.Errorf("state %+v (%v), want attempt 2 success on the run's commit", st, err)
	}
	if _, err := c.RunState(ctx, remRepo, 404); !errors.Is(err, ErrNotFound) {
		t.Errorf("deleted run: err = %v, want ErrNotFound", err)
	}
	checkWrites(t, s, 1, githubsim.RouteRerunFailedJobs)
}

func TestRunState_BranchGone(t *testing.T) {
	t.Parallel()
	c, s, _ := newTestClient(t, nil)
	run := failedRun(1, time.Now())
	run.HeadBranch = "feature/x"
	s.AddRun(remRepo, run)
	s.FailNext(githubsim.RouteGetBranch, githubsim.Fault{Status: 404, Body: `{"message":"Branch not found"}`})
	st, err := c.RunState(context.Background(), remRepo, 1)
	if err != nil || st.BranchSHA != "" || !st.BranchMoved() {
		t.Errorf("state %+v (%v), want the branch reported gone", st, err)
	}
	if b, err := c.GetBranch(context.Background(), remRepo, "feature/x"); err != nil || b.Name != "feature/x" || b.SHA != st.Run.HeadSHA {
		t.Errorf("GetBranch of a branch with a slash = %+v, %v", b, err)
	}
}

// TestScriptedAttempts drives a re-run's new attempt to pass, then another
// to fail, as verification will watch them.
func TestScriptedAttempts(t *testing.T) {
	t.Parallel()
	c, s, clock := newTestClient(t, nil)
	ctx := context.Background()
	s.AddRun(remRepo, failedRun(1, time.Now()))
	s.ScriptAttempts(remRepo, 1, 5*time.Minute, "success", "failure")

	for i, want := range []string{"success", "failure"} {
		res, err := c.RerunWorkflow(ctx, remRepo, 1)
		if err != nil {
			t.Fatal(err)
		}
		r, err := c.GetRun(ctx, remRepo, 1, res.Attempt)
		if err != nil || r.Status == "completed" {
			t.Fatalf("attempt %d right after the re-run: %+v, %v; want it still going", res.Attempt, r, err)
		}
		_ = clock.Sleep(ctx, 5*time.Minute)
		if r, err = c.GetRun(ctx, remRepo, 1, 0); err != nil || r.Attempt != i+2 || r.Status != "completed" || r.Conclusion != want {
			t.Errorf("attempt %d after 5m: %+v, %v; want completed %s", i+2, r, err, want)
		}
	}
}
