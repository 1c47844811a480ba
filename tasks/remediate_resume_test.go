package tasks_test

import (
	"context"
	"strings"
	"testing"

	"github.com/ccm-ci/ccm/analysis"
	"github.com/ccm-ci/ccm/sim/githubsim"
	"github.com/ccm-ci/ccm/state"
	"github.com/ccm-ci/ccm/tasks"
)

// crashedAfterStart puts rec where a worker that died after marking its
// first step started leaves it: remediating, step 0 started with what it
// recorded before the write (prep).
func (h *harness) crashedAfterStart(t *testing.T, rec state.FailureRecord, prep map[string]any) {
	t.Helper()
	steps := make([]state.RemediationStep, len(rec.Gate.Actions))
	for i, a := range rec.Gate.Actions {
		steps[i] = state.RemediationStep{Action: string(a.Type), State: "pending"}
	}
	steps[0].State, steps[0].Result = "started", prep
	ev := state.AuditEntry{Actor: "test", ActionType: state.ActionRemediation, Outcome: state.OutcomePending}
	if err := h.store.Transition(context.Background(), rec.ID, state.StatusAnalyzed, state.StatusRemediating, ev,
		func(f *state.FailureRecord) {
			f.Remediation = &state.Remediation{Steps: steps, Actions: rec.Gate.Actions, StartedAt: rec.DetectedAt}
		}); err != nil {
		t.Fatal(err)
	}
}

// TestRemediateResumedRerunTakesOnlyItsOwnAttempt: a re-run step resumed
// after a crash takes the attempt after the one it saw as its own only
// when ccm's token triggered it and nothing came after; otherwise it
// stops, saying someone else re-ran the run, and writes nothing. With no
// new attempt the re-run is sent once.
func TestRemediateResumedRerunTakesOnlyItsOwnAttempt(t *testing.T) {
	tests := []struct {
		name    string
		others  func(h *harness, run githubsim.Run) // what happened on GitHub meanwhile
		status  state.Status
		reason  string // in the stop reason
		reruns  int    // re-run requests ccm sends on resuming
		attempt int    // the attempt then verified
	}{
		{name: "ccm's re-run landed", status: state.StatusRemediating, attempt: 2,
			others: func(h *harness, run githubsim.Run) { h.rerunAs(run, githubsim.DefaultLogin) }},
		{name: "nothing landed: sent now", status: state.StatusRemediating, reruns: 1, attempt: 2},
		{name: "a person re-ran it", status: state.StatusFailed, reason: "triggered by alice",
			others: func(h *harness, run githubsim.Run) { h.rerunAs(run, "alice") }},
		{name: "ccm's attempt, then a person's", status: state.StatusFailed, reason: "someone else re-ran the run again (attempt 3)",
			others: func(h *harness, run githubsim.Run) {
				h.rerunAs(run, githubsim.DefaultLogin)
				if err := h.gh.FinishRun(testRepo, run.ID, "failure"); err != nil {
					panic(err)
				}
				h.rerunAs(run, "alice")
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, nil)
			rec, run := h.remediable(t, "main", nil, rerunFailed)
			h.crashedAfterStart(t, rec, map[string]any{"seen_attempt": 1})
			if tt.others != nil {
				tt.others(h, run)
			}
			h.gh.ResetWrites()
			if err := h.h.HandleRemediate(context.Background(), remediateTask(t, rec.ID)); err != nil {
				t.Fatal(err)
			}
			if n := len(h.gh.Writes()); n != tt.reruns {
				t.Fatalf("writes %+v: want %d re-run(s)", h.gh.Writes(), tt.reruns)
			}
			got := h.record(t, rec.ID)
			if got.Status != tt.status || got.Remediation.VerifyAttempt != tt.attempt ||
				!strings.Contains(got.Remediation.Reason, tt.reason) {
				t.Fatalf("%s %+v: want %s, verifying attempt %d, reason with %q", got.Status, got.Remediation, tt.status, tt.attempt, tt.reason)
			}
			if a := criticalAlerts(t, h, rec.ID); len(a) != 0 {
				t.Errorf("%d critical alerts: someone else acting is not ccm's failure", len(a))
			}
		})
	}
}

