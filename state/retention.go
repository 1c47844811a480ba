package state

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// RetentionResult counts what ApplyRetention deleted.
type RetentionResult struct {
	Failures     int64 // failure records (with their index entries and processed markers)
	Metrics      int64 // metrics records
	AuditEntries int64 // audit stream entries
	Approvals    int64 // approval requests made before the cutoff
}

// deleteFailuresScript removes failures with everything that points at them.
//
// KEYS[1] time index, KEYS[2] processed markers, KEYS[3] metrics index,
// then per failure i (1-based): KEYS[3i+1] its hash, KEYS[3i+2] its repo
// index, KEYS[3i+3] its metrics hash.
// ARGV[i] the failure IDs.
// Returns {failure records deleted, metrics records deleted}.
var deleteFailuresScript = redis.NewScript(`
local nf, nm = 0, 0
for i = 1, #ARGV do
  local id, b = ARGV[i], 3 * i
  nf = nf + redis.call('DEL', KEYS[b+1])
  redis.call('ZREM', KEYS[b+2], id)
  nm = nm + redis.call('DEL', KEYS[b+3])
  redis.call('ZREM', KEYS[1], id)
  redis.call('ZREM', KEYS[2], id)
  redis.call('ZREM', KEYS[3], id)
end
return {nf, nm}
`)

// deleteMetricsScript removes metrics records whose failure is already gone.
//
// KEYS[1] metrics index, KEYS[1+i] metrics hash of ARGV[i].
// ARGV[i] failure IDs. Returns the number of records deleted.
var deleteMetricsScript = redis.NewScript(`
local n = 0
for i = 1, #ARGV do
  n = n + redis.call('DEL', KEYS[1+i])
  redis.call('ZREM', KEYS[1], ARGV[i])
end
return n
`)

// ApplyRetention deletes everything older than cutoff (Property 66):
// failure records detected before it, with their index entries, processed
// markers and metrics; metrics records first recorded before it (even if
// their failure was never stored); approval requests made before it;
// audit entries whose ts is before it.
// Cursors, settings and the analysis cache (which expires by itself) are
// kept. It is idempotent and safe to run from several replicas. A zero or
// future cutoff is refused.
func (s *Store) ApplyRetention(ctx context.Context, cutoff time.Time) (RetentionResult, error) {
	if cutoff.IsZero() || cutoff.After(s.now()) {
		// A zero or future cutoff is a misconfiguration that would delete
		// nothing or everything; neither is what anyone meant.
		return RetentionResult{}, fmt.Errorf("%w: retention cutoff %s is zero or in the future", ErrInvalid, cutoff)
	}
	var res RetentionResult
	var err error
	if res.Failures, res.Metrics, err = s.expireFailures(ctx, cutoff); err != nil {
		return res, err
	}
	n, err := s.expireMetrics(ctx, cutoff)
	res.Metrics += n
	if err != nil {
		return res, err
	}
	if res.Approvals, err = s.expireApprovals(ctx, cutoff); err != nil {
		return res, err
	}
	res.AuditEntries, err = s.expireAudit(ctx, cutoff)
	return res, err
}

// expireFailures pages through the time index from the oldest failure.
// Scores are floor(ms), so the last ms before the cutoff is rechecked
// against the exact detected_at kept in each hash.
func (s *Store) expireFailures(ctx context.Context, cutoff time.Time) (failures, metrics int64, err error) {
	maxScore := strconv.FormatInt(cutoff.UnixMilli(), 10)
	err = s.pageByScore(ctx, s.k.failures(), maxScore, func(ids []string) (int, error) {
		pipe := s.rdb.Pipeline()
		cmds := make([]*redis.SliceCmd, len(ids))
		for i, id := range ids {
			cmds[i] = pipe.HMGet(ctx, s.k.failure(id), "repo", "detected_at")
		}
		if _, err := pipe.Exec(ctx); err != nil {
			return 0, fmt.Errorf("read failures: %w", err)
		}
		keys := []string{s.k.failures(), s.k.processed(), s.k.metricsIndex()}
		var args []any
		for i, id := range ids {
			repo, _ := cmds[i].Val()[0].(string)
			det, _ := cmds[i].Val()[1].(string)
			if t, err := time.Parse(time.RFC3339Nano, det); err == nil && !t.Before(cutoff) {
				continue // same ms as the cutoff but not older
			}
			if repo == "" {
				repo = repoOf(id) // record gone: clean its index entries anyway
			}
			keys = append(keys, s.k.failure(id), s.k.repoFailures(repo), s.k.metrics(id))
			args = append(args, id)
		}
		if len(args) == 0 {
			return 0, nil
		}
		v, err := deleteFailuresScript.Run(ctx, s.rdb, keys, args...).Int64Slice()
		if err != nil {
			return 0, fmt.Errorf("delete failures: %w", err)
		}
		failures += v[0]
		metrics += v[1]
		return len(args), nil // deleted entries left the index
	})
	if err != nil {
		return failures, metrics, fmt.Errorf("retention: %w", err)
	}
	return failures, metrics, nil
}

