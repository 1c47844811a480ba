package state_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ccm-ci/ccm/history"
	"github.com/ccm-ci/ccm/state"
	"github.com/ccm-ci/ccm/state/statetest"
	"github.com/google/go-cmp/cmp"
)

// The fingerprint history is part of the conformance suite
// (conformance_test.go): it runs on the real and the embedded Redis.
var historyCases = []conformanceCase{
	{"HistorySightings", testHistorySightings},
	{"HistoryPasses", testHistoryPasses},
	{"HistoryBounds", testHistoryBounds},
}

// sighting is a failure of fingerprint "fp-flaky" in repo on commit and
// branch, detected at, as ingest records it.
func sighting(repo string, run int64, attempt int, commit, branch string, at time.Time) state.FailureRecord {
	rec := failure(repo, run, at)
	rec.ID = fmt.Sprintf("%s#%d.%d", repo, run, attempt)
	rec.RunAttempt, rec.CommitSHA, rec.Branch, rec.Fingerprint = attempt, commit, branch, "fp-flaky"
	return rec
}

// testHistorySightings: ingest notes each failure under its repository and
// fingerprint; History reads the week before now, and Facts counts it
// relative to one failure.
func testHistorySightings(t *testing.T, open backend) {
	s, ctx := open(t, state.Options{}).Store, context.Background()
	now := t0.Add(10 * 24 * time.Hour)
	day := func(d int) time.Time { return now.Add(time.Duration(d) * 24 * time.Hour) }
	recs := []state.FailureRecord{
		sighting("acme/api", 1, 1, "c-old", "main", day(-8)),               // before the window
		sighting("acme/api", 2, 1, "c1", "main", day(-6)),                  // another commit, same branch
		sighting("acme/api", 3, 1, "c2", "feature/a", day(-5)),             // another commit and branch
		sighting("acme/api", 3, 2, "c2", "feature/a", day(-5+1)),           // its re-run failed again
		sighting("acme/web", 4, 1, "c9", "main", day(-4)),                  // another repository
		sighting("acme/api", 5, 1, "c3", "main", day(-1)),                  // this failure
		sighting("acme/api", 6, 1, "c4", "feature/b", day(0)),              // a later one
		sighting("acme/api", 7, 1, "c3", "main", day(-1).Add(time.Minute)), // same commit, another run
	}
	nolog := sighting("acme/api", 8, 1, "c5", "main", day(-2))
	nolog.LogUnavailable = true // a generic reason would match anything: not noted
	for _, rec := range append(recs, nolog) {
		mustCreate(t, s, rec)
	}
	h, err := s.History(ctx, "acme/api", "fp-flaky", now)
	if err != nil {
		t.Fatalf("History: %v", err)
	}
	var got []string
	for _, x := range h.Sightings {
		got = append(got, fmt.Sprintf("%s %d %s %s", x.FailureID, x.Attempt, x.Commit, x.Branch))
	}
	want := []string{
		"acme/api#2.1 1 c1 main", "acme/api#3.1 1 c2 feature/a", "acme/api#3.2 2 c2 feature/a",
		"acme/api#5.1 1 c3 main", "acme/api#7.1 1 c3 main", "acme/api#6.1 1 c4 feature/b",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("sightings (-want +got):\n%s", diff)
	}
	if !h.Sightings[0].At.Equal(day(-6).Truncate(time.Millisecond)) {
		t.Errorf("first sighting at %s, want %s", h.Sightings[0].At, day(-6))
	}
	f := h.Facts(recs[5])
	wantFacts := history.Facts{Sightings: 6, OtherCommits: 3, OtherBranches: 2, FailedOnRerun: 1}
	if diff := cmp.Diff(wantFacts, f); diff != "" {
		t.Errorf("Facts (-want +got):\n%s", diff)
	}
	// The later failure on c4 is not first seen there: c1..c3 came before.
	if f := h.Facts(recs[6]); f.FirstSeenHere {
		t.Errorf("Facts(c4).FirstSeenHere = true, want false")
	}
	// The oldest in the window (c1) is where it was first seen.
	if f := h.Facts(recs[1]); !f.FirstSeenHere || f.OtherCommits != 3 {
		t.Errorf("Facts(c1) = %+v, want FirstSeenHere and 3 other commits", f)
	}
	// Another repository's history is its own.
	other, err := s.History(ctx, "acme/web", "fp-flaky", now)
	if err != nil || len(other.Sightings) != 1 || other.Sightings[0].FailureID != "acme/web#4.1" {
		t.Errorf("History(acme/web) = %+v, %v; want only acme/web#4.1", other.Sightings, err)
	}
	// A duplicate ingest notes nothing more.
	if created, err := s.CreateFailure(ctx, recs[5], event(state.ActionDetection)); created || err != nil {
		t.Fatalf("duplicate CreateFailure = %v, %v", created, err)
	}
	if again, _ := s.History(ctx, "acme/api", "fp-flaky", now); len(again.Sightings) != len(want) {
		t.Errorf("after a duplicate: %d sightings, want %d", len(again.Sightings), len(want))
	}
	if _, err := s.History(ctx, "acme/api", "", now); err == nil {
		t.Errorf("History without a fingerprint: no error")
	}
}

