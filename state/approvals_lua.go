package state

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// Key names of approvals (listed in doc.go). Approval IDs are base64url, so
// "<prefix>approval:<id>" can never collide with "<prefix>approval:failure:…".
func (k keys) approval(id string) string          { return k.p + "approval:" + id }
func (k keys) approvalOf(failureID string) string { return k.p + "approval:failure:" + failureID }
func (k keys) approvalsPending() string           { return k.p + "approvals:pending" }
func (k keys) approvals() string                  { return k.p + "approvals" }

// scriptArgs lays out the ARGV of a script that writes an audit entry and
// may take a variable tail after it: ARGV[1] is where the audit args start
// and ARGV[2] where the tail starts, both computed here from what is passed
// (so adding an audit field shifts nothing a script reads by a fixed
// number); then the fixed args from ARGV[3], then the audit args, then the
// tail.
func scriptArgs(fixed, audit, tail []any) []any {
	auditAt := 3 + len(fixed)
	tailAt := auditAt + len(audit)
	args := make([]any, 0, tailAt-1+len(tail))
	args = append(args, auditAt, tailAt)
	args = append(args, fixed...)
	args = append(args, audit...)
	return append(args, tail...)
}

// requestApprovalScript creates a pending request and moves its failure
// analyzed -> awaiting_approval, with the audit entry, in one step. A
// failure's previous request, once decided, does not stop a new one: the
// pointer moves to the new request, and the old one is left as it is.
//
// KEYS[1] approval hash, KEYS[2] pending index, KEYS[3] failure -> request
// pointer, KEYS[4] failure hash, KEYS[5] index of all requests, KEYS[6] the
// hash of the request the pointer named when the caller read it (KEYS[1]
// when there was none), KEYS[7..9] audit keys.
// ARGV[1] where the audit args start, ARGV[2] where the request's fields
// start (see scriptArgs), ARGV[3] request ID, ARGV[4] expires_at ms,
// ARGV[5] requested_at ms, ARGV[6] expected failure rev, ARGV[7] expected
// failure status, ARGV[8] new failure status, ARGV[9] new record JSON,
// ARGV[10] category, ARGV[11] the pointer's value when read ("" for none),
// then the audit args, then the request hash's field/value pairs.
// Returns {'stale'} when the pointer or the record's rev or status is not
// what the caller read (the caller re-reads), {'exists', id} when the
// pointer names a request still pending (nothing is written), {'gone'} when
// the failure record is missing, else {'ok', audit entry ID}.
var requestApprovalScript = redis.NewScript(auditLua + `
local AUDIT, FIELDS = tonumber(ARGV[1]), tonumber(ARGV[2])
local prev = redis.call('GET', KEYS[3])
if (prev or '') ~= ARGV[11] then return {'stale'} end
if prev and redis.call('HGET', KEYS[6], 'status') == 'pending' then return {'exists', prev} end
local cur = redis.call('HMGET', KEYS[4], 'rev', 'status')
if not cur[1] then return {'gone'} end
if cur[1] ~= ARGV[6] or cur[2] ~= ARGV[7] then return {'stale'} end
local f = {}
for i = FIELDS, #ARGV do f[#f+1] = ARGV[i] end
redis.call('HSET', KEYS[1], unpack(f))
redis.call('ZADD', KEYS[2], ARGV[4], ARGV[3])
redis.call('ZADD', KEYS[5], ARGV[5], ARGV[3])
redis.call('SET', KEYS[3], ARGV[3])
redis.call('HSET', KEYS[4], 'json', ARGV[9], 'status', ARGV[8], 'category', ARGV[10],
  'rev', string.format('%.0f', tonumber(cur[1]) + 1))
return {'ok', audit(7, AUDIT)}
`)

