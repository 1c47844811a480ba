package github

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/ccm-ci/ccm/sim/githubsim"
)

// limitStep is one rate-limit answer GitHub may give.
type limitStep struct {
	kind   string // "primary", "retry-after", "secondary" (no Retry-After)
	status int    // 403 or 429
	delay  time.Duration
}

func limitStepGen(maxDelay int) *rapid.Generator[limitStep] {
	return rapid.Custom(func(rt *rapid.T) limitStep {
		return limitStep{
			kind:   rapid.SampledFrom([]string{"primary", "retry-after", "secondary"}).Draw(rt, "kind"),
			status: rapid.SampledFrom([]int{http.StatusForbidden, http.StatusTooManyRequests}).Draw(rt, "status"),
			delay:  time.Duration(rapid.IntRange(0, maxDelay).Draw(rt, "delaySeconds")) * time.Second,
		}
	})
}

// fault is the answer, for a limit that resets delay after t0.
func (l limitStep) fault(t0 time.Time) githubsim.Fault {
	switch l.kind {
	case "primary":
		f := githubsim.PrimaryRateLimit(t0.Add(l.delay))
		f.Status = l.status
		return f
	case "retry-after":
		f := githubsim.SecondaryRateLimit(l.status, 0)
		f.Headers = map[string]string{"Retry-After": strconv.Itoa(int(l.delay / time.Second))}
		return f
	}
	return githubsim.SecondaryRateLimit(l.status, 0)
}

// secondaryWait is the expected un-jittered wait after the n-th attempt
// met a secondary limit without Retry-After: doubling from
// max(InitialBackoff, SecondaryBackoff), capped at max(that, MaxBackoff).
func secondaryWait(initial, second, maxBackoff time.Duration, n int) time.Duration {
	base := max(initial, second)
	ceiling := max(base, maxBackoff)
	d := base
	for i := 1; i < n; i++ {
		d = min(2*d, ceiling)
	}
	return d
}

// Property 5: Rate Limit Backoff — "For any GitHub API rate limit
// response, the client should implement exponential backoff and retry
// successfully within configured retry limits".
func TestProperty05_RateLimitBackoff(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		maxAttempts := rapid.IntRange(2, 6).Draw(rt, "maxAttempts")
		initial := time.Duration(rapid.IntRange(1, 2000).Draw(rt, "initialMs")) * time.Millisecond
		maxBackoff := time.Duration(rapid.IntRange(1, 600).Draw(rt, "maxBackoffSeconds")) * time.Second
		second := time.Duration(rapid.IntRange(1, 120).Draw(rt, "secondarySeconds")) * time.Second
		c, s, clock := propSetup(rt, func(o *Options) {
			o.MaxAttempts, o.InitialBackoff, o.MaxBackoff, o.SecondaryBackoff = maxAttempts, initial, maxBackoff, second
			o.MaxWait = 2 * time.Hour
		})
		s.AddRun("acme/web", failedRun(1, clock.Now()))
		steps := rapid.SliceOfN(limitStepGen(300), 1, maxAttempts-1).Draw(rt, "limits")
		t0 := clock.Now()
		for _, st := range steps {
			s.FailNext(githubsim.RouteGetRun, st.fault(t0))
		}

		if _, err := c.GetRun(context.Background(), "acme/web", 1, 0); err != nil {
			rt.Fatalf("GetRun after %d rate limits with %d attempts allowed: %v", len(steps), maxAttempts, err)
		}
		if n := len(s.RequestsTo(githubsim.RouteGetRun)); n != len(steps)+1 {
			rt.Fatalf("%d requests, want %d", n, len(steps)+1)
		}
		waits := clock.Waits()
		if len(waits) != len(steps) {
			rt.Fatalf("waits %v, want one per rate limit (%d)", waits, len(steps))
		}
		now := t0
		for i, st := range steps {
			var lo, hi time.Duration
			switch st.kind {
			case "primary":
				lo = max(t0.Add(st.delay).Sub(now), 0)
				hi = lo + time.Second
			case "retry-after":
				lo, hi = st.delay, st.delay+time.Second
			default:
				lo = secondaryWait(initial, second, maxBackoff, i+1)
				hi = lo + lo/4 + 1
			}
			if waits[i] < lo || waits[i] > hi {
				rt.Errorf("wait %d after %s %d = %v, want within [%v, %v]", i+1, st.kind, st.status, waits[i], lo, hi)
			}
			now = now.Add(waits[i])
		}
	})
}

