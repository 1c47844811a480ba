package state_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/ccm-ci/ccm/state"
	"github.com/ccm-ci/ccm/state/statetest"
	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"
)

// A property of ccm's own (the spec numbers 66; names, not numbers, for ours):
// "For any shadow decisions and any outcomes recorded for them — retried,
// duplicated or racing — each repository's scorecard equals a recount of
// its records' outcomes: every judged decision counted once, by decision,
// outcome, verdict and time to resolution, and the first outcome recorded
// for a failure is the one it keeps."
func TestScorecardTallyProperty(t *testing.T) {
	env := statetest.Open(t, state.Options{})
	repos := []string{"acme/web", "acme/api"}
	rapid.Check(t, func(t *rapid.T) {
		ctx := context.Background()
		s := env.Fresh(state.Options{})
		var recs []state.FailureRecord
		for i := range rapid.IntRange(1, 6).Draw(t, "failures") {
			repo := rapid.SampledFrom(repos).Draw(t, "repo")
			decision := rapid.SampledFrom([]string{"auto", "approval", "none"}).Draw(t, "decision")
			recs = append(recs, decided(t, s, repo, int64(i+1), decision, "shadow"))
		}
		first := map[string]state.ShadowOutcome{} // the model: what each failure must keep
		record := func(rec state.FailureRecord, o state.ShadowOutcome) {
			if _, err := s.RecordShadowOutcome(ctx, rec.ID, o, state.AuditEntry{Actor: "ccm", Outcome: state.OutcomeSuccess}); err != nil {
				t.Errorf("RecordShadowOutcome(%s): %v", rec.ID, err)
			}
		}
		for range rapid.IntRange(0, 12).Draw(t, "checks") {
			rec := recs[rapid.IntRange(0, len(recs)-1).Draw(t, "which")]
			o := state.ShadowOutcome{
				Outcome:     rapid.SampledFrom(state.ShadowOutcomes).Draw(t, "outcome"),
				At:          t0.Add(time.Duration(rapid.IntRange(1, 72).Draw(t, "at_h")) * time.Hour),
				TouchedCode: rapid.Bool().Draw(t, "touched"),
			}
			o.WouldHaveFixed = rec.Gate.Decision != "none" && rapid.Bool().Draw(t, "fixed")
			if rapid.Bool().Draw(t, "resolved") {
				o.ResolvedAt = rec.RunUpdatedAt.Add(time.Duration(rapid.IntRange(0, 3000).Draw(t, "ttr_min")) * time.Minute)
			}
			if _, done := first[rec.ID]; !done {
				first[rec.ID] = o
			}
			// A retried task delivered twice at once: both race, one counts.
			copies := rapid.IntRange(1, 3).Draw(t, "copies")
			var wg sync.WaitGroup
			for range copies {
				wg.Go(func() { record(rec, o) })
			}
			wg.Wait()
		}
		want := map[string]*state.Scorecard{}
		resolvedMS := map[string]int64{}
		for _, rec := range recs {
			got, err := s.GetFailure(ctx, rec.ID)
			if err != nil {
				t.Fatal(err)
			}
			o, judged := first[rec.ID]
			if !judged {
				if got.ShadowOutcome != nil {
					t.Fatalf("%s has outcome %+v though none was recorded", rec.ID, got.ShadowOutcome)
				}
				continue
			}
			if got.ShadowOutcome == nil || got.ShadowOutcome.Outcome != o.Outcome || !got.ShadowOutcome.At.Equal(o.At) {
				t.Fatalf("%s keeps outcome %+v, want the first recorded %+v", rec.ID, got.ShadowOutcome, o)
			}
			c := want[rec.Repo]
			if c == nil {
				c = &state.Scorecard{Repo: rec.Repo, Outcomes: map[string]int{}}
				want[rec.Repo] = c
			}
			c.Judged++
			c.Outcomes[o.Outcome]++
			switch rec.Gate.Decision {
			case "auto":
				c.Auto++
			case "approval":
				c.Approval++
			case "none":
				c.None++
			}
			if o.WouldHaveFixed {
				c.WouldHaveFixed++
			}
			if o.TouchedCode {
				c.TouchedCode++
			}
			if !o.ResolvedAt.IsZero() {
				c.Resolved++
				resolvedMS[rec.Repo] += o.ResolvedAt.Sub(rec.RunUpdatedAt).Milliseconds()
			}
		}
		for repo, c := range want {
			if c.Resolved > 0 {
				c.MeanTimeToResolution = time.Duration(resolvedMS[repo]/int64(c.Resolved)) * time.Millisecond
			}
		}
		cards, err := s.Scorecards(ctx)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]*state.Scorecard{}
		for _, c := range cards {
			got[c.Repo] = &c
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("scorecards differ from a recount of the records (-recount +got):\n%s", diff)
		}
		entries, err := s.QueryAudit(ctx, state.AuditQuery{ActionType: state.ActionValidation, Limit: state.MaxLimit})
		if err != nil {
			t.Fatal(err)
		}
		outcomes := 0
		for _, e := range entries {
			if e.Details["shadow_outcome"] != nil {
				outcomes++
			}
		}
		if outcomes != len(first) {
			t.Fatalf("%d shadow_outcome audit entries, want one per judged failure (%d)", outcomes, len(first))
		}
	})
}

// TestScorecardSentence: the words of the sentence, for no, one and many.
func TestScorecardSentence(t *testing.T) {
	for _, c := range []struct {
		name string
		card state.Scorecard
		want string
	}{
		{"empty", state.Scorecard{Repo: "a/b"},
			"a/b (shadow): would have fixed 0 of 0, asked for 0, left 0 alone, never touched code"},
		{"the issue's example", state.Scorecard{Repo: "acme/web", Auto: 11, Approval: 6, None: 5, WouldHaveFixed: 14},
			"acme/web (shadow): would have fixed 14 of 17, asked for 6, left 5 alone, never touched code"},
		{"touched code twice", state.Scorecard{Repo: "a/b", Auto: 2, TouchedCode: 2},
			"a/b (shadow): would have fixed 0 of 2, asked for 0, left 0 alone, would have touched code 2 times"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := c.card.Sentence(); got != c.want {
				t.Errorf("Sentence() = %q, want %q", got, c.want)
			}
		})
	}
}
