package githubsim

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Fault is a misbehaviour injected with [Server.FailNext]. Exactly one mode
// applies, checked in this order:
//   - Hang: send nothing until the client gives up (a request that times
//     out);
//   - Disconnect: close the connection without answering (net/http's
//     client silently repeats an idempotent request that failed so on a
//     reused connection, so give it Count 2 to be sure a client sees it);
//   - BreakAfterBytes > 0: serve the real response but cut the connection
//     after that many body bytes (a download that breaks mid-stream);
//   - StallAfterBytes > 0: serve that many body bytes, then send nothing
//     more until the client gives up (a download that hangs);
//   - otherwise answer Status (0 = 500) with Headers and Body instead of
//     the real response. A 200 with a Body serves that body verbatim
//     (garbage JSON, unexpected runs).
//
// X-RateLimit-* headers the fault does not set are filled in as usual.
//
// Apply runs the real handler first, so the change takes effect, and only
// then misbehaves: a write GitHub committed whose answer was lost (Hang,
// Disconnect) or replaced by an error (Status). That is the case a client
// must not blindly repeat.
type Fault struct {
	Status  int
	Headers map[string]string
	Body    string
	Count   int // times it applies; 0 = once, negative = until ClearFaults
	// Skip lets that many matching requests through untouched first: a
	// read that fails only after the reads before a write went well.
	Skip            int
	BreakAfterBytes int
	StallAfterBytes int
	Disconnect      bool
	Hang            bool
	Apply           bool
}

// WithCount returns f applying n times (negative = until ClearFaults).
func (f Fault) WithCount(n int) Fault {
	f.Count = n
	return f
}

type faultEntry struct {
	method, route string // "" method = any; "*" route = any
	fault         Fault
	left          int // < 0 = forever
	skip          int
}

// FailNext queues f for the next requests to route. route is a Route*
// constant ("GET /repos/{owner}/{repo}/actions/runs"), a path template
// without method (any method), or "*" for every request. Faults for the
// same request apply in the order they were queued.
func (s *Server) FailNext(route string, f Fault) {
	method, path, ok := strings.Cut(route, " ")
	if !ok {
		method, path = "", route
	}
	left := f.Count
	if left == 0 {
		left = 1
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &faultEntry{method: method, route: path, fault: f, left: left, skip: f.Skip})
}

// ClearFaults drops every queued fault.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
}

func (s *Server) takeFault(method, route string) *Fault {
	_, path, _ := strings.Cut(route, " ")
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, e := range s.faults {
		if (e.route != "*" && e.route != path) || (e.method != "" && e.method != method) {
			continue
		}
		if e.skip > 0 {
			e.skip--
			return nil
		}
		f := e.fault
		if e.left > 0 {
			e.left--
			if e.left == 0 {
				s.faults = append(s.faults[:i:i], s.faults[i+1:]...)
			}
		}
		return &f
	}
	return nil
}

// applyFault answers with f, or returns the writer the real handler should
// use (nil when the fault already answered).
func (s *Server) applyFault(w http.ResponseWriter, r *http.Request, f *Fault) http.ResponseWriter {
	switch {
	case f.StallAfterBytes > 0:
		return &stallWriter{ResponseWriter: w, left: f.StallAfterBytes, done: r.Context().Done()}
	case f.Hang:
		<-r.Context().Done()
		return nil
	case f.Disconnect:
		if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
			_ = conn.Close()
		}
		return nil
	case f.BreakAfterBytes > 0:
		return &breakWriter{ResponseWriter: w, left: f.BreakAfterBytes}
	}
	status := f.Status
	if status == 0 {
		status = http.StatusInternalServerError
	}
	h := w.Header()
	for k, v := range f.Headers {
		h.Set(k, v)
	}
	if h.Get("Content-Type") == "" {
		h.Set("Content-Type", "application/json; charset=utf-8")
	}
	s.rateHeaders(w, false)
	w.WriteHeader(status)
	_, _ = w.Write([]byte(f.Body))
	return nil
}

