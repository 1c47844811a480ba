package state

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/ccm-ci/ccm/internal/redisurl"
)

// DefaultPrefix starts every key ccm writes.
const DefaultPrefix = "ccm:"

// DefaultAuditMaxLen is the approximate cap on the audit stream's length.
const DefaultAuditMaxLen int64 = 1_000_000

// Query limits shared by ListFailures and QueryAudit.
const (
	DefaultLimit = 100
	MaxLimit     = 10_000
)

// Options tune a Store. The zero value is usable.
type Options struct {
	Prefix string // default "ccm:"
	// Now is the clock for timestamps the store fills in; injectable so
	// tests control time. Default time.Now.
	Now    func() time.Time
	Logger *slog.Logger
	// AuditMaxLen caps the audit stream approximately (XADD MAXLEN ~) so a
	// runaway loop cannot fill Redis; retention normally trims far sooner.
	// Default 1,000,000; negative disables the cap.
	AuditMaxLen int64
	// HistoryCap bounds each set of a fingerprint's history (sightings,
	// passes); default DefaultHistoryCap.
	HistoryCap int
}

// Store is ccm's only door to Redis. It is safe for concurrent use.
type Store struct {
	rdb    redis.UniversalClient
	k      keys
	now    func() time.Time
	log    *slog.Logger
	maxLen int64
	// historyCap bounds each ccm:history set (Options.HistoryCap).
	historyCap int
	mini       *miniredis.Miniredis // set when Open started an embedded Redis
	// probe answers Ready: a client of the same Redis that dials once and
	// never retries (nil: rdb).
	probe redis.UniversalClient
}

// New wraps an existing client.
func New(rdb redis.UniversalClient, opt Options) *Store {
	if opt.Prefix == "" {
		opt.Prefix = DefaultPrefix
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Logger == nil {
		opt.Logger = slog.Default()
	}
	if opt.AuditMaxLen == 0 {
		opt.AuditMaxLen = DefaultAuditMaxLen
	}
	if opt.HistoryCap <= 0 {
		opt.HistoryCap = DefaultHistoryCap
	}
	return &Store{
		historyCap: opt.HistoryCap,
		rdb:        rdb,
		k:          keys{p: opt.Prefix},
		now:        opt.Now,
		log:        opt.Logger.With("component", "state"),
		maxLen:     opt.AuditMaxLen,
	}
}

// Open connects to url (REDIS_URL) or, when url is empty, starts an
// embedded miniredis inside the process. It returns the client as well so
// the caller can point asynq at the same server, and a close func that
// releases the client (and the embedded server).
//
// For a real Redis it refuses an eviction policy other than noeviction:
// under allkeys-* or volatile-* Redis silently drops keys when memory runs
// out, which would lose failure records, audit entries and queued tasks.
func Open(ctx context.Context, url string, opt Options) (*Store, redis.UniversalClient, func() error, error) {
	if url == "" {
		m := miniredis.NewMiniRedis()
		if err := m.Start(); err != nil {
			return nil, nil, nil, fmt.Errorf("start embedded redis: %w", err)
		}
		rdb := redis.NewClient(&redis.Options{Addr: m.Addr()})
		s := New(rdb, opt)
		s.mini = m
		s.log.Warn("REDIS_URL is not set: using an embedded in-memory Redis; nothing survives a restart",
			"addr", m.Addr())
		closeFn := func() error {
			err := rdb.Close()
			m.Close()
			return err
		}
		return s, rdb, closeFn, nil
	}
	target, err := redisurl.Parse(url)
	if err != nil {
		// The URL may hold a password: the parser never echoes it.
		return nil, nil, nil, fmt.Errorf("parse REDIS_URL: %w", err)
	}
	// Reach the server (or a sentinel) once ourselves first: go-redis would
	// log a pool warning per failed dial (several) before its error,
	// burying the one line that says what to do.
	if err := reachable(ctx, target); err != nil {
		return nil, nil, nil, fmt.Errorf("connect to redis at %s (REDIS_URL): %w; "+
			"check that Redis runs there, or unset REDIS_URL to use an embedded in-memory Redis (nothing survives a restart)", target, err)
	}
	// With Sentinel this is go-redis's failover client: it asks the
	// sentinels for the master and follows a promotion, for the store and
	// for asynq alike (they share it).
	rdb := target.NewClient()
	s := New(rdb, opt)
	if err := s.Ping(ctx); err != nil {
		_ = rdb.Close()
		// The server was reached: an answer of its own (a database out of
		// range, a refused password) is fixed in REDIS_URL, not by
		// starting Redis.
		if RefusedByServer(err) {
			return nil, nil, nil, fmt.Errorf("redis at %s (REDIS_URL) refused the connection: %w; "+
				"check the database number, user and password in REDIS_URL", target, err)
		}
		// Say what to do: fix REDIS_URL, or drop it and run on the
		// embedded Redis (a trial, a demo) where nothing survives.
		return nil, nil, nil, fmt.Errorf("connect to redis at %s (REDIS_URL): %w; "+
			"check that Redis runs there, or unset REDIS_URL to use an embedded in-memory Redis (nothing survives a restart)", target, err)
	}
	if err := s.CheckEvictionPolicy(ctx); err != nil {
		_ = rdb.Close()
		return nil, nil, nil, err
	}
	probeTarget := target.Clone()
	probeTarget.DialOnce()
	s.probe = probeTarget.NewClient()
	closeFn := func() error { return errors.Join(s.probe.Close(), rdb.Close()) }
	return s, rdb, closeFn, nil
}

// Embedded returns the address of the embedded Redis Open started, if any.
func (s *Store) Embedded() (addr string, ok bool) {
	if s.mini == nil {
		return "", false
	}
	return s.mini.Addr(), true
}

// Ping checks that Redis answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.rdb.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("ping redis: %w", err)
	}
	return nil
}

