package state

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Pending Slack follow-ups: `@ccm analyze` promises an answer in the
// mention's thread once the gate has decided. The promise is kept in Redis,
// not only in the bot's memory, so that a restart, or the bot moving to
// another replica, still answers: every bot resumes the follow-ups it does
// not watch, and a claim that succeeds for one caller only decides which
// of them posts.

// SlackFollowUpKeep is how long the follow-up keys outlive the latest
// deadline on a real Redis, for when no bot runs any more to drop them.
const SlackFollowUpKeep = 24 * time.Hour

// SlackFollowUp is one answer owed in a Slack thread.
type SlackFollowUp struct {
	FailureID string `json:"failure_id"`
	// Channel and Thread (the ts of the thread's root) are where the
	// answer goes; AskedBy is the Slack user who asked.
	Channel string `json:"channel"`
	Thread  string `json:"thread"`
	AskedBy string `json:"asked_by,omitempty"`
	// AskedAt and Deadline bound the wait: at the deadline the thread
	// hears what ccm has, whoever watches it then.
	AskedAt  time.Time `json:"asked_at"`
	Deadline time.Time `json:"deadline"`
}

// Key names the follow-up: one answer per failure and thread, so asking
// twice in one thread is answered once, and two threads asking about one
// run are each answered. "|" is in no failure ID, channel ID or ts.
func (f SlackFollowUp) Key() string {
	return f.FailureID + "|" + f.Channel + "|" + f.Thread
}

func (k keys) slackFollowUps() string   { return k.p + "slack:followups" }
func (k keys) slackFollowUpDue() string { return k.p + "slack:followups:due" }

// addFollowUpScript records a follow-up and keeps both keys for the keep
// time past the latest deadline, or past now when every deadline has passed
// (a follow-up put back late must not expire the others at once). Expiry is
// cleanup on a real Redis only: the embedded one never expires keys, and
// DropSlackFollowUps does not rely on expiry.
//
// KEYS[1] hash key → JSON, KEYS[2] zset key by deadline ms.
// ARGV[1] key, ARGV[2] JSON, ARGV[3] deadline ms, ARGV[4] now ms, ARGV[5] keep ms.
var addFollowUpScript = redis.NewScript(`
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
local last = redis.call('ZRANGE', KEYS[2], -1, -1, 'WITHSCORES')
local ttl = math.max(tonumber(last[2]) - tonumber(ARGV[4]), 0) + tonumber(ARGV[5])
redis.call('PEXPIRE', KEYS[1], string.format('%.0f', ttl))
redis.call('PEXPIRE', KEYS[2], string.format('%.0f', ttl))
return 1
`)

// AddSlackFollowUp records a follow-up (again, e.g. after a post failed,
// replaces it).
func (s *Store) AddSlackFollowUp(ctx context.Context, f SlackFollowUp) error {
	if f.FailureID == "" || f.Channel == "" || f.Thread == "" || f.Deadline.IsZero() ||
		strings.Contains(f.Channel+f.Thread, "|") {
		return fmt.Errorf("%w: slack follow-up %+v needs a failure ID, a channel, a thread and a deadline", ErrInvalid, f)
	}
	b, err := json.Marshal(f)
	if err != nil {
		return fmt.Errorf("slack follow-up %s: %w", f.Key(), err)
	}
	err = addFollowUpScript.Run(ctx, s.rdb, []string{s.k.slackFollowUps(), s.k.slackFollowUpDue()},
		f.Key(), b, f.Deadline.UnixMilli(), s.now().UnixMilli(), SlackFollowUpKeep.Milliseconds()).Err()
	if err != nil {
		return fmt.Errorf("add slack follow-up %s: %w", f.Key(), err)
	}
	return nil
}

// SlackFollowUps returns the pending follow-ups, earliest deadline first,
// at most MaxLimit. One that cannot be decoded can never be answered: it
// is dropped and logged rather than failing every later read.
func (s *Store) SlackFollowUps(ctx context.Context) ([]SlackFollowUp, error) {
	keys, err := s.rdb.ZRange(ctx, s.k.slackFollowUpDue(), 0, MaxLimit-1).Result()
	if err != nil {
		return nil, fmt.Errorf("slack follow-ups: %w", err)
	}
	if len(keys) == 0 {
		return nil, nil
	}
	vals, err := s.rdb.HMGet(ctx, s.k.slackFollowUps(), keys...).Result()
	if err != nil {
		return nil, fmt.Errorf("slack follow-ups: %w", err)
	}
	out := make([]SlackFollowUp, 0, len(keys))
	for i, v := range vals {
		raw, ok := v.(string)
		if !ok {
			continue // claimed between the two reads
		}
		var f SlackFollowUp
		if err := json.Unmarshal([]byte(raw), &f); err != nil {
			s.log.Warn("dropping a Slack follow-up that cannot be read", "key", keys[i], "err", err)
			if _, err := s.ClaimSlackFollowUp(ctx, keys[i]); err != nil {
				return nil, err
			}
			continue
		}
		out = append(out, f)
	}
	return out, nil
}

// claimFollowUpScript removes follow-up ARGV[1]; 1 only for the call that
// removed it. KEYS[1] hash, KEYS[2] zset.
var claimFollowUpScript = redis.NewScript(`
local n = redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[1])
return n
`)

// ClaimSlackFollowUp removes the follow-up named key and reports whether
// this call removed it. Of any number of bots claiming one follow-up
// exactly one gets true: it posts the answer, the others stay silent.
func (s *Store) ClaimSlackFollowUp(ctx context.Context, key string) (bool, error) {
	n, err := claimFollowUpScript.Run(ctx, s.rdb, []string{s.k.slackFollowUps(), s.k.slackFollowUpDue()}, key).Int()
	if err != nil {
		return false, fmt.Errorf("claim slack follow-up %s: %w", key, err)
	}
	return n == 1, nil
}

// dropFollowUpsScript removes up to ARGV[2] follow-ups whose deadline is
// before ARGV[1] (ms) and returns how many. KEYS[1] hash, KEYS[2] zset.
var dropFollowUpsScript = redis.NewScript(`
local ks = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', '(' .. ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
for _, k in ipairs(ks) do
  redis.call('HDEL', KEYS[1], k)
  redis.call('ZREM', KEYS[2], k)
end
return #ks
`)

// DropSlackFollowUps removes, unanswered, the follow-ups whose deadline is
// before before (no bot ran for long after it: an answer now would only
// be noise in an old thread), at most MaxLimit a call.
func (s *Store) DropSlackFollowUps(ctx context.Context, before time.Time) (int, error) {
	n, err := dropFollowUpsScript.Run(ctx, s.rdb, []string{s.k.slackFollowUps(), s.k.slackFollowUpDue()},
		before.UnixMilli(), MaxLimit).Int()
	if err != nil {
		return 0, fmt.Errorf("drop slack follow-ups before %s: %w", before.Format(time.RFC3339), err)
	}
	return n, nil
}