// hangUp puts what was written on the wire, then closes the connection
// underneath (Hijack alone would drop the buffered part).
func hangUp(w http.ResponseWriter) {
	rc := http.NewResponseController(w)
	_ = rc.Flush()
	if conn, _, err := rc.Hijack(); err == nil {
		_ = conn.Close()
	}
}

var errBroken = errors.New("githubsim: connection cut by fault")

// stallWriter passes through left bytes of body, then blocks until the
// request ends (the client gave up or the server closed).
type stallWriter struct {
	http.ResponseWriter
	left int
	done <-chan struct{}
}

func (s *stallWriter) Write(p []byte) (int, error) {
	if len(p) > s.left {
		p = p[:s.left]
	}
	n, err := s.ResponseWriter.Write(p)
	s.left -= n
	if err == nil && s.left == 0 {
		_ = http.NewResponseController(s.ResponseWriter).Flush()
		<-s.done
		return n, errBroken
	}
	return n, err
}

func (s *stallWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// breakWriter passes through left bytes of body, then cuts the connection.
type breakWriter struct {
	http.ResponseWriter
	left   int
	broken bool
}

func (b *breakWriter) Write(p []byte) (int, error) {
	if b.broken {
		return 0, errBroken
	}
	if len(p) <= b.left {
		n, err := b.ResponseWriter.Write(p)
		b.left -= n
		return n, err
	}
	n, _ := b.ResponseWriter.Write(p[:b.left])
	b.left = 0
	b.broken = true
	hangUp(b.ResponseWriter)
	return n, errBroken
}

// Unwrap lets http.ResponseController reach the real writer.
func (b *breakWriter) Unwrap() http.ResponseWriter { return b.ResponseWriter }

// PrimaryRateLimit is GitHub's answer when the token's hourly quota is
// spent: 403, X-RateLimit-Remaining 0 and the reset time.
func PrimaryRateLimit(reset time.Time) Fault {
	return Fault{
		Status: http.StatusForbidden,
		Headers: map[string]string{
			"X-RateLimit-Limit":     "5000",
			"X-RateLimit-Remaining": "0",
			"X-RateLimit-Used":      "5000",
			"X-RateLimit-Reset":     strconv.FormatInt(reset.Unix(), 10),
		},
		Body: `{"message":"` + primaryLimitMessage + `","documentation_url":"https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-the-primary-rate-limit"}`,
	}
}

// SecondaryRateLimit is GitHub's answer to too many requests too fast:
// status 403 or 429, with Retry-After when retryAfter > 0.
func SecondaryRateLimit(status int, retryAfter time.Duration) Fault {
	f := Fault{
		Status: status,
		Body:   `{"message":"You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID.","documentation_url":"https://docs.github.com/free-pro-team@latest/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits"}`,
	}
	if retryAfter > 0 {
		f.Headers = map[string]string{"Retry-After": strconv.Itoa(int(retryAfter / time.Second))}
	}
	return f
}

// ServerError is a 5xx with GitHub's error body.
func ServerError(status int) Fault {
	return Fault{Status: status, Body: `{"message":"Server Error"}`}
}

// Timeout is a request that gets no answer until the client gives up; with
// applied the change was made first (GitHub committed, then hung).
func Timeout(applied bool) Fault {
	return Fault{Hang: true, Apply: applied}
}

// NoPermission is GitHub's 403 for a token that may read but not write:
// what a GITHUB_TOKEN or App installation without the write permission
// gets.
func NoPermission() Fault {
	return Fault{Status: http.StatusForbidden, Body: `{"message":"Resource not accessible by integration","documentation_url":"https://docs.github.com/rest"}`}
}

// NotFound is GitHub's 404 (a deleted run, a missing commit, a repository
// the token cannot see).
func NotFound() Fault {
	return Fault{Status: http.StatusNotFound, Body: `{"message":"Not Found","documentation_url":"https://docs.github.com/rest"}`}
}
