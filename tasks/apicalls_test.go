package tasks_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/hibiken/asynq"

	"github.com/ccm-ci/ccm/integrations/github"
	"github.com/ccm-ci/ccm/sim/githubsim"
	"github.com/ccm-ci/ccm/state"
	"github.com/ccm-ci/ccm/tasks"
)

// GitHub's 5,000 calls an hour are what a mass failure runs into, so what
// a failure and a quiet poll cost is pinned here. Counted: requests that
// spend the rate limit (a 304 does not; the log's signed download is not
// an API request).

// apiCalls runs task and returns the API requests it made per route, and
// how many of them the rate limit counted.
func (h *harness) apiCalls(t *testing.T, task func() error) (routes map[string]int, counted int) {
	t.Helper()
	h.gh.ResetRequests()
	before := h.gh.Remaining()
	if err := task(); err != nil {
		t.Fatal(err)
	}
	routes = map[string]int{}
	for _, r := range h.gh.Requests() {
		if r.Route != githubsim.RouteLogBlob {
			routes[r.Route]++
		}
	}
	return routes, before - h.gh.Remaining()
}

// webhookIngest is the ingest the webhook enqueues for run: the delivery's
// run rides along in the payload.
func webhookIngest(t *testing.T, run githubsim.Run) *asynq.Task {
	t.Helper()
	ev, err := github.ParseWorkflowRunEvent(githubsim.WorkflowRunEventBody(testRepo, run, "completed"))
	if err != nil {
		t.Fatal(err)
	}
	task, err := tasks.NewIngestTask(tasks.IngestPayload{Repo: testRepo, RunID: ev.Run.ID, Attempt: ev.Run.Attempt,
		Source: "webhook", Run: &ev.Run})
	if err != nil {
		t.Fatal(err)
	}
	return task
}

// deliver does to ccm's run index what the webhook receiver does with a
// workflow_run delivery of each run (any action, any conclusion).
func (h *harness) deliver(t *testing.T, runs ...githubsim.Run) {
	t.Helper()
	var refs []state.RunRef
	for _, r := range runs {
		ev, err := github.ParseWorkflowRunEvent(githubsim.WorkflowRunEventBody(testRepo, r, "completed"))
		if err != nil {
			t.Fatal(err)
		}
		refs = append(refs, tasks.RunRef(ev.Run))
	}
	if err := h.store.NoteRuns(context.Background(), testRepo, refs, true); err != nil {
		t.Fatal(err)
	}
}