// decideApprovalScript is the compare-and-set that decides a request once:
// pending -> decided, with the audit entry, and the failure record moved
// awaiting_approval -> the decision, or left as it is (an expiry of a
// request whose record moved on or was deleted), or nothing at all.
//
// KEYS[1] approval hash, KEYS[2] pending index, KEYS[3] failure hash,
// KEYS[4..6] audit keys.
// ARGV[1] where the audit args start, ARGV[2] unused (no tail; see
// scriptArgs), ARGV[3] request ID, ARGV[4] decision
// (approved|rejected|expired), ARGV[5] decided_by, ARGV[6] decided_at
// (RFC3339Nano), ARGV[7] reason, ARGV[8] the decision's time as
// deadlineLayout writes it, refused at or after expires_at ("" for none),
// ARGV[9] what to do with the record: move (it must be at the expected rev
// and status), keep (likewise, and it is not written) or deleted (it must
// be missing), ARGV[10] expected failure rev, ARGV[11] expected failure
// status, ARGV[12] new failure status, ARGV[13] new record JSON (move
// only), ARGV[14] category, then the audit args.
// Returns {'gone'} for an unknown request, {'decided'} when it is no longer
// pending (someone else won), {'late'} when ARGV[8] is at or after its
// expires_at (or expires_at does not parse), {'stale'} when the record is
// not as the caller read it (the caller re-reads), else {'ok', audit entry
// ID}. Only 'ok' writes anything.
var decideApprovalScript = redis.NewScript(auditLua + `
local AUDIT = tonumber(ARGV[1])
-- expires_at as written by Go (RFC3339Nano, UTC: trailing zeros of the
-- fraction dropped) in the fixed width of deadlineLayout; '' if it is not.
local function fixed_time(t)
  if type(t) ~= 'string' then return '' end
  local s, f = string.match(t, '^(%d%d%d%d%-%d%d%-%d%dT%d%d:%d%d:%d%d)%.?(%d*)Z$')
  if not s or #f > 9 then return '' end
  return s .. '.' .. f .. string.rep('0', 9 - #f) .. 'Z'
end
local st = redis.call('HGET', KEYS[1], 'status')
if not st then return {'gone'} end
if st ~= 'pending' then return {'decided'} end
if ARGV[8] ~= '' and ARGV[8] >= fixed_time(redis.call('HGET', KEYS[1], 'expires_at')) then
  return {'late'}
end
local cur = redis.call('HMGET', KEYS[3], 'rev', 'status')
if ARGV[9] == 'deleted' then
  if cur[1] then return {'stale'} end
elseif cur[1] ~= ARGV[10] or cur[2] ~= ARGV[11] then
  return {'stale'}
end
redis.call('HSET', KEYS[1], 'status', ARGV[4], 'decided_by', ARGV[5], 'decided_at', ARGV[6], 'reason', ARGV[7])
redis.call('ZREM', KEYS[2], ARGV[3])
if ARGV[9] == 'move' then
  redis.call('HSET', KEYS[3], 'json', ARGV[13], 'status', ARGV[12], 'category', ARGV[14],
    'rev', string.format('%.0f', tonumber(cur[1]) + 1))
end
return {'ok', audit(4, AUDIT)}
`)

// setApprovalMessageScript records where Slack posted a request, only if
// the request exists (a plain HSET would create a husk with no fields).
//
// KEYS[1] approval hash. ARGV[1] channel, ARGV[2] message ts.
// Returns 1, or 0 for an unknown request.
var setApprovalMessageScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'slack_channel', ARGV[1], 'slack_ts', ARGV[2])
return 1
`)

// SetApprovalMessage records the Slack message that shows request id, so
// it can be updated when the request is decided. It is bookkeeping, not a
// decision, so it writes no audit entry.
func (s *Store) SetApprovalMessage(ctx context.Context, id, channel, ts string) error {
	if !wellFormedID(id) {
		return fmt.Errorf("approval %q: %w", id, ErrNotFound)
	}
	n, err := setApprovalMessageScript.Run(ctx, s.rdb, []string{s.k.approval(id)}, channel, ts).Int()
	if err != nil {
		return fmt.Errorf("set approval message %s: %w", id, err)
	}
	if n == 0 {
		return fmt.Errorf("approval %s: %w", id, ErrNotFound)
	}
	return nil
}

// deleteApprovalsScript removes requests with every index entry and the
// failure pointer, unless the pointer already names a newer request.
//
// KEYS[1] index of all requests, KEYS[2] pending index, then per request i
// (1-based): KEYS[2i+1] its hash, KEYS[2i+2] its failure's pointer.
// ARGV[i] the request IDs. Returns the number of requests deleted.
var deleteApprovalsScript = redis.NewScript(`
local n = 0
for i = 1, #ARGV do
  local id, b = ARGV[i], 2 * i
  n = n + redis.call('DEL', KEYS[b+1])
  if redis.call('GET', KEYS[b+2]) == id then redis.call('DEL', KEYS[b+2]) end
  redis.call('ZREM', KEYS[1], id)
  redis.call('ZREM', KEYS[2], id)
