package tasks_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/ccm-ci/ccm/sim/githubsim"
	"github.com/ccm-ci/ccm/state"
	"github.com/ccm-ci/ccm/tasks"
)

func pollTask(t *testing.T, repo string) *asynq.Task {
	t.Helper()
	task, err := tasks.NewPollTask(repo)
	if err != nil {
		t.Fatal(err)
	}
	return task
}

func TestPollEnqueuesOnlyNewFailures(t *testing.T) {
	h := newHarness(t, nil)
	ctx := context.Background()
	old := h.failedRun(t, npmLog)
	fresh := h.failedRun(t, npmLog)
	h.gh.AddRun(testRepo, githubsim.Run{Conclusion: "success"})
	h.gh.AddRun(testRepo, githubsim.Run{Status: "in_progress"})
	if err := h.h.HandleIngest(ctx, ingestTask(t, old)); err != nil { // already recorded
		t.Fatal(err)
	}

	if err := h.h.HandlePoll(ctx, pollTask(t, testRepo)); err != nil {
		t.Fatal(err)
	}
	var got []tasks.IngestPayload
	for _, ti := range h.queue.Pending(t, tasks.QueueDefault, tasks.TypeIngest) {
		var p tasks.IngestPayload
		if err := json.Unmarshal(ti.Payload, &p); err != nil {
			t.Fatal(err)
		}
		got = append(got, p)
	}
	if len(got) != 1 || got[0].RunID != fresh.ID || got[0].Source != "poll" {
		t.Fatalf("ingests enqueued = %+v, want only run %d", got, fresh.ID)
	}

	// A second poll finds the same run still unrecorded: the task ID
	// keeps it to one ingest.
	if err := h.h.HandlePoll(ctx, pollTask(t, testRepo)); err != nil {
		t.Fatal(err)
	}
	if n := len(h.queue.Pending(t, tasks.QueueDefault, tasks.TypeIngest)); n != 1 {
		t.Fatalf("ingests after a second poll = %d, want 1", n)
	}
	if c, err := h.store.Cursor(ctx, testRepo); err != nil || c.IsZero() {
		t.Errorf("cursor = %v, %v; want it set", c, err)
	}
}

func TestPollBrokenRepositoryAlertsAndOthersContinue(t *testing.T) {
	tests := []struct {
		name  string
		fault githubsim.Fault
	}{
		{name: "repository 404", fault: githubsim.Fault{Status: http.StatusNotFound, Body: `{"message":"Not Found"}`}},
		{name: "revoked token", fault: githubsim.Fault{Status: http.StatusUnauthorized, Body: `{"message":"Bad credentials"}`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, nil)
			h.cfg = configWith(time.Minute, testRepo, "acme/api")
			h.gh.AddRepo("acme/api")
			ctx := context.Background()
			h.gh.FailNext(githubsim.RouteListRuns, tt.fault)
			if err := h.h.HandlePoll(ctx, pollTask(t, testRepo)); err != nil {
				t.Fatalf("poll of a broken repository: %v; want it handled (audited, alerted)", err)
			}
			if evs := h.audit(t, state.AuditQuery{Repo: testRepo, ActionType: state.ActionAlert}); len(evs) != 1 || evs[0].Details["severity"] != "critical" {
				t.Fatalf("alerts = %+v, want one critical", evs)
			}
			if evs := h.audit(t, state.AuditQuery{Repo: testRepo, ActionType: state.ActionError}); len(evs) != 1 {
				t.Fatalf("error events = %d, want 1", len(evs))
			}
			// The next poll of the same broken repo is audited but not re-alerted.
			h.gh.FailNext(githubsim.RouteListRuns, tt.fault)
			_ = h.h.HandlePoll(ctx, pollTask(t, testRepo))
			if evs := h.audit(t, state.AuditQuery{Repo: testRepo, ActionType: state.ActionAlert}); len(evs) != 1 {
				t.Errorf("alerts after a second failure = %d, want still 1 (throttled)", len(evs))
			}
			if evs := h.audit(t, state.AuditQuery{Repo: testRepo, ActionType: state.ActionError}); len(evs) != 2 {
				t.Errorf("error events after a second failure = %d, want 2", len(evs))
			}
			// Another repository is polled as usual.
			h.gh.AddRun("acme/api", githubsim.Run{Conclusion: "failure", Jobs: []githubsim.Job{{Name: "t", Conclusion: "failure"}}})
			if err := h.h.HandlePoll(ctx, pollTask(t, "acme/api")); err != nil {
				t.Fatalf("poll of a healthy repository: %v", err)
			}
		})
	}
}

