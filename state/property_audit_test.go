package state_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/ccm-ci/ccm/state"
	"github.com/ccm-ci/ccm/state/statetest"
	gocmp "github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"
)

// Property 40: Audit Log Persistence Round Trip
// "For any audit log entry, storing then retrieving the entry should return
// equivalent data."
func TestProperty40_AuditLogPersistenceRoundTrip(t *testing.T) {
	env := statetest.Open(t, state.Options{})
	rapid.Check(t, func(t *rapid.T) {
		ctx := context.Background()
		s := env.Fresh(state.Options{})
		// Earlier entries, in any time order, must not disturb the one checked.
		for range rapid.IntRange(0, 3).Draw(t, "before") {
			if _, err := s.Audit(ctx, genAudit(t, nil)); err != nil {
				t.Fatal(err)
			}
		}
		e := genAudit(t, []string{"acme/api#1.1"})
		id, err := s.Audit(ctx, e)
		if err != nil {
			t.Fatalf("Audit: %v", err)
		}
		got, err := s.QueryAudit(ctx, state.AuditQuery{Since: e.Timestamp, Until: e.Timestamp})
		if err != nil {
			t.Fatal(err)
		}
		i := slices.IndexFunc(got, func(g state.AuditEntry) bool { return g.ID == id })
		if i < 0 {
			t.Fatalf("entry %s not found by its own timestamp", id)
		}
		e.ID = id
		if diff := gocmp.Diff(e, got[i], cmpOpts...); diff != "" {
			t.Fatalf("audit round trip (-want +got):\n%s", diff)
		}
	})
}

