package service

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/ccm-ci/ccm/config"
	"github.com/ccm-ci/ccm/internal/backoff"
	"github.com/ccm-ci/ccm/sim/githubsim"
)

// TestProperty44_ServiceRecovery: "For any monitoring service failure, the
// service should automatically restart with exponential backoff". Any loop
// the service runs (each goes through Start's goRun into supervisor.run)
// that fails N times — an error or a panic — and then runs is started
// N+1 times; before restart k it waits backoff.Delay(k): with the jitter
// at its top exactly initial·2^(k-1) capped at maxDelay, so the waits
// never shrink, and with any jitter between half and all of that. A run
// that lasted the healthy time starts the count over. A loop that ends
// with nil is not restarted, and the service stopping ends the loop
// during a wait. The clock and the sleep are fakes: nothing waits.
func TestProperty44_ServiceRecovery(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		initial := time.Duration(rapid.IntRange(1, 5000).Draw(rt, "initial_ms")) * time.Millisecond
		maxDelay := initial * time.Duration(rapid.IntRange(1, 1000).Draw(rt, "max_factor"))
		healthy := time.Duration(rapid.IntRange(1, 600).Draw(rt, "healthy_s")) * time.Second
		topJitter := rapid.Bool().Draw(rt, "top_jitter")
		n := rapid.IntRange(0, 12).Draw(rt, "failures")
		ranLong := rapid.SliceOfN(rapid.Bool(), n, n).Draw(rt, "ran_long")
		panics := rapid.SliceOfN(rapid.Bool(), n, n).Draw(rt, "panics")
		end := rapid.SampledFrom([]string{"nil", "stop"}).Draw(rt, "end")

		clock := time.Unix(0, 0)
		var delays []time.Duration
		sv := &supervisor{log: slog.New(slog.NewTextHandler(io.Discard, nil)), initial: initial, maxDelay: maxDelay, healthy: healthy,
			now: func() time.Time { return clock },
			sleep: func(_ context.Context, d time.Duration) error {
				delays = append(delays, d)
				clock = clock.Add(d)
				return nil
			}}
		if topJitter {
			sv.rnd = func(n int64) int64 { return n - 1 }
		}
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		calls := 0
		sv.run(ctx, "loop", func(ctx context.Context) error {
			i := calls
			calls++
			if i < n {
				if ranLong[i] {
					clock = clock.Add(healthy)
				} else {
					clock = clock.Add(healthy / 2)
				}
				if panics[i] {
					panic("loop broke")
				}
				return errors.New("redis: connection refused")
			}
			if end == "stop" {
				cancel()
				return ctx.Err()
			}
			return nil
		})
		if calls != n+1 {
			rt.Fatalf("%d failures: the loop ran %d times, want %d", n, calls, n+1)
		}
		if len(delays) != n {
			rt.Fatalf("%d failures, %d waits", n, len(delays))
		}
		attempt := 0
		for k, d := range delays {
			if ranLong[k] {
				attempt = 0
			}
			attempt++
			exp := backoff.Exp(attempt, initial, maxDelay)
			if d < exp/2 || d > exp {
				rt.Fatalf("wait %d (restart %d) is %v, want within [%v, %v]", k, attempt, d, exp/2, exp)
			}
			if topJitter && d != exp {
				rt.Fatalf("wait %d (restart %d) is %v with the jitter at its top, want %v", k, attempt, d, exp)
			}
			if topJitter && k > 0 && !ranLong[k] && d < delays[k-1] {
				rt.Fatalf("waits shrank: %v", delays)
			}
		}
	})
}

// TestSupervisorStopsDuringWait: the service stopping during a backoff
// wait ends the loop without another start.
func TestSupervisorStopsDuringWait(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	sv := newSupervisor(slog.New(slog.NewTextHandler(io.Discard, nil)))
	sv.sleep = func(ctx context.Context, d time.Duration) error { cancel(); return backoff.Sleep(ctx, d) }
	calls := 0
	sv.run(ctx, "loop", func(context.Context) error { calls++; return errors.New("down") })
	if calls != 1 {
		t.Fatalf("the loop ran %d times after the service stopped", calls)
	}
}

// TestStartSupervisesEveryLoop: the loops Start runs (here the worker and
// scheduler roles' queue gauges and scheduler, and the config watcher
// with its SIGHUP reload) all go through the supervisor.
func TestStartSupervisesEveryLoop(t *testing.T) {
	gh := githubsim.New(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "ccm.yaml")
	if err := os.WriteFile(path, []byte("repositories:\n  - name: acme/web\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc, err := New(context.Background(), Options{
		Env: config.Env{GitHubToken: "ghp_test", GitHubAPIURL: gh.URL}, Config: config.Default(), ConfigPath: path,
		Roles: []Role{RoleWorker, RoleScheduler}, Logger: log,
	})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	seen := map[string]bool{}
	all := make(chan struct{})
	want := []string{"config watcher", "config reload on SIGHUP", "queue stats", "scheduler"}
	svc.supervisor = newSupervisor(log)
	svc.supervisor.started = func(name string) {
		mu.Lock()
		defer mu.Unlock()
		seen[name] = true
		for _, w := range want {
			if !seen[w] {
				return
			}
		}
		select {
		case <-all:
		default:
			close(all)
		}
	}
	if err := svc.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer svc.Shutdown()
	select {
	case <-all:
	case <-time.After(30 * time.Second):
		mu.Lock()
		defer mu.Unlock()
		t.Fatalf("loops started through the supervisor: %v, want %v", seen, want)
	}
}
