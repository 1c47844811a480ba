package service

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/ccm-ci/ccm/internal/logtest"
	"github.com/ccm-ci/ccm/internal/redisurl"
	"github.com/ccm-ci/ccm/tasks"
)

// A task that ends while Redis is gone is handed back only once Redis
// answers again (or at the bound, or when its context ends), with the
// handler's own outcome; with Redis up it asks ready once (in the
// service, redisReady: two pings) and does not wait.
func TestHoldForRedis(t *testing.T) {
	handlerErr := errors.New("create failure: connection refused")
	tests := []struct {
		name     string
		downFor  time.Duration // Redis answers after this (0: all along; <0: never)
		cancelAt time.Duration // the task's context ends then (0: never)
		min, max time.Duration // how long the hold may take
	}{
		// The upper bounds are loose (a loaded CI box runs this under
		// -race); "no wait" is pinned by its single ping, the others by
		// their lower bounds.
		{"redis up: no wait", 0, 0, 0, 400 * time.Millisecond},
		{"redis back: handed back then", 300 * time.Millisecond, 0, 300 * time.Millisecond, 2 * time.Second},
		{"redis never back: the bound", -1, 0, 500 * time.Millisecond, 3 * time.Second},
		{"shutdown: at once", -1, 200 * time.Millisecond, 200 * time.Millisecond, 1500 * time.Millisecond},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			var pings atomic.Int32
			ready := func(ctx context.Context) error {
				pings.Add(1)
				if tc.downFor == 0 || tc.downFor > 0 && time.Since(start) >= tc.downFor {
					return nil
				}
				return errors.New("ping redis: connection refused")
			}
			ctx := context.Background()
			if tc.cancelAt > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tc.cancelAt)
				defer cancel()
			}
			h := holdForRedis(ready, 500*time.Millisecond, 20*time.Millisecond, slog.New(slog.DiscardHandler))(
				asynq.HandlerFunc(func(context.Context, *asynq.Task) error { return handlerErr }))
			err := h.ProcessTask(ctx, asynq.NewTask("ccm:test", nil))
			took := time.Since(start)
			if !errors.Is(err, handlerErr) {
				t.Errorf("err = %v, want the handler's", err)
			}
			if took < tc.min || took > tc.max {
				t.Errorf("handed back after %s, want between %s and %s", took, tc.min, tc.max)
			}
			if tc.downFor == 0 && pings.Load() != 1 {
				t.Errorf("%d pings with Redis up, want 1", pings.Load())
			}
		})
	}
}

// A task held through a Redis restart is handed back only once the client
// asynq moves it with reaches Redis again, not when Redis answers: that
// client's pool, after PoolSize failed dials, fails every command at once
// until its background dial (go-redis's ConnPool.tryDial, once a second)
// gets through. Here Redis comes back just after one of those dials failed,
// and the probe (a fresh client each time, so no breaker of its own) answers
// at once, about a second before asynq's client can: a task handed back then
// failed its move and sat in the active list until the recoverer.
func TestHoldForRedisWaitsForAsynqsClient(t *testing.T) {
	m := miniredis.RunT(t)
	addr := m.Addr() // Restart listens there again
	probe := func(ctx context.Context) error {
		c := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1, DialerRetries: 1})
		defer c.Close()
		return c.Ping(ctx).Err()
	}
	// asynq's client as the service builds it (state.Open), its
	// background dials watched.
	target, err := redisurl.Parse("redis://" + addr)
	if err != nil {
		t.Fatal(err)
	}
	backgroundDialFailed := make(chan struct{}, 1)
	target.Single.Dialer = func(ctx context.Context, network, address string) (net.Conn, error) {
		c, err := (&net.Dialer{}).DialContext(ctx, network, address)
		if err != nil && calledFrom(".(*ConnPool).tryDial") {
			select {
			case backgroundDialFailed <- struct{}{}:
			default:
			}
		}
		return c, err
	}
	work := target.NewClient()
	defer work.Close()

	var logs logtest.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	started, release := make(chan struct{}), make(chan struct{})
	mux := asynq.NewServeMux()
	mux.Use(holdForRedis(redisReady(probe, work), redisHoldMax, 20*time.Millisecond, log))
	mux.HandleFunc("ccm:test", func(context.Context, *asynq.Task) error {
		close(started)
		<-release
		return nil
	})
	srv := asynq.NewServerFromRedisClient(work, asynq.Config{
		Concurrency: 1, Logger: tasks.AsynqLogger{L: log}, TaskCheckInterval: 50 * time.Millisecond,
	})
	if err := srv.Start(mux); err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown()
	info, err := asynq.NewClientFromRedisClient(work).Enqueue(asynq.NewTask("ccm:test", nil), asynq.Retention(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	<-started

	m.Close()
	close(release) // the task ends while Redis is gone: held
	// Open the work client's dial breaker, as a busy service does during an
	// outage: PoolSize commands whose dials all fail.
	var wg sync.WaitGroup
	for range work.Options().PoolSize {
		wg.Go(func() { _ = work.Ping(context.Background()).Err() })
	}
	wg.Wait()
	// Restart Redis just after a background dial failed: the next is a
	// second away.
	for len(backgroundDialFailed) > 0 {
		<-backgroundDialFailed
	}
	select {
	case <-backgroundDialFailed:
	case <-time.After(10 * time.Second):
		t.Fatal("go-redis made no background dial (ConnPool.tryDial) while Redis was gone: this test no longer knows when its dial breaker closes")
	}
	if err := m.Restart(); err != nil {
		t.Fatal(err)
	}

	// Completed is asynq's own move; the recoverer would have made it a
	// retry, and only after the task's 30 s lease.
	inspector := asynq.NewInspector(asynq.RedisClientOpt{Addr: addr})
	defer inspector.Close()
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if strings.Contains(logs.String(), "Could not") {
			t.Fatalf("asynq could not move the task it was handed back:\n%s", logs.String())
		}
		ti, err := inspector.GetTaskInfo(info.Queue, info.ID)
		if err == nil && ti.State == asynq.TaskStateCompleted {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("task not completed (%v, %v):\n%s", ti, err, logs.String())
		}
	}
}

// calledFrom says whether a function whose name ends in fn is among the
// caller's callers.
func calledFrom(fn string) bool {
	pc := make([]uintptr, 64)
	frames := runtime.CallersFrames(pc[:runtime.Callers(2, pc)])
	for {
		f, more := frames.Next()
		if strings.HasSuffix(f.Function, fn) {
			return true
		}
		if !more {
			return false
		}
	}
}
