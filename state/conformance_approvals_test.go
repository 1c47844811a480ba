package state_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ccm-ci/ccm/analysis"
	"github.com/ccm-ci/ccm/state"
	"github.com/ccm-ci/ccm/state/statetest"
	"github.com/google/go-cmp/cmp"
)

// Approvals are part of the conformance suite (conformance_test.go): the
// decision is a Lua compare-and-set, and miniredis must be proven to run it
// as Redis does.
var approvalCases = []conformanceCase{
	{"Approval/Decisions", testApprovalDecisions},
	{"Approval/DecideTwice", testApprovalDecideTwice},
	{"Approval/UnknownID", testApprovalUnknownID},
	{"Approval/IdempotentRequest", testApprovalIdempotentRequest},
	{"Approval/BadRequests", testApprovalBadRequests},
	{"Approval/ConcurrentClicks", testApprovalConcurrentClicks},
	{"Approval/RecordMovedAway", testApprovalRecordMovedAway},
	{"Approval/RacesInPlaceUpdates", testApprovalRacesInPlaceUpdates},
	{"Approval/PendingAndDue", testApprovalPendingAndDue},
	{"Approval/Retention", testApprovalRetention},
	{"Approval/LateDecision", testApprovalLateDecision},
	{"Approval/Actors", testApprovalActors},
	{"Approval/Regate", testApprovalRegate},
	{"Approval/MoveExpiry", testApprovalMoveExpiry},
}

// analyzedFailure stores a failure the gate has just sent for approval.
func analyzedFailure(t tb, s *state.Store, run int64, detected time.Time) state.FailureRecord {
	t.Helper()
	rec := failure("acme/api", run, detected)
	rec.Status = state.StatusAnalyzed
	rec.Analysis = ptr(newAnalysis(analysis.CategoryTimeout, 6))
	mustCreate(t, s, rec)
	return rec
}

func approvalRequest(rec state.FailureRecord, expires time.Time) state.Approval {
	return state.Approval{
		FailureID: rec.ID,
		Actions:   []analysis.Action{{Type: analysis.ActionRerunFailedJobs}},
		Risk:      6,
		Reasons:   []string{"risk 6 is not below the threshold 5", "the repository is protected"},
		ExpiresAt: expires,
	}
}

func mustRequest(t tb, s *state.Store, req state.Approval) state.Approval {
	t.Helper()
	a, created, err := s.RequestApproval(context.Background(), req, state.AuditEntry{})
	if err != nil || !created {
		t.Fatalf("RequestApproval(%s) = %v, %v; want created", req.FailureID, created, err)
	}
	return a
}

// approvalEntries are the audit entries of action approval, newest first.
func approvalEntries(t tb, s *state.Store) []state.AuditEntry {
	t.Helper()
	es, err := s.QueryAudit(context.Background(), state.AuditQuery{ActionType: state.ActionApproval, Limit: state.MaxLimit})
	if err != nil {
		t.Fatalf("QueryAudit: %v", err)
	}
	return es
}

func mustStatus(t tb, s *state.Store, id string, want state.Status) state.FailureRecord {
	t.Helper()
	rec, err := s.GetFailure(context.Background(), id)
	if err != nil || rec.Status != want {
		t.Fatalf("failure %s: status %s, %v; want %s", id, rec.Status, err, want)
	}
	return rec
}

