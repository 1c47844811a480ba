package llm

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ccm-ci/ccm/sim/openaisim"
)

func TestTransientFailuresAreRetried(t *testing.T) {
	ok := func(t *testing.T) openaisim.Reply { return reply(t, validAnswer()) }
	fail := func(status int, h map[string]string) func(*testing.T) openaisim.Reply {
		return func(*testing.T) openaisim.Reply {
			return openaisim.Reply{Status: status, Content: "try later", Headers: h}
		}
	}
	tests := []struct {
		name     string
		replies  []func(*testing.T) openaisim.Reply
		wantErr  string // "" = success
		requests int
		// waits: exact waits, or for backoff the [min,max] of each.
		waits      []time.Duration
		waitRanges [][2]time.Duration
	}{
		{
			name:     "429 with Retry-After seconds",
			replies:  []func(*testing.T) openaisim.Reply{fail(429, map[string]string{"Retry-After": "7"}), ok},
			requests: 2,
			waits:    []time.Duration{7 * time.Second},
		},
		{
			name:     "429 with retry-after-ms",
			replies:  []func(*testing.T) openaisim.Reply{fail(429, map[string]string{"retry-after-ms": "1500"}), ok},
			requests: 2,
			waits:    []time.Duration{1500 * time.Millisecond},
		},
		{
			name:       "500 twice then success",
			replies:    []func(*testing.T) openaisim.Reply{fail(500, nil), fail(500, nil), ok},
			requests:   3,
			waitRanges: [][2]time.Duration{{500 * time.Millisecond, time.Second}, {time.Second, 2 * time.Second}},
		},
		{
			name: "garbage 200 body then success",
			replies: []func(*testing.T) openaisim.Reply{
				func(*testing.T) openaisim.Reply { return openaisim.Reply{RawBody: "<html>proxy</html>"} }, ok},
			requests:   2,
			waitRanges: [][2]time.Duration{{500 * time.Millisecond, time.Second}},
		},
		{
			name:       "503 on every attempt",
			replies:    []func(*testing.T) openaisim.Reply{fail(503, nil), fail(503, nil), fail(503, nil)},
			wantErr:    "attempt 3 of 3",
			requests:   3,
			waitRanges: [][2]time.Duration{{500 * time.Millisecond, time.Second}, {time.Second, 2 * time.Second}},
		},
		{
			name:     "Retry-After beyond what a task waits",
			replies:  []func(*testing.T) openaisim.Reply{fail(429, map[string]string{"Retry-After": "3600"})},
			wantErr:  "server asks to wait 1h0m0s",
			requests: 1,
		},
		{
			name: "quota exhausted is not retried",
			replies: []func(*testing.T) openaisim.Reply{func(*testing.T) openaisim.Reply {
				return openaisim.Reply{Status: 429, Content: "You exceeded your current quota", ErrorCode: "insufficient_quota"}
			}},
			wantErr:  "quota exhausted",
			requests: 1,
		},
		{
			name:     "other 4xx is not retried",
			replies:  []func(*testing.T) openaisim.Reply{fail(404, nil)},
			wantErr:  "status code: 404",
			requests: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := openaisim.New(t)
			for _, r := range tt.replies {
				srv.Enqueue(r(t))
			}
			a, sl := newTestAnalyzer(t, srv, nil)
			got, err := a.Analyze(context.Background(), baseRequest())
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("Analyze: %v", err)
			case tt.wantErr == "" && got.Validate() != nil:
				t.Errorf("invalid result: %v", got.Validate())
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("err = %v, want it to contain %q", err, tt.wantErr)
			}
			if n := len(srv.Requests()); n != tt.requests {
				t.Errorf("server saw %d requests, want %d", n, tt.requests)
			}
			waits := sl.got()
			if tt.waitRanges == nil {
				if diff := cmp.Diff(tt.waits, waits); diff != "" {
					t.Errorf("waits (-want +got):\n%s", diff)
				}
				return
			}
			if len(waits) != len(tt.waitRanges) {
				t.Fatalf("waits = %v, want %d of them", waits, len(tt.waitRanges))
			}
			for i, w := range waits {
				if r := tt.waitRanges[i]; w < r[0] || w > r[1] {
					t.Errorf("wait %d = %v, want within %v", i, w, r)
				}
			}
		})
	}
}

