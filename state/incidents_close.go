package state

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// pauseScript records a failure the gate held back, only while the
// incident is open, so a failure gated after the close is never listed.
//
// KEYS[1] incident hash, KEYS[2] paused set.
// ARGV[1] failure ID.
// Returns 1 when the incident is open (the failure is now listed), else 0.
var pauseScript = redis.NewScript(`
if redis.call('HGET', KEYS[1], 'status') ~= 'open' then return 0 end
redis.call('SADD', KEYS[2], ARGV[1])
return 1
`)

// PauseIfOpen answers "is an incident open for fingerprint?" for the gate
// and, when it is, lists failureID among the failures it paused, in one
// step: a failure the gate held back is always re-gated on the close.
func (s *Store) PauseIfOpen(ctx context.Context, fingerprint, failureID string) (bool, error) {
	if fingerprint == "" || failureID == "" {
		return false, fmt.Errorf("%w: pause needs a fingerprint and a failure ID", ErrInvalid)
	}
	n, err := pauseScript.Run(ctx, s.rdb, []string{s.k.incident(fingerprint), s.k.incidentPaused(fingerprint)},
		failureID).Int()
	if err != nil {
		return false, fmt.Errorf("pause %s for incident %s: %w", failureID, fingerprint, err)
	}
	return n == 1, nil
}

// PausedFailures lists the failures gated while the fingerprint's latest
// incident was open (kept closedIncidentTTL after the close, for the
// re-gate), sorted.
func (s *Store) PausedFailures(ctx context.Context, fingerprint string) ([]string, error) {
	ids, err := s.rdb.SMembers(ctx, s.k.incidentPaused(fingerprint)).Result()
	if err != nil {
		return nil, fmt.Errorf("paused failures of %s: %w", fingerprint, err)
	}
	slices.Sort(ids)
	return ids, nil
}

// closeScript closes an open incident with its audit entry.
//
// KEYS[1] incident hash, KEYS[2] open incidents zset, KEYS[3] paused set,
// KEYS[4..6] audit keys.
// ARGV[1] fingerprint, ARGV[2] closed_at (RFC3339Nano), ARGV[3] reason,
// ARGV[4] TTL ms of the closed incident, ARGV[5..26] audit args.
// Returns the audit entry ID, or nil when the incident was not open.
var closeScript = redis.NewScript(auditLua + `
if redis.call('HGET', KEYS[1], 'status') ~= 'open' then return false end
redis.call('HSET', KEYS[1], 'status', 'closed', 'closed_at', ARGV[2], 'close_reason', ARGV[3])
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
redis.call('PEXPIRE', KEYS[3], ARGV[4])
return audit(4, 5)
`)

// CloseIncident closes the fingerprint's open incident, exactly once, with
// ev appended to the audit stream in the same step. ev is completed as the
// closing alert: action alert, actor ccm, outcome success, details
// severity info, kind incident_closed, fingerprint and reason. closed is
// false (and nothing is written) when no incident was open, so of
// concurrent closers exactly one gets true and re-gates.
func (s *Store) CloseIncident(ctx context.Context, fingerprint, reason string, ev AuditEntry) (Incident, bool, error) {
	if fingerprint == "" || reason == "" {
		return Incident{}, false, fmt.Errorf("%w: closing an incident needs a fingerprint and a reason", ErrInvalid)
	}
	now := s.now().UTC()
	if ev.ActionType != "" && ev.ActionType != ActionAlert {
		return Incident{}, false, fmt.Errorf("%w: close incident %s: event action %q", ErrInvalid, fingerprint, ev.ActionType)
	}
	ev.ActionType = ActionAlert
	if ev.Actor == "" {
		ev.Actor = ActorCCM
	}
	if ev.Outcome == "" {
		ev.Outcome = OutcomeSuccess
	}
	if ev.Timestamp.IsZero() {
		ev.Timestamp = now
	}
	d := map[string]any{"severity": "info", "channel": "alerts", "kind": IncidentKindClosed,
		"fingerprint": fingerprint, "reason": reason,
		"summary": "incident closed: unattended actions on this failure resume; the failures it paused are re-gated"}
	for k, v := range ev.Details {
		d[k] = v
	}
	ev.Details = d
	aargs, err := s.auditArgs(&ev)
	if err != nil {
		return Incident{}, false, fmt.Errorf("close incident %s: %w", fingerprint, err)
	}
	keys := append([]string{s.k.incident(fingerprint), s.k.incidentsOpen(), s.k.incidentPaused(fingerprint)},
		s.k.auditKeys()...)
	args := append([]any{fingerprint, now.Format(time.RFC3339Nano), reason, closedIncidentTTL.Milliseconds()}, aargs...)
	err = closeScript.Run(ctx, s.rdb, keys, args...).Err()
	closed := err == nil
	if errors.Is(err, redis.Nil) {
		err = nil
	}
	if err != nil {
		return Incident{}, false, fmt.Errorf("close incident %s: %w", fingerprint, err)
	}
	inc, err := s.GetIncident(ctx, fingerprint)
	return inc, closed, err
}

// QuietIncidents lists the fingerprints of open incidents whose latest
// occurrence is before `before`: the candidates for closing after a quiet
// period.
func (s *Store) QuietIncidents(ctx context.Context, before time.Time) ([]string, error) {
	fps, err := s.rdb.ZRangeByScore(ctx, s.k.incidentsOpen(), &redis.ZRangeBy{
		Min: "-inf", Max: "(" + strconv.FormatInt(before.UnixMilli(), 10)}).Result()
	if err != nil {
		return nil, fmt.Errorf("quiet incidents: %w", err)
	}
	return fps, nil
}

// OpenIncidents lists the fingerprints of every open incident.
func (s *Store) OpenIncidents(ctx context.Context) ([]string, error) {
	fps, err := s.rdb.ZRange(ctx, s.k.incidentsOpen(), 0, -1).Result()
	if err != nil {
		return nil, fmt.Errorf("open incidents: %w", err)
	}
	return fps, nil
}