// testApprovalDecisions: request, then each of the three decisions, with
// the request, the record and the audit checked at every step.
func testApprovalDecisions(t *testing.T, open backend) {
	for i, tc := range []struct {
		decision state.ApprovalStatus
		actor    string
		reason   string
		want     state.Status
	}{
		{state.ApprovalApproved, "U024BE7LH", "", state.StatusApproved},
		{state.ApprovalRejected, "U0G9QF9C6", "not during the release freeze", state.StatusRejected},
		{state.ApprovalExpired, "ccm", "branch has a new commit", state.StatusExpired},
	} {
		t.Run(string(tc.decision), func(t *testing.T) {
			ctx := context.Background()
			clock := statetest.NewClock(t0)
			s := open(t, state.Options{Now: clock.Now}).Store
			rec := analyzedFailure(t, s, int64(700+i), t0.Add(-time.Minute))
			req := approvalRequest(rec, t0.Add(time.Hour))
			a := mustRequest(t, s, req)
			want := req
			want.ID, want.Repo, want.RequestedAt, want.Status = a.ID, rec.Repo, t0, state.ApprovalPending
			if diff := cmp.Diff(want, a, cmpOpts...); diff != "" {
				t.Errorf("RequestApproval (-want +got):\n%s", diff)
			}
			if len(a.ID) != 22 {
				t.Errorf("request ID %q: want 22 base64url characters (128 random bits)", a.ID)
			}
			if got, err := s.GetApproval(ctx, a.ID); err != nil || !cmp.Equal(want, got, cmpOpts...) {
				t.Errorf("GetApproval = %+v, %v; want %+v", got, err, want)
			}
			if got, err := s.ApprovalForFailure(ctx, rec.ID); err != nil || got.ID != a.ID {
				t.Errorf("ApprovalForFailure = %s, %v; want %s", got.ID, err, a.ID)
			}
			mustStatus(t, s, rec.ID, state.StatusAwaitingApproval)
			wantReq := state.AuditEntry{Timestamp: t0, Actor: "ccm", ActionType: state.ActionApproval, FailureID: rec.ID,
				RequestID: a.ID, Repo: rec.Repo, Category: "timeout", Outcome: state.OutcomePending,
				Details: map[string]any{"decision": "requested"}}
			if diff := cmp.Diff([]state.AuditEntry{wantReq}, approvalEntries(t, s), append(cmpOpts, ignoreID)...); diff != "" {
				t.Errorf("request's audit entry (-want +got):\n%s", diff)
			}
			if err := s.SetApprovalMessage(ctx, a.ID, "C0123", "1700000000.000100"); err != nil {
				t.Fatalf("SetApprovalMessage: %v", err)
			}

			at := clock.Advance(90*time.Second + 7)
			got, err := s.DecideApproval(ctx, a.ID, tc.decision, tc.actor, tc.reason, state.AuditEntry{})
			if err != nil {
				t.Fatalf("DecideApproval: %v", err)
			}
			want.Status, want.DecidedBy, want.DecidedAt, want.Reason = tc.decision, tc.actor, at, tc.reason
			want.SlackChannel, want.SlackTS = "C0123", "1700000000.000100"
			if diff := cmp.Diff(want, got, cmpOpts...); diff != "" {
				t.Errorf("DecideApproval (-want +got):\n%s", diff)
			}
			if stored, err := s.GetApproval(ctx, a.ID); err != nil || !cmp.Equal(want, stored, cmpOpts...) {
				t.Errorf("stored request = %+v, %v;\nwant %+v", stored, err, want)
			}
			if r := mustStatus(t, s, rec.ID, tc.want); !r.UpdatedAt.Equal(at) {
				t.Errorf("record updated_at = %s, want %s", r.UpdatedAt, at)
			}
			details := map[string]any{"decision": string(tc.decision)}
			if tc.reason != "" {
				details["reason"] = tc.reason
			}
			wantDec := state.AuditEntry{Timestamp: at, Actor: tc.actor, ActionType: state.ActionApproval, FailureID: rec.ID,
				RequestID: a.ID, Repo: rec.Repo, Category: "timeout", Outcome: state.OutcomeSuccess, Details: details}
			if diff := cmp.Diff([]state.AuditEntry{wantDec, wantReq}, approvalEntries(t, s), append(cmpOpts, ignoreID)...); diff != "" {
				t.Errorf("audit after the decision (-want +got):\n%s", diff)
			}
			if p, err := s.PendingApprovals(ctx); err != nil || len(p) != 0 {
				t.Errorf("PendingApprovals = %d, %v; want none", len(p), err)
			}
		})
	}
}

