package state

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// What ccm keeps about its Slack messages, so that a retried or repeated
// notification updates the message it already posted instead of posting
// again, two replicas open one thread per fingerprint, and one outage
// pages once.

// SlackMessageTTL is how long a failure's message refs are kept after
// their last change: longer than any approval, verification or retry
// lasts, after which nobody updates a message anyway.
const SlackMessageTTL = 30 * 24 * time.Hour

// SlackRef is one message ccm posted: the channel ID and ts Slack gave
// back, and Sum, a hash of what it last showed (an update that would show
// the same is skipped). Thread, on a failure's thread membership, names
// the thread (see JoinSlackThread).
type SlackRef struct {
	Channel string `json:"channel,omitempty"`
	TS      string `json:"ts,omitempty"`
	Sum     string `json:"sum,omitempty"`
	Thread  string `json:"thread,omitempty"`
}

func (k keys) slackMsgs(failureID string) string { return k.p + "slack:msg:" + failureID }
func (k keys) slackThread(name string) string    { return k.p + "slack:thread:" + name }
func (k keys) slackPage(name string) string      { return k.p + "slack:page:" + name }
func (k keys) slackMark(name string) string      { return k.p + "slack:mark:" + name }

// SlackRefs returns every message ref of a failure, by kind.
func (s *Store) SlackRefs(ctx context.Context, failureID string) (map[string]SlackRef, error) {
	m, err := s.rdb.HGetAll(ctx, s.k.slackMsgs(failureID)).Result()
	if err != nil {
		return nil, fmt.Errorf("slack refs of %s: %w", failureID, err)
	}
	out := make(map[string]SlackRef, len(m))
	for kind, v := range m {
		var r SlackRef
		if err := json.Unmarshal([]byte(v), &r); err != nil {
			return nil, fmt.Errorf("slack ref %s of %s: %w", kind, failureID, err)
		}
		out[kind] = r
	}
	return out, nil
}

// SetSlackRef records where a failure's message of one kind is.
func (s *Store) SetSlackRef(ctx context.Context, failureID, kind string, ref SlackRef) error {
	if failureID == "" || kind == "" {
		return fmt.Errorf("%w: slack ref needs a failure ID and a kind", ErrInvalid)
	}
	b, err := json.Marshal(ref)
	if err != nil {
		return fmt.Errorf("slack ref %s of %s: %w", kind, failureID, err)
	}
	key := s.k.slackMsgs(failureID)
	pipe := s.rdb.TxPipeline()
	pipe.HSet(ctx, key, kind, b)
	pipe.PExpire(ctx, key, SlackMessageTTL)
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("set slack ref %s of %s: %w", kind, failureID, err)
	}
	return nil
}

// SlackThread is one fingerprint's open thread in one channel.
type SlackThread struct {
	// Owner is the failure whose alert is the thread's root: only it
	// posts the root. Root is zero until it has.
	Owner string
	Root  SlackRef
	// Times and Repos count the failures in the thread and their
	// repositories.
	Times, Repos int
}

// joinThreadScript adds a failure to the thread of KEYS[1], opening the
// thread for it when there is none (or when the owner never posted its
// root within the stale time, so a lost owner cannot hold a fingerprint's
// alerts back for the whole window).
//
// The window is kept as until_ms and compared with the caller's clock,
// not left to key expiry alone: the embedded Redis (miniredis) never
// expires keys by itself. The PEXPIREs only clean up on a real Redis.
//
// KEYS[1] thread hash (owner, claimed_ms, until_ms, channel, ts), KEYS[2]
// failure IDs set, KEYS[3] repos set.
// ARGV[1] failure ID, ARGV[2] repo, ARGV[3] now ms, ARGV[4] ttl ms,
// ARGV[5] stale ms, ARGV[6] "1" to keep the thread open for another ttl
// (an open incident keeps one thread).
// Returns {owner, channel, ts, times, repos}.
var joinThreadScript = redis.NewScript(`
local now, ttl = tonumber(ARGV[3]), tonumber(ARGV[4])
local upto = tonumber(redis.call('HGET', KEYS[1], 'until_ms') or '0')
if upto <= now then
  redis.call('DEL', KEYS[1], KEYS[2], KEYS[3])
end
local owner = redis.call('HGET', KEYS[1], 'owner')
local ts = redis.call('HGET', KEYS[1], 'ts') or ''
local fresh = false
if not owner then
  fresh = true
elseif ts == '' and owner ~= ARGV[1] and now - tonumber(redis.call('HGET', KEYS[1], 'claimed_ms') or '0') > tonumber(ARGV[5]) then
  fresh = true
end
if fresh then
  redis.call('HSET', KEYS[1], 'owner', ARGV[1], 'claimed_ms', ARGV[3])
  owner = ARGV[1]
elseif owner == ARGV[1] and ts == '' then
  -- The owner is back (after a pause or a 429) to post its root: its
  -- claim is fresh again, so no one takes the thread while it posts.
  redis.call('HSET', KEYS[1], 'claimed_ms', ARGV[3])
end
if fresh or ARGV[6] == '1' then
  upto = math.max(upto, now + ttl)
  redis.call('HSET', KEYS[1], 'until_ms', string.format('%.0f', upto))
end
redis.call('SADD', KEYS[2], ARGV[1])
redis.call('SADD', KEYS[3], ARGV[2])
for i = 1, 3 do redis.call('PEXPIRE', KEYS[i], math.max(upto - now, 1)) end
return {owner, redis.call('HGET', KEYS[1], 'channel') or '', ts, redis.call('SCARD', KEYS[2]), redis.call('SCARD', KEYS[3])}
`)

