package llm

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ccm-ci/ccm/sim/openaisim"
)

// endless serves 200s whose body never ends (until the client hangs up),
// either as fast as possible or a byte every tick.
func endless(t *testing.T, status int, tick time.Duration) (url string, requests *atomic.Int32) {
	t.Helper()
	requests = &atomic.Int32{}
	chunk := []byte(strings.Repeat("a", 64<<10))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = w.Write([]byte(`{"id":"`))
		for r.Context().Err() == nil {
			var err error
			if tick > 0 {
				_, err = w.Write([]byte("a"))
				w.(http.Flusher).Flush()
				time.Sleep(tick)
			} else {
				_, err = w.Write(chunk)
			}
			if err != nil {
				return
			}
		}
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/v1", requests
}

func TestResponseBodyIsCapped(t *testing.T) {
	tests := []struct {
		name   string
		status int
	}{
		{"endless 200", http.StatusOK},
		{"endless 500", http.StatusInternalServerError},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			url, requests := endless(t, tt.status, 0)
			a, sl := newTestAnalyzer(t, openaisim.New(t), func(o *Options) { o.BaseURL = url })
			_, err := a.Analyze(context.Background(), baseRequest())
			if !errors.Is(err, ErrResponseTooLarge) {
				t.Fatalf("err = %v, want ErrResponseTooLarge", err)
			}
			if n := requests.Load(); n != 1 || len(sl.got()) != 0 {
				t.Errorf("requests %d, waits %v: a too large answer is not retried", n, sl.got())
			}
			if len(err.Error()) > maxErrorBytes+100 {
				t.Errorf("error is %d bytes", len(err.Error()))
			}
		})
	}
}

func TestLargeAnswerWithinTheCapIsRead(t *testing.T) {
	srv := openaisim.New(t)
	srv.Enqueue(reply(t, validAnswer()))
	a, _ := newTestAnalyzer(t, srv, func(o *Options) { o.MaxResponseBytes = 4000 })
	if _, err := a.Analyze(context.Background(), baseRequest()); err != nil {
		t.Fatalf("Analyze: %v", err)
	}
	srv.Enqueue(openaisim.Reply{Content: jsonOf(t, validAnswer()) + strings.Repeat(" ", 4000)})
	if _, err := a.Analyze(context.Background(), baseRequest()); !errors.Is(err, ErrResponseTooLarge) {
		t.Fatalf("err = %v, want ErrResponseTooLarge with a 4000-byte cap", err)
	}
}

// TestTimeoutCoversTheBody: a server that sends its headers and then
// trickles the body must not hold a request past Timeout.
func TestTimeoutCoversTheBody(t *testing.T) {
	url, requests := endless(t, http.StatusOK, 20*time.Millisecond)
	a, _ := newTestAnalyzer(t, openaisim.New(t), func(o *Options) {
		o.BaseURL = url
		o.Timeout = 200 * time.Millisecond
		o.MaxAttempts = 1
	})
	_, err := a.Analyze(context.Background(), baseRequest())
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "timed out") {
		t.Fatalf("err = %v, want a request timeout", err)
	}
	if n := requests.Load(); n != 1 {
		t.Errorf("requests = %d, want 1", n)
	}
}

func TestErrorObjectIn200(t *testing.T) {
	srv := openaisim.New(t)
	body := `{"error":{"message":"model overloaded ` + testSecret + `","type":"server_error"}}`
	for range 3 {
		srv.Enqueue(openaisim.Reply{RawBody: body})
	}
	a, sl := newTestAnalyzer(t, srv, nil)
	out := Chain{LLM: a, Rules: rulesStub(5, 90, false)}.Analyze(context.Background(), baseRequest())
	if !strings.Contains(out.FallbackReason, "model overloaded [REDACTED:github_token]") ||
		strings.Contains(out.FallbackReason, "empty") {
		t.Errorf("FallbackReason = %q, want the server's error text, redacted", out.FallbackReason)
	}
	if out.Calls != 3 || len(sl.got()) != 2 {
		t.Errorf("calls %d waits %v: an error in a 200 is retried like a 5xx", out.Calls, sl.got())
	}
}

func TestServerErrorTextIsBounded(t *testing.T) {
	srv := openaisim.New(t)
	srv.Enqueue(openaisim.Reply{Status: 400, Content: "bad \x1b[2J\x1b]8;;https://evil.example\x07 request " + strings.Repeat("x", 100_000)})
	a, _ := newTestAnalyzer(t, srv, nil)
	out := Chain{LLM: a, Rules: rulesStub(5, 90, false)}.Analyze(context.Background(), baseRequest())
	if n := len(out.FallbackReason); n > maxErrorBytes+100 || !strings.Contains(out.FallbackReason, "bad [2J]8;;https://evil.example request") {
		t.Errorf("FallbackReason (%d bytes) = %.300q", n, out.FallbackReason)
	}
	if strings.ContainsFunc(out.FallbackReason, isControl) {
		t.Errorf("FallbackReason carries control characters: %.300q", out.FallbackReason)
	}
}