// TestIngestAPICallsPerFailure counts the GitHub API requests one failure
// costs at ingest: its jobs, the failed job's log URL, and the change —
// one for a push whose previous run a webhook delivered (the comparison;
// two when ccm has not seen that run: GitHub's list names it), one for a
// pull request of up to 100 files (its files, whose links name the head
// they were listed at), none for a re-run of a commit already recorded.
// The run itself costs nothing when the webhook or the poll's list
// carried it, one call when not (an ingest asked for from Slack).
func TestIngestAPICallsPerFailure(t *testing.T) {
	h := newHarness(t, nil)
	ctx := context.Background()
	prev := h.gh.AddRun(testRepo, githubsim.Run{Conclusion: "success", CreatedAt: time.Now().Add(-time.Hour)})
	run := h.gh.AddRun(testRepo, githubsim.Run{Conclusion: "failure", Jobs: failingJobs()})
	h.gh.SetCompare(testRepo, prev.HeadSHA, run.HeadSHA, []string{"README.md"})
	p := h.gh.AddPull(testRepo, githubsim.PullRequest{Head: "fix", Base: "main", Files: []string{"README.md"}})
	pr := h.gh.AddRun(testRepo, githubsim.Run{Event: "pull_request", Conclusion: "failure", HeadBranch: "fix",
		PullRequests: []int{p.Number}, Jobs: failingJobs()})
	polled := h.gh.AddRun(testRepo, githubsim.Run{Conclusion: "failure", HeadBranch: "release", Jobs: failingJobs()})
	asked := h.gh.AddRun(testRepo, githubsim.Run{Conclusion: "failure", HeadBranch: "nightly", Jobs: failingJobs()})

	base := map[string]int{githubsim.RouteListAttemptJobs: 1, githubsim.RouteJobLogs: 1}
	with := func(extra map[string]int) map[string]int {
		out := map[string]int{}
		for _, m := range []map[string]int{base, extra} {
			for k, v := range m {
				out[k] += v
			}
		}
		return out
	}
	ingest := func(task *asynq.Task) func() error {
		return func() error { return h.h.HandleIngest(ctx, task) }
	}
	check := func(name string, task func() error, want map[string]int) {
		t.Helper()
		got, counted := h.apiCalls(t, task)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s: API calls per route (-want +got):\n%s", name, diff)
		}
		n := 0
		for _, v := range want {
			n += v
		}
		if counted != n {
			t.Errorf("%s: %d calls counted by the rate limit, want %d", name, counted, n)
		}
		t.Logf("%s: %d API calls (%v)", name, counted, got)
	}

	h.deliver(t, prev, run)
	check("push (webhook)", ingest(webhookIngest(t, run)), with(map[string]int{githubsim.RouteCompare: 1}))
	check("pull request (webhook)", ingest(webhookIngest(t, pr)), with(map[string]int{githubsim.RoutePullFiles: 1}))
	for _, r := range []githubsim.Run{run, pr} {
		rec := h.record(t, tasks.FailureID(testRepo, r.ID, 1))
		if len(rec.ChangedFiles) != 1 || rec.ChangedFilesUnavailable {
			t.Errorf("%s run: files %v unavailable %v; want its change, complete, at 3 calls", r.Event, rec.ChangedFiles, rec.ChangedFilesUnavailable)
		}
	}

	// The previous run's deliveries were lost (or came before ccm
	// watched): GitHub's list names it, one call more.
	devPrev := h.gh.AddRun(testRepo, githubsim.Run{Conclusion: "success", HeadBranch: "dev", CreatedAt: time.Now().Add(-time.Hour)})
	dev := h.gh.AddRun(testRepo, githubsim.Run{Conclusion: "failure", HeadBranch: "dev", Jobs: failingJobs()})
	h.gh.SetCompare(testRepo, devPrev.HeadSHA, dev.HeadSHA, []string{"README.md"})
	h.deliver(t, dev)
	check("push (webhook, previous run not delivered)", ingest(webhookIngest(t, dev)),
		with(map[string]int{githubsim.RouteListWorkflowRuns: 1, githubsim.RouteCompare: 1}))

	// Someone re-runs the push's run by hand and the re-run fails too.
	run2 := run
	run2.Attempt, run2.Jobs = 2, failingJobs()
	run2 = h.gh.AddRun(testRepo, run2)
	check("re-run of a recorded commit (webhook)", ingest(webhookIngest(t, run2)), base)
	rec := h.record(t, tasks.FailureID(testRepo, run.ID, 2))
	if rec.ChangedFilesSource != "earlier_attempt" || len(rec.ChangedFiles) != 1 || rec.ChangedFilesUnavailable || rec.RetryOf != "" {
		t.Errorf("attempt 2: files %v from %q unavailable %v retry_of %q: want attempt 1's, and no retry_of (a person re-ran it)",
			rec.ChangedFiles, rec.ChangedFilesSource, rec.ChangedFilesUnavailable, rec.RetryOf)
	}

	// The poll's list carries the run too. No earlier run on its branch
	// to compare with: the head commit stands in (a part of the change).
	if err := h.h.HandlePoll(ctx, pollTask(t, testRepo)); err != nil {
		t.Fatal(err)
	}
	var fromPoll *asynq.Task
	for _, ti := range h.queue.Pending(t, tasks.QueueDefault, tasks.TypeIngest) {
		if ti.ID == tasks.IngestTaskID(tasks.FailureID(testRepo, polled.ID, 1)) {
			fromPoll = asynq.NewTask(tasks.TypeIngest, ti.Payload)
		}
	}
	if fromPoll == nil {
		t.Fatalf("the poll enqueued no ingest of run %d", polled.ID)
	}
	check("push (poll)", ingest(fromPoll), with(map[string]int{githubsim.RouteListWorkflowRuns: 1, githubsim.RouteGetCommit: 1}))

	// Nothing carried the run (an ingest asked for from Slack): one call
	// more, for the run attempt.
	check("push (no run carried)", ingest(ingestTask(t, asked)),
		with(map[string]int{githubsim.RouteGetAttempt: 1, githubsim.RouteListWorkflowRuns: 1, githubsim.RouteGetCommit: 1}))
}

// TestPollAPICallsUnchanged: a poll that finds nothing new asks the same
// list URLs as the last and GitHub answers 304, which the rate limit does
// not count: a quiet repository costs nothing per poll, whatever the
// interval.
func TestPollAPICallsUnchanged(t *testing.T) {
	h := newHarness(t, nil)
	ctx := context.Background()
	h.gh.AddRun(testRepo, githubsim.Run{Conclusion: "success"})
	run := h.failedRun(t, npmLog)
	if err := h.h.HandleIngest(ctx, ingestTask(t, run)); err != nil {
		t.Fatal(err)
	}
	poll := func() error { return h.h.HandlePoll(ctx, pollTask(t, testRepo)) }
	// The first poll looks back an hour, the next ones from their cursor:
	// the second asks new URLs, the third the second's.
	for i := range 2 {
		first, counted := h.apiCalls(t, poll)
		t.Logf("poll %d: %d counted (%v)", i+1, counted, first)
	}
	again, counted := h.apiCalls(t, poll)
	t.Logf("unchanged poll: %d counted (%v)", counted, again)
	if counted != 0 {
		t.Errorf("an unchanged poll spent %d calls of the rate limit, want 0 (every list answered 304)", counted)
	}
	// The lists themselves: one per failed conclusion and one of the
	// re-run runs, answered 304 each.
	want := map[string]int{githubsim.RouteListRuns: len(github.FailedConclusions) + 1}
	if diff := cmp.Diff(want, again); diff != "" {
		t.Errorf("unchanged poll requests (-want +got):\n%s", diff)
	}
}