// Property 50: GitHub Rate Limit Handling — "For any GitHub API rate limit
// response, the client should implement exponential backoff and retry".
// A limit that lifts within MaxWait is waited out and retried, never
// earlier than GitHub asked; a longer one is handed back as a *RetryError
// at the time GitHub named, and later calls do not spend requests on it.
func TestProperty50_GitHubRateLimitHandling(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		maxWait := time.Duration(rapid.IntRange(1, 1800).Draw(rt, "maxWaitSeconds")) * time.Second
		second := time.Duration(rapid.IntRange(1, 3600).Draw(rt, "secondarySeconds")) * time.Second
		c, s, clock := propSetup(rt, func(o *Options) {
			o.MaxWait, o.SecondaryBackoff, o.InitialBackoff = maxWait, second, time.Millisecond
		})
		s.AddRun("acme/web", failedRun(1, clock.Now()))
		op := drawOperation(rt, "acme/web")
		st := limitStepGen(7200).Draw(rt, "limit")
		t0 := clock.Now()
		s.FailNext(op.route, st.fault(t0))
		asked := st.delay
		if st.kind == "secondary" {
			asked = second
		}

		err := op.call(context.Background(), c)
		waits := clock.Waits()
		if asked <= maxWait {
			if err != nil {
				rt.Fatalf("%s: %v", op.name, err)
			}
			if len(waits) != 1 || waits[0] < asked {
				rt.Fatalf("waits %v, want one of at least %v", waits, asked)
			}
			if n := len(s.RequestsTo(op.route)); n != op.routeCalls+1 {
				rt.Fatalf("%d requests to %s, want %d", n, op.route, op.routeCalls+1)
			}
			return
		}
		var re *RetryError
		if !errors.As(err, &re) {
			rt.Fatalf("%s: err = %v, want a *RetryError", op.name, err)
		}
		if !re.RetryAt.Equal(t0.Add(asked)) || re.Attempts != 1 || len(waits) != 0 {
			rt.Fatalf("RetryError %+v after waits %v, want retry at %v after 1 attempt and no wait", re, waits, t0.Add(asked))
		}
		before := len(s.Requests())
		if err := op.call(context.Background(), c); !errors.As(err, &re) {
			rt.Fatalf("second %s: err = %v, want a *RetryError", op.name, err)
		}
		if after := len(s.Requests()); after != before {
			rt.Fatalf("second call made %d requests while the limit lasts", after-before)
		}
	})
}

// Property 45: API Retry Logic — "For any failed API call, the system
// should implement retry logic with configurable retry count and
// exponential backoff".
func TestProperty45_APIRetryLogic(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		maxAttempts := rapid.IntRange(1, 6).Draw(rt, "maxAttempts")
		initial := time.Duration(rapid.IntRange(1, 5000).Draw(rt, "initialMs")) * time.Millisecond
		maxBackoff := initial * time.Duration(rapid.IntRange(1, 64).Draw(rt, "maxBackoffFactor"))
		plan := rapid.SliceOfN(rapid.SampledFrom([]int{0, 500, 502, 503, 504}), 0, 8).Draw(rt, "failures")
		pt := &planTransport{plan: append([]int(nil), plan...), next: ownTransport(rt)}
		c, s, clock := propSetup(rt, func(o *Options) {
			o.MaxAttempts, o.InitialBackoff, o.MaxBackoff = maxAttempts, initial, maxBackoff
			o.HTTPClient = &http.Client{Transport: pt}
		})
		pt.s = s
		s.AddRun("acme/web", failedRun(1, clock.Now()))

		_, err := c.GetRun(context.Background(), "acme/web", 1, 0)
		waits := clock.Waits()
		tries := min(len(plan)+1, maxAttempts)
		if len(plan) < maxAttempts {
			if err != nil {
				rt.Fatalf("GetRun after %d failures with %d attempts: %v", len(plan), maxAttempts, err)
			}
		} else {
			var re *RetryError
			if !errors.As(err, &re) || re.Attempts != maxAttempts || !re.RetryAt.After(clock.Now()) {
				rt.Fatalf("err = %v, want a *RetryError after %d attempts with a future RetryAt", err, maxAttempts)
			}
		}
		if pt.count() != tries {
			rt.Fatalf("%d requests, want %d", pt.count(), tries)
		}
		if len(waits) != tries-1 {
			rt.Fatalf("waits %v, want %d (none after the last attempt)", waits, tries-1)
		}
		for i, w := range waits {
			d := initial
			for range i {
				d = min(2*d, maxBackoff)
			}
			if w < d/2 || w > d {
				rt.Errorf("wait %d = %v, want within [%v, %v]", i+1, w, d/2, d)
			}
		}
	})
}
