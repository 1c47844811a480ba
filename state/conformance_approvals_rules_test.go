package state_test

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ccm-ci/ccm/state"
	"github.com/ccm-ci/ccm/state/statetest"
)

// The approval tests about who may decide what and when, and about asking
// again, run by the conformance suite on both backends (conformance_approvals_test.go).

// testApprovalLateDecision: a person's decision at or after expires_at is
// refused with ErrExpired and writes nothing, even when the expiry has not
// run yet (a worker was down); the expiry itself still goes through.
func testApprovalLateDecision(t *testing.T, open backend) {
	ctx := context.Background()
	clock := statetest.NewClock(t0)
	s := open(t, state.Options{Now: clock.Now}).Store
	expires := t0.Add(time.Hour) // t0 has nanoseconds: the check must be exact
	onTime := mustRequest(t, s, approvalRequest(analyzedFailure(t, s, 800, t0), expires))
	lateRec := analyzedFailure(t, s, 801, t0)
	late := mustRequest(t, s, approvalRequest(lateRec, expires))

	clock.Set(expires.Add(-1))
	if _, err := s.DecideApproval(ctx, onTime.ID, state.ApprovalApproved, "U1", "", state.AuditEntry{}); err != nil {
		t.Fatalf("approval 1ns before expires_at: %v", err)
	}
	entries := len(auditAll(t, s))
	for _, tc := range []struct {
		name     string
		now      time.Time
		ev       state.AuditEntry
		decision state.ApprovalStatus
	}{
		{"exactly at expires_at", expires, state.AuditEntry{}, state.ApprovalApproved},
		{"same ms, 1ns late", expires.Add(1), state.AuditEntry{}, state.ApprovalApproved},
		{"an hour late", expires.Add(time.Hour), state.AuditEntry{}, state.ApprovalRejected},
		// A decision counts only if it is made, and arrives, before expires_at.
		{"arrives late, dated on time", expires.Add(time.Minute), state.AuditEntry{Timestamp: expires.Add(-time.Minute)}, state.ApprovalApproved},
		{"arrives on time, dated late", expires.Add(-time.Minute), state.AuditEntry{Timestamp: expires.Add(time.Millisecond)}, state.ApprovalApproved},
	} {
		clock.Set(tc.now)
		got, err := s.DecideApproval(ctx, late.ID, tc.decision, "U2", "", tc.ev)
		if !errors.Is(err, state.ErrExpired) {
			t.Errorf("%s: err = %v, want ErrExpired", tc.name, err)
		}
		if got.ID != late.ID || got.Status != state.ApprovalPending {
			t.Errorf("%s: got request %q (%s); want %s as it stands, pending", tc.name, got.ID, got.Status, late.ID)
		}
	}
	if n := len(auditAll(t, s)); n != entries {
		t.Errorf("late decisions wrote audit entries: %d, want %d", n, entries)
	}
	mustStatus(t, s, lateRec.ID, state.StatusAwaitingApproval)
	// The caller then expires it.
	clock.Set(expires.Add(2 * time.Hour))
	if got, err := s.DecideApproval(ctx, late.ID, state.ApprovalExpired, state.ActorCCM, "approval_timeout elapsed", state.AuditEntry{}); err != nil || got.Status != state.ApprovalExpired {
		t.Fatalf("expiry after the refused decisions = %s, %v; want expired", got.Status, err)
	}
	mustStatus(t, s, lateRec.ID, state.StatusExpired)
}

// testApprovalActors: only ccm expires, only a person approves or rejects.
func testApprovalActors(t *testing.T, open backend) {
	ctx := context.Background()
	s := open(t, state.Options{Now: func() time.Time { return t0 }}).Store
	rec := analyzedFailure(t, s, 810, t0)
	a := mustRequest(t, s, approvalRequest(rec, t0.Add(time.Hour)))
	entries := len(auditAll(t, s))
	for _, tc := range []struct {
		decision state.ApprovalStatus
		actor    string
	}{
		{state.ApprovalExpired, "U024BE7LH"},
		{state.ApprovalExpired, "CCM"},
		{state.ApprovalExpired, ""},
		{state.ApprovalApproved, state.ActorCCM},
		{state.ApprovalRejected, state.ActorCCM},
		{state.ApprovalApproved, ""},
		{state.ApprovalRejected, ""},
	} {
		_, err := s.DecideApproval(ctx, a.ID, tc.decision, tc.actor, "", state.AuditEntry{})
		if !errors.Is(err, state.ErrActorNotAllowed) || !errors.Is(err, state.ErrInvalid) {
			t.Errorf("%s by %q: err = %v, want ErrActorNotAllowed (an ErrInvalid)", tc.decision, tc.actor, err)
		}
	}
	// The audit entry must name whoever decided: a different event actor
	// is bad input, not a question of who may decide.
	_, err := s.DecideApproval(ctx, a.ID, state.ApprovalApproved, "U1", "", state.AuditEntry{Actor: "U2"})
	if !errors.Is(err, state.ErrInvalid) || errors.Is(err, state.ErrActorNotAllowed) {
		t.Errorf("event actor U2 for decider U1: err = %v, want ErrInvalid only", err)
	}
	if n := len(auditAll(t, s)); n != entries {
		t.Errorf("refused decisions wrote audit entries: %d, want %d", n, entries)
	}
	if got, err := s.GetApproval(ctx, a.ID); err != nil || got.Status != state.ApprovalPending {
		t.Errorf("request = %s, %v; want still pending", got.Status, err)
	}
	mustStatus(t, s, rec.ID, state.StatusAwaitingApproval)
}

