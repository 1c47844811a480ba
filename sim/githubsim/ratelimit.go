package githubsim

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
	"time"
)

const defaultRateLimit = 5000

// rateState is the primary (core) rate limit of the one token the fake
// serves.
type rateState struct {
	limit, remaining int
	reset            time.Time
}

// RateLimitRemaining sets how many requests are left until the reset. At 0
// every API request is refused with GitHub's primary-limit 403 until the
// reset time passes.
func (s *Server) RateLimitRemaining(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rate.remaining = max(n, 0)
}

// SetRateLimitReset sets when the primary limit resets.
func (s *Server) SetRateLimitReset(t time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rate.reset = t
}

// Remaining reports the requests left in the current window.
func (s *Server) Remaining() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rate.remaining
}

// rollLocked starts a new window once the reset time has passed.
func (s *Server) rollLocked() {
	if now := s.now(); !now.Before(s.rate.reset) {
		s.rate.remaining = s.rate.limit
		s.rate.reset = now.Add(time.Hour)
	}
}

func (s *Server) exhausted() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rollLocked()
	return s.rate.remaining == 0
}

// rateHeaders writes X-RateLimit-* as GitHub does on every API response;
// consume spends one request first.
func (s *Server) rateHeaders(w http.ResponseWriter, consume bool) {
	s.mu.Lock()
	s.rollLocked()
	if consume && s.rate.remaining > 0 {
		s.rate.remaining--
	}
	rs := s.rate
	s.mu.Unlock()
	h := w.Header()
	for k, v := range map[string]string{
		"X-RateLimit-Limit":     strconv.Itoa(rs.limit),
		"X-RateLimit-Remaining": strconv.Itoa(rs.remaining),
		"X-RateLimit-Reset":     strconv.FormatInt(rs.reset.Unix(), 10),
		"X-RateLimit-Used":      strconv.Itoa(rs.limit - rs.remaining),
		"X-RateLimit-Resource":  "core",
	} {
		if h.Get(k) == "" {
			h.Set(k, v)
		}
	}
}

const primaryLimitMessage = "API rate limit exceeded for user ID 1. If you reach out to GitHub Support for help, please include the request ID."

func (s *Server) writePrimaryLimit(w http.ResponseWriter, r *http.Request) {
	s.writeJSON(w, r, http.StatusForbidden, errorJSON{
		Message:          primaryLimitMessage,
		DocumentationURL: "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-the-primary-rate-limit",
	})
}

// handleRateLimit serves GET /rate_limit, which GitHub does not count.
func (s *Server) handleRateLimit(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.rollLocked()
	rs := s.rate
	s.mu.Unlock()
	core := map[string]any{
		"limit": rs.limit, "remaining": rs.remaining, "reset": rs.reset.Unix(),
		"used": rs.limit - rs.remaining, "resource": "core",
	}
	other := func(name string, limit int) map[string]any {
		return map[string]any{"limit": limit, "remaining": limit, "reset": rs.reset.Unix(), "used": 0, "resource": name}
	}
	s.writeJSON(w, r, http.StatusOK, map[string]any{
		"resources": map[string]any{
			"core": core, "search": other("search", 30), "graphql": other("graphql", 5000),
		},
		"rate": core,
	})
}

func weakETag(body []byte) string {
	sum := sha256.Sum256(body)
	return `W/"` + hex.EncodeToString(sum[:16]) + `"`
}

// etagMatches implements If-None-Match's weak comparison over a list.
func etagMatches(header, etag string) bool {
	if header == "" {
		return false
	}
	want := strings.TrimPrefix(etag, "W/")
	for _, c := range strings.Split(header, ",") {
		c = strings.TrimSpace(c)
		if c == "*" || strings.TrimPrefix(c, "W/") == want {
			return true
		}
	}
	return false
}
