package state_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ccm-ci/ccm/state"
)

// MoveApprovalExpiry moves a pending request's expiry in its record and its
// pending index together (DueApprovals reads one, the handler the other),
// and leaves a decided request alone.
func testApprovalMoveExpiry(t *testing.T, open backend) {
	ctx := context.Background()
	s := open(t, state.Options{Now: func() time.Time { return t0 }}).Store
	a := mustRequest(t, s, approvalRequest(analyzedFailure(t, s, 910, t0), t0.Add(time.Hour)))
	b := mustRequest(t, s, approvalRequest(analyzedFailure(t, s, 911, t0), t0.Add(time.Hour)))
	at := t0.Add(time.Minute)
	moved, err := s.MoveApprovalExpiry(ctx, a.ID, at)
	if err != nil || !moved {
		t.Fatalf("MoveApprovalExpiry(pending) = %v, %v; want moved", moved, err)
	}
	got, err := s.GetApproval(ctx, a.ID)
	if err != nil || !got.ExpiresAt.Equal(at) || got.Status != state.ApprovalPending {
		t.Errorf("after the move: %v, expires %s, status %s; want %s, pending", err, got.ExpiresAt, got.Status, at)
	}
	due, err := s.DueApprovals(ctx, at)
	if err != nil || len(due) != 1 || due[0].ID != a.ID {
		t.Errorf("DueApprovals(%s) = %v, %v; want only the moved request %s", at, due, err, a.ID)
	}
	if _, err := s.DecideApproval(ctx, b.ID, state.ApprovalRejected, "U1", "no", state.AuditEntry{}); err != nil {
		t.Fatal(err)
	}
	moved, err = s.MoveApprovalExpiry(ctx, b.ID, at)
	if err != nil || moved {
		t.Errorf("MoveApprovalExpiry(decided) = %v, %v; want not moved", moved, err)
	}
	if got, _ := s.GetApproval(ctx, b.ID); !got.ExpiresAt.Equal(b.ExpiresAt) || got.Status != state.ApprovalRejected {
		t.Errorf("a decided request changed: expires %s, status %s", got.ExpiresAt, got.Status)
	}
	if due, _ := s.DueApprovals(ctx, t0.Add(2*time.Hour)); len(due) != 1 || due[0].ID != a.ID {
		t.Errorf("DueApprovals after the refused move = %v: want only %s (the decided one is not pending)", due, a.ID)
	}
	for _, id := range []string{"bm90LWEtcmVxdWVzdA", "not an id"} {
		if _, err := s.MoveApprovalExpiry(ctx, id, at); !errors.Is(err, state.ErrNotFound) {
			t.Errorf("MoveApprovalExpiry(%q) err = %v, want ErrNotFound", id, err)
		}
	}
}