// rerunAs adds the attempt a re-run by login makes (completed or not, the
// latest attempt of run is re-run).
func (h *harness) rerunAs(run githubsim.Run, login string) {
	latest, _ := h.gh.LatestRun(testRepo, run.ID)
	next := latest
	next.Attempt++
	next.TriggeringActor, next.Status, next.Conclusion = login, "in_progress", ""
	h.gh.AddRun(testRepo, next)
}

// TestRemediateRollbackCancelsAnUncertainRerun: on the last delivery the
// re-run request lands but its answer is lost and reading the run back
// fails, so the step fails uncertain. The rollback finds the attempt the
// re-run made, sees ccm's token triggered it, and cancels it.
func TestRemediateRollbackCancelsAnUncertainRerun(t *testing.T) {
	h := newHarness(t, nil)
	ctx := tasks.LastDelivery(context.Background())
	rec, run := h.remediable(t, "main", nil, rerunFailed)
	h.gh.FailNext(githubsim.RouteRerunFailedJobs, githubsim.Fault{Status: 502, Apply: true})
	// Three reads of the run go well (the world check, the attempt seen,
	// the client's own read before sending); the read-back after the lost
	// answer fails on every try.
	readBack := githubsim.ServerError(502).WithCount(3)
	readBack.Skip = 3
	h.gh.FailNext(githubsim.RouteGetRun, readBack)
	_ = h.h.HandleRemediate(ctx, remediateTask(t, rec.ID)) // final: retries are over
	got := h.record(t, rec.ID)
	if got.Status != state.StatusFailed {
		t.Fatalf("status %s %+v: want failed", got.Status, got.Remediation)
	}
	if n := len(h.gh.WritesTo(githubsim.RouteCancel)); n != 1 {
		t.Fatalf("%d cancels, want 1: the attempt the uncertain re-run made", n)
	}
	if latest, _ := h.gh.LatestRun(testRepo, run.ID); latest.Attempt != 2 || latest.Conclusion != "cancelled" {
		t.Errorf("attempt %d is %s/%s, want attempt 2 cancelled", latest.Attempt, latest.Status, latest.Conclusion)
	}
	rb := h.remediationEntries(t, rec.ID, "rollback")
	if len(rb) != 1 || rb[0].Details["cancelled"] != true || rb[0].Outcome != state.OutcomeSuccess {
		t.Errorf("rollback entries %+v: want the cancel audited", rb)
	}
}

// TestRemediateNothingToDo: cancel_run of a run that had already completed
// is a no-op, said as such (not "cancelled"), and a resumed delete_cache
// of a key never listed for the failing ref is refused, not counted gone.
func TestRemediateNothingToDo(t *testing.T) {
	t.Run("cancel of a completed run", func(t *testing.T) {
		h := newHarness(t, nil)
		rec, _ := h.remediable(t, "main", nil, analysis.Action{Type: analysis.ActionCancelRun})
		if err := h.h.HandleRemediate(context.Background(), remediateTask(t, rec.ID)); err != nil {
			t.Fatal(err)
		}
		got := h.record(t, rec.ID)
		if res := got.Remediation.Steps[0].Result; res["noop"] != true || res["cancelled"] != false {
			t.Errorf("step result %v: want a no-op, not cancelled", res)
		}
		v := h.remediationEntries(t, rec.ID, "verify")
		if len(v) != 1 || v[0].Details["noop"] != true {
			t.Errorf("verify entries %+v: want one saying nothing was done", v)
		}
		if n := h.gathered(t, "ccm_remediations_total", "cancel_run", "noop"); n != 1 {
			t.Errorf("ccm_remediations_total{cancel_run,noop} = %v, want 1", n)
		}
		if n := h.gathered(t, "ccm_remediations_total", "cancel_run", "success"); n != 0 {
			t.Errorf("ccm_remediations_total{cancel_run,success} = %v, want 0", n)
		}
	})
	t.Run("resumed delete of a key never listed", func(t *testing.T) {
		h := newHarness(t, nil)
		h.gh.AddCache(testRepo, githubsim.Cache{Key: "npm-linux-abc", Ref: "refs/heads/other"})
		rec, _ := h.remediable(t, "main", nil, analysis.Action{Type: analysis.ActionDeleteCache, Key: "npm-linux-abc"})
		h.crashedAfterStart(t, rec, nil)
		_ = h.h.HandleRemediate(context.Background(), remediateTask(t, rec.ID)) // final: nothing to delete
		got := h.record(t, rec.ID)
		if got.Status != state.StatusFailed || !strings.Contains(got.Remediation.Reason, "lists no such cache") {
			t.Fatalf("%s %+v: want failed, the key never listed", got.Status, got.Remediation)
		}
		if n := len(h.gh.Writes()); n != 0 || len(h.gh.Caches(testRepo)) != 1 {
			t.Errorf("writes %+v, caches %+v: want the other ref's cache untouched", h.gh.Writes(), h.gh.Caches(testRepo))
		}
	})
	t.Run("resumed delete of a key listed, then gone", func(t *testing.T) {
		h := newHarness(t, nil)
		rec, _ := h.remediable(t, "main", nil, analysis.Action{Type: analysis.ActionDeleteCache, Key: "npm-linux-abc"})
		h.crashedAfterStart(t, rec, map[string]any{"key": "npm-linux-abc", "ref": "refs/heads/main", "listed": true})
		if err := h.h.HandleRemediate(context.Background(), remediateTask(t, rec.ID)); err != nil {
			t.Fatal(err)
		}
		if got := h.record(t, rec.ID); got.Status != state.StatusRemediated ||
			!strings.Contains(got.Remediation.Steps[0].Result["note"].(string), "already gone") {
			t.Fatalf("%s %+v: want remediated, deleted by the earlier delivery", got.Status, got.Remediation)
		}
	})
}

