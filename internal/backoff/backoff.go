// Package backoff is ccm's one retry delay: exponential growth, a cap, and
// jitter between half and all of the delay, plus a sleep that a context
// can cut short. The GitHub client, the LLM client and the task queue all
// use it, so a change to how ccm backs off is made once.
package backoff

import (
	"context"
	"math/rand/v2"
	"time"
)

// Exp is the un-jittered delay before retry number attempt (1-based):
// initial·2^(attempt-1), at most maxD (never less than initial). Callers
// that must wait at least a server-given minimum use it directly.
func Exp(attempt int, initial, maxD time.Duration) time.Duration {
	if initial <= 0 {
		return 0
	}
	maxD = max(maxD, initial)
	d := initial
	for i := 1; i < attempt && d < maxD; i++ {
		if d > maxD/2 {
			return maxD // doubling would pass the cap (or overflow)
		}
		d *= 2
	}
	return d
}

// Delay is Exp with full jitter over its upper half: uniformly between
// half and all of it, so replicas that failed together do not retry in
// step. rnd(n) must return a value in [0, n); nil means math/rand/v2.
func Delay(attempt int, initial, maxD time.Duration, rnd func(n int64) int64) time.Duration {
	if rnd == nil {
		rnd = rand.Int64N
	}
	d := Exp(attempt, initial, maxD)
	return d/2 + time.Duration(rnd(int64(d/2)+1))
}

// Sleep waits d, or returns the context's cause as soon as it is done.
// A non-positive d returns at once (with the cause if ctx is done).
func Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return context.Cause(ctx)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}
