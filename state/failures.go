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

// ErrInvalidTransition means a move the status order forbids: backwards,
// or sideways between siblings (approved, rejected and expired are
// alternatives, so are remediated and failed).
var ErrInvalidTransition = errors.New("invalid status transition")

// statusRank is the order of types.go; siblings share a rank.
var statusRank = map[Status]int{
	StatusDetected:         0,
	StatusAnalyzed:         1,
	StatusAwaitingApproval: 2,
	StatusApproved:         3,
	StatusRejected:         3,
	StatusExpired:          3,
	StatusRemediating:      4,
	StatusRemediated:       5,
	StatusFailed:           5,
}

// Valid reports whether st is one of the known statuses.
func (st Status) Valid() bool {
	_, ok := statusRank[st]
	return ok
}

// CanMove reports whether a failure may go from one status to another:
// forward, skipping steps if need be, or staying put (an in-place update).
func CanMove(from, to Status) bool {
	rf, okf := statusRank[from]
	rt, okt := statusRank[to]
	if !okf || !okt {
		return false
	}
	return from == to || rt > rf
}

// createScript is idempotent ingest in one step, with the failure's
// sighting in its fingerprint's history (historyLua).
//
// KEYS[1] failure hash, KEYS[2] time index, KEYS[3] repo index,
// KEYS[4] processed markers, KEYS[5..7] audit keys, KEYS[8] history set.
// ARGV[1] id, ARGV[2] record JSON, ARGV[3] status, ARGV[4] category,
// ARGV[5] repo, ARGV[6] detected_at (RFC3339Nano), ARGV[7] detected ms,
// ARGV[8..29] audit args, ARGV[30] history member ("" when none),
// ARGV[31] history keep ms, ARGV[32] history cap.
// Returns the audit entry ID, or nil when the failure was already known
// (then nothing at all is written).
var createScript = redis.NewScript(auditLua + historyLua + `
if redis.call('EXISTS', KEYS[1]) == 1 then return false end
if redis.call('ZSCORE', KEYS[4], ARGV[1]) then return false end
redis.call('HSET', KEYS[1], 'json', ARGV[2], 'status', ARGV[3], 'category', ARGV[4],
  'repo', ARGV[5], 'detected_at', ARGV[6], 'rev', '1')
redis.call('ZADD', KEYS[2], ARGV[7], ARGV[1])
redis.call('ZADD', KEYS[3], ARGV[7], ARGV[1])
redis.call('ZADD', KEYS[4], ARGV[7], ARGV[1])
if ARGV[30] ~= '' then
  history_add(KEYS[8], ARGV[30], tonumber(ARGV[7]), tonumber(ARGV[31]), tonumber(ARGV[32]))
end
return audit(5, 8)
`)

// transitionScript is a compare-and-set on the record's revision. When
// the change is a re-run that passed (passMember), the pass goes into the
// fingerprint's history in the same step.
//
// KEYS[1] failure hash, KEYS[2..4] audit keys, KEYS[5] history passes set
// (optional).
// ARGV[1] expected rev, ARGV[2] expected status, ARGV[3] new status,
// ARGV[4] new record JSON, ARGV[5] new category, ARGV[6..27] audit args,
// ARGV[28] pass member ("" or absent: none), ARGV[29] its time (ms),
// ARGV[30] history keep ms, ARGV[31] history cap.
// Returns -1 when the record is gone, 0 when it changed since it was read
// (the caller re-reads), else the audit entry ID.
var transitionScript = redis.NewScript(auditLua + historyLua + `
local cur = redis.call('HMGET', KEYS[1], 'rev', 'status')
if not cur[1] then return -1 end
if cur[1] ~= ARGV[1] or cur[2] ~= ARGV[2] then return 0 end
redis.call('HSET', KEYS[1], 'json', ARGV[4], 'status', ARGV[3], 'category', ARGV[5],
  'rev', string.format('%.0f', tonumber(cur[1]) + 1))
if KEYS[5] and ARGV[28] and ARGV[28] ~= '' then
  history_add(KEYS[5], ARGV[28], tonumber(ARGV[29]), tonumber(ARGV[30]), tonumber(ARGV[31]))
end
return audit(2, 6)
`)

