package state_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ccm-ci/ccm/analysis"
	"github.com/ccm-ci/ccm/state"
	"github.com/google/go-cmp/cmp"
)

func testMetrics(t *testing.T, open backend) {
	ctx := context.Background()
	s := open(t, state.Options{Now: func() time.Time { return t0 }}).Store
	id := "acme/api#400.1"
	// Each stage records what it knows; the record is their merge.
	stages := []state.MetricsRecord{
		{FailureID: id, Repo: "acme/api", DetectionLatencyMS: 1500},
		{FailureID: id, Category: "timeout", RiskScore: ptr(0), AnalysisLatencyMS: 2500, PromptTokens: 900, CompletionTokens: 120},
		{FailureID: id, RemediationLatencyMS: 4000, TotalLatencyMS: 9000, RemediationSuccess: ptr(false), RecordedAt: t0.Add(time.Hour)},
	}
	for _, m := range stages {
		if err := s.RecordMetrics(ctx, m); err != nil {
			t.Fatalf("RecordMetrics: %v", err)
		}
	}
	want := state.MetricsRecord{
		FailureID: id, Repo: "acme/api", Category: "timeout", RiskScore: ptr(0),
		DetectionLatencyMS: 1500, AnalysisLatencyMS: 2500, RemediationLatencyMS: 4000, TotalLatencyMS: 9000,
		RemediationSuccess: ptr(false), PromptTokens: 900, CompletionTokens: 120, RecordedAt: t0,
	}
	got, err := s.Metrics(ctx, id)
	if err != nil {
		t.Fatalf("Metrics: %v", err)
	}
	if diff := cmp.Diff(want, got, cmpOpts...); diff != "" {
		t.Errorf("merged metrics (-want +got):\n%s", diff)
	}
	if _, err := s.Metrics(ctx, "acme/api#0.1"); !errors.Is(err, state.ErrNotFound) {
		t.Errorf("Metrics(unknown) err = %v, want ErrNotFound", err)
	}
	if err := s.RecordMetrics(ctx, state.MetricsRecord{}); !errors.Is(err, state.ErrInvalid) {
		t.Errorf("RecordMetrics(no id) err = %v, want ErrInvalid", err)
	}
}

