package state_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/ccm-ci/ccm/state"
	"github.com/google/go-cmp/cmp"
)

// The approval tests about races and atomicity, run by the conformance suite on both
// backends (conformance_approvals_test.go).

// testApprovalConcurrentClicks: 20 people click at once; one wins, the rest
// are told who won and when, and exactly one decision is audited.
func testApprovalConcurrentClicks(t *testing.T, open backend) {
	ctx := context.Background()
	s := open(t, state.Options{Now: func() time.Time { return t0 }}).Store
	rec := analyzedFailure(t, s, 750, t0)
	a := mustRequest(t, s, approvalRequest(rec, t0.Add(time.Hour)))
	const n = 20
	got := make([]state.Approval, n)
	errs := make([]error, n)
	decisions := make([]state.ApprovalStatus, n)
	var start, wg sync.WaitGroup
	start.Add(1)
	for i := range n {
		decisions[i] = state.ApprovalApproved
		if i%2 == 1 {
			decisions[i] = state.ApprovalRejected
		}
		wg.Go(func() {
			start.Wait()
			got[i], errs[i] = s.DecideApproval(ctx, a.ID, decisions[i], fmt.Sprintf("U%02d", i), "", state.AuditEntry{})
		})
	}
	start.Done()
	wg.Wait()
	winner := -1
	for i, err := range errs {
		switch {
		case err == nil && winner >= 0:
			t.Fatalf("two winners: U%02d and U%02d", winner, i)
		case err == nil:
			winner = i
		case !errors.Is(err, state.ErrAlreadyDecided):
			t.Errorf("U%02d: err = %v, want ErrAlreadyDecided", i, err)
		}
	}
	if winner < 0 {
		t.Fatal("no winner")
	}
	wantBy := fmt.Sprintf("U%02d", winner)
	for i, err := range errs {
		if err != nil && (got[i].DecidedBy != wantBy || !got[i].DecidedAt.Equal(got[winner].DecidedAt)) {
			t.Errorf("U%02d was told %s won at %s; want %s at %s", i, got[i].DecidedBy, got[i].DecidedAt, wantBy, got[winner].DecidedAt)
		}
	}
	var decided []state.AuditEntry
	for _, e := range approvalEntries(t, s) {
		if e.Details["decision"] != "requested" {
			decided = append(decided, e)
		}
	}
	if len(decided) != 1 || decided[0].Actor != wantBy || decided[0].Details["decision"] != string(decisions[winner]) {
		t.Errorf("decision entries = %+v; want one by %s (%s)", decided, wantBy, decisions[winner])
	}
	mustStatus(t, s, rec.ID, map[state.ApprovalStatus]state.Status{
		state.ApprovalApproved: state.StatusApproved, state.ApprovalRejected: state.StatusRejected,
	}[decisions[winner]])
	t.Logf("%d concurrent clicks: %s won (%s), %d told so", n, wantBy, decisions[winner], n-1)
}

