package tasks_test

import (
	"context"
	"github.com/hibiken/asynq"

	"testing"

	"github.com/ccm-ci/ccm/sim/githubsim"
	"github.com/ccm-ci/ccm/state"
	"github.com/ccm-ci/ccm/tasks"
)

const newCommit = "d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0"

// pendingOnRun asks a person about cleanRecord(runID), whose run GitHub
// has: a failed push on main at the record's commit, main's head.
func pendingOnRun(t *testing.T, h *harness, runID int64) state.Approval {
	t.Helper()
	h.gh.AddRun(testRepo, githubsim.Run{ID: runID, Conclusion: "failure", HeadBranch: "main", HeadSHA: cleanRecord(runID).CommitSHA})
	return pendingApproval(t, h, runID)
}

// expiredEarly checks a request expired early with reason: request and
// record expired by ccm, one approval entry saying why, and no alert.
func expiredEarly(t *testing.T, h *harness, a state.Approval, reason string) {
	t.Helper()
	ctx := context.Background()
	got, err := h.store.GetApproval(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != state.ApprovalExpired || got.DecidedBy != state.ActorCCM || got.Reason != reason {
		t.Errorf("request %s by %s (%q), want expired by ccm (%q)", got.Status, got.DecidedBy, got.Reason, reason)
	}
	if rec := h.record(t, a.FailureID); rec.Status != state.StatusExpired {
		t.Errorf("record %s, want expired", rec.Status)
	}
	var decided []state.AuditEntry
	for _, e := range h.audit(t, state.AuditQuery{FailureID: a.FailureID, ActionType: state.ActionApproval}) {
		if e.Details["decision"] == "expired" {
			decided = append(decided, e)
		}
	}
	if len(decided) != 1 || decided[0].Details["reason"] != reason || decided[0].Details["early"] != true || decided[0].Actor != "ccm" {
		t.Errorf("approval entries %+v: want one expired by ccm, early, with the reason", decided)
	}
	if n := len(h.audit(t, state.AuditQuery{FailureID: a.FailureID, ActionType: state.ActionAlert})); n != 0 {
		t.Errorf("%d alerts: an early expiry is no escalation", n)
	}
}

func stillPending(t *testing.T, h *harness, a state.Approval) {
	t.Helper()
	got, err := h.store.GetApproval(context.Background(), a.ID)
	if err != nil || got.Status != state.ApprovalPending {
		t.Errorf("request %s (%q), %v: want pending", got.Status, got.Reason, err)
	}
}

// TestPollExpiresOutdatedApprovals: the poll expires a request early when
// its branch got a new commit or its run was re-run by hand, and leaves
// one whose world is unchanged.
func TestPollExpiresOutdatedApprovals(t *testing.T) {
	tests := []struct {
		name   string
		change func(h *harness, runID int64)
		reason string
	}{
		{name: "branch has a new commit", reason: "branch main has a new commit d1e2f3a",
			change: func(h *harness, _ int64) { h.gh.SetBranch(testRepo, "main", newCommit) }},
		{name: "re-run by hand", reason: "re-run by hand by alice", change: func(h *harness, runID int64) {
			run, _ := h.gh.LatestRun(testRepo, runID)
			run.Attempt, run.Status, run.Conclusion, run.TriggeringActor = 2, "in_progress", "", "alice"
			h.gh.AddRun(testRepo, run)
		}},
		{name: "nothing changed", change: func(*harness, int64) {}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, nil)
			a := pendingOnRun(t, h, 71)
			tt.change(h, 71)
			poll(t, h.h)
			if tt.reason == "" {
				stillPending(t, h, a)
				return
			}
			expiredEarly(t, h, a, tt.reason)
		})
	}
}

// TestPollRecheckReadsEachBranchOnce: two requests on one branch cost one
// branch read per poll, and none of their runs (the poll just listed them).
func TestPollRecheckReadsEachBranchOnce(t *testing.T) {
	h := newHarness(t, nil)
	a := pendingOnRun(t, h, 72)
	b := pendingOnRun(t, h, 73)
	h.gh.SetBranch(testRepo, "main", newCommit)
	h.gh.ResetRequests()
	poll(t, h.h)
	expiredEarly(t, h, a, "branch main has a new commit d1e2f3a")
	expiredEarly(t, h, b, "branch main has a new commit d1e2f3a")
	if n := len(h.gh.RequestsTo(githubsim.RouteGetBranch)); n != 1 {
		t.Errorf("branch reads %d, want 1", n)
	}
	if n := len(h.gh.RequestsTo(githubsim.RouteGetRun)); n != 0 {
		t.Errorf("run reads %d, want 0", n)
	}
}

