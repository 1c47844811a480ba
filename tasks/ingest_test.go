package tasks_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/ccm-ci/ccm/excerpt/excerpttest"
	"github.com/ccm-ci/ccm/integrations/github"
	"github.com/ccm-ci/ccm/sim/githubsim"
	"github.com/ccm-ci/ccm/state"
	"github.com/ccm-ci/ccm/tasks"
)

func TestIngestRecordsFailureAndEnqueuesAnalysis(t *testing.T) {
	h := newHarness(t, nil)
	secret := "ghp_" + strings.Repeat("a1B2", 9)
	run := h.failedRun(t, npmLog+"2024-05-05T14:25:23Z token="+secret+"\n")
	ctx := context.Background()
	rec := h.ingested(t, run)
	id := rec.ID
	if rec.Status != state.StatusDetected || rec.Repo != testRepo || rec.RunID != run.ID || rec.Branch != "main" ||
		rec.CommitSHA != run.HeadSHA || rec.Actor == "" || rec.RunURL == "" || rec.Workflow != "CI" {
		t.Errorf("record metadata incomplete: %+v", rec)
	}
	if len(rec.FailedJobs) != 1 || rec.FailedJobs[0].Name != "test" || len(rec.FailedJobs[0].FailedSteps) != 1 {
		t.Errorf("failed jobs = %+v, want the test job with its failed step", rec.FailedJobs)
	}
	if !strings.Contains(rec.FailureReason, "ECONNRESET") {
		t.Errorf("reason = %q", rec.FailureReason)
	}
	if strings.Contains(rec.LogExcerpt, secret) {
		t.Errorf("the stored excerpt holds the secret")
	}
	if rec.Fingerprint == "" {
		t.Error("no fingerprint")
	}
	if len(rec.ChangedFiles) != 1 || rec.ChangedFiles[0] != "package.json" {
		t.Errorf("changed files = %v, want the head commit's", rec.ChangedFiles)
	}
	if evs := h.audit(t, state.AuditQuery{FailureID: id, ActionType: state.ActionDetection}); len(evs) != 1 {
		t.Errorf("detection audit events = %d, want 1", len(evs))
	}
	if got := h.queue.Pending(t, tasks.QueueDefault, tasks.TypeAnalyze); len(got) != 1 || got[0].ID != "analyze:"+id {
		t.Errorf("analyze tasks = %+v, want one with ID analyze:%s", got, id)
	}
	m, err := h.store.Metrics(ctx, id)
	if err != nil || m.FailureID != id {
		t.Errorf("detection metrics = %+v, %v", m, err)
	}
}

// Fifty concurrent ingests of one run: one record, one audit event, one
// analysis task, and GitHub asked only by those that got in before the
// record existed.
func TestIngestIdempotentUnder50ConcurrentDuplicates(t *testing.T) {
	h := newHarness(t, nil)
	run := h.failedRun(t, npmLog)
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, 50)
	for range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- h.h.HandleIngest(ctx, ingestTask(t, run))
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	id := tasks.FailureID(testRepo, run.ID, 1)
	if evs := h.audit(t, state.AuditQuery{FailureID: id}); len(evs) != 1 {
		t.Fatalf("audit events = %d, want exactly 1", len(evs))
	}
	recs, err := h.store.ListFailures(ctx, state.FailureQuery{Repo: testRepo})
	if err != nil || len(recs) != 1 {
		t.Fatalf("records = %d (%v), want 1", len(recs), err)
	}
	if n := len(h.queue.Pending(t, tasks.QueueDefault, tasks.TypeAnalyze)); n != 1 {
		t.Fatalf("analyze tasks = %d, want 1", n)
	}

	// A later duplicate changes nothing and asks GitHub nothing.
	before, _ := h.store.GetFailure(ctx, id)
	h.gh.ResetRequests()
	if err := h.h.HandleIngest(ctx, ingestTask(t, run)); err != nil {
		t.Fatal(err)
	}
	after, _ := h.store.GetFailure(ctx, id)
	if !after.UpdatedAt.Equal(before.UpdatedAt) || after.Status != before.Status {
		t.Errorf("duplicate ingest changed the record: %+v -> %+v", before, after)
	}
	if n := len(h.gh.Requests()); n != 0 {
		t.Errorf("duplicate ingest made %d GitHub requests, want 0", n)
	}
}