func testAggregate(t *testing.T, open backend) {
	ctx := context.Background()
	s := open(t, state.Options{}).Store
	recs := []state.MetricsRecord{
		{FailureID: "a#1.1", Repo: "acme/api", Category: "timeout", RiskScore: ptr(2), DetectionLatencyMS: 100,
			AnalysisLatencyMS: 1000, RemediationLatencyMS: 500, TotalLatencyMS: 3000, RemediationSuccess: ptr(true), RecordedAt: at(0)},
		{FailureID: "a#2.1", Repo: "acme/api", Category: "timeout", RiskScore: ptr(2), DetectionLatencyMS: 300,
			AnalysisLatencyMS: 3000, RemediationLatencyMS: 700, TotalLatencyMS: 5000, RemediationSuccess: ptr(false), RecordedAt: at(1)},
		{FailureID: "a#3.1", Repo: "acme/api", Category: "code", RiskScore: ptr(8), DetectionLatencyMS: 200,
			AnalysisLatencyMS: 2000, RecordedAt: at(2)},
		{FailureID: "w#1.1", Repo: "acme/web", Category: "flaky_test", RiskScore: ptr(1), DetectionLatencyMS: 400,
			RemediationLatencyMS: 900, TotalLatencyMS: 7000, RemediationSuccess: ptr(true), RecordedAt: at(3)},
	}
	for _, m := range recs {
		if err := s.RecordMetrics(ctx, m); err != nil {
			t.Fatalf("RecordMetrics: %v", err)
		}
	}
	tests := []struct {
		name string
		q    state.MetricsQuery
		want state.Aggregate
	}{
		{"all", state.MetricsQuery{}, state.Aggregate{
			Count: 4, Remediations: 3, SuccessRate: 2.0 / 3, AvgResolutionMS: 5000,
			AvgDetectionMS: 250, AvgAnalysisMS: 2000, AvgRemediationMS: 700,
			RiskDistribution: map[int]int{1: 1, 2: 2, 8: 1},
			ByCategory:       map[string]int{"timeout": 2, "code": 1, "flaky_test": 1},
		}},
		{"repo", state.MetricsQuery{Repo: "acme/api"}, state.Aggregate{
			Count: 3, Remediations: 2, SuccessRate: 0.5, AvgResolutionMS: 3000,
			AvgDetectionMS: 200, AvgAnalysisMS: 2000, AvgRemediationMS: 600,
			RiskDistribution: map[int]int{2: 2, 8: 1}, ByCategory: map[string]int{"timeout": 2, "code": 1},
		}},
		{"category", state.MetricsQuery{Category: "code"}, state.Aggregate{
			Count: 1, AvgDetectionMS: 200, AvgAnalysisMS: 2000,
			RiskDistribution: map[int]int{8: 1}, ByCategory: map[string]int{"code": 1},
		}},
		{"window", state.MetricsQuery{Since: at(1), Until: at(2)}, state.Aggregate{
			Count: 2, Remediations: 1, SuccessRate: 0, AvgDetectionMS: 250, AvgAnalysisMS: 2500, AvgRemediationMS: 700,
			RiskDistribution: map[int]int{2: 1, 8: 1}, ByCategory: map[string]int{"timeout": 1, "code": 1},
		}},
		{"empty", state.MetricsQuery{Repo: "acme/none"}, state.Aggregate{
			RiskDistribution: map[int]int{}, ByCategory: map[string]int{},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := s.Aggregate(ctx, tc.q)
			if err != nil {
				t.Fatalf("Aggregate: %v", err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Aggregate (-want +got):\n%s", diff)
			}
		})
	}
}

func testRetention(t *testing.T, open backend) {
	ctx := context.Background()
	s := open(t, state.Options{}).Store
	day := 24 * time.Hour
	old1 := failure("acme/api", 500, t0.Add(-3*day))
	old2 := failure("acme/web", 501, t0.Add(-2*day))
	edge := failure("acme/api", 502, t0.Add(-day)) // exactly at the cutoff: kept
	young := failure("acme/api", 503, t0.Add(-time.Hour))
	for _, r := range []state.FailureRecord{old1, old2, edge, young} {
		ev := event(state.ActionDetection)
		ev.Timestamp = r.DetectedAt
		if _, err := s.CreateFailure(ctx, r, ev); err != nil {
			t.Fatal(err)
		}
		if err := s.RecordMetrics(ctx, state.MetricsRecord{FailureID: r.ID, Repo: r.Repo, RecordedAt: r.DetectedAt}); err != nil {
			t.Fatal(err)
		}
	}
	// Metrics whose failure was never stored are old data too.
	if err := s.RecordMetrics(ctx, state.MetricsRecord{FailureID: "gone#1.1", RecordedAt: t0.Add(-4 * day)}); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveAnalysis(ctx, young.ID, newAnalysis(analysis.CategoryTimeout, 1), event(state.ActionAnalysis)); err != nil {
		t.Fatal(err)
	}
	cutoff := t0.Add(-day)
	res, err := s.ApplyRetention(ctx, cutoff)
	if err != nil {
		t.Fatalf("ApplyRetention: %v", err)
	}
	if diff := cmp.Diff(state.RetentionResult{Failures: 2, Metrics: 3, AuditEntries: 2}, res); diff != "" {
		t.Errorf("ApplyRetention (-want +got):\n%s", diff)
	}
	for _, r := range []state.FailureRecord{old1, old2} {
		if _, err := s.GetFailure(ctx, r.ID); !errors.Is(err, state.ErrNotFound) {
			t.Errorf("GetFailure(%s) err = %v, want ErrNotFound", r.ID, err)
		}
		if _, err := s.Metrics(ctx, r.ID); !errors.Is(err, state.ErrNotFound) {
			t.Errorf("Metrics(%s) err = %v, want ErrNotFound", r.ID, err)
		}
		if ok, _ := s.IsProcessed(ctx, r.ID); ok {
			t.Errorf("IsProcessed(%s) = true after retention", r.ID)
		}
	}
	for _, repo := range []string{"acme/api", "acme/web"} {
		got, err := s.ListFailures(ctx, state.FailureQuery{Repo: repo})
		if err != nil {
			t.Fatal(err)
		}
		want := map[string][]string{"acme/api": {young.ID, edge.ID}, "acme/web": nil}[repo]
		if diff := cmp.Diff(want, ids(got), cmpOpts...); diff != "" {
			t.Errorf("ListFailures(%s) after retention (-want +got):\n%s", repo, diff)
		}
	}
	if _, err := s.Metrics(ctx, edge.ID); err != nil {
		t.Errorf("Metrics(edge) = %v, want kept", err)
	}
	for _, e := range auditAll(t, s) {
		if e.Timestamp.Before(cutoff) {
			t.Errorf("audit entry %s at %s survived the cutoff %s", e.ID, e.Timestamp, cutoff)
		}
	}
	again, err := s.ApplyRetention(ctx, cutoff)
	if err != nil || again != (state.RetentionResult{}) {
		t.Errorf("second ApplyRetention = %+v, %v; want nothing deleted", again, err)
	}
}

func testRetentionRefusesBadCutoff(t *testing.T, open backend) {
	s := open(t, state.Options{Now: func() time.Time { return t0 }}).Store
	mustCreate(t, s, failure("acme/api", 600, t0.Add(-time.Hour)))
	for _, tc := range []struct {
		name   string
		cutoff time.Time
	}{
		{"zero", time.Time{}},
		{"future", t0.Add(time.Second)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := s.ApplyRetention(context.Background(), tc.cutoff); !errors.Is(err, state.ErrInvalid) {
				t.Errorf("ApplyRetention err = %v, want ErrInvalid", err)
			}
		})
	}
	if list, _ := s.ListFailures(context.Background(), state.FailureQuery{}); len(list) != 1 {
		t.Errorf("a refused retention deleted records: %d left", len(list))
	}
}
