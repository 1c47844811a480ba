package github

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ccm-ci/ccm/sim/githubsim"
)

// flakyTransport fails the first n requests with a network error.
type flakyTransport struct {
	mu   sync.Mutex
	n    int
	next http.RoundTripper
}

func (f *flakyTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	f.mu.Lock()
	fail := f.n > 0
	f.n--
	f.mu.Unlock()
	if fail {
		return nil, errors.New("connection reset by peer")
	}
	return f.next.RoundTrip(req)
}

func TestRetry_ServerAndNetworkErrors(t *testing.T) {
	tests := []struct {
		name         string
		serverErrors int // 502s before success
		netErrors    int // network errors before success
		wantErr      bool
		wantStatus   int
		wantReason   string
	}{
		{name: "no error"},
		{name: "two 502s then success", serverErrors: 2},
		{name: "502 every time", serverErrors: 10, wantErr: true, wantStatus: 502, wantReason: "server error"},
		{name: "one network error then success", netErrors: 1},
		{name: "network error every time", netErrors: 10, wantErr: true, wantReason: "network error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			flaky := &flakyTransport{n: tt.netErrors, next: http.DefaultTransport}
			c, s, clock := newTestClient(t, func(o *Options) { o.HTTPClient = &http.Client{Transport: flaky} })
			s.AddRun("acme/web", failedRun(1, clock.Now()))
			if tt.serverErrors > 0 {
				s.FailNext(githubsim.RouteGetRun, githubsim.Fault{Status: 502, Body: `{"message":"Server Error"}`, Count: tt.serverErrors})
			}
			_, err := c.GetRun(context.Background(), "acme/web", 1, 0)
			failures := tt.serverErrors + tt.netErrors
			if !tt.wantErr {
				if err != nil {
					t.Fatalf("GetRun: %v", err)
				}
				if got := len(clock.Waits()); got != failures {
					t.Errorf("%d waits, want %d", got, failures)
				}
				return
			}
			var re *RetryError
			if !errors.As(err, &re) {
				t.Fatalf("err = %v, want a *RetryError", err)
			}
			if re.Attempts != 3 || re.Status != tt.wantStatus || re.Reason != tt.wantReason || !re.RetryAt.After(clock.Now()) {
				t.Errorf("RetryError = %+v, want 3 attempts, status %d, reason %q, a future RetryAt", re, tt.wantStatus, tt.wantReason)
			}
			if got := len(clock.Waits()); got != 2 {
				t.Errorf("%d waits, want 2 (none after the last attempt)", got)
			}
			if !strings.HasPrefix(err.Error(), "get run acme/web#1: GET /repos/acme/web/actions/runs/1: "+tt.wantReason+" after 3 attempts") {
				t.Errorf("error = %q", err)
			}
		})
	}
}

func TestRetry_NotForNonIdempotentServerErrors(t *testing.T) {
	c, s, clock := newTestClient(t, nil)
	s.AddRun("acme/web", failedRun(1, clock.Now()))
	s.FailNext(githubsim.RouteRerunFailedJobs, githubsim.ServerError(502))
	_, err := c.gh.Actions.RerunFailedJobsByID(context.Background(), "acme", "web", 1)
	if err == nil {
		t.Fatal("rerun succeeded, want the 502")
	}
	if n := len(s.RequestsTo(githubsim.RouteRerunFailedJobs)); n != 1 {
		t.Errorf("POST sent %d times, want once (it may have been processed)", n)
	}
}

func TestRetry_RateLimitedPostIsRepeated(t *testing.T) {
	c, s, clock := newTestClient(t, nil)
	s.AddRun("acme/web", failedRun(1, clock.Now()))
	s.FailNext(githubsim.RouteRerunFailedJobs, githubsim.SecondaryRateLimit(http.StatusForbidden, time.Second))
	if _, err := c.gh.Actions.RerunFailedJobsByID(context.Background(), "acme", "web", 1); err != nil {
		t.Fatalf("rerun: %v", err)
	}
	if n := len(s.RequestsTo(githubsim.RouteRerunFailedJobs)); n != 2 {
		t.Errorf("POST sent %d times, want 2", n)
	}
}

func TestRetry_ContextCancelledDuringWait(t *testing.T) {
	c, s, _ := newTestClient(t, func(o *Options) { o.Sleep = nil; o.Now = nil; o.InitialBackoff = time.Hour; o.MaxBackoff = time.Hour })
	s.AddRepo("acme/web")
	s.FailNext(githubsim.RouteGetRun, githubsim.ServerError(503))
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := c.GetRun(ctx, "acme/web", 1, 0)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v, want context.DeadlineExceeded", err)
	}
}

func TestBackoffBounds(t *testing.T) {
	p := &policy{initial: time.Second, maxBackoff: 10 * time.Second, second: time.Minute}
	tests := []struct {
		name   string
		n      int
		lo, hi time.Duration
	}{
		{name: "first", n: 1, lo: 500 * time.Millisecond, hi: time.Second},
		{name: "second doubles", n: 2, lo: time.Second, hi: 2 * time.Second},
		{name: "capped", n: 9, lo: 5 * time.Second, hi: 10 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for range 200 {
				if d := p.backoff(tt.n); d < tt.lo || d > tt.hi {
					t.Fatalf("backoff(%d) = %v, want within [%v, %v]", tt.n, d, tt.lo, tt.hi)
				}
			}
		})
	}
	if d := p.secondaryDelay(1); d != time.Minute {
		t.Errorf("secondaryDelay(1) = %v, want 1m (GitHub asks for at least a minute)", d)
	}
	if d := p.secondaryDelay(3); d != time.Minute {
		t.Errorf("secondaryDelay(3) = %v, want 1m (capped at max(base, MaxBackoff))", d)
	}
}
