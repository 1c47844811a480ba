package state

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// MetricsQuery selects the metrics Aggregate summarizes; zero fields match
// everything. Since/Until (inclusive) bound RecordedAt, the time a
// failure's metrics were first recorded (right after its detection).
type MetricsQuery struct {
	Repo, Category string
	Since, Until   time.Time
}

// Aggregate summarizes metrics records (Property 39). Averages are over the
// records that have the value, and 0 when none has it.
type Aggregate struct {
	Count int // records matched
	// Remediations counts records with a remediation result; SuccessRate
	// is the share of them that succeeded.
	Remediations int
	SuccessRate  float64
	// AvgResolutionMS is the mean total latency of successful remediations:
	// time from the failed run to a fixed one.
	AvgResolutionMS  float64
	AvgDetectionMS   float64
	AvgAnalysisMS    float64
	AvgRemediationMS float64
	RiskDistribution map[int]int    // risk score -> records
	ByCategory       map[string]int // category -> records
}

// mean accumulates an average of the values that are present.
type mean struct {
	sum float64
	n   int
}

func (m *mean) add(v int64) {
	if v != 0 {
		m.sum += float64(v)
		m.n++
	}
}

func (m mean) value() float64 {
	if m.n == 0 {
		return 0
	}
	return m.sum / float64(m.n)
}

// Aggregate walks the metrics index over the time window in pages and
// summarizes the records that match q.
func (s *Store) Aggregate(ctx context.Context, q MetricsQuery) (Aggregate, error) {
	agg := Aggregate{RiskDistribution: map[int]int{}, ByCategory: map[string]int{}}
	var resolution, detection, analysis, remediation mean
	successes := 0
	rng := scoreRange(q.Since, q.Until)
	for offset := int64(0); ; offset += pageSize {
		ids, err := s.rdb.ZRangeByScore(ctx, s.k.metricsIndex(), &redis.ZRangeBy{
			Min: rng.min, Max: rng.max, Offset: offset, Count: pageSize,
		}).Result()
		if err != nil {
			return Aggregate{}, fmt.Errorf("aggregate metrics: %w", err)
		}
		pipe := s.rdb.Pipeline()
		cmds := make([]*redis.MapStringStringCmd, len(ids))
		for i, id := range ids {
			cmds[i] = pipe.HGetAll(ctx, s.k.metrics(id))
		}
		if len(ids) > 0 {
			if _, err := pipe.Exec(ctx); err != nil {
				return Aggregate{}, fmt.Errorf("aggregate metrics: %w", err)
			}
		}
		for i, cmd := range cmds {
			if len(cmd.Val()) == 0 {
				continue // deleted since the index was read
			}
			m, err := decodeMetrics(ids[i], cmd.Val())
			if err != nil {
				return Aggregate{}, err
			}
			if !inRange(m.RecordedAt, q.Since, q.Until) ||
				(q.Repo != "" && m.Repo != q.Repo) ||
				(q.Category != "" && m.Category != q.Category) {
				continue
			}
			agg.Count++
			if m.Category != "" {
				agg.ByCategory[m.Category]++
			}
			if m.RiskScore != nil {
				agg.RiskDistribution[*m.RiskScore]++
			}
			if m.RemediationSuccess != nil {
				agg.Remediations++
				if *m.RemediationSuccess {
					successes++
					resolution.add(m.TotalLatencyMS)
				}
			}
			detection.add(m.DetectionLatencyMS)
			analysis.add(m.AnalysisLatencyMS)
			remediation.add(m.RemediationLatencyMS)
		}
		if len(ids) < pageSize {
			break
		}
	}
	if agg.Remediations > 0 {
		agg.SuccessRate = float64(successes) / float64(agg.Remediations)
	}
	agg.AvgResolutionMS = resolution.value()
	agg.AvgDetectionMS = detection.value()
	agg.AvgAnalysisMS = analysis.value()
	agg.AvgRemediationMS = remediation.value()
	return agg, nil
}