// A log file has no failure ID: its error says no "analyze :" with
// nothing after it.
func TestErrorOfAFileNamesNoID(t *testing.T) {
	srv := openaisim.New(t)
	srv.Enqueue(openaisim.Reply{Status: 401, Content: "Incorrect API key provided: sk-test."})
	a, _ := newTestAnalyzer(t, srv, nil)
	req := baseRequest()
	req.FailureID = ""
	_, err := a.Analyze(context.Background(), req)
	if err == nil || strings.Contains(err.Error(), "analyze :") || !strings.Contains(err.Error(), "rejected the API key (401)") {
		t.Errorf("err = %v, want the reason without an empty ID", err)
	}
}

func TestUnauthorizedIsNotRetried(t *testing.T) {
	srv := openaisim.New(t)
	srv.Enqueue(openaisim.Reply{Status: 401, Content: "Incorrect API key provided: sk-test."})
	a, sl := newTestAnalyzer(t, srv, nil)
	_, err := a.Analyze(context.Background(), baseRequest())
	if !errors.Is(err, ErrUnauthorized) {
		t.Fatalf("err = %v, want ErrUnauthorized", err)
	}
	if !strings.Contains(err.Error(), "analyze octo/widgets#101.1: ") || !strings.Contains(err.Error(), "rejected the API key (401)") {
		t.Errorf("err = %q, want context and a clear reason", err)
	}
	if n := len(srv.Requests()); n != 1 || len(sl.got()) != 0 {
		t.Errorf("requests %d, waits %v: a 401 must not be retried", n, sl.got())
	}
}

func TestRequestTimeout(t *testing.T) {
	srv := openaisim.New(t)
	for range 2 {
		srv.Enqueue(openaisim.Reply{Content: "{}", Delay: 10 * time.Second})
	}
	a, sl := newTestAnalyzer(t, srv, func(o *Options) {
		o.Timeout = 50 * time.Millisecond
		o.MaxAnalysisTime = time.Minute // the retry, not the analysis limit, is tested here
		o.MaxAttempts = 2
	})
	_, err := a.Analyze(context.Background(), baseRequest())
	if err == nil || !strings.Contains(err.Error(), "timed out after 50ms") {
		t.Fatalf("err = %v, want a timeout", err)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v, want it to wrap context.DeadlineExceeded", err)
	}
	if n := len(srv.Requests()); n != 2 || len(sl.got()) != 1 {
		t.Errorf("requests %d, waits %v: want 2 attempts with one backoff", n, sl.got())
	}
}

func TestCallerDeadlineStopsRetries(t *testing.T) {
	srv := openaisim.New(t)
	srv.Enqueue(openaisim.Reply{Content: "{}", Delay: 10 * time.Second})
	a, sl := newTestAnalyzer(t, srv, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := a.Analyze(ctx, baseRequest())
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want context.DeadlineExceeded", err)
	}
	if n := len(srv.Requests()); n != 1 || len(sl.got()) != 0 {
		t.Errorf("requests %d, waits %v: a caller's deadline ends the analysis", n, sl.got())
	}
}

func TestRetryAfterParsing(t *testing.T) {
	tests := []struct {
		name   string
		header http.Header
		want   time.Duration
		ok     bool
	}{
		{"none", http.Header{}, 0, false},
		{"seconds", http.Header{"Retry-After": {"3"}}, 3 * time.Second, true},
		{"fractional seconds", http.Header{"Retry-After": {"0.5"}}, 500 * time.Millisecond, true},
		{"milliseconds win", http.Header{"Retry-After": {"3"}, "Retry-After-Ms": {"250"}}, 250 * time.Millisecond, true},
		{"date in the past", http.Header{"Retry-After": {"Wed, 21 Oct 2015 07:28:00 GMT"}}, 0, true},
		{"garbage", http.Header{"Retry-After": {"soon"}}, 0, false},
		{"negative", http.Header{"Retry-After": {"-4"}}, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := (&responseInfo{header: tt.header}).retryAfter()
			if got != tt.want || ok != tt.ok {
				t.Errorf("retryAfter = %v, %v; want %v, %v", got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestBackoffGrowsWithJitterAndCap(t *testing.T) {
	a := &Analyzer{timeout: time.Second}
	for attempt := 1; attempt <= 12; attempt++ {
		d := min(baseBackoff<<min(attempt-1, 10), maxBackoff)
		for range 50 {
			retry, got, _ := a.classify(errors.New("connection reset"), &responseInfo{}, attempt)
			if !retry || got < d/2 || got > d {
				t.Fatalf("classify(attempt %d) = %v, %v; want a retry within [%v, %v]", attempt, retry, got, d/2, d)
			}
		}
	}
}
