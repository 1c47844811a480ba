package state_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/ccm-ci/ccm/analysis"
	"github.com/ccm-ci/ccm/state"
)

// SaveGate is part of the conformance suite (conformance_test.go).
var gateCases = []conformanceCase{{"SaveGate", testSaveGate}}

// testSaveGate: the decision and its validation entry land together, once
// under concurrency when skip says "already decided", and never on a
// record in another status.
func testSaveGate(t *testing.T, open backend) {
	env := open(t, state.Options{})
	s, ctx := env.Store, context.Background()
	rec := failure("acme/web", 1, t0)
	if _, err := s.CreateFailure(ctx, rec, state.AuditEntry{Actor: "ccm", ActionType: state.ActionDetection, Outcome: state.OutcomeSuccess}); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveAnalysis(ctx, rec.ID, newAnalysis(analysis.CategoryFlakyTest, 2), state.AuditEntry{Actor: "ccm", ActionType: state.ActionAnalysis, Outcome: state.OutcomeSuccess}); err != nil {
		t.Fatal(err)
	}
	g := state.GateDecision{Decision: "approval", Reasons: []string{"protected"}, Mode: "shadow", Threshold: 5, DecidedAt: t0}
	skip := func(cur state.FailureRecord) bool { return cur.Gate != nil }
	var wg sync.WaitGroup
	saved := make(chan bool, 10)
	for range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ok, err := s.SaveGate(ctx, rec.ID, state.StatusAnalyzed, g, state.AuditEntry{Actor: "ccm", Outcome: state.OutcomeSuccess}, skip)
			if err != nil {
				t.Error(err)
			}
			saved <- ok
		}()
	}
	wg.Wait()
	close(saved)
	n := 0
	for ok := range saved {
		if ok {
			n++
		}
	}
	got, err := s.GetFailure(ctx, rec.ID)
	if err != nil {
		t.Fatal(err)
	}
	if n != 1 || got.Gate == nil || got.Gate.Decision != "approval" || !got.Shadow || got.Status != state.StatusAnalyzed {
		t.Fatalf("%d saved, record gate %+v shadow %v status %s: want one save, shadow, still analyzed", n, got.Gate, got.Shadow, got.Status)
	}
	entries, err := s.QueryAudit(ctx, state.AuditQuery{FailureID: rec.ID, ActionType: state.ActionValidation})
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Category != string(analysis.CategoryFlakyTest) || !entries[0].Timestamp.Equal(t0) {
		t.Errorf("validation entries %+v: want one, with the category and decided_at as its time", entries)
	}
	_, err = s.SaveGate(ctx, rec.ID, state.StatusAwaitingApproval, g, state.AuditEntry{Actor: "ccm", Outcome: state.OutcomeSuccess}, nil)
	if !errors.Is(err, state.ErrConflict) {
		t.Errorf("save on the wrong status: %v, want ErrConflict", err)
	}
	_, err = s.SaveGate(ctx, rec.ID, state.StatusAnalyzed, g, state.AuditEntry{ActionType: state.ActionApproval}, nil)
	if !errors.Is(err, state.ErrInvalid) {
		t.Errorf("save with another action type: %v, want ErrInvalid", err)
	}
	_, err = s.SaveGate(ctx, "acme/web#404.1", state.StatusAnalyzed, g, state.AuditEntry{}, nil)
	if !errors.Is(err, state.ErrNotFound) {
		t.Errorf("save on an unknown failure: %v, want ErrNotFound", err)
	}
}
