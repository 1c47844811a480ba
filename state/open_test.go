package state_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/ccm-ci/ccm/state"
	"github.com/ccm-ci/ccm/state/statetest"
	"github.com/redis/go-redis/v9"
)

func TestOpenEmbedded(t *testing.T) {
	ctx := context.Background()
	var logs bytes.Buffer
	s, rdb, closeFn, err := state.Open(ctx, "", state.Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	addr, ok := s.Embedded()
	if !ok || addr == "" {
		t.Fatalf("Embedded() = %q, %v; want an address", addr, ok)
	}
	if c, ok := rdb.(*redis.Client); !ok || c.Options().Addr != addr {
		t.Errorf("client %T is not connected to the embedded %q", rdb, addr)
	}
	if !strings.Contains(logs.String(), "level=WARN") || !strings.Contains(logs.String(), "nothing survives a restart") {
		t.Errorf("no warning about the embedded Redis in logs:\n%s", logs.String())
	}
	if err := s.Ping(ctx); err != nil {
		t.Errorf("Ping: %v", err)
	}
	if err := s.CheckEvictionPolicy(ctx); err != nil {
		t.Errorf("CheckEvictionPolicy: %v", err)
	}
	mustCreate(t, s, failure("acme/api", 1, t0))
	if err := closeFn(); err != nil {
		t.Errorf("close: %v", err)
	}
	if err := s.Ping(ctx); err == nil {
		t.Error("Ping after close = nil, want an error")
	}
}

// Open on a URL must connect to that server, not the embedded one, so this
// needs a real Redis to point at.
func TestOpenRedis(t *testing.T) {
	url := statetest.RequireRealRedis(t)
	ctx := context.Background()
	s, _, closeFn, err := state.Open(ctx, url, state.Options{Prefix: "ccmtest:open:"})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer func() {
		if err := closeFn(); err != nil {
			t.Errorf("close: %v", err)
		}
	}()
	if _, ok := s.Embedded(); ok {
		t.Error("Embedded() = true for a real Redis")
	}
	if err := s.Ping(ctx); err != nil {
		t.Errorf("Ping: %v", err)
	}
}

func TestOpenErrorsHideThePassword(t *testing.T) {
	for _, tc := range []struct {
		name, url string
	}{
		{"not a redis url", "http://user:s3cret@example.com"},
		{"unreachable", "redis://:s3cret@127.0.0.1:1/0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
			defer cancel()
			_, _, _, err := state.Open(ctx, tc.url, state.Options{})
			if err == nil {
				t.Fatal("Open = nil error, want one")
			}
			if strings.Contains(err.Error(), "s3cret") {
				t.Errorf("error leaks the password: %v", err)
			}
		})
	}
}

// Managed Redis services often disable CONFIG: ccm warns and carries on.
// miniredis has no CONFIG either, so it stands in for such a service here.
func TestCheckEvictionPolicyWithoutConfig(t *testing.T) {
	var logs bytes.Buffer
	m := miniredis.RunT(t)
	rdb := redis.NewClient(&redis.Options{Addr: m.Addr()})
	t.Cleanup(func() { _ = rdb.Close() })
	s := state.New(rdb, state.Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err := s.CheckEvictionPolicy(context.Background()); err != nil {
		t.Errorf("CheckEvictionPolicy = %v, want nil", err)
	}
	if !strings.Contains(logs.String(), "level=WARN") || !strings.Contains(logs.String(), "noeviction") {
		t.Errorf("no warning in logs:\n%s", logs.String())
	}
	m.Close() // now the server does not answer at all: that is an error
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if err := s.CheckEvictionPolicy(ctx); err == nil {
		t.Error("CheckEvictionPolicy with Redis down = nil, want an error")
	}
}

// A server that answers but refuses (a password it wants, a database it
// lacks) is fixed in REDIS_URL: the error must not say to start Redis.
func TestOpenRefusedByServer(t *testing.T) {
	m := miniredis.RunT(t)
	m.RequireAuth("s3cret")
	for _, url := range []string{"redis://" + m.Addr() + "/0", "redis://:wrong@" + m.Addr() + "/0"} {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		_, _, _, err := state.Open(ctx, url, state.Options{})
		cancel()
		if err == nil {
			t.Fatalf("Open(%s) = nil error, want a refusal", url)
		}
		if !strings.Contains(err.Error(), "refused the connection") || !strings.Contains(err.Error(), "database number, user and password") ||
			strings.Contains(err.Error(), "check that Redis runs there") {
			t.Errorf("Open(%s) = %v, want it to point at REDIS_URL's credentials and database", url, err)
		}
	}
}

// serverReply is an error reply from Redis, as go-redis returns one.
type serverReply string

func (e serverReply) Error() string { return string(e) }
func (serverReply) RedisError()     {}

func TestRefusedByServer(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{serverReply("ERR DB index is out of range"), true},
		{serverReply("NOAUTH Authentication required."), true},
		{serverReply("WRONGPASS invalid username-password pair or user is disabled."), true},
		{serverReply("LOADING Redis is loading the dataset in memory"), false},
		{serverReply("ERR max number of clients reached"), false},
		{errors.New("dial tcp 127.0.0.1:1: connect: connection refused"), false},
	} {
		if got := state.RefusedByServer(tc.err); got != tc.want {
			t.Errorf("RefusedByServer(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}
