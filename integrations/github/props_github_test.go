package github

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"pgregory.net/rapid"

	"github.com/ccm-ci/ccm/sim/githubsim"
)

// Property 47: GitHub Authentication — "For any system startup,
// authentication should be performed using the configured GitHub token".
// Every API request carries the configured token; the log download from
// blob storage never does; another token is refused.
func TestProperty47_GitHubAuthentication(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		token := rapid.StringMatching(`[A-Za-z0-9_]{1,40}`).Draw(rt, "token")
		c, s, clock := propSetup(rt, func(o *Options) { o.Token = token })
		s.RequireToken(token)
		s.AddRun("acme/web", failedRun(1, clock.Now()))
		ctx := context.Background()
		for _, op := range rapid.SliceOfN(rapid.SampledFrom(operations("acme/web")), 1, 4).Draw(rt, "operations") {
			if err := op.call(ctx, c); err != nil {
				rt.Fatalf("%s with the configured token: %v", op.name, err)
			}
		}
		if _, _, err := c.RateLimit(ctx); err != nil {
			rt.Fatalf("RateLimit: %v", err)
		}
		for _, r := range s.Requests() {
			got := r.Header.Get("Authorization")
			if r.Route == githubsim.RouteLogBlob {
				if got != "" {
					rt.Errorf("log download carried Authorization %q", got)
				}
				continue
			}
			if got != "Bearer "+token {
				rt.Errorf("%s %s carried Authorization %q, want the configured token", r.Method, r.Path, got)
			}
		}

		other, err := New(testOptions(s, clock, func(o *Options) { o.Token = token + "x" }))
		if err != nil {
			rt.Fatalf("New: %v", err)
		}
		op := drawOperation(rt, "acme/web")
		if err := op.call(ctx, other); !errors.Is(err, ErrUnauthorized) {
			rt.Fatalf("%s with another token: err = %v, want ErrUnauthorized", op.name, err)
		}
	})
}

var (
	allStatuses    = []string{"completed", "completed", "completed", "in_progress", "queued", "waiting"}
	allConclusions = []string{"", "success", "failure", "timed_out", "startup_failure", "cancelled", "skipped", "neutral", "action_required"}
)

// Property 48: Failed Workflow Filtering — "For any workflow run
// retrieval, only runs with failure status should be returned". The
// result is exactly the runs created since the cut-off that completed with
// a failing conclusion, even from a server that ignores the filters.
func TestProperty48_FailedWorkflowFiltering(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		c, s, clock := propSetup(rt, nil)
		s.AddRepo("acme/web")
		s.IgnoreStatusFilter(rapid.Bool().Draw(rt, "serverIgnoresFilters"))
		now := clock.Now()
		var since time.Time
		if rapid.Bool().Draw(rt, "withSince") {
			since = now.Add(-time.Duration(rapid.IntRange(0, 72*60).Draw(rt, "sinceMinutesAgo")) * time.Minute)
		}
		n := rapid.IntRange(0, 120).Draw(rt, "runs")
		var want []int64
		for i := range n {
			r := githubsim.Run{
				ID:         int64(i + 1),
				Status:     rapid.SampledFrom(allStatuses).Draw(rt, "status"),
				Conclusion: rapid.SampledFrom(allConclusions).Draw(rt, "conclusion"),
				CreatedAt:  now.Add(-time.Duration(rapid.IntRange(0, 72*60).Draw(rt, "createdMinutesAgo")) * time.Minute),
			}
			s.AddRun("acme/web", r)
			failing := r.Conclusion == "failure" || r.Conclusion == "timed_out" || r.Conclusion == "startup_failure"
			if r.Status == "completed" && failing && !r.CreatedAt.Before(since) {
				want = append(want, r.ID)
			}
		}

		runs, err := c.ListFailedRuns(context.Background(), "acme/web", since)
		if err != nil {
			rt.Fatalf("ListFailedRuns: %v", err)
		}
		got := runIDs(runs)
		slices.Sort(got)
		if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
			rt.Fatalf("failed run IDs (-want +got):\n%s", diff)
		}
		for _, r := range runs {
			if !r.Failed() {
				rt.Errorf("run %d (%s/%s) returned but did not fail", r.ID, r.Status, r.Conclusion)
			}
		}
	})
}

