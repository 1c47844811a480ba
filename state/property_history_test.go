package state_test

import (
	"cmp"
	"context"
	"slices"
	"testing"
	"time"

	"github.com/ccm-ci/ccm/history"
	"github.com/ccm-ci/ccm/state"
	"github.com/ccm-ci/ccm/state/statetest"
	gocmp "github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"
)

// TestFingerprintHistoryProperty: whatever failures are recorded, in
// whatever order, History(now).Facts(rec) counts exactly the failures a
// plain model keeps: those of rec's repository and fingerprint that have a
// log, the newest HistoryCap of them, none older than eight days before
// the newest, and of those the ones in the week before now.
func TestFingerprintHistoryProperty(t *testing.T) {
	env := statetest.Open(t, state.Options{})
	rapid.Check(t, func(t *rapid.T) {
		ctx := context.Background()
		limit := rapid.IntRange(1, 12).Draw(t, "cap")
		s := env.Fresh(state.Options{HistoryCap: limit})
		n := rapid.IntRange(1, 20).Draw(t, "failures")
		// Distinct minutes over twelve days, so no two share a score.
		minutes := rapid.SliceOfNDistinct(rapid.IntRange(0, 12*24*60), n, n, rapid.ID[int]).Draw(t, "minutes")
		var recs []state.FailureRecord
		for i, m := range minutes {
			rec := sighting(rapid.SampledFrom([]string{"acme/api", "acme/web"}).Draw(t, "repo"), int64(100+i),
				rapid.IntRange(1, 2).Draw(t, "attempt"), rapid.SampledFrom([]string{"c0", "c1", "c2", "c3"}).Draw(t, "commit"),
				rapid.SampledFrom([]string{"main", "b1", "b2"}).Draw(t, "branch"), t0.Add(time.Duration(m)*time.Minute))
			rec.Fingerprint = rapid.SampledFrom([]string{"fp-flaky", "fp-other"}).Draw(t, "fingerprint")
			rec.LogUnavailable = rapid.IntRange(0, 9).Draw(t, "nolog") == 0
			mustCreate(t, s, rec)
			recs = append(recs, rec)
		}
		self := recs[rapid.IntRange(0, n-1).Draw(t, "self")]
		newest := slices.MaxFunc(recs, func(a, b state.FailureRecord) int { return a.DetectedAt.Compare(b.DetectedAt) }).DetectedAt
		now := newest.Add(time.Duration(rapid.IntRange(0, 3*24*60).Draw(t, "later")) * time.Minute)

		h, err := s.History(ctx, self.Repo, self.Fingerprint, now)
		if err != nil {
			t.Fatalf("History: %v", err)
		}
		got := h.Facts(self)
		if want := modelFacts(recs, self, now, limit); !gocmp.Equal(want, got) {
			t.Fatalf("Facts(%s) at %s with cap %d:\n%s", self.ID, now, limit, gocmp.Diff(want, got))
		}
		if len(h.Sightings) > limit {
			t.Fatalf("%d sightings kept, cap %d", len(h.Sightings), limit)
		}
	})
}

// modelFacts is Facts computed from the records themselves.
func modelFacts(recs []state.FailureRecord, self state.FailureRecord, now time.Time, limit int) history.Facts {
	var same []state.FailureRecord
	for _, r := range recs {
		if r.Repo == self.Repo && r.Fingerprint == self.Fingerprint && !r.LogUnavailable {
			same = append(same, r)
		}
	}
	ms := func(t time.Time) int64 { return t.UnixMilli() }
	slices.SortFunc(same, func(a, b state.FailureRecord) int { return cmp.Compare(ms(b.DetectedAt), ms(a.DetectedAt)) })
	var stored, kept []state.FailureRecord
	for i, r := range same {
		if i < limit && ms(r.DetectedAt) >= ms(same[0].DetectedAt)-(8*24*time.Hour).Milliseconds() {
			stored = append(stored, r)
			if ms(r.DetectedAt) >= ms(now.Add(-history.Window)) {
				kept = append(kept, r)
			}
		}
	}
	// Partial says the set is full: something may have been dropped.
	f := history.Facts{Partial: len(stored) >= limit, FirstSeenHere: true}
	commits, branches, seen := map[string]bool{}, map[string]bool{}, false
	for _, r := range kept {
		f.Sightings++
		if r.RunAttempt > 1 {
			f.FailedOnRerun++
		}
		if r.ID == self.ID {
			seen = true
			continue
		}
		if r.CommitSHA != self.CommitSHA {
			commits[r.CommitSHA] = true
			if ms(r.DetectedAt) < ms(self.DetectedAt) {
				f.FirstSeenHere = false
			}
		}
		if r.Branch != self.Branch {
			branches[r.Branch] = true
		}
	}
	if !seen {
		f.Sightings++
		if self.RunAttempt > 1 {
			f.FailedOnRerun++
		}
	}
	f.OtherCommits, f.OtherBranches = len(commits), len(branches)
	return f
}