// JoinSlackThread puts failureID (of repo) in the thread named name (the
// channel and fingerprint), opening it for this failure when none is open:
// of concurrent callers exactly one becomes its Owner. A thread stays open
// for ttl (the dedup window) from when it opened; extend restarts that
// (an open incident has one thread however long it lasts). Joining twice
// counts once. An owner that has not posted the root within stale of its
// last join is replaced by the next failure that joins.
func (s *Store) JoinSlackThread(ctx context.Context, name, failureID, repo string, ttl, stale time.Duration, extend bool) (SlackThread, error) {
	if name == "" || failureID == "" || ttl < time.Millisecond {
		return SlackThread{}, fmt.Errorf("%w: slack thread %q for %q over %s", ErrInvalid, name, failureID, ttl)
	}
	base := s.k.slackThread(name)
	ext := "0"
	if extend {
		ext = "1"
	}
	res, err := joinThreadScript.Run(ctx, s.rdb, []string{base, base + ":runs", base + ":repos"},
		failureID, repo, s.now().UnixMilli(), ttl.Milliseconds(), stale.Milliseconds(), ext).Slice()
	if err != nil {
		return SlackThread{}, fmt.Errorf("join slack thread %s: %w", name, err)
	}
	if len(res) != 5 {
		return SlackThread{}, fmt.Errorf("join slack thread %s: unexpected answer %v", name, res)
	}
	str := func(v any) string { x, _ := v.(string); return x }
	num := func(v any) int { x, _ := v.(int64); return int(x) }
	return SlackThread{Owner: str(res[0]), Root: SlackRef{Channel: str(res[1]), TS: str(res[2])},
		Times: num(res[3]), Repos: num(res[4])}, nil
}

// setRootScript records the root of thread KEYS[1] if ARGV[1] still owns
// it. ARGV[2] channel, ARGV[3] ts. Returns 1 when set.
var setRootScript = redis.NewScript(`
if redis.call('HGET', KEYS[1], 'owner') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'channel', ARGV[2], 'ts', ARGV[3])
return 1
`)

// SetSlackThreadRoot records the root message of thread name, posted by
// its owner. ok is false when the thread is gone (its window ended) or
// another failure took it over: the root stays the owner's own alert,
// just no longer the fingerprint's open thread.
func (s *Store) SetSlackThreadRoot(ctx context.Context, name, owner string, root SlackRef) (bool, error) {
	n, err := setRootScript.Run(ctx, s.rdb, []string{s.k.slackThread(name)}, owner, root.Channel, root.TS).Int()
	if err != nil {
		return false, fmt.Errorf("set slack thread root %s: %w", name, err)
	}
	return n == 1, nil
}

// SlackThreadCounts re-reads how many failures and repositories thread
// name holds (0, 0 once it closed).
func (s *Store) SlackThreadCounts(ctx context.Context, name string) (times, repos int, err error) {
	base := s.k.slackThread(name)
	pipe := s.rdb.Pipeline()
	t := pipe.SCard(ctx, base+":runs")
	r := pipe.SCard(ctx, base+":repos")
	if _, err := pipe.Exec(ctx); err != nil {
		return 0, 0, fmt.Errorf("slack thread counts %s: %w", name, err)
	}
	return int(t.Val()), int(r.Val()), nil
}

// SlackPage is one critical page and what the throttle held back since.
type SlackPage struct {
	// First: this event opened the page (post it); otherwise it is held
	// back and counted (update the page with the count).
	First bool
	Ref   SlackRef
	// Count is how many distinct events the page stands for.
	Count int
}

// pageScript counts event ARGV[1] in the page KEYS[1] (hash owner,
// until_ms, channel, ts; KEYS[2] the set of event IDs). The first event of
// a window owns it. ARGV[2] window ms, ARGV[3] now ms (the window is
// compared with the clock: see joinThreadScript).
var pageScript = redis.NewScript(`
local now = tonumber(ARGV[3])
if tonumber(redis.call('HGET', KEYS[1], 'until_ms') or '0') <= now then
  redis.call('DEL', KEYS[1], KEYS[2])
  redis.call('HSET', KEYS[1], 'owner', ARGV[1], 'until_ms', string.format('%.0f', now + tonumber(ARGV[2])))
end
redis.call('SADD', KEYS[2], ARGV[1])
local left = math.max(tonumber(redis.call('HGET', KEYS[1], 'until_ms')) - now, 1)
redis.call('PEXPIRE', KEYS[1], left)
redis.call('PEXPIRE', KEYS[2], left)
return {redis.call('HGET', KEYS[1], 'owner'), redis.call('HGET', KEYS[1], 'channel') or '',
  redis.call('HGET', KEYS[1], 'ts') or '', redis.call('SCARD', KEYS[2])}
`)