// Property 49: Complete Workflow Details — "For any workflow run, the
// retrieved details should include logs, status, commit information, and
// branch details".
func TestProperty49_CompleteWorkflowDetails(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		c, s, clock := propSetup(rt, nil)
		created := clock.Now().Add(-time.Duration(rapid.IntRange(1, 365*24*60).Draw(rt, "createdMinutesAgo")) * time.Minute).UTC()
		fork := rapid.Bool().Draw(rt, "fromFork")
		actor := rapid.StringMatching(`[a-z][a-z0-9-]{0,15}`).Draw(rt, "actor")
		headRepo := "acme/web"
		if fork {
			headRepo = "forker-" + actor + "/web"
		}
		sim := githubsim.Run{
			ID: rapid.Int64Range(1, 1<<40).Draw(rt, "runID"), Attempt: rapid.IntRange(1, 5).Draw(rt, "attempt"),
			WorkflowID: rapid.Int64Range(1, 1<<30).Draw(rt, "workflowID"),
			Name:       rapid.StringMatching(`[A-Za-z][A-Za-z0-9 _.-]{0,30}`).Draw(rt, "workflow"),
			Event:      rapid.SampledFrom([]string{"push", "pull_request", "schedule", "workflow_dispatch"}).Draw(rt, "event"),
			Status:     "completed", Conclusion: rapid.SampledFrom(FailedConclusions).Draw(rt, "conclusion"),
			HeadBranch: rapid.StringMatching(`[a-z0-9][a-z0-9/._-]{0,40}`).Draw(rt, "branch"),
			HeadSHA:    rapid.StringMatching(`[0-9a-f]{40}`).Draw(rt, "sha"),
			Actor:      actor, TriggeringActor: rapid.StringMatching(`[a-z][a-z0-9-]{0,15}`).Draw(rt, "triggeringActor"),
			HeadRepo: headRepo, FromFork: fork,
			CreatedAt: created, RunStartedAt: created.Add(time.Minute), UpdatedAt: created.Add(time.Hour),
		}
		want := Run{
			ID: sim.ID, Attempt: sim.Attempt, Name: sim.Name, Event: sim.Event, Status: sim.Status,
			Conclusion: sim.Conclusion, HeadBranch: sim.HeadBranch, HeadSHA: sim.HeadSHA,
			HTMLURL: fmt.Sprintf("https://github.com/acme/web/actions/runs/%d", sim.ID), Actor: sim.Actor,
			TriggeringActor: sim.TriggeringActor, HeadRepoFullName: headRepo, FromFork: fork, WorkflowID: sim.WorkflowID,
			CreatedAt: created, UpdatedAt: sim.UpdatedAt, RunStartedAt: sim.RunStartedAt,
		}
		var wantJobs []Job
		logs := map[int64]string{}
		for i := range rapid.IntRange(1, 5).Draw(rt, "jobs") {
			j := githubsim.Job{
				ID: sim.ID*10 + int64(i), Name: rapid.StringMatching(`[a-z][a-z0-9 ()-]{0,20}`).Draw(rt, "jobName"),
				Status: "completed", Conclusion: rapid.SampledFrom([]string{"success", "failure", "skipped"}).Draw(rt, "jobConclusion"),
				RunnerName: rapid.StringMatching(`[A-Za-z0-9 -]{1,20}`).Draw(rt, "runner"),
				StartedAt:  created.Add(time.Minute), CompletedAt: created.Add(2 * time.Minute),
				Log: rapid.StringN(1, 3000, -1).Draw(rt, "log"),
			}
			wj := Job{ID: j.ID, RunID: sim.ID, Attempt: sim.Attempt, Name: j.Name, Status: j.Status, Conclusion: j.Conclusion,
				RunnerName: j.RunnerName, StartedAt: j.StartedAt, CompletedAt: j.CompletedAt}
			for k := range rapid.IntRange(0, 4).Draw(rt, "steps") {
				st := githubsim.Step{Number: int64(k + 1), Name: rapid.StringMatching(`[A-Za-z][A-Za-z0-9 ./-]{0,20}`).Draw(rt, "stepName"),
					Status: "completed", Conclusion: rapid.SampledFrom([]string{"success", "failure", "skipped"}).Draw(rt, "stepConclusion")}
				j.Steps = append(j.Steps, st)
				wj.Steps = append(wj.Steps, Step(st))
			}
			sim.Jobs = append(sim.Jobs, j)
			wantJobs = append(wantJobs, wj)
			logs[j.ID] = j.Log
		}
		s.AddRun("acme/web", sim)
		ctx := context.Background()

		got, err := c.GetRun(ctx, "acme/web", sim.ID, 0)
		if err != nil {
			rt.Fatalf("GetRun: %v", err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			rt.Fatalf("run (-want +got):\n%s", diff)
		}
		jobs, err := c.ListJobs(ctx, "acme/web", sim.ID, sim.Attempt)
		if err != nil {
			rt.Fatalf("ListJobs: %v", err)
		}
		if diff := cmp.Diff(wantJobs, jobs, cmpopts.IgnoreFields(Job{}, "HTMLURL")); diff != "" {
			rt.Fatalf("jobs (-want +got):\n%s", diff)
		}
		for _, j := range jobs {
			if !strings.Contains(j.HTMLURL, fmt.Sprint(j.ID)) {
				rt.Errorf("job %d HTMLURL %q does not link to it", j.ID, j.HTMLURL)
			}
			var text string
			err := c.JobLog(ctx, "acme/web", j.ID, func(r io.Reader) error {
				b, err := io.ReadAll(r)
				text = string(b)
				return err
			})
			if err != nil {
				rt.Fatalf("JobLog %d: %v", j.ID, err)
			}
			if text != logs[j.ID] {
				rt.Errorf("log of job %d: got %d bytes, want %d", j.ID, len(text), len(logs[j.ID]))
			}
		}
	})
}