func testApprovalDecideTwice(t *testing.T, open backend) {
	ctx := context.Background()
	clock := statetest.NewClock(t0)
	s := open(t, state.Options{Now: clock.Now}).Store
	rec := analyzedFailure(t, s, 710, t0)
	a := mustRequest(t, s, approvalRequest(rec, t0.Add(time.Hour)))
	won := clock.Advance(time.Minute)
	if _, err := s.DecideApproval(ctx, a.ID, state.ApprovalRejected, "U1", "flaky on purpose", state.AuditEntry{}); err != nil {
		t.Fatal(err)
	}
	entries := len(auditAll(t, s))
	clock.Advance(time.Minute)
	for _, d := range []struct {
		decision state.ApprovalStatus
		actor    string
	}{{state.ApprovalApproved, "U2"}, {state.ApprovalRejected, "U2"}, {state.ApprovalExpired, state.ActorCCM}} {
		got, err := s.DecideApproval(ctx, a.ID, d.decision, d.actor, "", state.AuditEntry{})
		if !errors.Is(err, state.ErrAlreadyDecided) {
			t.Fatalf("second decision %s: err = %v, want ErrAlreadyDecided", d.decision, err)
		}
		if got.DecidedBy != "U1" || !got.DecidedAt.Equal(won) || got.Status != state.ApprovalRejected {
			t.Errorf("loser was told %s by %s at %s; want rejected by U1 at %s", got.Status, got.DecidedBy, got.DecidedAt, won)
		}
	}
	if n := len(auditAll(t, s)); n != entries {
		t.Errorf("losing decisions wrote audit entries: %d, want %d", n, entries)
	}
	mustStatus(t, s, rec.ID, state.StatusRejected)
	if _, err := s.DecideApproval(ctx, a.ID, state.ApprovalPending, "U2", "", state.AuditEntry{}); !errors.Is(err, state.ErrInvalid) {
		t.Errorf("decision pending: err = %v, want ErrInvalid", err)
	}
}

func testApprovalUnknownID(t *testing.T, open backend) {
	ctx := context.Background()
	s := open(t, state.Options{Now: func() time.Time { return t0 }}).Store
	rec := analyzedFailure(t, s, 720, t0)
	a := mustRequest(t, s, approvalRequest(rec, t0.Add(time.Hour)))
	// A well-formed ID nobody issued, and strings that would name other keys.
	for _, id := range []string{"AAAAAAAAAAAAAAAAAAAAAA", "", "failure:" + rec.ID, a.ID + "x", "../" + a.ID} {
		if _, err := s.GetApproval(ctx, id); !errors.Is(err, state.ErrNotFound) {
			t.Errorf("GetApproval(%q) err = %v, want ErrNotFound", id, err)
		}
		if _, err := s.DecideApproval(ctx, id, state.ApprovalApproved, "U1", "", state.AuditEntry{}); !errors.Is(err, state.ErrNotFound) {
			t.Errorf("DecideApproval(%q) err = %v, want ErrNotFound", id, err)
		}
		if err := s.SetApprovalMessage(ctx, id, "C1", "1.2"); !errors.Is(err, state.ErrNotFound) {
			t.Errorf("SetApprovalMessage(%q) err = %v, want ErrNotFound", id, err)
		}
	}
	if _, err := s.ApprovalForFailure(ctx, "acme/api#1.1"); !errors.Is(err, state.ErrNotFound) {
		t.Errorf("ApprovalForFailure(unknown) err = %v, want ErrNotFound", err)
	}
	if n := len(approvalEntries(t, s)); n != 1 {
		t.Errorf("approval entries = %d, want only the request's", n)
	}
}