// maxCASAttempts bounds the retries of Transition when the record changes
// under it without leaving the expected status (an in-place update).
const maxCASAttempts = 16

// CreateFailure stores a new failure record, indexes it, marks its ID
// processed, notes it in its fingerprint's history (History) and appends
// ev to the audit stream, all in one atomic step. If
// the ID is already known it writes nothing and returns created=false.
// A zero DetectedAt is set to now, a zero UpdatedAt to DetectedAt, an empty
// Status to detected; ev's FailureID and Repo default to the record's.
func (s *Store) CreateFailure(ctx context.Context, rec FailureRecord, ev AuditEntry) (bool, error) {
	if rec.ID == "" || rec.Repo == "" {
		return false, fmt.Errorf("%w: failure record needs an id and a repo", ErrInvalid)
	}
	if rec.Status == "" {
		rec.Status = StatusDetected
	}
	if !rec.Status.Valid() {
		return false, fmt.Errorf("%w: create %s: unknown status %q", ErrInvalid, rec.ID, rec.Status)
	}
	if rec.DetectedAt.IsZero() {
		rec.DetectedAt = s.now()
	}
	if rec.UpdatedAt.IsZero() {
		rec.UpdatedAt = rec.DetectedAt
	}
	if rec.DetectedAt.UnixMilli() < 0 || rec.DetectedAt.Year() > 9999 {
		return false, fmt.Errorf("%w: create %s: detected_at %s is outside 1970-9999", ErrInvalid, rec.ID, rec.DetectedAt)
	}
	fillEvent(&ev, rec)
	js, err := json.Marshal(rec)
	if err != nil {
		return false, fmt.Errorf("encode failure %s: %w", rec.ID, err)
	}
	aargs, err := s.auditArgs(&ev)
	if err != nil {
		return false, fmt.Errorf("create %s: %w", rec.ID, err)
	}
	keys := append([]string{s.k.failure(rec.ID), s.k.failures(), s.k.repoFailures(rec.Repo), s.k.processed()},
		s.k.auditKeys()...)
	keys = append(keys, s.k.history(rec.Repo, rec.Fingerprint))
	args := append([]any{rec.ID, js, string(rec.Status), categoryOf(rec), rec.Repo,
		rec.DetectedAt.UTC().Format(time.RFC3339Nano), rec.DetectedAt.UnixMilli()}, aargs...)
	args = append(append(args, historyMember(rec)), s.historyArgs()...)
	err = createScript.Run(ctx, s.rdb, keys, args...).Err()
	switch {
	case errors.Is(err, redis.Nil):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("create failure %s: %w", rec.ID, err)
	}
	return true, nil
}

// GetFailure returns the record, or ErrNotFound.
func (s *Store) GetFailure(ctx context.Context, id string) (FailureRecord, error) {
	rec, _, err := s.readFailure(ctx, id)
	return rec, err
}

// readFailure returns the record and its revision.
func (s *Store) readFailure(ctx context.Context, id string) (FailureRecord, string, error) {
	vals, err := s.rdb.HMGet(ctx, s.k.failure(id), "json", "rev").Result()
	if err != nil {
		return FailureRecord{}, "", fmt.Errorf("get failure %s: %w", id, err)
	}
	js, _ := vals[0].(string)
	rev, _ := vals[1].(string)
	if js == "" {
		return FailureRecord{}, "", fmt.Errorf("failure %s: %w", id, ErrNotFound)
	}
	rec, err := decodeFailure(id, js)
	return rec, rev, err
}

func decodeFailure(id, js string) (FailureRecord, error) {
	var rec FailureRecord
	if err := json.Unmarshal([]byte(js), &rec); err != nil {
		return FailureRecord{}, fmt.Errorf("decode failure %s: %w", id, err)
	}
	return rec, nil
}