// testHistoryPasses: a verified re-run (remediated) and a shadow outcome
// that passed are noted in the same step as the change that learns them;
// nothing else is.
func testHistoryPasses(t *testing.T, open backend) {
	clock := statetest.NewClock(t0)
	s, ctx := open(t, state.Options{Now: clock.Now}).Store, context.Background()
	remediated := func(run int64, verifyAttempt int) state.FailureRecord {
		t.Helper()
		rec := sighting("acme/api", run, 1, fmt.Sprintf("c%d", run), "main", t0)
		mustCreate(t, s, rec)
		steps := []struct{ from, to state.Status }{
			{state.StatusDetected, state.StatusAnalyzed}, {state.StatusAnalyzed, state.StatusRemediating},
			{state.StatusRemediating, state.StatusRemediated},
		}
		for _, st := range steps {
			err := s.Transition(ctx, rec.ID, st.from, st.to, event(state.ActionRemediation), func(r *state.FailureRecord) {
				r.Remediation = &state.Remediation{VerifyAttempt: verifyAttempt, StartedAt: t0}
			})
			if err != nil {
				t.Fatalf("Transition %s -> %s: %v", st.from, st.to, err)
			}
		}
		// An in-place update afterwards notes nothing twice.
		if err := s.Transition(ctx, rec.ID, state.StatusRemediated, state.StatusRemediated, event(state.ActionRemediation), nil); err != nil {
			t.Fatalf("in-place update: %v", err)
		}
		return rec
	}
	clock.Set(t0.Add(time.Hour))
	verified := remediated(11, 2)
	remediated(12, 0) // remediated without a re-run to verify: no pass
	shadow := func(run int64, outcome string) {
		t.Helper()
		rec := decided(t, s, "acme/api", run, "auto", "shadow")
		if err := s.Transition(ctx, rec.ID, rec.Status, rec.Status, event(state.ActionAnalysis), func(r *state.FailureRecord) {
			r.Fingerprint = "fp-flaky"
		}); err != nil {
			t.Fatal(err)
		}
		o := state.ShadowOutcome{Outcome: outcome, At: t0.Add(3 * time.Hour)}
		if ok, err := s.RecordShadowOutcome(ctx, rec.ID, o, state.AuditEntry{Actor: "ccm", Outcome: state.OutcomeSuccess}); !ok || err != nil {
			t.Fatalf("RecordShadowOutcome(%s) = %v, %v", outcome, ok, err)
		}
	}
	shadow(21, state.ShadowRerunPassed)
	shadow(22, state.ShadowPassedLater)
	shadow(23, state.ShadowNothingHelped)
	shadow(24, state.ShadowRerunFailed)

	h, err := s.History(ctx, "acme/api", "fp-flaky", t0.Add(24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range h.Passes {
		got = append(got, p.FailureID+" "+p.How+" "+p.At.Sub(t0.Truncate(time.Millisecond)).String())
	}
	want := []string{"acme/api#11.1 verified 1h0m0s", "acme/api#21.1 rerun_passed 3h0m0s", "acme/api#22.1 passed_later 3h0m0s"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("passes (-want +got):\n%s", diff)
	}
	newer := sighting("acme/api", 30, 1, "c30", "main", t0.Add(5*time.Hour))
	if f := h.Facts(newer); f.PassedOnRerun != 2 || f.PassedLater != 1 {
		t.Errorf("Facts = %+v, want 2 passed on re-run and 1 passed later", f)
	}
	if f := h.Facts(verified); f.PassedOnRerun != 1 {
		t.Errorf("Facts(the verified failure) = %+v: its own pass must not count", f)
	}
}

// testHistoryBounds: each set keeps at most HistoryCap entries and nothing
// older than eight days before its newest, and expires eight days after
// its last write.
func testHistoryBounds(t *testing.T, open backend) {
	env := open(t, state.Options{HistoryCap: 3})
	s, ctx := env.Store, context.Background()
	for i := range 5 {
		mustCreate(t, s, sighting("acme/api", int64(40+i), 1, fmt.Sprintf("c%d", i), "main", t0.Add(time.Duration(i)*time.Minute)))
	}
	h, err := s.History(ctx, "acme/api", "fp-flaky", t0.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if len(h.Sightings) != 3 || h.Sightings[0].FailureID != "acme/api#42.1" || !h.Partial {
		t.Errorf("after 5 sightings with cap 3: %+v, partial %v; want the newest 3, partial", h.Sightings, h.Partial)
	}
	if f := h.Facts(sighting("acme/api", 44, 1, "c4", "main", t0)); !f.Partial ||
		!strings.Contains(f.Sentence(), "lower bounds") {
		t.Errorf("Facts on a capped history = %+v (%q): want it to say the counts are lower bounds", f, f.Sentence())
	}
	// Nine days later: the older entries are trimmed from the set itself.
	mustCreate(t, s, sighting("acme/api", 50, 1, "c50", "main", t0.Add(9*24*time.Hour)))
	key := env.Prefix + "history:acme/api|fp-flaky"
	if n, err := env.Client.ZCard(ctx, key).Result(); err != nil || n != 1 {
		t.Errorf("ZCARD %s = %d, %v; want 1 (entries over 8 days older than the newest trimmed)", key, n, err)
	}
	ttl, err := env.Client.PTTL(ctx, key).Result()
	if err != nil || ttl <= 7*24*time.Hour || ttl > 8*24*time.Hour {
		t.Errorf("PTTL %s = %s, %v; want within (7d, 8d]", key, ttl, err)
	}
}
