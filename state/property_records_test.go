package state_test

import (
	"cmp"
	"context"
	"slices"
	"testing"

	"github.com/ccm-ci/ccm/analysis"
	"github.com/ccm-ci/ccm/state"
	"github.com/ccm-ci/ccm/state/statetest"
	gocmp "github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"
)

// Property 4: Idempotent Processing
// "For any workflow run that has been processed, processing it again should
// not create duplicate records or modify existing records."
func TestProperty04_IdempotentProcessing(t *testing.T) {
	env := statetest.Open(t, state.Options{})
	rapid.Check(t, func(t *rapid.T) {
		ctx := context.Background()
		s := env.Fresh(state.Options{})
		rec := genFailure(t, 0)
		rec.Status = state.StatusDetected
		if created, err := s.CreateFailure(ctx, rec, event(state.ActionDetection)); err != nil || !created {
			t.Fatalf("first CreateFailure = %v, %v", created, err)
		}
		want := rec
		if rapid.Bool().Draw(t, "analyzed_before_replay") {
			if err := s.SaveAnalysis(ctx, rec.ID, genValidAnalysis(t), event(state.ActionAnalysis)); err != nil {
				t.Fatalf("SaveAnalysis: %v", err)
			}
			var err error
			if want, err = s.GetFailure(ctx, rec.ID); err != nil {
				t.Fatal(err)
			}
		}
		audits := len(auditAll(t, s))
		for i := range rapid.IntRange(1, 4).Draw(t, "replays") {
			again := genFailure(t, 0) // same run, processed again with whatever it looks like now
			again.ID, again.Repo = rec.ID, rec.Repo
			if created, err := s.CreateFailure(ctx, again, event(state.ActionDetection)); err != nil || created {
				t.Fatalf("replay %d: CreateFailure = %v, %v; want false, nil", i, created, err)
			}
		}
		got, err := s.GetFailure(ctx, rec.ID)
		if err != nil {
			t.Fatal(err)
		}
		if diff := gocmp.Diff(want, got, cmpOpts...); diff != "" {
			t.Fatalf("replays modified the record (-want +got):\n%s", diff)
		}
		if n := len(auditAll(t, s)); n != audits {
			t.Fatalf("replays wrote audit entries: %d, want %d", n, audits)
		}
		list, err := s.ListFailures(ctx, state.FailureQuery{})
		if err != nil || len(list) != 1 {
			t.Fatalf("ListFailures = %d records, %v; want 1", len(list), err)
		}
	})
}

// genValidAnalysis is genAnalysis, which only draws valid analyses.
func genValidAnalysis(t *rapid.T) analysis.AnalysisResult {
	a := genAnalysis(t)
	if err := a.Validate(); err != nil {
		t.Fatalf("generator made an invalid analysis: %v", err)
	}
	return a
}

