package state

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// ErrInvalid wraps every rejection of bad input (an empty ID, an audit
// entry without actor, an unknown status). Retrying such a call is useless.
var ErrInvalid = errors.New("invalid input")

// auditLua is prepended to every script that writes an audit entry. It
// defines audit(k, a), which appends one entry and returns its ID.
//
// KEYS[k]   the stream (<prefix>audit)
// KEYS[k+1] the last ID this helper assigned (<prefix>audit:last-id)
// KEYS[k+2] the largest lag seen, ms (<prefix>audit:max-lag-ms)
// ARGV[a]   approximate MAXLEN (<= 0: no cap)
// ARGV[a+1] the entry's ts in unix ms
// ARGV[a+2 .. a+21] the ten field/value pairs, ts first
//
// The ID's ms part is the entry's own ts when entries arrive in time order,
// so stream-ID ranges are time ranges. An entry older than the newest one
// (a caller-set Timestamp, clocks of two replicas apart) takes the newest ms
// with the next sequence instead, because XADD IDs must grow. So an ID is
// never earlier than its entry's ts, and never later than ts + max-lag-ms:
// queries and retention use exactly these two bounds (see maxLagLua for
// how max-lag-ms also comes down again). last-id is kept
// beside the stream because XDEL and XTRIM can remove the stream's top
// entry while Redis still remembers it; if the explicit ID is refused
// anyway, Redis picks one ('*') rather than losing the entry.
const auditLua = maxLagLua + `
local function audit(k, a)
  local ts = tonumber(ARGV[a+1])
  local ms, seq = ts, 0
  local last = redis.call('GET', KEYS[k+1])
  if last then
    local lms, lseq = string.match(last, '^(%d+)-(%d+)$')
    if lms and tonumber(lms) >= ms then
      ms = tonumber(lms)
      seq = tonumber(lseq) + 1
    end
  end
  local args = {'XADD', KEYS[k]}
  if tonumber(ARGV[a]) > 0 then
    table.insert(args, 'MAXLEN')
    table.insert(args, '~')
    table.insert(args, ARGV[a])
  end
  table.insert(args, string.format('%.0f-%.0f', ms, seq))
  local idpos = #args
  for i = a+2, a+21 do table.insert(args, ARGV[i]) end
  local id = redis.pcall(unpack(args))
  if type(id) == 'table' and id.err then
    args[idpos] = '*'
    id = redis.call(unpack(args))
  end
  redis.call('SET', KEYS[k+1], id)
  note_lag(KEYS[k], KEYS[k+2], id, ts)
  return id
end
`

// maxLagLua defines note_lag(stream, key, id, ts), which records the lag
// (ID ms - ts) of the entry just added under id.
//
// The bound queries and retention rely on is: every entry still in the
// stream has a lag <= max-lag-ms. A single maximum kept forever satisfies
// it, but one burst of skewed clocks or back-dated entries would then
// widen every Until query and retention scan for good. So the value is
// kept in two generations, "<older> <current> <gen-id>": current is the
// largest lag of the entries from gen-id on, older bounds every entry
// before gen-id, and max-lag-ms is the larger of the two.
//
// Decay is safe because of when a generation ends: only once the stream's
// first entry is at or after gen-id, i.e. retention or MAXLEN has removed
// every entry older than the generation. Then no entry that older covered
// is left, current becomes older (it bounds everything before the new
// gen-id, which is this entry) and current starts again from this entry's
// lag. A large lag is thus forgotten once its entry, and every entry of its
// generation, is gone: after at most two retention periods. A value from
// before generations (a plain number) is kept as older, and the first
// generation starts at this entry.
const maxLagLua = `
local function note_lag(stream, key, id, ts)
  local ims, iseq = string.match(id, '^(%d+)-(%d+)$')
  ims, iseq = tonumber(ims), tonumber(iseq)
  local lag = math.max(ims - ts, 0)
  local older, current, gms, gseq = 0, 0, ims, iseq
  local v = redis.call('GET', key)
  if v then
    local o, c, m, q = string.match(v, '^(%d+) (%d+) (%d+)-(%d+)$')
    if o then
      older, current, gms, gseq = tonumber(o), tonumber(c), tonumber(m), tonumber(q)
    else
      older = tonumber(v) or 0
    end
  end
  local first = redis.call('XRANGE', stream, '-', '+', 'COUNT', 1)[1]
  local fms, fseq = ims, iseq
  if first then
    local a, b = string.match(first[1], '^(%d+)-(%d+)$')
    fms, fseq = tonumber(a), tonumber(b)
  end
  if fms > gms or (fms == gms and fseq >= gseq) then
    -- nothing before gen-id is left: current's bound now covers all but
    -- this entry, and a new generation starts here
    older, current, gms, gseq = current, 0, ims, iseq
  end
  current = math.max(current, lag)
  redis.call('SET', key, string.format('%.0f %.0f %.0f-%.0f', older, current, gms, gseq))
end
`

