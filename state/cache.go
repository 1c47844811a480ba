package state

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/ccm-ci/ccm/analysis"
	"github.com/redis/go-redis/v9"
)

// CachedAnalysis returns the analysis cached for a failure fingerprint.
func (s *Store) CachedAnalysis(ctx context.Context, fingerprint string) (analysis.AnalysisResult, bool, error) {
	if fingerprint == "" {
		return analysis.AnalysisResult{}, false, nil
	}
	v, err := s.rdb.Get(ctx, s.k.cache(fingerprint)).Bytes()
	switch {
	case errors.Is(err, redis.Nil):
		return analysis.AnalysisResult{}, false, nil
	case err != nil:
		return analysis.AnalysisResult{}, false, fmt.Errorf("cached analysis %s: %w", fingerprint, err)
	}
	var a analysis.AnalysisResult
	if err := json.Unmarshal(v, &a); err != nil {
		return analysis.AnalysisResult{}, false, fmt.Errorf("decode cached analysis %s: %w", fingerprint, err)
	}
	return a, true, nil
}

// CacheAnalysis stores a valid analysis for fingerprint, expiring after
// ttl (which must be positive: an unbounded cache would only grow).
func (s *Store) CacheAnalysis(ctx context.Context, fingerprint string, a analysis.AnalysisResult, ttl time.Duration) error {
	if fingerprint == "" {
		return fmt.Errorf("%w: cache analysis without fingerprint", ErrInvalid)
	}
	if ttl <= 0 {
		return fmt.Errorf("%w: cache analysis %s: ttl %s is not positive", ErrInvalid, fingerprint, ttl)
	}
	if err := a.Validate(); err != nil {
		return fmt.Errorf("%w: cache analysis %s: %w", ErrInvalid, fingerprint, err)
	}
	b, err := json.Marshal(a)
	if err != nil {
		return fmt.Errorf("encode analysis %s: %w", fingerprint, err)
	}
	if err := s.rdb.Set(ctx, s.k.cache(fingerprint), b, ttl).Err(); err != nil {
		return fmt.Errorf("cache analysis %s: %w", fingerprint, err)
	}
	return nil
}