func TestPollOfUnwatchedRepositoryDoesNothing(t *testing.T) {
	h := newHarness(t, nil)
	if err := h.h.HandlePoll(context.Background(), pollTask(t, "someone/else")); err != nil {
		t.Fatal(err)
	}
	if n := len(h.gh.Requests()); n != 0 {
		t.Errorf("GitHub requests = %d, want 0", n)
	}
}

// A failure left at detected (its analysis task lost) is re-enqueued by
// the next poll of its repository.
func TestPollReconcilesStaleDetectedFailures(t *testing.T) {
	h := newHarness(t, nil)
	ctx := context.Background()
	stale := recordFailure(t, h, 11, "fp-stale")
	if err := h.h.HandlePoll(ctx, pollTask(t, testRepo)); err != nil {
		t.Fatal(err)
	}
	if n := len(h.queue.Pending(t, tasks.QueueDefault, tasks.TypeAnalyze)); n != 0 {
		t.Fatalf("a fresh detected failure was re-enqueued (%d tasks)", n)
	}
	h.deps.Now = func() time.Time { return time.Now().Add(time.Hour) }
	later := tasks.NewHandlers(h.deps)
	if err := later.HandlePoll(ctx, pollTask(t, testRepo)); err != nil {
		t.Fatal(err)
	}
	got := h.queue.Pending(t, tasks.QueueDefault, tasks.TypeAnalyze)
	if len(got) != 1 || got[0].ID != tasks.AnalyzeTaskID(stale) {
		t.Fatalf("analyze tasks = %+v, want one for %s", got, stale)
	}
}

// A failure re-run by hand before the next poll (no webhook) is still
// recorded: the poll looks at the earlier attempts of re-run runs.
func TestPollFindsFailedAttemptOfARerunThatPassed(t *testing.T) {
	h := newHarness(t, nil)
	ctx := context.Background()
	first := h.failedRun(t, npmLog)
	h.gh.AddRun(testRepo, githubsim.Run{ID: first.ID, Attempt: 2, Conclusion: "success",
		Jobs: []githubsim.Job{{Name: "test", Conclusion: "success"}}})
	if err := h.h.HandlePoll(ctx, pollTask(t, testRepo)); err != nil {
		t.Fatal(err)
	}
	pending := h.queue.Pending(t, tasks.QueueDefault, tasks.TypeIngest)
	if len(pending) != 1 || pending[0].ID != tasks.IngestTaskID(tasks.FailureID(testRepo, first.ID, 1)) {
		t.Fatalf("ingests = %+v, want attempt 1 of run %d", pending, first.ID)
	}
	task, err := tasks.NewIngestTask(tasks.IngestPayload{Repo: testRepo, RunID: first.ID, Attempt: 1})
	if err != nil {
		t.Fatal(err)
	}
	if err := h.h.HandleIngest(ctx, task); err != nil {
		t.Fatal(err)
	}
	rec, err := h.store.GetFailure(ctx, tasks.FailureID(testRepo, first.ID, 1))
	if err != nil || !strings.Contains(rec.FailureReason, "ECONNRESET") {
		t.Fatalf("record of the failed first attempt = %+v, %v", rec, err)
	}
}