// Property 41: Audit Log Filtering
// "For any audit log query with filters (date range, repository, failure
// type, action type), the results should only include entries matching all
// filters."
// The results are compared with a model, so every matching entry must be
// there too, newest (last written) first, up to the limit.
func TestProperty41_AuditLogFiltering(t *testing.T) {
	env := statetest.Open(t, state.Options{})
	rapid.Check(t, func(t *rapid.T) {
		ctx := context.Background()
		s := env.Fresh(state.Options{})
		// Failures give entries without repo or category something to fall back to.
		tags := map[string]failureTags{}
		var fids []string
		var model []state.AuditEntry
		for i := range rapid.IntRange(0, 3).Draw(t, "failures") {
			rec := genFailure(t, i)
			ev := event(state.ActionDetection)
			ev.Timestamp = genTime(t, "detected_ts")
			mustCreateWith(t, s, rec, ev)
			cat := ""
			if rec.Analysis != nil {
				cat = string(rec.Analysis.Category)
			}
			tags[rec.ID] = failureTags{rec.Repo, cat}
			fids = append(fids, rec.ID)
			ev.FailureID, ev.Repo, ev.Category = rec.ID, rec.Repo, cat
			model = append(model, ev)
		}
		for range rapid.IntRange(0, 25).Draw(t, "entries") {
			e := genAudit(t, append(fids, "acme/api#404.1"))
			if _, err := s.Audit(ctx, e); err != nil {
				t.Fatal(err)
			}
			model = append(model, e)
		}
		q := state.AuditQuery{Since: genBound(t, "since"), Until: genBound(t, "until"),
			Limit: rapid.IntRange(0, 30).Draw(t, "limit")}
		if rapid.Bool().Draw(t, "by_repo") {
			q.Repo = genRepo.Draw(t, "q_repo")
		}
		if rapid.Bool().Draw(t, "by_category") {
			q.Category = string(genCategory.Draw(t, "q_category"))
		}
		if rapid.Bool().Draw(t, "by_action") {
			q.ActionType = genAction.Draw(t, "q_action")
		}
		if len(fids) > 0 && rapid.Bool().Draw(t, "by_failure") {
			q.FailureID = rapid.SampledFrom(fids).Draw(t, "q_failure")
		}
		got, err := s.QueryAudit(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		if diff := gocmp.Diff(modelAudit(model, tags, q), got, append(cmpOpts, ignoreID)...); diff != "" {
			t.Fatalf("QueryAudit(%+v) (-want +got):\n%s", q, diff)
		}
	})
}

// failureTags mirror what QueryAudit falls back to for an entry.
type failureTags struct{ repo, category string }

func modelAudit(written []state.AuditEntry, tags map[string]failureTags, q state.AuditQuery) []state.AuditEntry {
	limit := q.Limit
	if limit == 0 {
		limit = state.DefaultLimit
	}
	var out []state.AuditEntry
	for i := len(written) - 1; i >= 0 && len(out) < limit; i-- {
		e := written[i]
		repo, cat := e.Repo, e.Category
		if repo == "" {
			repo = tags[e.FailureID].repo
		}
		if cat == "" {
			cat = tags[e.FailureID].category
		}
		if (!q.Since.IsZero() && e.Timestamp.Before(q.Since)) || (!q.Until.IsZero() && e.Timestamp.After(q.Until)) ||
			(q.Repo != "" && repo != q.Repo) || (q.Category != "" && cat != q.Category) ||
			(q.ActionType != "" && e.ActionType != q.ActionType) || (q.FailureID != "" && e.FailureID != q.FailureID) {
			continue
		}
		out = append(out, e)
	}
	return out
}

func mustCreateWith(t tb, s *state.Store, rec state.FailureRecord, ev state.AuditEntry) {
	t.Helper()
	created, err := s.CreateFailure(context.Background(), rec, ev)
	if err != nil || !created {
		t.Fatalf("CreateFailure(%s) = %v, %v; want true, nil", rec.ID, created, err)
	}
}

// Property 63: Audit Trail Persistence Round Trip
// "For any audit trail entry, storing then retrieving the entry should
// return equivalent data with complete context."
// The entry is written by a state change, which adds the failure's context
// (ID, repository, category) the caller left out.
func TestProperty63_AuditTrailPersistenceRoundTrip(t *testing.T) {
	env := statetest.Open(t, state.Options{})
	rapid.Check(t, func(t *rapid.T) {
		ctx := context.Background()
		clock := statetest.NewClock(genTime(t, "now"))
		s := env.Fresh(state.Options{Now: clock.Now})
		rec := genFailure(t, 0)
		rec.Status = state.StatusAnalyzed
		mustCreate(t, s, rec)
		ev := genAudit(t, nil)
		ev.Repo, ev.Category = "", ""
		if rapid.Bool().Draw(t, "store_clock") {
			ev.Timestamp = time.Time{}
		}
		to := rapid.SampledFrom([]state.Status{state.StatusAwaitingApproval, state.StatusApproved,
			state.StatusRejected, state.StatusRemediating, state.StatusFailed}).Draw(t, "to")
		if err := s.Transition(ctx, rec.ID, state.StatusAnalyzed, to, ev, nil); err != nil {
			t.Fatalf("Transition: %v", err)
		}
		got, err := s.QueryAudit(ctx, state.AuditQuery{FailureID: rec.ID, Limit: 1})
		if err != nil || len(got) != 1 {
			t.Fatalf("QueryAudit = %d entries, %v", len(got), err)
		}
		want := ev
		want.ID, want.FailureID, want.Repo = got[0].ID, rec.ID, rec.Repo
		if ev.Timestamp.IsZero() {
			want.Timestamp = clock.Now()
		}
		if rec.Analysis != nil {
			want.Category = string(rec.Analysis.Category)
		}
		if diff := gocmp.Diff(want, got[0], cmpOpts...); diff != "" {
			t.Fatalf("audit trail round trip (-want +got):\n%s", diff)
		}
	})
}

// Property 66: Data Retention Policy
// "For any data older than the configured retention period, the data should
// be archived or deleted according to policy."
// ccm deletes: afterwards nothing older than the cutoff is left, everything
// else is untouched, and the counts say what went.
func TestProperty66_DataRetentionPolicy(t *testing.T) {
	env := statetest.Open(t, state.Options{})
	rapid.Check(t, func(t *rapid.T) {
		ctx := context.Background()
		s := env.Fresh(state.Options{})
		var written []state.AuditEntry
		recs := make([]state.FailureRecord, rapid.IntRange(0, 8).Draw(t, "failures"))
		for i := range recs {
			recs[i] = genFailure(t, i)
			ev := event(state.ActionDetection)
			ev.Timestamp = genTime(t, "detected_ts")
			mustCreateWith(t, s, recs[i], ev)
			ev.FailureID, ev.Repo = recs[i].ID, recs[i].Repo
			if a := recs[i].Analysis; a != nil {
				ev.Category = string(a.Category)
			}
			written = append(written, ev)
		}
		metrics := make([]state.MetricsRecord, rapid.IntRange(0, 8).Draw(t, "metrics"))
		for i := range metrics {
			metrics[i] = genMetrics(t, recsID(recs, i))
			if err := s.RecordMetrics(ctx, metrics[i]); err != nil {
				t.Fatal(err)
			}
		}
		entries := rapid.SliceOfN(rapid.Custom(func(t *rapid.T) state.AuditEntry { return genAudit(t, nil) }), 0, 10).Draw(t, "entries")
		for _, e := range entries {
			if _, err := s.Audit(ctx, e); err != nil {
				t.Fatal(err)
			}
		}
		written = append(written, entries...)
		cutoff := genTime(t, "cutoff")

		res, err := s.ApplyRetention(ctx, cutoff)
		if err != nil {
			t.Fatalf("ApplyRetention: %v", err)
		}
		var want state.RetentionResult
		kept := map[string]bool{}
		for _, r := range recs {
			_, err := s.GetFailure(ctx, r.ID)
			old := r.DetectedAt.Before(cutoff)
			kept[r.ID] = !old
			if old {
				want.Failures++
			}
			if gone := err != nil; gone != old {
				t.Fatalf("failure detected %s, cutoff %s: deleted=%v (err %v)", r.DetectedAt, cutoff, gone, err)
			}
			if processed, _ := s.IsProcessed(ctx, r.ID); processed == old {
				t.Fatalf("failure %s: processed marker %v after retention", r.ID, processed)
			}
		}
		for i, m := range metrics {
			keep := m.RecordedAt.Compare(cutoff) >= 0 && (i >= len(recs) || kept[m.FailureID])
			if !keep {
				want.Metrics++
			}
			if _, err := s.Metrics(ctx, m.FailureID); (err == nil) != keep {
				t.Fatalf("metrics %s recorded %s: kept=%v, want %v", m.FailureID, m.RecordedAt, err == nil, keep)
			}
		}
		var wantAudit []state.AuditEntry // newest written first, like QueryAudit
		for _, e := range slices.Backward(written) {
			if e.Timestamp.Before(cutoff) {
				want.AuditEntries++
			} else {
				wantAudit = append(wantAudit, e)
			}
		}
		if diff := gocmp.Diff(wantAudit, auditAll(t, s), append(cmpOpts, ignoreID)...); diff != "" {
			t.Fatalf("audit after retention at %s (-want +got):\n%s", cutoff, diff)
		}
		if diff := gocmp.Diff(want, res); diff != "" {
			t.Fatalf("ApplyRetention counts (-want +got):\n%s", diff)
		}
	})
}
