package state

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// Incident statuses.
const (
	IncidentStatusOpen   = "open"
	IncidentStatusClosed = "closed"
)

// Audit detail kinds of the incident guard's alert entries.
const (
	IncidentKindOpened = "incident"
	IncidentKindClosed = "incident_closed"
)

// closedIncidentTTL is how long a closed incident's hash and its list of
// paused failures stay readable: long enough to re-gate and to look at,
// short enough that idle fingerprints vanish. The audit trail keeps the
// history.
const closedIncidentTTL = 7 * 24 * time.Hour

// IncidentThresholds are config.Incident, passed at every call so a reload
// applies to the next occurrence.
type IncidentThresholds struct {
	Repositories int
	Runs         int
	Window       time.Duration
}

// Incident is one fingerprint's incident, as ccm:incident:<fingerprint>
// holds it.
type Incident struct {
	Fingerprint string
	Status      string // open | closed; "" when none was ever opened
	OpenedAt    time.Time
	// Repos and Runs are the distinct repositories and failed runs in the
	// window when it opened.
	Repos, Runs int
	// LastAt is the time of the latest occurrence noted while open.
	LastAt      time.Time
	ClosedAt    time.Time
	CloseReason string
}

// Open reports whether the incident is open.
func (i Incident) Open() bool { return i.Status == IncidentStatusOpen }

func (k keys) incident(fp string) string       { return k.p + "incident:" + fp }
func (k keys) incidentRuns(fp string) string   { return k.p + "incident:" + fp + ":runs" }
func (k keys) incidentRepos(fp string) string  { return k.p + "incident:" + fp + ":repos" }
func (k keys) incidentPaused(fp string) string { return k.p + "incident:" + fp + ":paused" }
func (k keys) incidentsOpen() string           { return k.p + "incidents:open" }
func (k keys) incidentKeys(fp string) []string { // KEYS[1..5] of the scripts below
	return []string{k.incidentRuns(fp), k.incidentRepos(fp), k.incident(fp), k.incidentsOpen(), k.incidentPaused(fp)}
}

// Placeholders in the opening alert's details, replaced by the script
// with the counts it computed (only the script knows them atomically).
const (
	phRepos = `"@@ccm_repos@@"`
	phRuns  = `"@@ccm_runs@@"`
)

// auditDetailsArg is the offset, from an audit() call's ARGV base a, of
// the details value (see auditArgs: maxlen, ts ms, then ten pairs).
const auditDetailsArg = 19

// noteOccurrenceScript records one occurrence of a fingerprint and opens
// its incident when a threshold is crossed, with the opening alert.
//
// KEYS[1] runs zset (failure ID -> occurrence ms), KEYS[2] repos zset
// (repo -> latest occurrence ms), KEYS[3] incident hash, KEYS[4] open
// incidents zset (fingerprint -> latest occurrence ms), KEYS[5] paused
// set, KEYS[6..8] audit keys.
// ARGV[1] failure ID, ARGV[2] repo, ARGV[3] occurrence ms, ARGV[4] window
// ms, ARGV[5] repositories threshold, ARGV[6] runs threshold, ARGV[7]
// fingerprint, ARGV[8] opened_at (RFC3339Nano), ARGV[9..30] audit args,
// whose details carry the count placeholders.
// Returns {opened (0|1), repos, runs}.
//
// The window ends at the latest occurrence seen (a late, older one does
// not move it back); both zsets are trimmed to it and expire after two
// windows without occurrences. Re-noting a failure ID changes nothing.
var noteOccurrenceScript = redis.NewScript(auditLua + `
local at, window = tonumber(ARGV[3]), tonumber(ARGV[4])
redis.call('ZADD', KEYS[1], at, ARGV[1])
local cur = redis.call('ZSCORE', KEYS[2], ARGV[2])
if (not cur) or tonumber(cur) < at then redis.call('ZADD', KEYS[2], at, ARGV[2]) end
local top = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
local lo = tonumber(top[2]) - window
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. string.format('%.0f', lo))
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', '(' .. string.format('%.0f', lo))
redis.call('PEXPIRE', KEYS[1], 2 * window)
redis.call('PEXPIRE', KEYS[2], 2 * window)
local runs, repos = redis.call('ZCARD', KEYS[1]), redis.call('ZCARD', KEYS[2])
local status = redis.call('HGET', KEYS[3], 'status')
if status == 'open' then
  local last = tonumber(redis.call('HGET', KEYS[3], 'last_ms') or '0')
  if at > last then
    redis.call('HSET', KEYS[3], 'last_ms', string.format('%.0f', at))
    redis.call('ZADD', KEYS[4], at, ARGV[7])
  end
  return {0, repos, runs}
end
if repos < tonumber(ARGV[5]) and runs < tonumber(ARGV[6]) then return {0, repos, runs} end
redis.call('DEL', KEYS[3], KEYS[5])
redis.call('HSET', KEYS[3], 'fingerprint', ARGV[7], 'status', 'open', 'opened_at', ARGV[8],
  'repos', repos, 'runs', runs, 'last_ms', string.format('%.0f', at))
redis.call('ZADD', KEYS[4], at, ARGV[7])
local d = 9 + ` + strconv.Itoa(auditDetailsArg) + `
ARGV[d] = string.gsub(ARGV[d], '"@@ccm_repos@@"', tostring(repos))
ARGV[d] = string.gsub(ARGV[d], '"@@ccm_runs@@"', tostring(runs))
audit(6, 9)
return {1, repos, runs}
`)

