package state_test

import (
	"context"
	"fmt"
	"math"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/ccm-ci/ccm/state"
	"github.com/ccm-ci/ccm/state/statetest"
)

// processed is one failure's metrics as the pipeline writes them: a record
// at detection, one at analysis, and one at the remediation's end when
// there was a remediation.
type processed struct {
	id                  string
	at                  time.Time
	detection, analysis int64
	category            string
	risk                int
	remediated, success bool
	remediation, total  int64
}

func genProcessed(t *rapid.T, i int) processed {
	p := processed{
		id:        fmt.Sprintf("acme/web#%d.1", i+1),
		at:        time.Unix(1_700_000_000+int64(i)*60, 0).UTC(),
		detection: rapid.Int64Range(1, 1e6).Draw(t, "detection_ms"),
		analysis:  rapid.Int64Range(1, 1e6).Draw(t, "analysis_ms"),
		category:  string(genCategory.Draw(t, "category")),
		risk:      rapid.IntRange(0, 10).Draw(t, "risk"),
	}
	if p.remediated = rapid.Bool().Draw(t, "remediated"); p.remediated {
		p.success = rapid.Bool().Draw(t, "success")
		p.remediation = rapid.Int64Range(1, 1e7).Draw(t, "remediation_ms")
		p.total = p.detection + p.analysis + p.remediation + rapid.Int64Range(0, 1e7).Draw(t, "verify_ms")
	}
	return p
}

// record writes p in its stages, each stage a separate RecordMetrics that
// names only what that stage knows (so the store must merge them), a stage
// written twice when retried.
func (p processed) record(t *rapid.T, s *state.Store) {
	ctx := context.Background()
	stages := []state.MetricsRecord{
		{FailureID: p.id, Repo: "acme/web", DetectionLatencyMS: p.detection, RecordedAt: p.at},
		{FailureID: p.id, Repo: "acme/web", Category: p.category, RiskScore: &p.risk, AnalysisLatencyMS: p.analysis, RecordedAt: p.at},
	}
	if p.remediated {
		ok := p.success
		stages = append(stages, state.MetricsRecord{FailureID: p.id, Repo: "acme/web", RemediationLatencyMS: p.remediation,
			TotalLatencyMS: p.total, RemediationSuccess: &ok, RecordedAt: p.at})
	}
	for i, m := range stages {
		for range 1 + rapid.IntRange(0, 1).Draw(t, fmt.Sprintf("retried_%d", i)) {
			if err := s.RecordMetrics(ctx, m); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// Property 39: Metrics Aggregation
// "For any set of processed failures, the system should correctly
// calculate remediation success rate, average resolution time, and risk
// score distribution."
// Any set of processed failures, each recorded in stages as the pipeline
// does (detection, analysis, remediation result; stages retried), is
// summarized by Aggregate as a recount of the set says: the success rate
// is successes over remediated failures (0 with none), the average
// resolution time is the mean total latency of the successful ones, the
// risk distribution counts failures per score, the averages of detection,
// analysis and remediation time are their means.
func TestProperty39_MetricsAggregation(t *testing.T) {
	env := statetest.Open(t, state.Options{})
	rapid.Check(t, func(t *rapid.T) {
		s := env.Fresh(state.Options{})
		set := make([]processed, rapid.IntRange(0, 15).Draw(t, "failures"))
		for i := range set {
			set[i] = genProcessed(t, i)
			set[i].record(t, s)
		}
		agg, err := s.Aggregate(context.Background(), state.MetricsQuery{})
		if err != nil {
			t.Fatal(err)
		}

		remediated, successes := 0, 0
		var resolution, detection, analysis, remediation int64
		risks := map[int]int{}
		for _, p := range set {
			risks[p.risk]++
			detection += p.detection
			analysis += p.analysis
			if p.remediated {
				remediated++
				remediation += p.remediation
				if p.success {
					successes++
					resolution += p.total
				}
			}
		}
		mean := func(sum int64, n int) float64 {
			if n == 0 {
				return 0
			}
			return float64(sum) / float64(n)
		}
		near := func(a, b float64) bool { return math.Abs(a-b) <= 1e-9*math.Max(1, math.Abs(b)) }
		if agg.Count != len(set) || agg.Remediations != remediated {
			t.Fatalf("count %d, remediations %d; want %d, %d", agg.Count, agg.Remediations, len(set), remediated)
		}
		if want := mean(int64(successes), remediated); !near(agg.SuccessRate, want) {
			t.Fatalf("success rate %v, want %d/%d = %v", agg.SuccessRate, successes, remediated, want)
		}
		if want := mean(resolution, successes); !near(agg.AvgResolutionMS, want) {
			t.Fatalf("average resolution %v ms, want %v", agg.AvgResolutionMS, want)
		}
		if len(agg.RiskDistribution) != len(risks) {
			t.Fatalf("risk distribution %v, want %v", agg.RiskDistribution, risks)
		}
		for score, n := range risks {
			if agg.RiskDistribution[score] != n {
				t.Fatalf("risk distribution %v, want %v", agg.RiskDistribution, risks)
			}
		}
		for _, c := range []struct {
			name      string
			got, want float64
		}{
			{"detection", agg.AvgDetectionMS, mean(detection, len(set))},
			{"analysis", agg.AvgAnalysisMS, mean(analysis, len(set))},
			{"remediation", agg.AvgRemediationMS, mean(remediation, remediated)},
		} {
			if !near(c.got, c.want) {
				t.Fatalf("average %s time %v, want %v", c.name, c.got, c.want)
			}
		}
	})
}