// Property 12: Analysis Persistence Round Trip
// "For any completed analysis, storing then retrieving the analysis should
// return equivalent data (same category, risk score, proposed fix,
// confidence, components)."
// ccm compares every field, not only those five.
func TestProperty12_AnalysisPersistenceRoundTrip(t *testing.T) {
	env := statetest.Open(t, state.Options{})
	rapid.Check(t, func(t *rapid.T) {
		ctx := context.Background()
		s := env.Fresh(state.Options{})
		rec := genFailure(t, 0)
		rec.Status, rec.Analysis = state.StatusDetected, nil
		mustCreate(t, s, rec)
		a := genValidAnalysis(t)
		if err := s.SaveAnalysis(ctx, rec.ID, a, event(state.ActionAnalysis)); err != nil {
			t.Fatalf("SaveAnalysis: %v", err)
		}
		got, err := s.GetFailure(ctx, rec.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Analysis == nil {
			t.Fatal("analysis lost")
		}
		if diff := gocmp.Diff(a, *got.Analysis, cmpOpts...); diff != "" {
			t.Fatalf("analysis round trip (-want +got):\n%s", diff)
		}
	})
}

// Property 62: Failure Record Persistence Round Trip
// "For any failure record, storing then retrieving the record should return
// equivalent data with all analysis results."
func TestProperty62_FailureRecordPersistenceRoundTrip(t *testing.T) {
	env := statetest.Open(t, state.Options{})
	rapid.Check(t, func(t *rapid.T) {
		s := env.Fresh(state.Options{})
		rec := genFailure(t, 0)
		mustCreate(t, s, rec)
		got, err := s.GetFailure(context.Background(), rec.ID)
		if err != nil {
			t.Fatal(err)
		}
		if diff := gocmp.Diff(rec, got, cmpOpts...); diff != "" {
			t.Fatalf("record round trip (-want +got):\n%s", diff)
		}
	})
}

// Property 64: Metrics Persistence Round Trip
// "For any metrics record, storing then retrieving the record should return
// equivalent data."
// The record is stored in two calls that split its fields at random, as
// ccm's stages do, so the merge is part of the round trip.
func TestProperty64_MetricsPersistenceRoundTrip(t *testing.T) {
	env := statetest.Open(t, state.Options{})
	rapid.Check(t, func(t *rapid.T) {
		ctx := context.Background()
		s := env.Fresh(state.Options{})
		m := genMetrics(t, "acme/api#1.1")
		first, second := splitMetrics(t, m)
		for _, part := range []state.MetricsRecord{first, second} {
			if err := s.RecordMetrics(ctx, part); err != nil {
				t.Fatalf("RecordMetrics: %v", err)
			}
		}
		got, err := s.Metrics(ctx, m.FailureID)
		if err != nil {
			t.Fatal(err)
		}
		if diff := gocmp.Diff(m, got, cmpOpts...); diff != "" {
			t.Fatalf("metrics round trip (-want +got):\n%s", diff)
		}
	})
}

// splitMetrics deals m's fields into two records; the first keeps
// RecordedAt, the second gets a later one the store must ignore.
func splitMetrics(t *rapid.T, m state.MetricsRecord) (a, b state.MetricsRecord) {
	a = state.MetricsRecord{FailureID: m.FailureID, RecordedAt: m.RecordedAt}
	b = state.MetricsRecord{FailureID: m.FailureID, RecordedAt: m.RecordedAt.Add(1e9)}
	pick := func(label string) *state.MetricsRecord {
		if rapid.Bool().Draw(t, label) {
			return &a
		}
		return &b
	}
	pick("repo").Repo = m.Repo
	pick("category").Category = m.Category
	pick("risk").RiskScore = m.RiskScore
	pick("detection").DetectionLatencyMS = m.DetectionLatencyMS
	pick("analysis").AnalysisLatencyMS = m.AnalysisLatencyMS
	pick("remediation").RemediationLatencyMS = m.RemediationLatencyMS
	pick("total").TotalLatencyMS = m.TotalLatencyMS
	pick("success").RemediationSuccess = m.RemediationSuccess
	pick("prompt").PromptTokens = m.PromptTokens
	pick("completion").CompletionTokens = m.CompletionTokens
	return a, b
}

// Property 65: Query Filtering and Aggregation
// "For any database query with filters and aggregations, the results should
// correctly reflect the requested operations."
// ListFailures and Aggregate are checked against models over the same data,
// written from the query types' documented meaning (aggregateOracle does not
// follow aggregate.go's code), and Aggregate against itself across filters.
func TestProperty65_QueryFilteringAndAggregation(t *testing.T) {
	env := statetest.Open(t, state.Options{})
	rapid.Check(t, func(t *rapid.T) {
		ctx := context.Background()
		s := env.Fresh(state.Options{})
		recs := make([]state.FailureRecord, rapid.IntRange(0, 12).Draw(t, "failures"))
		for i := range recs {
			recs[i] = genFailure(t, i)
			mustCreate(t, s, recs[i])
		}
		metrics := make([]state.MetricsRecord, rapid.IntRange(0, 12).Draw(t, "metrics"))
		for i := range metrics {
			metrics[i] = genMetrics(t, recsID(recs, i))
			if err := s.RecordMetrics(ctx, metrics[i]); err != nil {
				t.Fatal(err)
			}
		}

		fq := state.FailureQuery{Since: genBound(t, "since"), Until: genBound(t, "until"), Limit: rapid.IntRange(0, 14).Draw(t, "limit")}
		if rapid.Bool().Draw(t, "by_repo") {
			fq.Repo = genRepo.Draw(t, "q_repo")
		}
		if rapid.Bool().Draw(t, "by_status") {
			fq.Status = genStatus.Draw(t, "q_status")
		}
		got, err := s.ListFailures(ctx, fq)
		if err != nil {
			t.Fatal(err)
		}
		if diff := gocmp.Diff(modelList(recs, fq), ids(got), cmpOpts...); diff != "" {
			t.Fatalf("ListFailures(%+v) (-want +got):\n%s", fq, diff)
		}

		mq := state.MetricsQuery{Since: genBound(t, "m_since"), Until: genBound(t, "m_until")}
		if rapid.Bool().Draw(t, "m_by_repo") {
			mq.Repo = genRepo.Draw(t, "m_repo")
		}
		if rapid.Bool().Draw(t, "m_by_category") {
			mq.Category = string(genCategory.Draw(t, "m_category"))
		}
		agg, err := s.Aggregate(ctx, mq)
		if err != nil {
			t.Fatal(err)
		}
		if diff := gocmp.Diff(aggregateOracle(metrics, mq), agg); diff != "" {
			t.Fatalf("Aggregate(%+v) (-want +got):\n%s", mq, diff)
		}
		// The store must also agree with itself: narrowing the same query to
		// one category counts what the wider one put under it.
		if mq.Category == "" {
			for _, c := range analysis.Categories {
				narrow := mq
				narrow.Category = string(c)
				got, err := s.Aggregate(ctx, narrow)
				if err != nil {
					t.Fatal(err)
				}
				if got.Count != agg.ByCategory[string(c)] {
					t.Fatalf("Aggregate(%+v).Count = %d, but Aggregate(%+v).ByCategory[%s] = %d", narrow, got.Count, mq, c, agg.ByCategory[string(c)])
				}
			}
		}
	})
}

// recsID names metrics after a stored failure when there is one, so both
// kinds of record mix in the keyspace, and makes one up otherwise.
func recsID(recs []state.FailureRecord, i int) string {
	if i < len(recs) {
		return recs[i].ID
	}
	return "orphan#" + string(rune('a'+i)) + ".1"
}

// modelList is ListFailures' contract: filters, then newest detection
// first at millisecond precision, ties by ID descending, then the limit.
func modelList(recs []state.FailureRecord, q state.FailureQuery) []string {
	var keep []state.FailureRecord
	for _, r := range recs {
		if (q.Repo == "" || r.Repo == q.Repo) && (q.Status == "" || r.Status == q.Status) &&
			(q.Since.IsZero() || !r.DetectedAt.Before(q.Since)) && (q.Until.IsZero() || !r.DetectedAt.After(q.Until)) {
			keep = append(keep, r)
		}
	}
	slices.SortFunc(keep, func(a, b state.FailureRecord) int {
		return cmp.Or(cmp.Compare(b.DetectedAt.UnixMilli(), a.DetectedAt.UnixMilli()), cmp.Compare(b.ID, a.ID))
	})
	limit := q.Limit
	if limit == 0 {
		limit = state.DefaultLimit
	}
	return ids(keep[:min(limit, len(keep))])
}

// aggregateOracle is what Aggregate must return, worked out from the
// property ("the results should correctly reflect the requested
// operations") and the meaning each Aggregate field documents, not from
// aggregate.go: first the records the query asks for, then each figure
// computed by its own definition over that selection.
func aggregateOracle(ms []state.MetricsRecord, q state.MetricsQuery) state.Aggregate {
	// The requested operations: every non-zero field of the query is a
	// condition, Since and Until inclusive on RecordedAt.
	asked := func(m state.MetricsRecord) bool {
		conds := []bool{
			q.Repo == "" || m.Repo == q.Repo,
			q.Category == "" || m.Category == q.Category,
			q.Since.IsZero() || !m.RecordedAt.Before(q.Since),
			q.Until.IsZero() || !m.RecordedAt.After(q.Until),
		}
		return !slices.Contains(conds, false)
	}
	selected := where(ms, asked)
	remediated := where(selected, func(m state.MetricsRecord) bool { return m.RemediationSuccess != nil })
	succeeded := where(remediated, func(m state.MetricsRecord) bool { return *m.RemediationSuccess })

	// A latency of 0 is one that was never recorded: averages are over the
	// records that have the value, and 0 when none has.
	meanOf := func(rs []state.MetricsRecord, latency func(state.MetricsRecord) int64) float64 {
		var have []int64
		for _, r := range rs {
			if v := latency(r); v != 0 {
				have = append(have, v)
			}
		}
		if len(have) == 0 {
			return 0
		}
		var sum int64
		for _, v := range have {
			sum += v
		}
		return float64(sum) / float64(len(have))
	}
	want := state.Aggregate{
		Count:        len(selected),
		Remediations: len(remediated),
		// Resolution is the whole way from the failed run to a fixed one,
		// so only remediations that succeeded have one.
		AvgResolutionMS:  meanOf(succeeded, func(m state.MetricsRecord) int64 { return m.TotalLatencyMS }),
		AvgDetectionMS:   meanOf(selected, func(m state.MetricsRecord) int64 { return m.DetectionLatencyMS }),
		AvgAnalysisMS:    meanOf(selected, func(m state.MetricsRecord) int64 { return m.AnalysisLatencyMS }),
		AvgRemediationMS: meanOf(selected, func(m state.MetricsRecord) int64 { return m.RemediationLatencyMS }),
		RiskDistribution: tally(selected, func(m state.MetricsRecord) (int, bool) {
			if m.RiskScore == nil {
				return 0, false
			}
			return *m.RiskScore, true
		}),
		ByCategory: tally(selected, func(m state.MetricsRecord) (string, bool) { return m.Category, m.Category != "" }),
	}
	if len(remediated) > 0 {
		want.SuccessRate = float64(len(succeeded)) / float64(len(remediated))
	}
	return want
}

func where[T any](xs []T, keep func(T) bool) []T {
	var out []T
	for _, x := range xs {
		if keep(x) {
			out = append(out, x)
		}
	}
	return out
}

// tally counts the records by key, leaving out those without one.
func tally[K comparable, T any](xs []T, key func(T) (K, bool)) map[K]int {
	n := map[K]int{}
	for _, x := range xs {
		if k, ok := key(x); ok {
			n[k]++
		}
	}
	return n
}
