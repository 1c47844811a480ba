package state

import (
	"context"
	"errors"
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
		full := len(ids)
		if q.Status != "" {
			// Filter on the small status field first, so a status query
			// does not pull every record's JSON (and log excerpt) across.
			if ids, err = s.withStatus(ctx, ids, q.Status); err != nil {
				return nil, err
			}
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
				// One damaged record must not hide the others (or stop
				// the poll that reconciles them).
				s.log.Error("list failures: skipping a record that does not decode", "failure_id", ids[i], "err", err)
				continue
			}
			if !inRange(rec.DetectedAt, q.Since, q.Until) {
				continue // same ms as a bound, but outside it
			}
			out = append(out, rec)
			if len(out) == limit {
				return out, nil
			}
		}
		if full < pageSize {
			return out, nil
		}
	}
}

// withStatus keeps the ids whose record has the given status.
func (s *Store) withStatus(ctx context.Context, ids []string, st Status) ([]string, error) {
	if len(ids) == 0 {
		return ids, nil
	}
	pipe := s.rdb.Pipeline()
	cmds := make([]*redis.StringCmd, len(ids))
	for i, id := range ids {
		cmds[i] = pipe.HGet(ctx, s.k.failure(id), "status")
	}
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("list failures: %w", err)
	}
	var keep []string
	for i, cmd := range cmds {
		if Status(cmd.Val()) == st {
			keep = append(keep, ids[i])
		}
	}
	return keep, nil
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