// NoteOccurrence records that failureID (in repo) failed with fingerprint
// at `at`, and opens the fingerprint's incident when, within th.Window,
// it has failed in at least th.Repositories repositories or th.Runs runs.
// Opening writes ccm:incident:<fingerprint> and one audit entry (action
// alert, details severity critical, kind incident, fingerprint, repos,
// runs) in the same atomic step, so concurrent callers open it once:
// opened is true for exactly one of them. The returned incident is the
// fingerprint's as it stands after the call (Status "" when none).
func (s *Store) NoteOccurrence(ctx context.Context, fingerprint, failureID, repo string, at time.Time,
	th IncidentThresholds) (Incident, bool, error) {
	if fingerprint == "" || failureID == "" || repo == "" {
		return Incident{}, false, fmt.Errorf("%w: incident occurrence needs a fingerprint, a failure ID and a repo", ErrInvalid)
	}
	if th.Repositories < 1 || th.Runs < 1 || th.Window < time.Millisecond {
		return Incident{}, false, fmt.Errorf("%w: incident thresholds %+v", ErrInvalid, th)
	}
	if at.IsZero() {
		at = s.now()
	}
	at = at.UTC()
	openedAt := s.now().UTC()
	ev := AuditEntry{
		Timestamp: openedAt, ActionType: ActionAlert, Actor: ActorCCM, FailureID: failureID, Repo: repo,
		Outcome: OutcomeFailure,
		Details: map[string]any{
			"severity": "critical", "channel": "critical", "kind": IncidentKindOpened, "fingerprint": fingerprint,
			"summary": "incident opened: one failure is failing widely; unattended actions on it are paused until it closes",
			// Replaced by the script with the counts it computed.
			"repos": placeholder(phRepos), "runs": placeholder(phRuns),
			"threshold_repos": th.Repositories, "threshold_runs": th.Runs, "window": th.Window.String(),
		},
	}
	aargs, err := s.auditArgs(&ev)
	if err != nil {
		return Incident{}, false, fmt.Errorf("note occurrence of %s: %w", fingerprint, err)
	}
	keys := append(s.k.incidentKeys(fingerprint), s.k.auditKeys()...)
	args := append([]any{failureID, repo, at.UnixMilli(), th.Window.Milliseconds(), th.Repositories, th.Runs,
		fingerprint, openedAt.Format(time.RFC3339Nano)}, aargs...)
	res, err := noteOccurrenceScript.Run(ctx, s.rdb, keys, args...).Int64Slice()
	if err != nil {
		return Incident{}, false, fmt.Errorf("note occurrence of %s: %w", fingerprint, err)
	}
	inc, err := s.GetIncident(ctx, fingerprint)
	if err != nil {
		return Incident{}, false, err
	}
	return inc, len(res) == 3 && res[0] == 1, nil
}

// placeholder marshals to its own text, unquoted, so the script can find
// and replace it in the details JSON.
type placeholder string

func (p placeholder) MarshalJSON() ([]byte, error) { return []byte(p), nil }

// GetIncident returns the fingerprint's incident; Status is "" when none
// was opened (or a closed one has expired).
func (s *Store) GetIncident(ctx context.Context, fingerprint string) (Incident, error) {
	m, err := s.rdb.HGetAll(ctx, s.k.incident(fingerprint)).Result()
	if err != nil {
		return Incident{}, fmt.Errorf("get incident %s: %w", fingerprint, err)
	}
	inc := Incident{Fingerprint: fingerprint, Status: m["status"], CloseReason: m["close_reason"]}
	inc.Repos, _ = strconv.Atoi(m["repos"])
	inc.Runs, _ = strconv.Atoi(m["runs"])
	inc.OpenedAt, _ = time.Parse(time.RFC3339Nano, m["opened_at"])
	inc.ClosedAt, _ = time.Parse(time.RFC3339Nano, m["closed_at"])
	if ms, err := strconv.ParseInt(m["last_ms"], 10, 64); err == nil {
		inc.LastAt = time.UnixMilli(ms).UTC()
	}
	return inc, nil
}

// IncidentOpen reports whether an incident is open for fingerprint.
func (s *Store) IncidentOpen(ctx context.Context, fingerprint string) (bool, error) {
	st, err := s.rdb.HGet(ctx, s.k.incident(fingerprint), "status").Result()
	if errors.Is(err, redis.Nil) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("incident %s: %w", fingerprint, err)
	}
	return st == IncidentStatusOpen, nil
}
