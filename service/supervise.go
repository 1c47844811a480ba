package service

import (
	"context"
	"fmt"
	"log/slog"
	"runtime/debug"
	"time"

	"github.com/ccm-ci/ccm/internal/backoff"
)

// supervisor keeps a long-running loop of the service (the scheduler, the
// notify tail, the Slack bot, the config watcher, the queue gauges) going:
// a loop that stops with an error, or panics, while the service runs is
// started again after an exponential backoff (backoff.Delay: initial,
// doubling, at most maxDelay, jittered), so a Redis or Slack outage stops
// nothing for good. A run that lasted healthy or longer starts the backoff
// over. A loop that returns nil has finished and is not started again;
// the service stopping ends it all.
type supervisor struct {
	log               *slog.Logger
	initial, maxDelay time.Duration
	healthy           time.Duration
	// sleep, now and rnd are backoff.Sleep, time.Now and the jitter
	// (nil: random); tests replace them.
	sleep func(context.Context, time.Duration) error
	now   func() time.Time
	rnd   func(int64) int64
	// started, when set, hears the name of each loop at each start.
	started func(name string)
}

func newSupervisor(log *slog.Logger) *supervisor {
	return &supervisor{log: log, initial: time.Second, maxDelay: 5 * time.Minute, healthy: 5 * time.Minute,
		sleep: backoff.Sleep, now: time.Now}
}

// run runs fn until ctx ends or fn returns nil, restarting it with
// backoff each time it fails.
func (sv *supervisor) run(ctx context.Context, name string, fn func(context.Context) error) {
	attempt := 0
	for {
		if sv.started != nil {
			sv.started(name)
		}
		start := sv.now()
		err := runSafely(ctx, fn)
		if ctx.Err() != nil {
			return
		}
		if err == nil {
			sv.log.Info(name + " finished")
			return
		}
		if sv.now().Sub(start) >= sv.healthy {
			attempt = 0
		}
		attempt++
		d := backoff.Delay(attempt, sv.initial, sv.maxDelay, sv.rnd)
		sv.log.Error(name+" stopped; restarting", "err", err, "restart", attempt, "in", d)
		if sv.sleep(ctx, d) != nil {
			return
		}
	}
}

// runSafely is fn(ctx), a panic turned into an error.
func runSafely(ctx context.Context, fn func(context.Context) error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v\n%s", r, debug.Stack())
		}
	}()
	return fn(ctx)
}
