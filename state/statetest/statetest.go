// Package statetest gives tests a state.Store on real Redis or on an
// in-process miniredis, each on its own key prefix that is deleted when the
// test ends. It is the one place for store fakes: other packages' tests use
// it instead of faking the store.
//
// Which Redis the tests use is decided once per test binary, so that
// `go test ./...` passes on a machine with Go and nothing else:
//
//   - CCM_TEST_REDIS_URL=redis://host:port/db: that real Redis. It is not
//     probed: asking for a server that does not answer fails the tests.
//   - CCM_TEST_REDIS=embedded: the embedded miniredis even if a Redis
//     answers at 127.0.0.1:6379 (to try the fresh-machine case, or to keep
//     the tests off a Redis that is there for something else).
//   - otherwise: the Redis at 127.0.0.1:6379 if it answers a PING within
//     probeTimeout, else the embedded miniredis.
//
// Open gives a store on whichever backend was chosen. Tests that cannot be
// trusted on miniredis (CONFIG, eviction, real expiry, the conformance run
// against the real server) call RequireRealRedis or OpenRedis, which skip
// without a real Redis — or fail when CCM_REQUIRE_REDIS=1, which CI sets so
// that nothing is skipped there silently.
//
// The choice is printed once on stderr (seen with -v or when a package
// fails), e.g. "statetest: no Redis at 127.0.0.1:6379; using the embedded
// miniredis (set CCM_TEST_REDIS_URL to use a real one)".
package statetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/ccm-ci/ccm/internal/redisurl"
	"github.com/ccm-ci/ccm/state"
	"github.com/redis/go-redis/v9"
)

// DefaultRedisURL is the Redis probed when CCM_TEST_REDIS_URL is unset.
const DefaultRedisURL = "redis://127.0.0.1:6379/0"

// The environment variables that choose the backend (see the package doc).
const (
	EnvRedisURL     = "CCM_TEST_REDIS_URL"
	EnvBackend      = "CCM_TEST_REDIS"    // "embedded" forces miniredis
	EnvRequireRedis = "CCM_REQUIRE_REDIS" // set (not "0"/"false"): no real Redis fails instead of skipping
)

// probeTimeout bounds the PING at 127.0.0.1:6379: a local Redis answers in
// well under a millisecond, and a machine without one refuses the
// connection at once, so this only matters for a firewall that drops it.
const probeTimeout = 300 * time.Millisecond

// probeURL is the Redis probed when nothing is configured; a variable so
// the package's own test can probe a port where nothing listens.
var probeURL = DefaultRedisURL

// RedisURL is the real Redis the tests use when there is one:
// CCM_TEST_REDIS_URL, else DefaultRedisURL. Whether it is there at all is
// Real's business.
func RedisURL() string {
	if u := os.Getenv(EnvRedisURL); u != "" {
		return u
	}
	return probeURL
}

var (
	chooseOnce sync.Once
	useReal    bool
	chooseMsg  string // why, for skip messages
	chooseErr  error
)

// Real reports whether this test binary uses a real Redis (at RedisURL).
// The first call decides and says which on stderr. A misspelt setting fails
// the test rather than quietly running it on a backend nobody asked for.
func Real(t testing.TB) bool {
	t.Helper()
	chooseOnce.Do(func() {
		useReal, chooseMsg, chooseErr = choose()
		msg := chooseMsg
		if chooseErr != nil {
			msg = chooseErr.Error()
		}
		fmt.Fprintln(os.Stderr, "statetest: "+msg)
	})
	if chooseErr != nil {
		t.Fatalf("statetest: %v", chooseErr)
	}
	return useReal
}

// choose applies the rules of the package doc.
func choose() (isReal bool, msg string, err error) {
	switch b := os.Getenv(EnvBackend); b {
	case "embedded":
		return false, fmt.Sprintf("%s=embedded; using the embedded miniredis", EnvBackend), nil
	case "":
	default:
		return false, "", fmt.Errorf("%s=%q is not understood: want \"embedded\" or unset", EnvBackend, b)
	}
	if u := os.Getenv(EnvRedisURL); u != "" {
		return true, fmt.Sprintf("using Redis at %s (%s)", redact(u), EnvRedisURL), nil
	}
	if ping(probeURL) {
		return true, "using Redis at " + probeURL, nil
	}
	return false, fmt.Sprintf("no Redis at %s; using the embedded miniredis (set %s to use a real one)", hostOf(probeURL), EnvRedisURL), nil
}

