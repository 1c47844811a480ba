// Package statetest gives tests a state.Store on real Redis or on an
// in-process miniredis, each on its own key prefix that is deleted when the
// test ends. It is the one place for store fakes: other packages' tests use
// it instead of faking the store.
package statetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/ccm-ci/ccm/state"
	"github.com/redis/go-redis/v9"
)

// DefaultRedisURL is the test Redis unless CCM_TEST_REDIS_URL says otherwise.
const DefaultRedisURL = "redis://127.0.0.1:6379/0"

// RedisURL is the Redis the tests use.
func RedisURL() string {
	if u := os.Getenv("CCM_TEST_REDIS_URL"); u != "" {
		return u
	}
	return DefaultRedisURL
}

// Env is a store on a private prefix plus the handles a test may need.
type Env struct {
	Store  *state.Store
	Client redis.UniversalClient // the connection behind Store, for asynq or for inspection
	Prefix string                // every key of this Env starts with it
	Mini   *miniredis.Miniredis  // the embedded server; nil on real Redis

	subs atomic.Int64
}

// NewRedis returns a store on the real test Redis with a fresh prefix.
func NewRedis(t testing.TB) *state.Store {
	t.Helper()
	return OpenRedis(t, state.Options{}).Store
}

// NewMini returns a store on a fresh in-process miniredis.
func NewMini(t testing.TB) *state.Store {
	t.Helper()
	return OpenMini(t, state.Options{}).Store
}

// OpenRedis connects to the real test Redis. opt.Prefix is replaced by a
// random "ccmtest:<hex>:" prefix whose keys are deleted at cleanup.
func OpenRedis(t testing.TB, opt state.Options) *Env {
	t.Helper()
	ropt, err := redis.ParseURL(RedisURL())
	if err != nil {
		t.Fatalf("statetest: parse %s: %v", RedisURL(), err)
	}
	rdb := redis.NewClient(ropt)
	if err := rdb.Ping(context.Background()).Err(); err != nil {
		_ = rdb.Close()
		t.Fatalf("statetest: redis at %s is not reachable (set CCM_TEST_REDIS_URL): %v", ropt.Addr, err)
	}
	e := newEnv(rdb, opt)
	t.Cleanup(func() {
		if err := DeletePrefix(context.Background(), rdb, e.Prefix); err != nil {
			t.Errorf("statetest: clean up %s: %v", e.Prefix, err)
		}
		_ = rdb.Close()
	})
	return e
}

// OpenMini starts a miniredis for this test only.
func OpenMini(t testing.TB, opt state.Options) *Env {
	t.Helper()
	m := miniredis.RunT(t)
	rdb := redis.NewClient(&redis.Options{Addr: m.Addr()})
	t.Cleanup(func() { _ = rdb.Close() })
	e := newEnv(rdb, opt)
	e.Mini = m
	return e
}

func newEnv(rdb redis.UniversalClient, opt state.Options) *Env {
	var b [8]byte
	_, _ = rand.Read(b[:])
	opt.Prefix = "ccmtest:" + hex.EncodeToString(b[:]) + ":"
	return &Env{Store: state.New(rdb, opt), Client: rdb, Prefix: opt.Prefix}
}

// Fresh returns another store on the same server under a new sub-prefix of
// e.Prefix, so each case of a property test starts empty without a new
// connection. opt.Prefix is ignored. Its keys go with the Env's.
func (e *Env) Fresh(opt state.Options) *state.Store {
	opt.Prefix = fmt.Sprintf("%s%d:", e.Prefix, e.subs.Add(1))
	return state.New(e.Client, opt)
}

// DeletePrefix deletes every key starting with prefix (SCAN + DEL).
func DeletePrefix(ctx context.Context, rdb redis.UniversalClient, prefix string) error {
	iter := rdb.Scan(ctx, 0, globEscape(prefix)+"*", 1000).Iterator()
	var batch []string
	for iter.Next(ctx) {
		batch = append(batch, iter.Val())
		if len(batch) == 500 {
			if err := rdb.Del(ctx, batch...).Err(); err != nil {
				return err
			}
			batch = batch[:0]
		}
	}
	if err := iter.Err(); err != nil {
		return err
	}
	if len(batch) > 0 {
		return rdb.Del(ctx, batch...).Err()
	}
	return nil
}

func globEscape(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `*`, `\*`, `?`, `\?`, `[`, `\[`, `]`, `\]`)
	return r.Replace(s)
}

// Clock is a settable clock for state.Options.Now.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock starts a clock at t.
func NewClock(t time.Time) *Clock { return &Clock{t: t} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Set moves the clock to t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// Advance moves the clock forward by d and returns the new time.
func (c *Clock) Advance(d time.Duration) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
	return c.t
}
