package state

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/redis/go-redis/v9"
)

// maxSeq is the largest sequence part of a stream ID, so "<ms>-maxSeq" is
// the last possible ID of a millisecond on every Redis version.
const maxSeq = "18446744073709551615"

// QueryAudit returns the entries matching every set field of q, newest
// first (stream order, which is time order for entries written in time
// order), at most q.Limit (default 100, max 10,000).
//
// Since/Until (inclusive) bound the entry's ts. The stream is read
// backwards between the IDs that can hold such entries: no ID is earlier
// than its ts, none is later than ts + max-lag-ms (see auditLua). Other
// filters are applied while paging. Repo and Category match the entry's own
// field or, when that is empty, the current repo and category of the
// failure the entry is about (each failure is looked up once per query).
func (s *Store) QueryAudit(ctx context.Context, q AuditQuery) ([]AuditEntry, error) {
	limit := clampLimit(q.Limit)
	lo, hi := "-", "+"
	if !q.Since.IsZero() {
		lo = strconv.FormatInt(max(q.Since.UnixMilli(), 0), 10) + "-0"
	}
	if !q.Until.IsZero() {
		lag, err := s.maxLag(ctx)
		if err != nil {
			return nil, err
		}
		top := q.Until.UnixMilli() + lag
		if top < 0 {
			return nil, nil
		}
		hi = strconv.FormatInt(top, 10) + "-" + maxSeq
	}
	needLookup := q.Repo != "" || q.Category != ""
	known := map[string]failureTags{}
	var out []AuditEntry
	for {
		msgs, err := s.rdb.XRevRangeN(ctx, s.k.audit(), hi, lo, pageSize).Result()
		if err != nil {
			return nil, fmt.Errorf("query audit: %w", err)
		}
		if needLookup {
			if err := s.lookupTags(ctx, msgs, known); err != nil {
				return nil, err
			}
		}
		for _, m := range msgs {
			e, err := decodeAudit(m)
			if err != nil {
				return nil, err
			}
			if !auditMatches(e, q, known) {
				continue
			}
			out = append(out, e)
			if len(out) == limit {
				return out, nil
			}
		}
		if len(msgs) < pageSize {
			return out, nil
		}
		hi = "(" + msgs[len(msgs)-1].ID
	}
}

// failureTags are the fields of a failure an audit filter may fall back to.
type failureTags struct{ repo, category string }

// lookupTags fetches, in one round trip, the tags of every failure named by
// an entry in msgs that lacks its own repo or category and is not yet known.
func (s *Store) lookupTags(ctx context.Context, msgs []redis.XMessage, known map[string]failureTags) error {
	pipe := s.rdb.Pipeline()
	cmds := map[string]*redis.SliceCmd{}
	for _, m := range msgs {
		fid, _ := m.Values["failure_id"].(string)
		repo, _ := m.Values["repo"].(string)
		cat, _ := m.Values["category"].(string)
		if fid == "" || (repo != "" && cat != "") {
			continue
		}
		if _, ok := known[fid]; ok {
			continue
		}
		if _, ok := cmds[fid]; ok {
			continue
		}
		cmds[fid] = pipe.HMGet(ctx, s.k.failure(fid), "repo", "category")
	}
	if len(cmds) == 0 {
		return nil
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("query audit: look up failures: %w", err)
	}
	for fid, cmd := range cmds {
		repo, _ := cmd.Val()[0].(string)
		cat, _ := cmd.Val()[1].(string)
		known[fid] = failureTags{repo: repo, category: cat}
	}
	return nil
}

func auditMatches(e AuditEntry, q AuditQuery, known map[string]failureTags) bool {
	if !inRange(e.Timestamp, q.Since, q.Until) {
		return false
	}
	if q.ActionType != "" && e.ActionType != q.ActionType {
		return false
	}
	if q.FailureID != "" && e.FailureID != q.FailureID {
		return false
	}
	if q.Repo != "" {
		repo := e.Repo
		if repo == "" {
			repo = known[e.FailureID].repo
		}
		if !strings.EqualFold(repo, q.Repo) { // GitHub names ignore case
			return false
		}
	}
	if q.Category != "" {
		cat := e.Category
		if cat == "" {
			cat = known[e.FailureID].category
		}
		if cat != q.Category {
			return false
		}
	}
	return true
}