// expireMetrics deletes the metrics records first recorded before cutoff
// that expireFailures did not already take with their failure.
func (s *Store) expireMetrics(ctx context.Context, cutoff time.Time) (int64, error) {
	maxScore := strconv.FormatInt(cutoff.UnixMilli(), 10)
	var total int64
	err := s.pageByScore(ctx, s.k.metricsIndex(), maxScore, func(ids []string) (int, error) {
		pipe := s.rdb.Pipeline()
		cmds := make([]*redis.StringCmd, len(ids))
		for i, id := range ids {
			cmds[i] = pipe.HGet(ctx, s.k.metrics(id), "recorded_at")
		}
		// redis.Nil for a vanished hash is expected: read each reply below.
		_, _ = pipe.Exec(ctx)
		keys := []string{s.k.metricsIndex()}
		var args []any
		for i, id := range ids {
			v, err := cmds[i].Result()
			if err == nil {
				if t, perr := time.Parse(time.RFC3339Nano, v); perr == nil && !t.Before(cutoff) {
					continue
				}
			} else if err != redis.Nil {
				return 0, fmt.Errorf("metrics %s: %w", id, err)
			}
			keys = append(keys, s.k.metrics(id))
			args = append(args, id)
		}
		if len(args) == 0 {
			return 0, nil
		}
		n, err := deleteMetricsScript.Run(ctx, s.rdb, keys, args...).Int64()
		if err != nil {
			return 0, fmt.Errorf("delete metrics: %w", err)
		}
		total += n
		return len(args), nil
	})
	if err != nil {
		return total, fmt.Errorf("retention: metrics: %w", err)
	}
	return total, nil
}

// expireAudit trims the stream below the cutoff's ms with XTRIM MINID (no
// entry there can be younger: IDs never precede their ts), then deletes
// the few older entries whose IDs ran ahead of their ts (see auditLua).
func (s *Store) expireAudit(ctx context.Context, cutoff time.Time) (int64, error) {
	cms := max(cutoff.UnixMilli(), 0)
	n, err := s.rdb.XTrimMinID(ctx, s.k.audit(), strconv.FormatInt(cms, 10)+"-0").Result()
	if err != nil {
		return 0, fmt.Errorf("retention: trim audit: %w", err)
	}
	lag, err := s.maxLag(ctx)
	if err != nil {
		return n, err
	}
	lo := strconv.FormatInt(cms, 10) + "-0"
	hi := strconv.FormatInt(cms+lag, 10) + "-" + maxSeq
	for {
		msgs, err := s.rdb.XRangeN(ctx, s.k.audit(), lo, hi, pageSize).Result()
		if err != nil {
			return n, fmt.Errorf("retention: scan audit: %w", err)
		}
		var old []string
		for _, m := range msgs {
			ts, _ := m.Values["ts"].(string)
			if t, err := time.Parse(time.RFC3339Nano, ts); err == nil && t.Before(cutoff) {
				old = append(old, m.ID)
			}
		}
		if len(old) > 0 {
			d, err := s.rdb.XDel(ctx, s.k.audit(), old...).Result()
			if err != nil {
				return n, fmt.Errorf("retention: delete audit entries: %w", err)
			}
			n += d
		}
		if len(msgs) < pageSize {
			return n, nil
		}
		lo = "(" + msgs[len(msgs)-1].ID
	}
}