// SlackPageEvent counts event (an audit entry ID) in the critical page
// named name, open for window from its first event: the first event is
// First (and stays First when it is counted again, e.g. on a retry);
// every later one is held back and counted once.
func (s *Store) SlackPageEvent(ctx context.Context, name, event string, window time.Duration) (SlackPage, error) {
	if name == "" || event == "" || window < time.Millisecond {
		return SlackPage{}, fmt.Errorf("%w: slack page %q event %q over %s", ErrInvalid, name, event, window)
	}
	key := s.k.slackPage(name)
	res, err := pageScript.Run(ctx, s.rdb, []string{key, key + ":events"}, event, window.Milliseconds(), s.now().UnixMilli()).Slice()
	if err != nil || len(res) != 4 {
		return SlackPage{}, fmt.Errorf("slack page %s: %w (answer %v)", name, err, res)
	}
	owner, _ := res[0].(string)
	ch, _ := res[1].(string)
	ts, _ := res[2].(string)
	n, _ := res[3].(int64)
	return SlackPage{First: owner == event, Ref: SlackRef{Channel: ch, TS: ts}, Count: int(n)}, nil
}

// SetSlackPageRef records where page name was posted.
func (s *Store) SetSlackPageRef(ctx context.Context, name string, ref SlackRef) error {
	if err := s.rdb.HSet(ctx, s.k.slackPage(name), "channel", ref.Channel, "ts", ref.TS).Err(); err != nil {
		return fmt.Errorf("set slack page %s: %w", name, err)
	}
	return nil
}

// markScript sets mark KEYS[1] until ARGV[1] (ms) unless it holds at
// ARGV[2] (now, ms). The deadline is the value, compared with the clock:
// the embedded Redis never expires a key by itself. ARGV[3] is the TTL,
// for a real Redis to clean up. Returns 1 when set.
var markScript = redis.NewScript(`
if tonumber(redis.call('GET', KEYS[1]) or '0') > tonumber(ARGV[2]) then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[3])
return 1
`)

// SlackMark sets the named mark for ttl unless it holds already, and
// reports whether this call set it (once-per-window alerts, pauses).
func (s *Store) SlackMark(ctx context.Context, name string, ttl time.Duration) (bool, error) {
	if name == "" || ttl < time.Millisecond {
		return false, fmt.Errorf("%w: slack mark %q for %s", ErrInvalid, name, ttl)
	}
	now := s.now()
	n, err := markScript.Run(ctx, s.rdb, []string{s.k.slackMark(name)}, now.Add(ttl).UnixMilli(), now.UnixMilli(), ttl.Milliseconds()).Int()
	if err != nil {
		return false, fmt.Errorf("slack mark %s: %w", name, err)
	}
	return n == 1, nil
}

// extendScript sets mark KEYS[1] until ARGV[1] (ms) unless it already
// holds at least that long; ARGV[2] is the TTL. Returns 1 when set.
var extendScript = redis.NewScript(`
if tonumber(redis.call('GET', KEYS[1]) or '0') >= tonumber(ARGV[1]) then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
`)

// ExtendSlackMark makes the named mark hold at least ttl from now: a
// longer hold (a 30 s Retry-After arriving while a 1 s one holds) extends
// it, a shorter one leaves it. Unlike SlackMark it is not a once-per-window
// test; it is for holds every caller must respect.
func (s *Store) ExtendSlackMark(ctx context.Context, name string, ttl time.Duration) error {
	if name == "" || ttl < time.Millisecond {
		return fmt.Errorf("%w: slack mark %q for %s", ErrInvalid, name, ttl)
	}
	until := s.now().Add(ttl)
	if err := extendScript.Run(ctx, s.rdb, []string{s.k.slackMark(name)}, until.UnixMilli(), ttl.Milliseconds()).Err(); err != nil {
		return fmt.Errorf("extend slack mark %s: %w", name, err)
	}
	return nil
}

// SlackMarked reports how long the named mark still holds (0: not set).
func (s *Store) SlackMarked(ctx context.Context, name string) (time.Duration, error) {
	v, err := s.rdb.Get(ctx, s.k.slackMark(name)).Int64()
	if errors.Is(err, redis.Nil) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("slack mark %s: %w", name, err)
	}
	return max(time.UnixMilli(v).Sub(s.now()), 0), nil
}
