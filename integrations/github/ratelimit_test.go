package github

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ccm-ci/ccm/sim/githubsim"
)

func TestRateLimits_WaitedInProcess(t *testing.T) {
	tests := []struct {
		name    string
		fault   func(now time.Time) githubsim.Fault
		minWait time.Duration // the wait GitHub asked for
		maxWait time.Duration
	}{
		{
			name:    "primary 403 waits until reset",
			fault:   func(now time.Time) githubsim.Fault { return githubsim.PrimaryRateLimit(now.Add(30 * time.Second)) },
			minWait: 30 * time.Second, maxWait: 31 * time.Second,
		},
		{
			name: "primary 429 waits until reset",
			fault: func(now time.Time) githubsim.Fault {
				f := githubsim.PrimaryRateLimit(now.Add(5 * time.Second))
				f.Status = http.StatusTooManyRequests
				return f
			},
			minWait: 5 * time.Second, maxWait: 6 * time.Second,
		},
		{
			name: "secondary 403 with Retry-After",
			fault: func(time.Time) githubsim.Fault {
				return githubsim.SecondaryRateLimit(http.StatusForbidden, 7*time.Second)
			},
			minWait: 7 * time.Second, maxWait: 8 * time.Second,
		},
		{
			name: "secondary 429 with Retry-After",
			fault: func(time.Time) githubsim.Fault {
				return githubsim.SecondaryRateLimit(http.StatusTooManyRequests, 3*time.Second)
			},
			minWait: 3 * time.Second, maxWait: 4 * time.Second,
		},
		{
			name:    "secondary 403 without Retry-After backs off from SecondaryBackoff",
			fault:   func(time.Time) githubsim.Fault { return githubsim.SecondaryRateLimit(http.StatusForbidden, 0) },
			minWait: time.Second, maxWait: 1250 * time.Millisecond,
		},
		{
			name: "bare 429 is a secondary limit",
			fault: func(time.Time) githubsim.Fault {
				return githubsim.Fault{Status: http.StatusTooManyRequests, Body: `{"message":"Too Many Requests"}`}
			},
			minWait: time.Second, maxWait: 1250 * time.Millisecond,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, s, clock := newTestClient(t, nil)
			s.AddRun("acme/web", failedRun(1, clock.Now()))
			s.FailNext(githubsim.RouteGetRun, tt.fault(clock.Now()))
			if _, err := c.GetRun(context.Background(), "acme/web", 1, 0); err != nil {
				t.Fatalf("GetRun: %v", err)
			}
			waits := clock.Waits()
			if len(waits) != 1 {
				t.Fatalf("waits = %v, want one", waits)
			}
			if waits[0] < tt.minWait || waits[0] > tt.maxWait {
				t.Errorf("waited %v, want within [%v, %v]", waits[0], tt.minWait, tt.maxWait)
			}
			if n := len(s.RequestsTo(githubsim.RouteGetRun)); n != 2 {
				t.Errorf("%d requests, want 2", n)
			}
		})
	}
}

func TestRateLimits_BeyondMaxWaitReturnRetryError(t *testing.T) {
	tests := []struct {
		name       string
		fault      func(now time.Time) githubsim.Fault
		wantReason string
		retryIn    time.Duration
	}{
		{
			name:       "primary",
			fault:      func(now time.Time) githubsim.Fault { return githubsim.PrimaryRateLimit(now.Add(time.Hour)) },
			wantReason: "primary rate limit exhausted", retryIn: time.Hour,
		},
		{
			name: "secondary with Retry-After",
			fault: func(time.Time) githubsim.Fault {
				return githubsim.SecondaryRateLimit(http.StatusForbidden, 10*time.Minute)
			},
			wantReason: "secondary rate limit", retryIn: 10 * time.Minute,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, s, clock := newTestClient(t, nil)
			s.AddRun("acme/web", failedRun(1, clock.Now()))
			now := clock.Now()
			s.FailNext(githubsim.RouteListRuns, tt.fault(now))
			_, err := c.ListFailedRuns(context.Background(), "acme/web", time.Time{})
			var re *RetryError
			if !errors.As(err, &re) {
				t.Fatalf("err = %v, want a *RetryError", err)
			}
			if re.Reason != tt.wantReason || !re.RetryAt.Equal(now.Add(tt.retryIn)) || re.Attempts != 1 {
				t.Errorf("RetryError = %+v, want reason %q, retry at %v, 1 attempt", re, tt.wantReason, now.Add(tt.retryIn))
			}
			for _, want := range []string{"list failed runs acme/web", "GET /repos/acme/web/actions/runs", tt.wantReason, "worth trying again from"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not mention %q", err, want)
				}
			}
			if len(clock.Waits()) != 0 {
				t.Errorf("waited %v in process, want none", clock.Waits())
			}

			// The limit is remembered: the next call fails without a request.
			before := len(s.Requests())
			_, err = c.GetRun(context.Background(), "acme/web", 1, 0)
			if !errors.As(err, &re) || !re.RetryAt.Equal(now.Add(tt.retryIn)) {
				t.Errorf("next call err = %v, want a *RetryError at the same time", err)
			}
			if after := len(s.Requests()); after != before {
				t.Errorf("next call made %d requests, want none", after-before)
			}
		})
	}
}

// go-github remembers a limit reported by a successful answer and refuses
// further requests itself; that refusal must come back as a *RetryError.
func TestRateLimits_ExhaustedBySuccessfulAnswer(t *testing.T) {
	c, s, clock := newTestClient(t, func(o *Options) { o.MaxWait = time.Second })
	s.AddRun("acme/web", failedRun(1, clock.Now()))
	reset := clock.Now().Add(45 * time.Minute)
	s.SetRateLimitReset(reset)
	s.RateLimitRemaining(1)
	ctx := context.Background()
	if _, err := c.GetRun(ctx, "acme/web", 1, 0); err != nil {
		t.Fatalf("first GetRun: %v", err)
	}
	before := len(s.Requests())
	_, err := c.GetRun(ctx, "acme/web", 1, 0)
	var re *RetryError
	if !errors.As(err, &re) || !re.RetryAt.Equal(reset) {
		t.Fatalf("err = %v, want a *RetryError at %v", err, reset)
	}
	if !strings.Contains(err.Error(), "get run acme/web#1") {
		t.Errorf("error %q does not name the operation", err)
	}
	if after := len(s.Requests()); after != before {
		t.Errorf("made %d requests while the limit was exhausted", after-before)
	}
	// GET /rate_limit is not counted and still answers.
	if remaining, _, err := c.RateLimit(ctx); err != nil || remaining != 0 {
		t.Errorf("RateLimit = %d, %v; want 0, nil", remaining, err)
	}
}
