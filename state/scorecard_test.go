package state_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/ccm-ci/ccm/analysis"
	"github.com/ccm-ci/ccm/state"
	"github.com/google/go-cmp/cmp"
)

// The scorecard is part of the conformance suite (conformance_test.go).
var scorecardCases = []conformanceCase{
	{"ShadowOutcomeOnce", testShadowOutcomeOnce},
	{"ShadowOutcomeRefusals", testShadowOutcomeRefusals},
	{"Scorecards", testScorecards},
}

// decided stores a failure of repo with a gate decision in mode (shadow
// unless said otherwise), as ccm:gate leaves it.
func decided(t tb, s *state.Store, repo string, run int64, decision, mode string) state.FailureRecord {
	t.Helper()
	ctx := context.Background()
	rec := failure(repo, run, t0)
	mustCreate(t, s, rec)
	if err := s.SaveAnalysis(ctx, rec.ID, newAnalysis(analysis.CategoryFlakyTest, 2), event(state.ActionAnalysis)); err != nil {
		t.Fatalf("SaveAnalysis: %v", err)
	}
	g := state.GateDecision{Decision: decision, Reasons: []string{"because"}, Mode: mode, DecidedAt: t0}
	if _, err := s.SaveGate(ctx, rec.ID, state.StatusAnalyzed, g, event(state.ActionValidation), nil); err != nil {
		t.Fatalf("SaveGate: %v", err)
	}
	got, err := s.GetFailure(ctx, rec.ID)
	if err != nil {
		t.Fatalf("GetFailure: %v", err)
	}
	return got
}

