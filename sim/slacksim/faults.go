package slacksim

import (
	"net/http"
	"time"
)

// Fault is a misbehaviour injected with [Server.FailNext]; the first of
// these that is set applies:
//   - RetryAfter > 0: HTTP 429 with "Retry-After: N" (seconds) and
//     {"ok":false,"error":"ratelimited"}, Slack's rate limit, which
//     slack-go surfaces as *slack.RateLimitedError;
//   - Status >= 400: that HTTP status with an HTML body (Slack's 5xx pages),
//     which slack-go surfaces as slack.StatusCodeError;
//   - Error: HTTP 200 with {"ok":false,"error":Error}, e.g. "invalid_auth",
//     "channel_not_found", "ratelimited", "internal_error".
//
// The call is recorded but not applied: nothing changes in the workspace.
type Fault struct {
	RetryAfter int
	Status     int
	Error      string
	Count      int // times it applies; 0 = once, negative = until ClearFaults
}

// RateLimit answers Slack's 429 with Retry-After count times.
func RateLimit(retryAfterSeconds, count int) Fault {
	return Fault{RetryAfter: retryAfterSeconds, Count: count}
}

// ErrorCode answers {"ok":false,"error":code} count times.
func ErrorCode(code string, count int) Fault {
	return Fault{Error: code, Count: count}
}

type faultEntry struct {
	method string // "" = any
	fault  Fault
	left   int // < 0 = forever
}

// FailNext queues f for the next calls to method ("" or "*" = any method).
// Faults matching the same call apply in the order they were queued.
func (s *Server) FailNext(method string, f Fault) {
	if method == "*" {
		method = ""
	}
	left := f.Count
	if left == 0 {
		left = 1
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &faultEntry{method: method, fault: f, left: left})
}

// ClearFaults drops every queued fault.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
}

func (s *Server) takeFault(method string) *Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, e := range s.faults {
		if e.method != "" && e.method != method {
			continue
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

// reply is what the fault answers.
func (f *Fault) reply() reply {
	switch {
	case f.RetryAfter > 0:
		return reply{status: http.StatusTooManyRequests, body: slackErr("ratelimited"), retryAfter: f.RetryAfter}
	case f.Status >= 400:
		return reply{status: f.Status}
	case f.Error != "":
		return errReply(f.Error)
	}
	return errReply("internal_error")
}

// SetLatency delays every answer to method ("" = every method) by d, cut
// short if the client gives up; 0 removes it.
func (s *Server) SetLatency(method string, d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if d <= 0 {
		delete(s.latency, method)
		return
	}
	s.latency[method] = d
}

func (s *Server) latencyFor(method string) time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	if d, ok := s.latency[method]; ok {
		return d
	}
	return s.latency[""]
}