func TestIngestSkipsRunThatDidNotFail(t *testing.T) {
	h := newHarness(t, nil)
	run := h.gh.AddRun(testRepo, githubsim.Run{Conclusion: "success", Jobs: []githubsim.Job{{Name: "test", Conclusion: "success"}}})
	if err := h.h.HandleIngest(context.Background(), ingestTask(t, run)); err != nil {
		t.Fatal(err)
	}
	if _, err := h.store.GetFailure(context.Background(), tasks.FailureID(testRepo, run.ID, 1)); err == nil {
		t.Fatal("a successful run was recorded as a failure")
	}
}

// On its last attempt an ingest whose logs cannot be downloaded records
// the failure anyway, marked "logs unavailable", and never drops it.
func TestIngestRecordsWhenLogsUnavailable(t *testing.T) {
	h := newHarness(t, nil)
	run := h.failedRun(t, npmLog)
	h.gh.FailNext(githubsim.RouteLogBlob, githubsim.Fault{BreakAfterBytes: 10, Count: -1})
	if err := h.h.HandleIngest(context.Background(), ingestTask(t, run)); err != nil {
		t.Fatal(err) // direct calls run as the last attempt
	}
	rec, err := h.store.GetFailure(context.Background(), tasks.FailureID(testRepo, run.ID, 1))
	if err != nil {
		t.Fatal(err)
	}
	if !rec.LogUnavailable || !strings.Contains(rec.FailureReason, "logs unavailable") || !strings.Contains(rec.FailureReason, "Run npm ci") {
		t.Errorf("record = reason %q, log_unavailable %v; want logs unavailable naming the failed step", rec.FailureReason, rec.LogUnavailable)
	}
}

func TestIngestMissingRunIsAuditedAndAlerted(t *testing.T) {
	h := newHarness(t, nil)
	task := ingestTask(t, githubsim.Run{ID: 999999})
	err := h.h.HandleIngest(context.Background(), task)
	if err == nil {
		t.Fatal("ingest of a run GitHub does not know succeeded")
	}
	// Both the cause and the verdict stay inspectable.
	if !errors.Is(err, github.ErrNotFound) || !errors.Is(err, asynq.SkipRetry) {
		t.Errorf("err = %v, want it to wrap github.ErrNotFound and asynq.SkipRetry", err)
	}
	if evs := h.audit(t, state.AuditQuery{ActionType: state.ActionAlert}); len(evs) != 1 {
		t.Errorf("alert events = %d, want 1", len(evs))
	}
	if evs := h.audit(t, state.AuditQuery{ActionType: state.ActionError}); len(evs) != 1 || evs[0].Error == "" {
		t.Errorf("error events = %+v, want 1 with the error text", evs)
	}
	// asynq then calls the error handler: the alert is not raised twice.
	h.h.HandleError(context.Background(), task, err)
	if evs := h.audit(t, state.AuditQuery{ActionType: state.ActionAlert}); len(evs) != 1 {
		t.Errorf("alert events after the error handler = %d, want still 1", len(evs))
	}
}

// A log download that stalls is abandoned at its time limit and the
// failure is recorded without it.
func TestReadFailureStalledDownload(t *testing.T) {
	h := newHarness(t, nil)
	run := h.failedRun(t, npmLog)
	h.gh.FailNext(githubsim.RouteLogBlob, githubsim.Fault{StallAfterBytes: 20, Count: -1})
	ctx := context.Background()
	ghRun, err := h.client.GetRun(ctx, testRepo, run.ID, 1)
	if err != nil {
		t.Fatal(err)
	}
	jobs, err := h.client.ListJobs(ctx, testRepo, run.ID, 1)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	var rec state.FailureRecord
	var logErr error
	go func() {
		defer close(done)
		rec, logErr = tasks.ReadFailure(ctx, h.client, ghRun, jobs, tasks.FailureInput{Repo: testRepo, Now: time.Now(), JobLogTimeout: 300 * time.Millisecond})
	}()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("a stalled download held the ingest")
	}
	if logErr == nil || !rec.LogUnavailable || !strings.Contains(rec.FailureReason, "logs unavailable") {
		t.Fatalf("record %+v, err %v: want logs unavailable", rec, logErr)
	}
}

// A log without step groups still says which step failed: GitHub's job
// record names it.
func TestIngestFailingStepFromTheJobWhenTheLogHasNoGroups(t *testing.T) {
	h := newHarness(t, nil)
	run := h.failedRun(t, "npm error code ECONNRESET\nnpm error network aborted\n")
	if err := h.h.HandleIngest(context.Background(), ingestTask(t, run)); err != nil {
		t.Fatal(err)
	}
	rec, err := h.store.GetFailure(context.Background(), tasks.FailureID(testRepo, run.ID, 1))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(rec.LogExcerpt, "Failing step: Run npm ci") {
		t.Errorf("excerpt does not name the failed step:\n%s", rec.LogExcerpt)
	}
}