// failure is one way a GitHub call can fail for good.
type failure struct {
	name      string
	retryable bool
	sentinel  error // for final errors
	setup     func(s *githubsim.Server, pt *planTransport, now time.Time)
}

var failures = []failure{
	{name: "repository gone", sentinel: ErrNotFound, setup: func(s *githubsim.Server, _ *planTransport, _ time.Time) {
		s.FailNext("*", githubsim.Fault{Status: 404, Body: `{"message":"Not Found"}`, Count: -1})
	}},
	{name: "token revoked", sentinel: ErrUnauthorized, setup: func(s *githubsim.Server, _ *planTransport, _ time.Time) {
		s.RequireToken("rotated")
	}},
	{name: "no permission", sentinel: ErrForbidden, setup: func(s *githubsim.Server, _ *planTransport, _ time.Time) {
		s.FailNext("*", githubsim.Fault{Status: 403, Body: `{"message":"Resource not accessible by integration"}`, Count: -1})
	}},
	{name: "garbage answer", sentinel: ErrMalformedResponse, setup: func(s *githubsim.Server, _ *planTransport, _ time.Time) {
		s.FailNext("*", githubsim.Fault{Status: 200, Body: `{"workflow_runs": [{`, Count: -1})
	}},
	{name: "server down", retryable: true, setup: func(s *githubsim.Server, _ *planTransport, _ time.Time) {
		s.FailNext("*", githubsim.ServerError(503).WithCount(-1))
	}},
	{name: "network down", retryable: true, setup: func(_ *githubsim.Server, pt *planTransport, _ time.Time) {
		pt.plan = make([]int, 100)
	}},
	{name: "primary limit for an hour", retryable: true, setup: func(s *githubsim.Server, _ *planTransport, now time.Time) {
		s.FailNext("*", githubsim.PrimaryRateLimit(now.Add(time.Hour)).WithCount(-1))
	}},
	{name: "secondary limit", retryable: true, setup: func(s *githubsim.Server, _ *planTransport, _ time.Time) {
		s.FailNext("*", githubsim.SecondaryRateLimit(http.StatusTooManyRequests, 20*time.Minute).WithCount(-1))
	}},
}

// Property 51: GitHub Error Reporting — "For any failed GitHub API call, a
// descriptive error should be returned with retry information". The error
// names the operation and repository; a failure that passes with time is
// a *RetryError saying when to retry, a final one is not.
func TestProperty51_GitHubErrorReporting(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		pt := &planTransport{next: ownTransport(rt)}
		c, s, clock := propSetup(rt, func(o *Options) { o.HTTPClient = &http.Client{Transport: pt} })
		pt.s = s
		s.AddRun("acme/web", failedRun(1, clock.Now()))
		f := rapid.SampledFrom(failures).Draw(rt, "failure")
		op := drawOperation(rt, "acme/web")
		f.setup(s, pt, clock.Now())

		err := op.call(context.Background(), c)
		if err == nil {
			rt.Fatalf("%s succeeded despite %s", op.name, f.name)
		}
		if !strings.HasPrefix(err.Error(), op.prefix) {
			rt.Errorf("error %q does not start with %q", err, op.prefix)
		}
		var re *RetryError
		isRetry := errors.As(err, &re)
		switch {
		case f.retryable && !isRetry:
			rt.Fatalf("%s: err = %v, want a *RetryError", f.name, err)
		case f.retryable && (re.RetryAt.Before(clock.Now()) || !strings.Contains(err.Error(), "worth trying again from")):
			rt.Fatalf("%s: RetryAt %v before now %v or not reported in %q", f.name, re.RetryAt, clock.Now(), err)
		case !f.retryable && isRetry:
			rt.Fatalf("%s: final error %v promises a retry", f.name, err)
		case !f.retryable && !errors.Is(err, f.sentinel):
			rt.Fatalf("%s: err = %v, want errors.Is %v", f.name, err, f.sentinel)
		}
	})
}