// testApprovalRecordMovedAway: the decision and the record change together
// or not at all. A record no longer awaiting approval, or gone, refuses a
// person's decision and nothing is written. The expiry (ccm) still closes
// such a request, leaving the record as it is, so the sweep converges.
func testApprovalRecordMovedAway(t *testing.T, open backend) {
	ctx := context.Background()
	env := open(t, state.Options{Now: func() time.Time { return t0 }})
	s := env.Store
	moved := analyzedFailure(t, s, 760, t0)
	gone := analyzedFailure(t, s, 761, t0)
	am := mustRequest(t, s, approvalRequest(moved, t0.Add(time.Hour)))
	ag := mustRequest(t, s, approvalRequest(gone, t0.Add(time.Hour)))
	if err := s.Transition(ctx, moved.ID, state.StatusAwaitingApproval, state.StatusRemediating, event(state.ActionRemediation), nil); err != nil {
		t.Fatal(err)
	}
	if err := env.Client.Del(ctx, env.Prefix+"failure:"+gone.ID).Err(); err != nil {
		t.Fatal(err)
	}
	entries := len(auditAll(t, s))
	for _, d := range []state.ApprovalStatus{state.ApprovalApproved, state.ApprovalRejected} {
		if _, err := s.DecideApproval(ctx, am.ID, d, "U1", "", state.AuditEntry{}); !errors.Is(err, state.ErrConflict) {
			t.Errorf("%s on a moved record: err = %v, want ErrConflict", d, err)
		}
		if _, err := s.DecideApproval(ctx, ag.ID, d, "U1", "", state.AuditEntry{}); !errors.Is(err, state.ErrNotFound) {
			t.Errorf("%s on a deleted record: err = %v, want ErrNotFound", d, err)
		}
	}
	if n := len(auditAll(t, s)); n != entries {
		t.Errorf("refused decisions wrote audit entries: %d, want %d", n, entries)
	}
	before := mustStatus(t, s, moved.ID, state.StatusRemediating)
	revBefore := env.Client.HGet(ctx, env.Prefix+"failure:"+moved.ID, "rev").Val()
	for _, id := range []string{am.ID, ag.ID} {
		if a, err := s.GetApproval(ctx, id); err != nil || a.Status != state.ApprovalPending || a.DecidedBy != "" {
			t.Errorf("request %s = %s by %q, %v; want still pending", id, a.Status, a.DecidedBy, err)
		}
	}
	if p, err := s.PendingApprovals(ctx); err != nil || len(p) != 2 {
		t.Errorf("PendingApprovals = %d, %v; want both still pending", len(p), err)
	}

	for _, id := range []string{am.ID, ag.ID} {
		a, err := s.DecideApproval(ctx, id, state.ApprovalExpired, state.ActorCCM, "approval_timeout elapsed", state.AuditEntry{})
		if err != nil || a.Status != state.ApprovalExpired || a.DecidedBy != state.ActorCCM {
			t.Errorf("expiry of %s = %s by %q, %v; want expired by ccm", id, a.Status, a.DecidedBy, err)
		}
	}
	after := mustStatus(t, s, moved.ID, state.StatusRemediating)
	if diff := cmp.Diff(before, after, cmpOpts...); diff != "" {
		t.Errorf("the expiry changed the moved record (-before +after):\n%s", diff)
	}
	if rev := env.Client.HGet(ctx, env.Prefix+"failure:"+moved.ID, "rev").Val(); rev != revBefore {
		t.Errorf("moved record's rev = %s, want %s (untouched)", rev, revBefore)
	}
	if _, err := s.GetFailure(ctx, gone.ID); !errors.Is(err, state.ErrNotFound) {
		t.Errorf("deleted record: err = %v, want still ErrNotFound", err)
	}
	if due, err := s.DueApprovals(ctx, t0.Add(2*time.Hour)); err != nil || len(due) != 0 {
		t.Errorf("DueApprovals after the expiry = %d, %v; want none (the sweep converges)", len(due), err)
	}
	es := approvalEntries(t, s)
	want := []state.AuditEntry{
		{Timestamp: t0, Actor: state.ActorCCM, ActionType: state.ActionApproval, FailureID: gone.ID, RequestID: ag.ID,
			Repo: gone.Repo, Outcome: state.OutcomeSuccess, Details: map[string]any{
				"decision": "expired", "reason": "approval_timeout elapsed", "record_moved_on": "deleted"}},
		{Timestamp: t0, Actor: state.ActorCCM, ActionType: state.ActionApproval, FailureID: moved.ID, RequestID: am.ID,
			Repo: moved.Repo, Category: "timeout", Outcome: state.OutcomeSuccess, Details: map[string]any{
				"decision": "expired", "reason": "approval_timeout elapsed", "record_moved_on": "remediating"}},
	}
	if len(es) < 2 {
		t.Fatalf("approval entries = %d, want the two expiries on top", len(es))
	}
	if diff := cmp.Diff(want, es[:2], append(cmpOpts, ignoreID)...); diff != "" {
		t.Errorf("expiry entries (-want +got):\n%s", diff)
	}
	if _, err := s.DecideApproval(ctx, am.ID, state.ApprovalApproved, "U1", "", state.AuditEntry{}); !errors.Is(err, state.ErrAlreadyDecided) {
		t.Errorf("approval after the expiry: err = %v, want ErrAlreadyDecided", err)
	}
}

// testApprovalRacesInPlaceUpdates: in-place updates of the record racing a
// decision make it re-read (rev changed), never lose it or the update.
func testApprovalRacesInPlaceUpdates(t *testing.T, open backend) {
	ctx := context.Background()
	s := open(t, state.Options{Now: func() time.Time { return t0 }}).Store
	rec := analyzedFailure(t, s, 770, t0)
	a := mustRequest(t, s, approvalRequest(rec, t0.Add(time.Hour)))
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Go(func() {
			_ = s.Transition(ctx, rec.ID, state.StatusAwaitingApproval, state.StatusAwaitingApproval,
				event(state.ActionValidation), func(r *state.FailureRecord) { r.Workflow = fmt.Sprint("ci-", i) })
		})
	}
	var decErr error
	wg.Go(func() { _, decErr = s.DecideApproval(ctx, a.ID, state.ApprovalApproved, "U1", "", state.AuditEntry{}) })
	wg.Wait()
	if decErr != nil {
		t.Fatalf("DecideApproval under in-place updates: %v", decErr)
	}
	mustStatus(t, s, rec.ID, state.StatusApproved)
}