func testApprovalIdempotentRequest(t *testing.T, open backend) {
	ctx := context.Background()
	s := open(t, state.Options{Now: func() time.Time { return t0 }}).Store
	rec := analyzedFailure(t, s, 730, t0)
	first := mustRequest(t, s, approvalRequest(rec, t0.Add(time.Hour)))
	again := approvalRequest(rec, t0.Add(2*time.Hour))
	again.Risk = 9
	got, created, err := s.RequestApproval(ctx, again, state.AuditEntry{})
	if err != nil || created || !cmp.Equal(first, got, cmpOpts...) {
		t.Errorf("second RequestApproval = %+v, %v, %v; want the first one back, not created", got, created, err)
	}
	if n := len(auditAll(t, s)); n != 2 {
		t.Errorf("audit entries = %d, want 2 (detection, request)", n)
	}
	if _, err := s.DecideApproval(ctx, first.ID, state.ApprovalApproved, "U1", "", state.AuditEntry{}); err != nil {
		t.Fatal(err)
	}
	// The gate task retried while the first attempt still runs: one request.
	racer := analyzedFailure(t, s, 731, t0)
	made, createdN := requestConcurrently(t, s, approvalRequest(racer, t0.Add(time.Hour)), 10)
	for _, a := range made {
		if a.ID != made[0].ID {
			t.Errorf("concurrent requests got %s and %s; want one request", made[0].ID, a.ID)
		}
	}
	if createdN != 1 || len(approvalEntries(t, s)) != 3 {
		t.Errorf("%d of 10 concurrent requests created, %d approval entries; want 1 and 3", createdN, len(approvalEntries(t, s)))
	}
	got, created, err = s.RequestApproval(ctx, again, state.AuditEntry{})
	if !errors.Is(err, state.ErrAlreadyDecided) || created || got.ID != first.ID || got.DecidedBy != "U1" {
		t.Errorf("request after the decision = %s by %q, %v, %v; want the decided one and ErrAlreadyDecided", got.ID, got.DecidedBy, created, err)
	}
}

func testApprovalBadRequests(t *testing.T, open backend) {
	ctx := context.Background()
	s := open(t, state.Options{Now: func() time.Time { return t0 }}).Store
	rec := analyzedFailure(t, s, 740, t0)
	detected := failure("acme/api", 741, t0)
	mustCreate(t, s, detected)
	for _, tc := range []struct {
		name   string
		change func(*state.Approval)
		want   error
	}{
		{"no failure", func(a *state.Approval) { a.FailureID = "" }, state.ErrInvalid},
		{"no actions", func(a *state.Approval) { a.Actions = nil }, state.ErrInvalid},
		{"action none", func(a *state.Approval) { a.Actions = []analysis.Action{{Type: analysis.ActionNone}} }, state.ErrInvalid},
		{"unknown action", func(a *state.Approval) { a.Actions = []analysis.Action{{Type: "rm_rf"}} }, state.ErrInvalid},
		{"risk 11", func(a *state.Approval) { a.Risk = 11 }, state.ErrInvalid},
		{"expires before requested", func(a *state.Approval) { a.ExpiresAt = t0.Add(-time.Second) }, state.ErrInvalid},
		{"caller's ID", func(a *state.Approval) { a.ID = "guessable" }, state.ErrInvalid},
		{"other repo", func(a *state.Approval) { a.Repo = "acme/web" }, state.ErrInvalid},
		{"unknown failure", func(a *state.Approval) { a.FailureID = "acme/api#1.1" }, state.ErrNotFound},
		{"not analyzed", func(a *state.Approval) { a.FailureID = detected.ID }, state.ErrConflict},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := approvalRequest(rec, t0.Add(time.Hour))
			tc.change(&req)
			if _, _, err := s.RequestApproval(ctx, req, state.AuditEntry{}); !errors.Is(err, tc.want) {
				t.Errorf("RequestApproval err = %v, want %v", err, tc.want)
			}
		})
	}
	if n := len(approvalEntries(t, s)); n != 0 {
		t.Errorf("refused requests wrote %d approval entries", n)
	}
	mustStatus(t, s, rec.ID, state.StatusAnalyzed)
	mustStatus(t, s, detected.ID, state.StatusDetected)
}