// The record keeps the lines a person needs with the reason, through
// Redis, for Slack and `ccm analyze --json` to show.
func TestIngestKeepsFailureContext(t *testing.T) {
	h := newHarness(t, nil)
	run := h.failedRun(t, strings.Join(excerpttest.JestFailure, "\n")+"\n")
	rec := h.ingested(t, run)
	want := excerpttest.JestContext
	if !strings.Contains(rec.FailureReason, "expect(received)") || !slices.Equal(rec.FailureContext, want) {
		t.Errorf("reason %q, context %q; want the assertion and %q", rec.FailureReason, rec.FailureContext, want)
	}
}

// A run re-run before ccm first saw it has two failed attempts. If GitHub
// answers the request for attempt 1 with attempt 2, nothing is recorded
// from that answer and the ingest is retried (not given up on); the two
// ingests, racing, end with each attempt recorded under its own ID with
// its own data.
func TestIngestRecordsOnlyTheAttemptAskedFor(t *testing.T) {
	h := newHarness(t, nil)
	ctx := context.Background()
	first := h.failedRun(t, npmLog)
	h.gh.AddRun(testRepo, githubsim.Run{ID: first.ID, Attempt: 2, Conclusion: "failure", Name: "CI", HeadBranch: "release",
		Jobs: []githubsim.Job{{Name: "test", Conclusion: "failure", Log: "##[error]Process completed with exit code 2.\n",
			Steps: []githubsim.Step{{Number: 1, Name: "Run go test", Status: "completed", Conclusion: "failure"}}}}})
	ids := []string{tasks.FailureID(testRepo, first.ID, 1), tasks.FailureID(testRepo, first.ID, 2)}
	ingest := func(attempt int) error {
		task, err := tasks.NewIngestTask(tasks.IngestPayload{Repo: testRepo, RunID: first.ID, Attempt: attempt, Source: "test"})
		if err != nil {
			return err
		}
		return h.h.HandleIngest(ctx, task)
	}

	h.gh.FailNext(githubsim.RouteGetAttempt, h.gh.OtherAttempt(testRepo, first.ID, 2))
	err := ingest(1)
	if !errors.Is(err, github.ErrAttemptMismatch) || errors.Is(err, asynq.SkipRetry) {
		t.Fatalf("ingest of attempt 1 answered with attempt 2: %v; want a retryable ErrAttemptMismatch", err)
	}
	for _, id := range ids {
		if _, err := h.store.GetFailure(ctx, id); !errors.Is(err, state.ErrNotFound) {
			t.Errorf("%s recorded from another attempt's answer (%v)", id, err)
		}
	}
	if evs := h.audit(t, state.AuditQuery{ActionType: state.ActionAlert}); len(evs) != 0 {
		t.Errorf("alerts = %d, want none: the ingest is retried", len(evs))
	}

	// Both attempts race; whichever asks first gets the wrong answer and
	// fails, and its retry (the loop) records it correctly.
	h.gh.FailNext(githubsim.RouteGetAttempt, h.gh.OtherAttempt(testRepo, first.ID, 2))
	errs := make([]error, 2)
	var wg sync.WaitGroup
	for i := range 2 {
		wg.Go(func() { errs[i] = ingest(i + 1) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			if !errors.Is(err, github.ErrAttemptMismatch) {
				t.Fatalf("ingest of attempt %d: %v", i+1, err)
			}
			if err := ingest(i + 1); err != nil {
				t.Fatalf("retried ingest of attempt %d: %v", i+1, err)
			}
		}
	}
	want := []struct {
		branch, reason string
	}{{"main", "ECONNRESET"}, {"release", "exit code 2"}}
	for i, id := range ids {
		rec, err := h.store.GetFailure(ctx, id)
		if err != nil {
			t.Fatalf("%s: %v", id, err)
		}
		if rec.RunAttempt != i+1 || rec.Branch != want[i].branch || !strings.Contains(rec.FailureReason, want[i].reason) {
			t.Errorf("%s = attempt %d, branch %q, reason %q; want attempt %d, %q, %q",
				id, rec.RunAttempt, rec.Branch, rec.FailureReason, i+1, want[i].branch, want[i].reason)
		}
	}
}
