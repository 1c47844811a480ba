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