func ping(url string) bool {
	opt, err := redis.ParseURL(url)
	if err != nil {
		return false
	}
	// A refused TCP connection settles it at once; go-redis would retry
	// the dial until the timeout.
	c, err := net.DialTimeout("tcp", opt.Addr, probeTimeout)
	if err != nil {
		return false
	}
	_ = c.Close()
	opt.DialTimeout, opt.ReadTimeout, opt.WriteTimeout = probeTimeout, probeTimeout, probeTimeout
	opt.MaxRetries = -1
	rdb := redis.NewClient(opt)
	defer rdb.Close()
	ctx, cancel := context.WithTimeout(context.Background(), probeTimeout)
	defer cancel()
	return rdb.Ping(ctx).Err() == nil
}

func hostOf(url string) string {
	if opt, err := redis.ParseURL(url); err == nil {
		return opt.Addr
	}
	return url
}

// redact hides a password in a Redis URL before it is printed. It parses
// the URL rather than replacing the password's text, which could match the
// scheme or host first ("redis://:redis@redis:6379").
func redact(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return "(unparsable Redis URL)"
	}
	return p.Redacted()
}

// RequireRealRedis skips the test unless the tests use a real Redis, and
// fails it instead when CCM_REQUIRE_REDIS=1, so CI cannot pass by skipping.
// It returns the URL of that Redis.
func RequireRealRedis(t testing.TB) string {
	t.Helper()
	if Real(t) {
		return RedisURL()
	}
	SkipUnlessRequired(t, fmt.Sprintf("this test needs a real Redis (%s); set %s=redis://host:port/db to run it", chooseMsg, EnvRedisURL))
	return ""
}

// SkipUnlessRequired skips the test because the Redis at hand cannot run it
// (why says so), unless CCM_REQUIRE_REDIS=1, where it fails the test.
func SkipUnlessRequired(t testing.TB, why string) {
	t.Helper()
	if required() {
		t.Fatalf("statetest: %s=1 and %s", EnvRequireRedis, why)
	}
	t.Skip("statetest: " + why)
}

// Open returns a store on the backend this test binary uses: the real Redis
// when there is one, else a fresh miniredis. Use it for every test whose
// result does not depend on which one it is (Env.Mini tells them apart).
func Open(t testing.TB, opt state.Options) *Env {
	t.Helper()
	if Real(t) {
		return OpenRedis(t, opt)
	}
	return OpenMini(t, opt)
}

// New returns a store from Open.
func New(t testing.TB) *state.Store {
	t.Helper()
	return Open(t, state.Options{}).Store
}

// Env is a store on a private prefix plus the handles a test may need.
type Env struct {
	Store  *state.Store
	Client redis.UniversalClient // the connection behind Store, for asynq or for inspection
	Prefix string                // every key of this Env starts with it
	Mini   *miniredis.Miniredis  // the embedded server; nil on real Redis

	subs atomic.Int64
}

// NewRedis returns a store on the real test Redis with a fresh prefix; see
// OpenRedis.
func NewRedis(t testing.TB) *state.Store {
	t.Helper()
	return OpenRedis(t, state.Options{}).Store
}

// NewMini returns a store on a fresh in-process miniredis.
func NewMini(t testing.TB) *state.Store {
	t.Helper()
	return OpenMini(t, state.Options{}).Store
}

// OpenRedis connects to the real test Redis, for tests that must have it:
// without one it skips the test, or fails it under CCM_REQUIRE_REDIS=1 (see
// RequireRealRedis). opt.Prefix is replaced by a random "ccmtest:<hex>:"
// prefix whose keys are deleted at cleanup.
func OpenRedis(t testing.TB, opt state.Options) *Env {
	t.Helper()
	RequireRealRedis(t)
	// The service's parser: CCM_TEST_REDIS_URL=redis+sentinel://... runs
	// the conformance tests through Sentinel's failover client.
	target, err := redisurl.Parse(RedisURL())
	if err != nil {
		t.Fatalf("statetest: parse %s: %v", redact(RedisURL()), err)
	}
	rdb := target.NewClient()
	if err := rdb.Ping(context.Background()).Err(); err != nil {
		_ = rdb.Close()
		t.Fatalf("statetest: Redis at %s does not answer (%s=%q): %v", target, EnvRedisURL, redact(os.Getenv(EnvRedisURL)), err)
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

// required reads CCM_REQUIRE_REDIS: any value but "", "0" and "false"
// counts, so a CI that writes "true" or "yes" is not silently skipped.
func required() bool {
	v := strings.ToLower(strings.TrimSpace(os.Getenv(EnvRequireRedis)))
	return v != "" && v != "0" && v != "false"
}