// auditScript appends one entry.
// KEYS[1..3] audit keys (see auditLua); ARGV[1..22] audit args.
var auditScript = redis.NewScript(auditLua + `return audit(1, 1)`)

// Audit appends e to the audit stream and returns its stream ID. A zero
// Timestamp is set to the store's clock.
func (s *Store) Audit(ctx context.Context, e AuditEntry) (string, error) {
	args, err := s.auditArgs(&e)
	if err != nil {
		return "", err
	}
	id, err := auditScript.Run(ctx, s.rdb, s.k.auditKeys(), args...).Text()
	if err != nil {
		return "", fmt.Errorf("audit %s: %w", e.ActionType, err)
	}
	return id, nil
}

// auditArgs validates e, fills its Timestamp, and encodes it as the ARGV
// tail auditLua expects.
func (s *Store) auditArgs(e *AuditEntry) ([]any, error) {
	if e.Timestamp.IsZero() {
		e.Timestamp = s.now()
	}
	e.Timestamp = e.Timestamp.UTC()
	if err := validateAudit(*e); err != nil {
		return nil, err
	}
	details := "{}"
	if len(e.Details) > 0 {
		b, err := json.Marshal(e.Details)
		if err != nil {
			return nil, fmt.Errorf("%w: audit details: %v", ErrInvalid, err)
		}
		details = string(b)
	}
	return []any{
		s.maxLen, e.Timestamp.UnixMilli(),
		"ts", e.Timestamp.Format(time.RFC3339Nano),
		"action_type", e.ActionType,
		"actor", e.Actor,
		"failure_id", e.FailureID,
		"repo", e.Repo,
		"category", e.Category,
		"request_id", e.RequestID,
		"outcome", e.Outcome,
		"details", details,
		"error", e.Error,
	}, nil
}

func validateAudit(e AuditEntry) error {
	var missing []string
	if e.ActionType == "" {
		missing = append(missing, "action_type")
	}
	if e.Actor == "" {
		missing = append(missing, "actor")
	}
	if e.Outcome == "" {
		missing = append(missing, "outcome")
	}
	if len(missing) > 0 {
		return fmt.Errorf("%w: audit entry without %s", ErrInvalid, strings.Join(missing, ", "))
	}
	if e.Timestamp.UnixMilli() < 1 || e.Timestamp.Year() > 9999 {
		return fmt.Errorf("%w: audit timestamp %s is outside 1970-9999", ErrInvalid, e.Timestamp)
	}
	return nil
}

// decodeAudit turns a stream message back into an entry.
func decodeAudit(m redis.XMessage) (AuditEntry, error) {
	str := func(k string) string {
		v, _ := m.Values[k].(string)
		return v
	}
	e := AuditEntry{
		ID:         m.ID,
		ActionType: str("action_type"),
		Actor:      str("actor"),
		FailureID:  str("failure_id"),
		Repo:       str("repo"),
		Category:   str("category"),
		RequestID:  str("request_id"),
		Outcome:    str("outcome"),
		Error:      str("error"),
	}
	ts, err := time.Parse(time.RFC3339Nano, str("ts"))
	if err != nil {
		return AuditEntry{}, fmt.Errorf("audit entry %s: ts: %w", m.ID, err)
	}
	e.Timestamp = ts.UTC()
	if d := str("details"); d != "" && d != "{}" {
		if err := json.Unmarshal([]byte(d), &e.Details); err != nil {
			return AuditEntry{}, fmt.Errorf("audit entry %s: details: %w", m.ID, err)
		}
	}
	return e, nil
}

// maxLag reads how far (ms) an ID may run ahead of its entry's ts: the
// larger of the two generations maxLagLua keeps, or a plain number written
// before generations.
func (s *Store) maxLag(ctx context.Context) (int64, error) {
	v, err := s.rdb.Get(ctx, s.k.auditMaxLag()).Result()
	if errors.Is(err, redis.Nil) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read audit lag: %w", err)
	}
	f := strings.Fields(v)
	if len(f) != 1 && len(f) != 3 {
		return 0, fmt.Errorf("read audit lag: %q is not \"<older> <current> <gen-id>\"", v)
	}
	var lag int64
	for _, n := range f[:min(len(f), 2)] {
		x, err := strconv.ParseInt(n, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("read audit lag %q: %w", v, err)
		}
		lag = max(lag, x)
	}
	return lag, nil
}