// TestRecheckLeavesDecidedRequests: a request a person decided stays as
// decided when the world moves on.
func TestRecheckLeavesDecidedRequests(t *testing.T) {
	h := newHarness(t, nil)
	a := pendingOnRun(t, h, 74)
	ctx := context.Background()
	if _, err := h.h.Approve(ctx, a.ID, "U012ABCDEF"); err != nil {
		t.Fatal(err)
	}
	h.gh.SetBranch(testRepo, "main", newCommit)
	poll(t, h.h)
	if err := h.h.HandleRecheck(ctx, recheckTask(t, tasks.RecheckPayload{Repo: testRepo, RunID: 74, Attempt: 2, Actor: "bob"})); err != nil {
		t.Fatal(err)
	}
	got, err := h.store.GetApproval(ctx, a.ID)
	if err != nil || got.Status != state.ApprovalApproved || got.DecidedBy != "U012ABCDEF" {
		t.Errorf("request %+v, %v: want approved by the person", got, err)
	}
	if rec := h.record(t, a.FailureID); rec.Status != state.StatusApproved {
		t.Errorf("record %s, want approved", rec.Status)
	}
	if n := len(h.audit(t, state.AuditQuery{FailureID: a.FailureID, ActionType: state.ActionApproval})); n != 2 {
		t.Errorf("%d approval entries, want 2 (requested, approved)", n)
	}
}

func recheckTask(t *testing.T, p tasks.RecheckPayload) *asynq.Task {
	t.Helper()
	task, err := tasks.NewRecheckTask(p)
	if err != nil {
		t.Fatal(err)
	}
	return task
}

// TestRecheckAfterWebhook: a run attempt a webhook announces expires the
// requests it makes obsolete — a re-run of theirs by someone else at no
// GitHub call, a new commit's run on their branch at one branch read — and
// costs nothing when it concerns none.
func TestRecheckAfterWebhook(t *testing.T) {
	tests := []struct {
		name     string
		payload  func(runID int64) tasks.RecheckPayload
		moved    bool // main has a new commit on GitHub
		reason   string
		branches int
	}{
		{name: "its run re-run by hand", reason: "re-run by hand by bob", payload: func(runID int64) tasks.RecheckPayload {
			return tasks.RecheckPayload{Repo: testRepo, RunID: runID, Attempt: 2, Branch: "main", HeadSHA: cleanRecord(runID).CommitSHA, Actor: "bob"}
		}},
		{name: "a new commit's run on its branch", moved: true, reason: "branch main has a new commit d1e2f3a", branches: 1,
			payload: func(int64) tasks.RecheckPayload {
				return tasks.RecheckPayload{Repo: testRepo, RunID: 900, Attempt: 1, Branch: "main", HeadSHA: newCommit, Actor: "carol"}
			}},
		{name: "a run of another branch", payload: func(int64) tasks.RecheckPayload {
			return tasks.RecheckPayload{Repo: testRepo, RunID: 901, Attempt: 1, Branch: "feature", HeadSHA: newCommit}
		}},
		{name: "another workflow's run of the same commit", payload: func(runID int64) tasks.RecheckPayload {
			return tasks.RecheckPayload{Repo: testRepo, RunID: 902, Attempt: 1, Branch: "main", HeadSHA: cleanRecord(runID).CommitSHA}
		}},
		{name: "a run on its branch the branch has moved past", branches: 1, payload: func(int64) tasks.RecheckPayload {
			// A late delivery: the branch is back at the request's commit.
			return tasks.RecheckPayload{Repo: testRepo, RunID: 903, Attempt: 1, Branch: "main", HeadSHA: newCommit}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, nil)
			a := pendingOnRun(t, h, 75)
			if tt.moved {
				h.gh.SetBranch(testRepo, "main", newCommit)
			}
			h.gh.ResetRequests()
			if err := h.h.HandleRecheck(context.Background(), recheckTask(t, tt.payload(75))); err != nil {
				t.Fatal(err)
			}
			if n := len(h.gh.RequestsTo(githubsim.RouteGetBranch)); n != tt.branches || len(h.gh.Requests()) != n {
				t.Errorf("GitHub requests %+v, want %d branch reads only", h.gh.Requests(), tt.branches)
			}
			if tt.reason == "" {
				stillPending(t, h, a)
				return
			}
			expiredEarly(t, h, a, tt.reason)
		})
	}
}

// TestRecheckEveryRequestInTurn: the sweep's cap counts only requests it
// re-checks, and with more than the cap pending it goes on where the last
// sweep stopped, so a request behind 50 others (soonest to expire first)
// is still re-checked: at once when the others' records moved on, at the
// next poll when they are live.
func TestRecheckEveryRequestInTurn(t *testing.T) {
	tests := []struct {
		name    string
		movedOn bool // the 50 requests ahead have records that moved on
		polls   int  // polls before the last request is expired
	}{
		{name: "50 ahead whose records moved on", movedOn: true, polls: 1},
		{name: "50 live ahead", polls: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, nil)
			ctx := context.Background()
			for i := range int64(50) {
				a := pendingOnRun(t, h, 1000+i)
				if tt.movedOn {
					ev := state.AuditEntry{Actor: "test", ActionType: state.ActionRemediation, Outcome: state.OutcomeFailure}
					if err := h.store.Transition(ctx, a.FailureID, state.StatusAwaitingApproval, state.StatusFailed, ev, nil); err != nil {
						t.Fatal(err)
					}
				}
			}
			last := pendingOnRun(t, h, 1100)
			run, _ := h.gh.LatestRun(testRepo, 1100)
			run.Attempt, run.Status, run.Conclusion, run.TriggeringActor = 2, "in_progress", "", "alice"
			h.gh.AddRun(testRepo, run)
			for range tt.polls - 1 {
				poll(t, h.h)
				stillPending(t, h, last)
			}
			poll(t, h.h)
			expiredEarly(t, h, last, "re-run by hand by alice")
		})
	}
}