// TestRemediateRollbackLeavesSomeoneElsesLaterAttempt: ccm's re-run made
// attempt 2, which ended; a person then re-ran the run (attempt 3). When a
// later step fails for good, the rollback must not cancel the run: that
// would cancel the person's attempt, not ccm's.
func TestRemediateRollbackLeavesSomeoneElsesLaterAttempt(t *testing.T) {
	h := newHarness(t, nil)
	ctx := context.Background()
	fix := analysis.Action{Type: analysis.ActionOpenFixPR, Title: "Pin the mirror", Body: "ccm",
		Files: []analysis.FileChange{{Path: "docs/ci.md", Content: "x\n"}}}
	rec, run := h.remediable(t, "main", nil, rerunFailed, fix)
	h.rerunAs(run, githubsim.DefaultLogin)
	if err := h.gh.FinishRun(testRepo, run.ID, "failure"); err != nil {
		t.Fatal(err)
	}
	h.rerunAs(run, "alice")
	ev := state.AuditEntry{Actor: "test", ActionType: state.ActionRemediation, Outcome: state.OutcomePending}
	if err := h.store.Transition(ctx, rec.ID, state.StatusAnalyzed, state.StatusRemediating, ev, func(f *state.FailureRecord) {
		f.Remediation = &state.Remediation{Actions: rec.Gate.Actions, StartedAt: rec.DetectedAt, Steps: []state.RemediationStep{
			{Action: string(analysis.ActionRerunFailedJobs), State: "done", Result: map[string]any{"previous_attempt": 1, "attempt": 2}},
			{Action: string(analysis.ActionOpenFixPR), State: "pending"}}}
	}); err != nil {
		t.Fatal(err)
	}
	h.gh.FailNext(githubsim.RouteCreatePull, githubsim.NoPermission())
	_ = h.h.HandleRemediate(ctx, remediateTask(t, rec.ID)) // final: the token may not open PRs
	if got := h.record(t, rec.ID); got.Status != state.StatusFailed {
		t.Fatalf("status %s %+v: want failed", got.Status, got.Remediation)
	}
	if n := len(h.gh.WritesTo(githubsim.RouteCancel)); n != 0 {
		t.Fatalf("%d cancels: the latest attempt is alice's", n)
	}
	var undo state.AuditEntry
	for _, e := range h.remediationEntries(t, rec.ID, "rollback") {
		if e.Details["action"] == string(analysis.ActionRerunFailedJobs) {
			undo = e
		}
	}
	if note, _ := undo.Details["note"].(string); undo.Details["cancelled"] != false || !strings.Contains(note, "attempt 3") {
		t.Errorf("rollback of the re-run %+v: want it left, naming attempt 3", undo)
	}
}
