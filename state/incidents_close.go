package state

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
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

// closeScript closes an open incident with its audit entry. The window's
// occurrences go with it, so the next failure starts a new count instead
// of reopening the incident at once; the failures it paused are handed to
// the re-gate queue (KEYS[6]) in the same step, so none is lost to a crash
// between the close and their re-gate.
//
// KEYS[1..5] runs zset, repos zset, incident hash, open incidents zset,
// paused set (incidentKeys); KEYS[6] re-gates pending hash; KEYS[7..9]
// audit keys.
// ARGV[1] fingerprint, ARGV[2] closed_at (RFC3339Nano), ARGV[3] reason,
// ARGV[4] TTL ms of the closed incident, ARGV[5..26] audit args.
// Returns the audit entry ID, or nil when the incident was not open.
var closeScript = redis.NewScript(auditLua + `
if redis.call('HGET', KEYS[3], 'status') ~= 'open' then return false end
redis.call('HSET', KEYS[3], 'status', 'closed', 'closed_at', ARGV[2], 'close_reason', ARGV[3])
redis.call('ZREM', KEYS[4], ARGV[1])
redis.call('DEL', KEYS[1], KEYS[2])
local pending = ARGV[1] .. '\n' .. (redis.call('HGET', KEYS[3], 'opened_at') or '')
for _, id in ipairs(redis.call('SMEMBERS', KEYS[5])) do
  redis.call('HSET', KEYS[6], id, pending)
end
redis.call('PEXPIRE', KEYS[3], ARGV[4])
redis.call('PEXPIRE', KEYS[5], ARGV[4])
return audit(7, 5)
`)

// CloseIncident closes the fingerprint's open incident, exactly once, with
// ev appended to the audit stream in the same step. The window's
// occurrences are forgotten and the paused failures become pending
// re-gates (PendingRegates) in that step too. ev is completed as the
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
	keys := append(append(s.k.incidentKeys(fingerprint), s.k.regatesPending()), s.k.auditKeys()...)
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

func (k keys) regatesPending() string { return k.p + "incidents:regate" }

// Regate is a failure an incident paused, waiting, since the incident
// closed, for its re-gate to be enqueued.
type Regate struct {
	FailureID, Fingerprint string
	// OpenedAt is when the incident that paused it opened: with the
	// failure ID it names one re-gate.
	OpenedAt time.Time
}

// PendingRegates lists the paused failures of closed incidents whose
// re-gate has not been enqueued yet (RegateQueued), sorted by failure ID.
func (s *Store) PendingRegates(ctx context.Context) ([]Regate, error) {
	m, err := s.rdb.HGetAll(ctx, s.k.regatesPending()).Result()
	if err != nil {
		return nil, fmt.Errorf("pending re-gates: %w", err)
	}
	out := make([]Regate, 0, len(m))
	for id, v := range m {
		fp, opened, _ := strings.Cut(v, "\n")
		at, _ := time.Parse(time.RFC3339Nano, opened)
		out = append(out, Regate{FailureID: id, Fingerprint: fp, OpenedAt: at})
	}
	slices.SortFunc(out, func(a, b Regate) int { return strings.Compare(a.FailureID, b.FailureID) })
	return out, nil
}

// regateQueuedScript forgets a pending re-gate, unless a later close
// replaced it meanwhile (that one still needs its own).
//
// KEYS[1] re-gates pending hash. ARGV[1] failure ID, ARGV[2] the value read.
var regateQueuedScript = redis.NewScript(`
if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then redis.call('HDEL', KEYS[1], ARGV[1]) end
return 0
`)

// RegateQueued forgets r once its re-gate task is enqueued.
func (s *Store) RegateQueued(ctx context.Context, r Regate) error {
	v := r.Fingerprint + "\n" + r.OpenedAt.UTC().Format(time.RFC3339Nano)
	if err := regateQueuedScript.Run(ctx, s.rdb, []string{s.k.regatesPending()}, r.FailureID, v).Err(); err != nil {
		return fmt.Errorf("re-gate of %s queued: %w", r.FailureID, err)
	}
	return nil
}