func testApprovalPendingAndDue(t *testing.T, open backend) {
	ctx := context.Background()
	s := open(t, state.Options{Now: func() time.Time { return t0 }}).Store
	var as []state.Approval
	for i := range 3 {
		rec := analyzedFailure(t, s, int64(780+i), t0)
		// Expiries 1, 2, 3 minutes out, each half a millisecond into its ms.
		as = append(as, mustRequest(t, s, approvalRequest(rec, t0.Add(time.Duration(i+1)*time.Minute+500*time.Microsecond))))
	}
	idsOf := func(list []state.Approval, err error) []string {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, a := range list {
			out = append(out, a.ID)
		}
		return out
	}
	if diff := cmp.Diff([]string{as[0].ID, as[1].ID, as[2].ID}, idsOf(s.PendingApprovals(ctx))); diff != "" {
		t.Errorf("PendingApprovals (-want +got):\n%s", diff)
	}
	for _, tc := range []struct {
		name string
		now  time.Time
		want []string
	}{
		{"none due", t0, nil},
		{"same ms, 1ns early", as[1].ExpiresAt.Add(-1), []string{as[0].ID}},
		{"exactly at expiry", as[1].ExpiresAt, []string{as[0].ID, as[1].ID}},
		{"all due", t0.Add(time.Hour), []string{as[0].ID, as[1].ID, as[2].ID}},
	} {
		if diff := cmp.Diff(tc.want, idsOf(s.DueApprovals(ctx, tc.now)), cmpOpts...); diff != "" {
			t.Errorf("DueApprovals %s (-want +got):\n%s", tc.name, diff)
		}
	}
	if _, err := s.DecideApproval(ctx, as[0].ID, state.ApprovalExpired, "ccm", "approval_timeout elapsed", state.AuditEntry{}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{as[1].ID}, idsOf(s.DueApprovals(ctx, as[1].ExpiresAt))); diff != "" {
		t.Errorf("DueApprovals after expiring the first (-want +got):\n%s", diff)
	}
}

func testApprovalRetention(t *testing.T, open backend) {
	ctx := context.Background()
	env := open(t, state.Options{Now: func() time.Time { return t0 }})
	s := env.Store
	day := 24 * time.Hour
	old := analyzedFailure(t, s, 790, t0.Add(-3*day))
	young := analyzedFailure(t, s, 791, t0.Add(-time.Hour))
	oldReq := approvalRequest(old, t0.Add(-2*day))
	oldReq.RequestedAt = t0.Add(-3 * day).Add(time.Minute)
	ao := mustRequest(t, s, oldReq)
	ay := mustRequest(t, s, approvalRequest(young, t0.Add(time.Hour)))
	res, err := s.ApplyRetention(ctx, t0.Add(-day))
	if err != nil || res.Approvals != 1 || res.Failures != 1 {
		t.Fatalf("ApplyRetention = %+v, %v; want 1 approval and 1 failure deleted", res, err)
	}
	if _, err := s.GetApproval(ctx, ao.ID); !errors.Is(err, state.ErrNotFound) {
		t.Errorf("old request: err = %v, want ErrNotFound", err)
	}
	if _, err := s.ApprovalForFailure(ctx, old.ID); !errors.Is(err, state.ErrNotFound) {
		t.Errorf("old failure's pointer: err = %v, want ErrNotFound", err)
	}
	if p, err := s.PendingApprovals(ctx); err != nil || len(p) != 1 || p[0].ID != ay.ID {
		t.Errorf("PendingApprovals after retention = %+v, %v; want only the young one", p, err)
	}
	if n, err := env.Client.ZCard(ctx, env.Prefix+"approvals").Result(); err != nil || n != 1 {
		t.Errorf("index of all requests holds %d, %v; want 1", n, err)
	}
}
