package state

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// releaseScript deletes a lease only if it still holds our token, so a
// holder whose lease expired cannot release the next holder's.
//
//	KEYS[1] lease key
//	ARGV[1] token
var releaseScript = redis.NewScript(`
if redis.call("GET", KEYS[1]) == ARGV[1] then
  return redis.call("DEL", KEYS[1])
end
return 0
`)

// Lease takes a named, expiring lease (SET NX PX), shared by every replica
// on this Redis. ok is false when someone else holds it. The lease ends at
// ttl on its own, so a crashed holder blocks nobody for long; release ends
// it early and is a no-op once it expired.
func (s *Store) Lease(ctx context.Context, name string, ttl time.Duration) (release func(context.Context) error, ok bool, err error) {
	if name == "" || ttl <= 0 {
		return nil, false, fmt.Errorf("%w: lease %q for %s", ErrInvalid, name, ttl)
	}
	buf := make([]byte, 16)
	if _, err := rand.Read(buf); err != nil {
		return nil, false, fmt.Errorf("lease %s: %w", name, err)
	}
	token := hex.EncodeToString(buf)
	key := s.k.lease(name)
	ok, err = s.rdb.SetNX(ctx, key, token, ttl).Result()
	if err != nil {
		return nil, false, fmt.Errorf("lease %s: %w", name, err)
	}
	if !ok {
		return nil, false, nil
	}
	return func(ctx context.Context) error {
		if err := releaseScript.Run(ctx, s.rdb, []string{key}, token).Err(); err != nil {
			return fmt.Errorf("release lease %s: %w", name, err)
		}
		return nil
	}, true, nil
}

// countScript counts an event in a window: the first count starts the
// window's expiry, later ones leave it.
//
//	KEYS[1] counter key
//	ARGV[1] window in ms
var countScript = redis.NewScript(`
local n = redis.call("INCR", KEYS[1])
if n == 1 then
  redis.call("PEXPIRE", KEYS[1], ARGV[1])
end
return n
`)

// Count adds one to the named counter and returns its value. A counter
// lives for window from its first count, so "at most N per window" limits
// (re-enqueues of one task, say) reset on their own.
func (s *Store) Count(ctx context.Context, name string, window time.Duration) (int64, error) {
	if name == "" || window <= 0 {
		return 0, fmt.Errorf("%w: count %q over %s", ErrInvalid, name, window)
	}
	n, err := countScript.Run(ctx, s.rdb, []string{s.k.counter(name)}, window.Milliseconds()).Int64()
	if err != nil {
		return 0, fmt.Errorf("count %s: %w", name, err)
	}
	return n, nil
}