// testApprovalRegate: once a failure's request is decided, a new one may be
// made if the record is back at analyzed; the pointer moves to it and the
// old request keeps its history. While one is pending, asking again returns
// it. (No store path moves a record back to analyzed today: rewind stands
// in for whatever re-gating path brings it there; see RequestApproval.)
func testApprovalRegate(t *testing.T, open backend) {
	ctx := context.Background()
	clock := statetest.NewClock(t0)
	env := open(t, state.Options{Now: clock.Now})
	s := env.Store
	rec := analyzedFailure(t, s, 820, t0)
	first := mustRequest(t, s, approvalRequest(rec, t0.Add(time.Hour)))
	clock.Advance(time.Minute)
	if _, err := s.DecideApproval(ctx, first.ID, state.ApprovalExpired, state.ActorCCM, "incident pause", state.AuditEntry{}); err != nil {
		t.Fatal(err)
	}
	// The record is at expired: asking again answers with the decided one.
	if got, created, err := s.RequestApproval(ctx, approvalRequest(rec, t0.Add(2*time.Hour)), state.AuditEntry{}); !errors.Is(err, state.ErrAlreadyDecided) || created || got.ID != first.ID {
		t.Errorf("request at expired = %s, %v, %v; want the first one and ErrAlreadyDecided", got.ID, created, err)
	}

	rewind(t, env, rec.ID, state.StatusAnalyzed)
	now := clock.Advance(time.Minute)
	made, createdN := requestConcurrently(t, s, approvalRequest(rec, now.Add(time.Hour)), 8)
	second := made[0]
	for _, a := range made {
		if a.ID != second.ID || a.Status != state.ApprovalPending {
			t.Errorf("concurrent re-gates got %s and %s (%s); want one pending request", second.ID, a.ID, a.Status)
		}
	}
	if createdN != 1 || second.ID == first.ID {
		t.Fatalf("%d of %d re-gates created, request %s (first %s); want one new request", createdN, len(made), second.ID, first.ID)
	}
	if got, err := s.ApprovalForFailure(ctx, rec.ID); err != nil || got.ID != second.ID {
		t.Errorf("ApprovalForFailure = %s, %v; want the new request %s", got.ID, err, second.ID)
	}
	if old, err := s.GetApproval(ctx, first.ID); err != nil || old.Status != state.ApprovalExpired || old.Reason != "incident pause" {
		t.Errorf("old request = %s (%q), %v; want expired with its reason", old.Status, old.Reason, err)
	}
	mustStatus(t, s, rec.ID, state.StatusAwaitingApproval)
	if p, err := s.PendingApprovals(ctx); err != nil || len(p) != 1 || p[0].ID != second.ID {
		t.Errorf("PendingApprovals = %+v, %v; want only the new request", p, err)
	}
	var trail []string
	for _, e := range approvalEntries(t, s) {
		trail = append(trail, e.RequestID+" "+e.Details["decision"].(string))
	}
	want := []string{second.ID + " requested", first.ID + " expired", first.ID + " requested"}
	if len(trail) != len(want) || trail[0] != want[0] || trail[1] != want[1] || trail[2] != want[2] {
		t.Errorf("approval entries, newest first = %q; want %q", trail, want)
	}
}

// requestConcurrently makes n RequestApproval calls for req at once (the
// gate task delivered twice, workers racing) and returns what each got and
// how many said they created the request.
func requestConcurrently(t *testing.T, s *state.Store, req state.Approval, n int) ([]state.Approval, int64) {
	t.Helper()
	var wg sync.WaitGroup
	made := make([]state.Approval, n)
	var created atomic.Int64
	for i := range made {
		wg.Go(func() {
			a, ok, err := s.RequestApproval(context.Background(), req, state.AuditEntry{})
			if err != nil {
				t.Errorf("concurrent RequestApproval: %v", err)
			}
			if ok {
				created.Add(1)
			}
			made[i] = a
		})
	}
	wg.Wait()
	return made, created.Load()
}

// rewind rewrites a failure's hash at status to, as the store would (JSON,
// status field, next rev), bypassing the forward-only status order.
func rewind(t *testing.T, env *statetest.Env, id string, to state.Status) {
	t.Helper()
	ctx := context.Background()
	rec, err := env.Store.GetFailure(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	rec.Status = to
	js, err := json.Marshal(rec)
	if err != nil {
		t.Fatal(err)
	}
	key := env.Prefix + "failure:" + id
	if err := env.Client.HSet(ctx, key, "json", string(js), "status", string(to)).Err(); err != nil {
		t.Fatal(err)
	}
	if err := env.Client.HIncrBy(ctx, key, "rev", 1).Err(); err != nil {
		t.Fatal(err)
	}
}
