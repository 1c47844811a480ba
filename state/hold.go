package state

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// renewScript extends a lease only if it still holds our token.
//
//	KEYS[1] lease key
//	ARGV[1] token
//	ARGV[2] ttl in ms
var renewScript = redis.NewScript(`
if redis.call("GET", KEYS[1]) == ARGV[1] then
  return redis.call("PEXPIRE", KEYS[1], ARGV[2])
end
return 0
`)

// Hold is a lease kept alive while its holder works: a short TTL renewed
// every third of it, so a holder that dies (kill -9, a lost node) blocks
// the next one for at most the TTL, and a live holder never loses it to
// a slow task.
type Hold struct {
	// Ctx is the holder's context, cancelled when the lease is lost: a
	// renewal found it gone or could not reach Redis before it lapsed.
	// Someone else may hold it then, so the holder must stop.
	Ctx     context.Context
	release func() error
}

// Release stops the renewals and ends the lease now. Safe to call twice.
func (h *Hold) Release() error { return h.release() }

// HoldLease takes the named lease (shared by every replica on this Redis)
// for ttl and renews it until Release or ctx ends. When someone else holds
// it, the Hold is nil and left is how long their lease still runs (their
// renewals may extend it).
func (s *Store) HoldLease(ctx context.Context, name string, ttl time.Duration) (_ *Hold, left time.Duration, _ error) {
	if name == "" || ttl < 3*time.Millisecond {
		return nil, 0, fmt.Errorf("%w: lease %q for %s", ErrInvalid, name, ttl)
	}
	buf := make([]byte, 16)
	if _, err := rand.Read(buf); err != nil {
		return nil, 0, fmt.Errorf("lease %s: %w", name, err)
	}
	token := hex.EncodeToString(buf)
	key := s.k.lease(name)
	// Taken before the SET: Redis's clock for the lease starts no earlier.
	start := time.Now()
	ok, err := s.rdb.SetNX(ctx, key, token, ttl).Result()
	if err != nil {
		return nil, 0, fmt.Errorf("lease %s: %w", name, err)
	}
	if !ok {
		left, err := s.rdb.PTTL(ctx, key).Result()
		if err != nil {
			return nil, 0, fmt.Errorf("lease %s: %w", name, err)
		}
		return nil, max(left, 0), nil
	}
	hctx, cancel := context.WithCancelCause(ctx)
	// The holder stops on its own clock, a tenth of the TTL before Redis
	// may hand the lease to someone else: a renewal blocked on a dead
	// connection (a partition, a failover) must not let two holders work
	// at once while it waits for its socket's timeout.
	margin := ttl / 10
	lapsedErr := fmt.Errorf("lease %s: not renewed before it lapsed", name)
	watchdog := time.AfterFunc(time.Until(start.Add(ttl-margin)), func() { cancel(lapsedErr) })
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer watchdog.Stop()
		lapses := start.Add(ttl)
		tick := time.NewTicker(ttl / 3)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-hctx.Done():
				return
			case <-tick.C:
			}
			rctx, rcancel := context.WithDeadline(hctx, lapses)
			at := time.Now()
			n, err := renewScript.Run(rctx, s.rdb, []string{key}, token, ttl.Milliseconds()).Int()
			rcancel()
			switch {
			case err == nil && n == 1:
				lapses = at.Add(ttl)
				if !watchdog.Reset(time.Until(lapses.Add(-margin))) {
					return // the watchdog fired first: the lease is given up
				}
			case err == nil:
				cancel(fmt.Errorf("lease %s: lost (taken over or expired)", name))
				return
			case time.Now().After(lapses):
				cancel(fmt.Errorf("lease %s: not renewed before it lapsed: %w", name, err))
				return
			}
			// A renewal that failed with time left is tried at the next tick.
		}
	}()
	var once sync.Once
	var relErr error
	return &Hold{Ctx: hctx, release: func() error {
		once.Do(func() {
			close(stop)
			<-done
			cancel(nil)
			// A fresh context: the lease must go even if the holder's
			// context ended, or the next holder waits out the TTL.
			rctx, rcancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			defer rcancel()
			if err := releaseScript.Run(rctx, s.rdb, []string{key}, token).Err(); err != nil {
				relErr = fmt.Errorf("release lease %s: %w", name, err)
			}
		})
		return relErr
	}}, 0, nil
}
