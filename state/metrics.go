package state

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// recordMetricsScript merges fields into a failure's metrics hash.
//
// KEYS[1] metrics hash, KEYS[2] metrics index.
// ARGV[1] recorded_at (RFC3339Nano), ARGV[2] its unix ms, ARGV[3] failure
// ID, ARGV[4..] field/value pairs to set.
// recorded_at and the index score are written only by the first call, so
// they mean "when this failure's metrics were first recorded".
var recordMetricsScript = redis.NewScript(`
redis.call('HSETNX', KEYS[1], 'recorded_at', ARGV[1])
redis.call('ZADD', KEYS[2], 'NX', ARGV[2], ARGV[3])
if #ARGV > 3 then redis.call('HSET', KEYS[1], unpack(ARGV, 4)) end
return 1
`)

// RecordMetrics merges m into the failure's metrics: fields that are set
// (non-zero, non-nil) overwrite, the others keep what earlier stages
// recorded. RecordedAt (default now) is kept from the first call.
func (s *Store) RecordMetrics(ctx context.Context, m MetricsRecord) error {
	if m.FailureID == "" {
		return fmt.Errorf("%w: metrics without failure_id", ErrInvalid)
	}
	if m.RecordedAt.IsZero() {
		m.RecordedAt = s.now()
	}
	if m.RecordedAt.UnixMilli() < 0 || m.RecordedAt.Year() > 9999 {
		return fmt.Errorf("%w: metrics %s: recorded_at %s is outside 1970-9999", ErrInvalid, m.FailureID, m.RecordedAt)
	}
	args := []any{m.RecordedAt.UTC().Format(time.RFC3339Nano), m.RecordedAt.UnixMilli(), m.FailureID,
		"failure_id", m.FailureID}
	set := func(field string, v any) { args = append(args, field, v) }
	if m.Repo != "" {
		set("repo", m.Repo)
	}
	if m.Category != "" {
		set("category", m.Category)
	}
	if m.RiskScore != nil {
		set("risk_score", *m.RiskScore)
	}
	for _, f := range []struct {
		name string
		v    int64
	}{
		{"detection_latency_ms", m.DetectionLatencyMS},
		{"analysis_latency_ms", m.AnalysisLatencyMS},
		{"remediation_latency_ms", m.RemediationLatencyMS},
		{"total_latency_ms", m.TotalLatencyMS},
		{"prompt_tokens", int64(m.PromptTokens)},
		{"completion_tokens", int64(m.CompletionTokens)},
	} {
		if f.v != 0 {
			set(f.name, f.v)
		}
	}
	if m.RemediationSuccess != nil {
		set("remediation_success", strconv.FormatBool(*m.RemediationSuccess))
	}
	keys := []string{s.k.metrics(m.FailureID), s.k.metricsIndex()}
	if err := recordMetricsScript.Run(ctx, s.rdb, keys, args...).Err(); err != nil {
		return fmt.Errorf("record metrics %s: %w", m.FailureID, err)
	}
	return nil
}

// Metrics returns the failure's merged metrics, or ErrNotFound.
func (s *Store) Metrics(ctx context.Context, failureID string) (MetricsRecord, error) {
	h, err := s.rdb.HGetAll(ctx, s.k.metrics(failureID)).Result()
	if err != nil {
		return MetricsRecord{}, fmt.Errorf("get metrics %s: %w", failureID, err)
	}
	if len(h) == 0 {
		return MetricsRecord{}, fmt.Errorf("metrics %s: %w", failureID, ErrNotFound)
	}
	return decodeMetrics(failureID, h)
}

func decodeMetrics(failureID string, h map[string]string) (MetricsRecord, error) {
	m := MetricsRecord{FailureID: h["failure_id"], Repo: h["repo"], Category: h["category"]}
	if m.FailureID == "" {
		m.FailureID = failureID
	}
	var errs []error
	num := func(field string) int64 {
		v, ok := h[field]
		if !ok {
			return 0
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", field, err))
		}
		return n
	}
	if _, ok := h["risk_score"]; ok {
		r := int(num("risk_score"))
		m.RiskScore = &r
	}
	m.DetectionLatencyMS = num("detection_latency_ms")
	m.AnalysisLatencyMS = num("analysis_latency_ms")
	m.RemediationLatencyMS = num("remediation_latency_ms")
	m.TotalLatencyMS = num("total_latency_ms")
	m.PromptTokens = int(num("prompt_tokens"))
	m.CompletionTokens = int(num("completion_tokens"))
	if v, ok := h["remediation_success"]; ok {
		b, err := strconv.ParseBool(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("remediation_success: %w", err))
		}
		m.RemediationSuccess = &b
	}
	if v, ok := h["recorded_at"]; ok {
		t, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			errs = append(errs, fmt.Errorf("recorded_at: %w", err))
		}
		m.RecordedAt = t.UTC()
	}
	if len(errs) > 0 {
		return MetricsRecord{}, fmt.Errorf("decode metrics %s: %w", failureID, errors.Join(errs...))
	}
	return m, nil
}