// Transition moves failure id from status `from` to `to`, applying mutate
// (may be nil) to the record and appending ev to the audit stream in the
// same atomic step. It returns ErrConflict when the record is not in
// `from` (someone else moved it first), ErrNotFound, or
// ErrInvalidTransition for a move the status order forbids. from == to is
// allowed as an in-place update. mutate may run more than once (when the
// record changes concurrently) and must not change ID, Repo or DetectedAt;
// the store sets Status and UpdatedAt itself. A move to remediated of a
// record whose re-run was verified (Remediation.VerifyAttempt) notes the
// pass in the fingerprint's history in the same step.
func (s *Store) Transition(ctx context.Context, id string, from, to Status, ev AuditEntry, mutate func(*FailureRecord)) error {
	if !CanMove(from, to) {
		return fmt.Errorf("%w: %s %s -> %s", ErrInvalidTransition, id, from, to)
	}
	for range maxCASAttempts {
		rec, rev, err := s.readFailure(ctx, id)
		if err != nil {
			return err
		}
		if rec.Status != from {
			return fmt.Errorf("transition %s %s -> %s: status is %s: %w", id, from, to, rec.Status, ErrConflict)
		}
		next := rec
		if mutate != nil {
			mutate(&next)
		}
		if next.ID != rec.ID || next.Repo != rec.Repo || !next.DetectedAt.Equal(rec.DetectedAt) {
			return fmt.Errorf("%w: transition %s: mutate changed id, repo or detected_at", ErrInvalid, id)
		}
		next.Status = to
		next.UpdatedAt = s.now()
		js, aargs, err := s.encodeChange("transition", next, ev)
		if err != nil {
			return err
		}
		keys := append([]string{s.k.failure(id)}, s.k.auditKeys()...)
		keys = append(keys, s.k.historyPassed(next.Repo, next.Fingerprint))
		args := append([]any{rev, string(from), string(to), js, categoryOf(next)}, aargs...)
		args = append(append(args, passMember(rec, next), next.UpdatedAt.UnixMilli()), s.historyArgs()...)
		res, err := transitionScript.Run(ctx, s.rdb, keys, args...).Result()
		if err != nil {
			return fmt.Errorf("transition %s: %w", id, err)
		}
		switch v := res.(type) {
		case string:
			return nil
		case int64:
			if v < 0 {
				return fmt.Errorf("failure %s: %w", id, ErrNotFound)
			}
			continue // changed under us: re-read and decide again
		}
		return fmt.Errorf("transition %s: unexpected script reply %T", id, res)
	}
	return fmt.Errorf("transition %s: record kept changing: %w", id, ErrConflict)
}

// SaveAnalysis stores a as the failure's analysis and moves it from
// detected to analyzed, atomically with ev. a must be valid.
func (s *Store) SaveAnalysis(ctx context.Context, id string, a analysis.AnalysisResult, ev AuditEntry) error {
	if err := a.Validate(); err != nil {
		return fmt.Errorf("%w: save analysis %s: %w", ErrInvalid, id, err)
	}
	return s.Transition(ctx, id, StatusDetected, StatusAnalyzed, ev, func(r *FailureRecord) {
		cp := a
		r.Analysis = &cp
	})
}

// encodeChange encodes a changed record and its audit entry (defaulted
// from the record) as the compare-and-set scripts take them; what names
// the operation in the error.
func (s *Store) encodeChange(what string, next FailureRecord, ev AuditEntry) ([]byte, []any, error) {
	fillEvent(&ev, next)
	js, err := json.Marshal(next)
	if err != nil {
		return nil, nil, fmt.Errorf("encode failure %s: %w", next.ID, err)
	}
	aargs, err := s.auditArgs(&ev)
	if err != nil {
		return nil, nil, fmt.Errorf("%s %s: %w", what, next.ID, err)
	}
	return js, aargs, nil
}

// fillEvent defaults an event's failure fields from the record it is about.
func fillEvent(ev *AuditEntry, rec FailureRecord) {
	if ev.FailureID == "" {
		ev.FailureID = rec.ID
	}
	if ev.Repo == "" {
		ev.Repo = rec.Repo
	}
	if ev.Category == "" {
		ev.Category = categoryOf(rec)
	}
}

func categoryOf(rec FailureRecord) string {
	if rec.Analysis == nil {
		return ""
	}
	return string(rec.Analysis.Category)
}
