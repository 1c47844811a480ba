package tasks_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/ccm-ci/ccm/sim/githubsim"
	"github.com/ccm-ci/ccm/state"
	"github.com/ccm-ci/ccm/tasks"
)

// startWorker runs a real asynq server with the handlers on the harness
// queue, with retry delays shrunk to milliseconds.
func startWorker(t *testing.T, h *harness) {
	t.Helper()
	h.cfg.Retry.InitialBackoff, h.cfg.Retry.MaxBackoff = time.Millisecond, 5*time.Millisecond
	srv := asynq.NewServerFromRedisClient(h.queue.Redis, asynq.Config{
		Concurrency: 4, Queues: tasks.QueueWeights, RetryDelayFunc: h.h.RetryDelay,
		ErrorHandler: asynq.ErrorHandlerFunc(h.h.HandleError), Logger: tasks.AsynqLogger{L: quiet},
		DelayedTaskCheckInterval: 20 * time.Millisecond, TaskCheckInterval: 20 * time.Millisecond,
		ShutdownTimeout: 5 * time.Second,
	})
	if err := srv.Start(h.h.Mux()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Shutdown)
}

// eventually polls cond for up to 20 s; the work is asynchronous.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (h *harness) status(id string) state.Status {
	rec, err := h.store.GetFailure(context.Background(), id)
	if err != nil {
		return ""
	}
	return rec.Status
}

func TestPipelineIngestThenAnalyze(t *testing.T) {
	h := newHarness(t, nil)
	startWorker(t, h)
	run := h.failedRun(t, npmLog)
	if _, err := h.queue.EnqueueContext(context.Background(), ingestTask(t, run)); err != nil {
		t.Fatal(err)
	}
	id := tasks.FailureID(testRepo, run.ID, 1)
	eventually(t, "the failure to be analyzed", func() bool { return h.status(id) == state.StatusAnalyzed })
	// The gate runs right after the analysis and may have written its
	// validation entry already (under load it often has): not this test's
	// concern.
	evs := slices.DeleteFunc(h.audit(t, state.AuditQuery{FailureID: id}),
		func(e state.AuditEntry) bool { return e.ActionType == state.ActionValidation })
	if len(evs) != 2 || evs[0].ActionType != state.ActionAnalysis || evs[1].ActionType != state.ActionDetection {
		t.Fatalf("audit trail = %+v, want analysis then detection (newest first)", evs)
	}
}

// A log download that keeps breaking mid-stream is retried by the client
// and by the queue; on the last attempt the failure is recorded with
// "logs unavailable" and analyzed anyway — never dropped.
func TestPipelineBrokenLogDownloadIsRecordedNotDropped(t *testing.T) {
	h := newHarness(t, nil)
	startWorker(t, h)
	run := h.failedRun(t, npmLog)
	h.gh.FailNext(githubsim.RouteLogBlob, githubsim.Fault{BreakAfterBytes: 50, Count: -1})
	if _, err := h.queue.EnqueueContext(context.Background(), ingestTask(t, run)); err != nil {
		t.Fatal(err)
	}
	id := tasks.FailureID(testRepo, run.ID, 1)
	eventually(t, "the failure to be analyzed", func() bool { return h.status(id) == state.StatusAnalyzed })
	rec, _ := h.store.GetFailure(context.Background(), id)
	if !rec.LogUnavailable {
		t.Errorf("record %+v: want log_unavailable", rec)
	}
	downloads := len(h.gh.RequestsTo(githubsim.RouteLogBlob))
	want := (tasks.MaxRetry(tasks.TypeIngest) + 1) * 3 // queue attempts × client attempts
	if downloads != want {
		t.Errorf("log downloads = %d, want %d", downloads, want)
	}
}

// A task that uses up its retries is archived, audited and alerted.
func TestPipelineExhaustedTaskIsArchivedAuditedAlerted(t *testing.T) {
	h := newHarness(t, nil)
	startWorker(t, h)
	run := h.failedRun(t, npmLog)
	h.gh.FailNext(githubsim.RouteGetAttempt, githubsim.Fault{Status: 502, Count: -1})
	h.gh.FailNext(githubsim.RouteGetRun, githubsim.Fault{Status: 502, Count: -1})
	if _, err := h.queue.EnqueueContext(context.Background(), ingestTask(t, run)); err != nil {
		t.Fatal(err)
	}
	id := tasks.FailureID(testRepo, run.ID, 1)
	eventually(t, "the task to be archived", func() bool {
		archived, err := h.queue.Inspector.ListArchivedTasks(tasks.QueueDefault)
		return err == nil && len(archived) == 1
	})
	eventually(t, "the alert", func() bool {
		return len(h.audit(t, state.AuditQuery{FailureID: id, ActionType: state.ActionAlert})) == 1
	})
	if _, err := h.store.GetFailure(context.Background(), id); !errors.Is(err, state.ErrNotFound) {
		t.Errorf("a failure whose run could not be read was recorded: %v", err)
	}
}

// An ingest archived after a GitHub outage is not lost: the next poll
// finds the run still unrecorded, deletes the archived task and enqueues
// it again.
func TestPollRequeuesArchivedIngest(t *testing.T) {
	h := newHarness(t, nil)
	startWorker(t, h)
	run := h.failedRun(t, npmLog)
	h.gh.FailNext(githubsim.RouteGetAttempt, githubsim.Fault{Status: 502, Count: -1})
	if _, err := h.queue.EnqueueContext(context.Background(), ingestTask(t, run)); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the ingest to be archived", func() bool {
		archived, err := h.queue.Inspector.ListArchivedTasks(tasks.QueueDefault)
		return err == nil && len(archived) == 1
	})
	h.gh.ClearFaults() // GitHub is back
	// A poll right away leaves it archived (requeues are spaced out)...
	if err := h.h.HandlePoll(context.Background(), pollTask(t, testRepo)); err != nil {
		t.Fatal(err)
	}
	if archived, _ := h.queue.Inspector.ListArchivedTasks(tasks.QueueDefault); len(archived) != 1 {
		t.Fatalf("archived tasks right after the outage = %d, want still 1", len(archived))
	}
	// ...a poll a quarter of an hour later enqueues it again.
	deps := h.deps
	deps.Now = func() time.Time { return time.Now().Add(15 * time.Minute) }
	if err := tasks.NewHandlers(deps).HandlePoll(context.Background(), pollTask(t, testRepo)); err != nil {
		t.Fatal(err)
	}
	id := tasks.FailureID(testRepo, run.ID, 1)
	eventually(t, "the failure to be analyzed", func() bool { return h.status(id) == state.StatusAnalyzed })
	if evs := h.audit(t, state.AuditQuery{ActionType: state.ActionRecovery}); len(evs) != 1 {
		t.Errorf("recovery audit events = %d, want 1", len(evs))
	}
}