end
return n
`)

// withDetail copies details (the caller's map is not ours to change) and
// sets one key.
func withDetail(details map[string]any, key string, v any) map[string]any {
	out := make(map[string]any, len(details)+2)
	maps.Copy(out, details)
	out[key] = v
	return out
}

// approvalFields encodes a request as its hash's field/value pairs. Actions
// and reasons are JSON strings that Lua never touches; everything a script
// changes (status, decided_*) is a plain field of its own.
func approvalFields(a Approval) ([]any, error) {
	actions, err := json.Marshal(a.Actions)
	if err != nil {
		return nil, fmt.Errorf("encode actions: %w", err)
	}
	reasons, err := json.Marshal(a.Reasons)
	if err != nil {
		return nil, fmt.Errorf("encode reasons: %w", err)
	}
	return []any{
		"id", a.ID, "failure_id", a.FailureID, "repo", a.Repo,
		"actions", string(actions), "risk", strconv.Itoa(a.Risk), "reasons", string(reasons),
		"requested_at", a.RequestedAt.UTC().Format(time.RFC3339Nano),
		"expires_at", a.ExpiresAt.UTC().Format(time.RFC3339Nano),
		"status", string(a.Status),
	}, nil
}

// decodeApproval reads a request back from HGETALL.
func decodeApproval(id string, m map[string]string) (Approval, error) {
	a := Approval{
		ID: m["id"], FailureID: m["failure_id"], Repo: m["repo"],
		Status: ApprovalStatus(m["status"]), DecidedBy: m["decided_by"], Reason: m["reason"],
		SlackChannel: m["slack_channel"], SlackTS: m["slack_ts"],
	}
	var err error
	if a.Risk, err = strconv.Atoi(m["risk"]); err != nil {
		return Approval{}, fmt.Errorf("decode approval %s: risk: %w", id, err)
	}
	if err := json.Unmarshal([]byte(m["actions"]), &a.Actions); err != nil {
		return Approval{}, fmt.Errorf("decode approval %s: actions: %w", id, err)
	}
	if err := json.Unmarshal([]byte(m["reasons"]), &a.Reasons); err != nil {
		return Approval{}, fmt.Errorf("decode approval %s: reasons: %w", id, err)
	}
	for _, f := range []struct {
		name string
		dst  *time.Time
	}{{"requested_at", &a.RequestedAt}, {"expires_at", &a.ExpiresAt}, {"decided_at", &a.DecidedAt}} {
		v := m[f.name]
		if v == "" {
			continue
		}
		t, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			return Approval{}, fmt.Errorf("decode approval %s: %s: %w", id, f.name, err)
		}
		*f.dst = t.UTC()
	}
	if !a.Status.Valid() {
		return Approval{}, fmt.Errorf("decode approval %s: unknown status %q", id, a.Status)
	}
	return a, nil
}

// expireApprovals deletes the requests made before cutoff. Such a request's
// failure was detected earlier still, so retention deletes the failure too
// and nothing is left pointing at the request.
func (s *Store) expireApprovals(ctx context.Context, cutoff time.Time) (int64, error) {
	maxScore := strconv.FormatInt(cutoff.UnixMilli(), 10)
	var total int64
	err := s.pageByScore(ctx, s.k.approvals(), maxScore, func(ids []string) (int, error) {
		pipe := s.rdb.Pipeline()
		cmds := make([]*redis.SliceCmd, len(ids))
		for i, id := range ids {
			cmds[i] = pipe.HMGet(ctx, s.k.approval(id), "requested_at", "failure_id")
		}
		if _, err := pipe.Exec(ctx); err != nil {
			return 0, fmt.Errorf("read requests: %w", err)
		}
		keys := []string{s.k.approvals(), s.k.approvalsPending()}
		var args []any
		for i, id := range ids {
			req, _ := cmds[i].Val()[0].(string)
			fid, _ := cmds[i].Val()[1].(string)
			if t, err := time.Parse(time.RFC3339Nano, req); err == nil && !t.Before(cutoff) {
				continue // same ms as the cutoff but not older
			}
			keys = append(keys, s.k.approval(id), s.k.approvalOf(fid))
			args = append(args, id)
		}
		if len(args) == 0 {
			return 0, nil
		}
		n, err := deleteApprovalsScript.Run(ctx, s.rdb, keys, args...).Int64()
		if err != nil {
			return 0, fmt.Errorf("delete requests: %w", err)
		}
		total += n
		return len(args), nil // deleted entries left the index
	})
	if err != nil {
		return total, fmt.Errorf("retention: approvals: %w", err)
	}
	return total, nil
}