// Ready is Ping for a readiness probe: on a client that dials once and
// does not retry, so a probe hears at once that Redis is gone instead of
// after the retries the work's own client rides a restart out with.
func (s *Store) Ready(ctx context.Context) error {
	c := s.probe
	if c == nil {
		c = s.rdb
	}
	if err := c.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("ping redis: %w", err)
	}
	return nil
}

// CheckEvictionPolicy returns an error unless Redis runs with
// maxmemory-policy noeviction. Managed Redis services often disable CONFIG;
// then it logs a warning and returns nil, since ccm cannot tell.
func (s *Store) CheckEvictionPolicy(ctx context.Context) error {
	if s.mini != nil {
		return nil // miniredis never evicts
	}
	res, err := s.rdb.ConfigGet(ctx, "maxmemory-policy").Result()
	if err != nil {
		var refused redis.Error // the server answered, with a refusal
		if !errors.As(err, &refused) {
			return fmt.Errorf("check maxmemory-policy: %w", err)
		}
		s.log.Warn("cannot read maxmemory-policy (CONFIG disabled?); make sure it is noeviction or Redis may silently drop ccm's state and tasks",
			"err", err)
		return nil
	}
	policy, ok := res["maxmemory-policy"]
	if !ok {
		s.log.Warn("redis did not report maxmemory-policy; make sure it is noeviction")
		return nil
	}
	if policy != "noeviction" {
		return fmt.Errorf("redis maxmemory-policy is %q: Redis would silently evict ccm's failure records, audit entries and queued tasks when memory runs out; set maxmemory-policy noeviction", policy)
	}
	return nil
}

// keys builds every key name, so the layout in doc.go lives in one place.
type keys struct{ p string }

func (k keys) failure(id string) string        { return k.p + "failure:" + id }
func (k keys) failures() string                { return k.p + "failures" }
func (k keys) repoFailures(repo string) string { return k.p + "failures:repo:" + repo }
func (k keys) processed() string               { return k.p + "processed" }
func (k keys) cursors() string                 { return k.p + "cursors" }
func (k keys) cache(fingerprint string) string { return k.p + "cache:analysis:" + fingerprint }
func (k keys) audit() string                   { return k.p + "audit" }
func (k keys) auditLastID() string             { return k.p + "audit:last-id" }
func (k keys) auditMaxLag() string             { return k.p + "audit:max-lag-ms" }
func (k keys) metrics(failureID string) string { return k.p + "metrics:" + failureID }
func (k keys) metricsIndex() string            { return k.p + "metrics" }
func (k keys) settings() string                { return k.p + "settings" }
func (k keys) lease(name string) string        { return k.p + "lease:" + name }
func (k keys) counter(name string) string      { return k.p + "count:" + name }
func (k keys) scorecard(repo string) string    { return k.p + "scorecard:" + repo }
func (k keys) scorecards() string              { return k.p + "scorecards" }

// auditKeys are the three keys every script that writes an audit entry
// receives, in the order the auditLua helper expects them.
func (k keys) auditKeys() []string {
	return []string{k.audit(), k.auditLastID(), k.auditMaxLag()}
}

// repoOf recovers the repository from a failure ID ("owner/repo#run.attempt")
// for index cleanup when the record itself is gone.
func repoOf(id string) string {
	repo, _, _ := strings.Cut(id, "#")
	return repo
}

// clampLimit applies the shared default and maximum.
func clampLimit(n int) int {
	switch {
	case n <= 0:
		return DefaultLimit
	case n > MaxLimit:
		return MaxLimit
	}
	return n
}

// reachable dials the server, or each sentinel until one answers, bounded
// by the client's dial timeout.
func reachable(ctx context.Context, t redisurl.Target) error {
	timeout := 5 * time.Second
	if t.Single != nil && t.Single.DialTimeout > 0 {
		timeout = t.Single.DialTimeout
	}
	if t.Failover != nil && t.Failover.DialTimeout > 0 {
		timeout = t.Failover.DialTimeout
	}
	// Any one sentinel answering is enough: it names the master.
	var errs []error
	for _, addr := range t.Addrs() {
		d := net.Dialer{Timeout: timeout}
		conn, err := d.DialContext(ctx, t.Network(), addr)
		if err == nil {
			return conn.Close()
		}
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// RefusedByServer reports whether Redis answered a connection's first
// command with a refusal that REDIS_URL fixes: a database out of range, a
// missing or wrong password, a user without permission. Other replies
// (LOADING, MASTERDOWN, too many clients) pass by themselves or need the
// server's operator, and are reported as they are.
func RefusedByServer(err error) bool {
	var reply redis.Error
	if !errors.As(err, &reply) {
		return false
	}
	msg := reply.Error()
	return strings.HasPrefix(msg, "NOAUTH") || strings.HasPrefix(msg, "WRONGPASS") || strings.HasPrefix(msg, "NOPERM") ||
		strings.Contains(msg, "DB index is out of range") || strings.Contains(msg, "invalid DB index") ||
		strings.Contains(msg, "invalid password") || strings.Contains(msg, "invalid username-password")
}
