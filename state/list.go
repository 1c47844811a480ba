package state

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// FailureQuery filters ListFailures; zero fields match everything.
type FailureQuery struct {
	Repo   string
	Status Status
	// Since and Until bound the detection time, both inclusive.
	Since, Until time.Time
	Limit        int // 0 means DefaultLimit; capped at MaxLimit
}

// pageSize is how many index entries or stream entries one round trip
// reads while filtering.
const pageSize = 500

// ListFailures returns matching records, newest detection first. It walks
// the repo's (or the global) time index in pages, so its cost follows the
// time window, not the whole history.
func (s *Store) ListFailures(ctx context.Context, q FailureQuery) ([]FailureRecord, error) {
	if q.Status != "" && !q.Status.Valid() {
		return nil, fmt.Errorf("%w: list failures: unknown status %q", ErrInvalid, q.Status)
	}
	limit := clampLimit(q.Limit)
	index := s.k.failures()
	if q.Repo != "" {
		index = s.k.repoFailures(q.Repo)
	}
	rng := scoreRange(q.Since, q.Until)
	var out []FailureRecord
	for offset := int64(0); ; offset += pageSize {
		ids, err := s.rdb.ZRevRangeByScore(ctx, index, &redis.ZRangeBy{
			Min: rng.min, Max: rng.max, Offset: offset, Count: pageSize,
		}).Result()
		if err != nil {
			return nil, fmt.Errorf("list failures: %w", err)
		}
		pipe := s.rdb.Pipeline()
		cmds := make([]*redis.SliceCmd, len(ids))
		for i, id := range ids {
			cmds[i] = pipe.HMGet(ctx, s.k.failure(id), "status", "json")
		}
		if len(ids) > 0 {
			if _, err := pipe.Exec(ctx); err != nil {
				return nil, fmt.Errorf("list failures: %w", err)
			}
		}
		for i, cmd := range cmds {
			st, _ := cmd.Val()[0].(string)
			js, _ := cmd.Val()[1].(string)
			if js == "" || (q.Status != "" && Status(st) != q.Status) {
				continue // index entry of a deleted record, or filtered out
			}
			rec, err := decodeFailure(ids[i], js)
			if err != nil {
				return nil, err
			}
			if !inRange(rec.DetectedAt, q.Since, q.Until) {
				continue // same ms as a bound, but outside it
			}
			out = append(out, rec)
			if len(out) == limit {
				return out, nil
			}
		}
		if len(ids) < pageSize {
			return out, nil
		}
	}
}

// msRange is a ZSET score range in unix ms.
type msRange struct{ min, max string }

// scoreRange turns inclusive time bounds into a score range that contains
// every time in them (scores are floor(ms), so callers recheck exactly).
func scoreRange(since, until time.Time) msRange {
	r := msRange{min: "-inf", max: "+inf"}
	if !since.IsZero() {
		r.min = strconv.FormatInt(since.UnixMilli(), 10)
	}
	if !until.IsZero() {
		r.max = strconv.FormatInt(until.UnixMilli(), 10)
	}
	return r
}

// inRange reports whether t lies in [since, until]; zero bounds are open.
func inRange(t, since, until time.Time) bool {
	if !since.IsZero() && t.Before(since) {
		return false
	}
	if !until.IsZero() && t.After(until) {
		return false
	}
	return true
}