// testShadowOutcomeOnce: the outcome, the tally and the audit entry land
// together, once, however many workers record it at the same time.
func testShadowOutcomeOnce(t *testing.T, open backend) {
	s, ctx := open(t, state.Options{}).Store, context.Background()
	rec := decided(t, s, "acme/web", 1, "auto", "shadow")
	o := state.ShadowOutcome{Outcome: state.ShadowRerunPassed, At: t0.Add(2 * time.Hour),
		ResolvedAt: rec.RunUpdatedAt.Add(90 * time.Minute), WouldHaveFixed: true, Evidence: "attempt 2 concluded success"}
	var wg sync.WaitGroup
	recorded := make([]bool, 10)
	for i := range recorded {
		wg.Go(func() {
			ok, err := s.RecordShadowOutcome(ctx, rec.ID, o, state.AuditEntry{Actor: "ccm", Outcome: state.OutcomeSuccess})
			if err != nil {
				t.Error(err)
			}
			recorded[i] = ok
		})
	}
	wg.Wait()
	n := 0
	for _, ok := range recorded {
		if ok {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("%d of 10 concurrent records reported recorded, want 1", n)
	}
	got, err := s.GetFailure(ctx, rec.ID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(&o, got.ShadowOutcome, cmpOpts...); diff != "" || got.Status != state.StatusAnalyzed {
		t.Errorf("record status %s, outcome (-want +got):\n%s", got.Status, diff)
	}
	card, err := s.Scorecard(ctx, "acme/web")
	if err != nil {
		t.Fatal(err)
	}
	want := state.Scorecard{Repo: "acme/web", Judged: 1, Auto: 1, WouldHaveFixed: 1,
		Outcomes: map[string]int{state.ShadowRerunPassed: 1}, Resolved: 1, MeanTimeToResolution: 90 * time.Minute}
	if diff := cmp.Diff(want, card); diff != "" {
		t.Errorf("scorecard (-want +got):\n%s", diff)
	}
	es, err := s.QueryAudit(ctx, state.AuditQuery{FailureID: rec.ID, ActionType: state.ActionValidation})
	if err != nil {
		t.Fatal(err)
	}
	if len(es) != 2 || es[0].Details["shadow_outcome"] != state.ShadowRerunPassed || es[0].Actor != "ccm" ||
		!es[0].Timestamp.Equal(o.At) {
		t.Errorf("validation entries %+v: want the gate's and one shadow_outcome entry at the outcome's time", es)
	}
}

func testShadowOutcomeRefusals(t *testing.T, open backend) {
	s, ctx := open(t, state.Options{}).Store, context.Background()
	shadowNone := decided(t, s, "acme/web", 2, "none", "shadow")
	live := decided(t, s, "acme/web", 3, "none", "auto")
	ev := state.AuditEntry{Actor: "ccm", Outcome: state.OutcomeSuccess}
	for _, c := range []struct {
		name string
		id   string
		o    state.ShadowOutcome
		ev   state.AuditEntry
		want error
	}{
		{"unknown outcome", shadowNone.ID, state.ShadowOutcome{Outcome: "fixed"}, ev, state.ErrInvalid},
		{"not a shadow decision", live.ID, state.ShadowOutcome{Outcome: state.ShadowNothingHelped}, ev, state.ErrInvalid},
		{"left alone cannot fix", shadowNone.ID, state.ShadowOutcome{Outcome: state.ShadowRerunPassed, WouldHaveFixed: true}, ev, state.ErrInvalid},
		{"another action type", shadowNone.ID, state.ShadowOutcome{Outcome: state.ShadowNothingHelped},
			state.AuditEntry{Actor: "ccm", ActionType: state.ActionRemediation, Outcome: state.OutcomeSuccess}, state.ErrInvalid},
		{"event without actor", shadowNone.ID, state.ShadowOutcome{Outcome: state.ShadowNothingHelped},
			state.AuditEntry{Outcome: state.OutcomeSuccess}, state.ErrInvalid},
		{"unknown failure", "acme/web#404.1", state.ShadowOutcome{Outcome: state.ShadowNothingHelped}, ev, state.ErrNotFound},
	} {
		t.Run(c.name, func(t *testing.T) {
			ok, err := s.RecordShadowOutcome(ctx, c.id, c.o, c.ev)
			if ok || !errors.Is(err, c.want) {
				t.Errorf("RecordShadowOutcome = %v, %v; want false, %v", ok, err, c.want)
			}
		})
	}
	cards, err := s.Scorecards(ctx)
	if err != nil || len(cards) != 0 {
		t.Errorf("Scorecards after refusals = %+v, %v; want none", cards, err)
	}
}

// testScorecards: every repository's tally, by name, and its sentence.
func testScorecards(t *testing.T, open backend) {
	s, ctx := open(t, state.Options{}).Store, context.Background()
	ev := state.AuditEntry{Actor: "ccm", Outcome: state.OutcomeSuccess}
	for i, c := range []struct {
		repo, decision string
		o              state.ShadowOutcome
	}{
		{"zeta/api", "approval", state.ShadowOutcome{Outcome: state.ShadowFixLanded, WouldHaveFixed: true}},
		{"acme/web", "auto", state.ShadowOutcome{Outcome: state.ShadowRerunPassed, WouldHaveFixed: true}},
		{"acme/web", "approval", state.ShadowOutcome{Outcome: state.ShadowNothingHelped}},
		{"acme/web", "none", state.ShadowOutcome{Outcome: state.ShadowPassedLater}},
		{"acme/web", "auto", state.ShadowOutcome{Outcome: state.ShadowRerunFailed, TouchedCode: true}},
	} {
		rec := decided(t, s, c.repo, int64(10+i), c.decision, "shadow")
		if ok, err := s.RecordShadowOutcome(ctx, rec.ID, c.o, ev); !ok || err != nil {
			t.Fatalf("RecordShadowOutcome(%s) = %v, %v", rec.ID, ok, err)
		}
	}
	cards, err := s.Scorecards(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range cards {
		got = append(got, c.Sentence())
	}
	want := []string{
		"acme/web (shadow): would have fixed 1 of 3, asked for 1, left 1 alone, would have touched code 1 time",
		"zeta/api (shadow): would have fixed 1 of 1, asked for 1, left 0 alone, never touched code",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("sentences (-want +got):\n%s", diff)
	}
	empty, err := s.Scorecard(ctx, "nobody/here")
	if err != nil || empty.Judged != 0 || empty.Repo != "nobody/here" {
		t.Errorf("Scorecard of a repository never judged = %+v, %v; want a zero one", empty, err)
	}
}
