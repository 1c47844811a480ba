package github

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ccm-ci/ccm/internal/backoff"
)

// rateJitter spreads the wake-ups of replicas that waited for the same
// rate-limit reset.
const rateJitter = time.Second

// policy is the retry arithmetic, shared by the transport and the log
// download.
type policy struct {
	maxAttempts                          int
	initial, maxBackoff, maxWait, second time.Duration
	sleep                                func(context.Context, time.Duration) error
	now                                  func() time.Time
	log                                  *slog.Logger
}

func randDur(n time.Duration) time.Duration {
	if n <= 0 {
		return 0
	}
	return time.Duration(rand.Int64N(int64(n)))
}

// backoff is the wait after the n-th failed attempt of a server or network
// error: exponential from InitialBackoff, capped at MaxBackoff, jittered
// between half and all of it so replicas do not retry in step.
func (p *policy) backoff(n int) time.Duration {
	return backoff.Delay(n, p.initial, p.maxBackoff, nil)
}

// secondaryDelay is the un-jittered wait after a secondary rate limit
// without Retry-After. GitHub asks for at least a minute, so it starts at
// max(InitialBackoff, SecondaryBackoff) and may exceed MaxBackoff.
func (p *policy) secondaryDelay(n int) time.Duration {
	return backoff.Exp(n, max(p.initial, p.second), p.maxBackoff)
}

// retryTransport retries what GitHub says will pass: rate limits (until
// the reset / Retry-After, when that is within MaxWait) and, for idempotent
// requests, 5xx answers and network errors with exponential backoff. What
// still fails becomes a *RetryError carrying when to try again. It also
// remembers an exhausted limit so later requests wait or fail fast without
// spending a request.
type retryTransport struct {
	next     http.RoundTripper
	p        *policy
	basePath string

	mu      sync.Mutex
	blocked map[string]time.Time // rate-limit resource ("core", …, "secondary") → until
}

// verdict is why and how long to wait before the next attempt.
type verdict struct {
	reason    string
	wait      time.Duration // jittered wait before the next attempt
	limitWait time.Duration // the wait GitHub asked for, compared with MaxWait
	retryAt   time.Time
	status    int
	err       error
}

func (t *retryTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	op := req.Method + " " + apiPath(t.basePath, req.URL.Path)
	if err := t.waitBlocked(ctx, req, op); err != nil {
		if req.Body != nil {
			_ = req.Body.Close()
		}
		return nil, err
	}
	canReplay := req.Body == nil || req.Body == http.NoBody || req.GetBody != nil
	for attempt := 1; ; attempt++ {
		r, err := rewind(req, attempt)
		if err != nil {
			return nil, err
		}
		resp, err := t.next.RoundTrip(r)
		if err != nil && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		t.remember(req, resp)
		v, retry := t.judge(req, resp, err, attempt)
		if !retry {
			return resp, err
		}
		drain(resp)
		if v.limitWait > t.p.maxWait || attempt >= t.p.maxAttempts || !canReplay {
			return nil, &RetryError{Op: op, Reason: v.reason, Status: v.status, Attempts: attempt, RetryAt: v.retryAt, Err: v.err}
		}
		t.p.log.Warn("github request retrying", "op", op, "reason", v.reason, "status", v.status,
			"attempt", attempt, "wait", v.wait)
		if err := t.p.sleep(ctx, v.wait); err != nil {
			return nil, err
		}
	}
}

func rewind(req *http.Request, attempt int) (*http.Request, error) {
	if attempt == 1 {
		return req, nil
	}
	r := req.Clone(req.Context())
	if req.GetBody != nil {
		body, err := req.GetBody()
		if err != nil {
			return nil, err
		}
		r.Body = body
	}
	return r, nil
}

func idempotent(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodPut, http.MethodDelete:
		return true
	}
	return false
}

// judge decides whether an answer is worth another attempt. A rate-limited
// request was not processed, so it may be repeated whatever its method; a
// 5xx or network error only for idempotent ones.
func (t *retryTransport) judge(req *http.Request, resp *http.Response, err error, attempt int) (verdict, bool) {
	now := t.p.now()
	idem := idempotent(req.Method)
	if err != nil {
		if !idem {
			return verdict{}, false
		}
		d := t.p.backoff(attempt)
		return verdict{reason: "network error", wait: d, retryAt: now.Add(d), err: err}, true
	}
	code := resp.StatusCode
	switch {
	case code == http.StatusForbidden || code == http.StatusTooManyRequests:
		serr := &statusError{status: code, message: peekMessage(resp)}
		if resp.Header.Get("X-RateLimit-Remaining") == "0" {
			reset := parseUnix(resp.Header.Get("X-RateLimit-Reset"))
			if reset.IsZero() {
				reset = now.Add(t.p.secondaryDelay(attempt))
			}
			raw := max(reset.Sub(now), 0)
			return verdict{reason: "primary rate limit exhausted", wait: raw + randDur(rateJitter),
				limitWait: raw, retryAt: reset, status: code, err: serr}, true
		}
		if ra, ok := retryAfter(resp.Header.Get("Retry-After"), now); ok {
			t.block("secondary", now.Add(ra))
			return verdict{reason: "secondary rate limit", wait: ra + randDur(rateJitter),
				limitWait: ra, retryAt: now.Add(ra), status: code, err: serr}, true
		}
		if code == http.StatusTooManyRequests || secondaryMessage(serr.message) {
			d := t.p.secondaryDelay(attempt)
			t.block("secondary", now.Add(d))
			return verdict{reason: "secondary rate limit", wait: d + randDur(d/4+1),
				limitWait: d, retryAt: now.Add(d), status: code, err: serr}, true
		}
	case code >= 500 && idem:
		d := t.p.backoff(attempt)
		return verdict{reason: "server error", wait: d, retryAt: now.Add(d), status: code,
			err: &statusError{status: code, message: peekMessage(resp)}}, true
	}
	return verdict{}, false
}

func secondaryMessage(msg string) bool {
	m := strings.ToLower(msg)
	return strings.Contains(m, "secondary rate limit") || strings.Contains(m, "abuse")
}

// remember tracks an exhausted primary limit from any answer's headers, and
// forgets a secondary limit once a request succeeds.
func (t *retryTransport) remember(req *http.Request, resp *http.Response) {
	if resp == nil {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if resp.StatusCode < 300 {
		delete(t.blocked, "secondary")
	}
	rem := resp.Header.Get("X-RateLimit-Remaining")
	if rem == "" {
		return
	}
	res := resp.Header.Get("X-RateLimit-Resource")
	if res == "" {
		res = resourceOf(apiPath(t.basePath, req.URL.Path))
	}
	if reset := parseUnix(resp.Header.Get("X-RateLimit-Reset")); rem == "0" && !reset.IsZero() {
		t.blocked[res] = reset
	} else {
		delete(t.blocked, res)
	}
}

func (t *retryTransport) block(res string, until time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if until.After(t.blocked[res]) {
		t.blocked[res] = until
	}
}

// waitBlocked holds a request back while a limit seen earlier lasts: it
// waits when that is within MaxWait, else fails without spending a request.
// GET /rate_limit does not count against any limit and always goes.
func (t *retryTransport) waitBlocked(ctx context.Context, req *http.Request, op string) error {
	path := apiPath(t.basePath, req.URL.Path)
	if path == "/rate_limit" {
		return nil
	}
	t.mu.Lock()
	until := t.blocked[resourceOf(path)]
	if s := t.blocked["secondary"]; s.After(until) {
		until = s
	}
	t.mu.Unlock()
	now := t.p.now()
	if !until.After(now) {
		return nil
	}
	raw := until.Sub(now)
	if raw > t.p.maxWait {
		return &RetryError{Op: op, Reason: "rate limit exhausted (from an earlier answer)", RetryAt: until}
	}
	t.p.log.Warn("github request waiting for rate limit reset", "op", op, "wait", raw)
	return t.p.sleep(ctx, raw+randDur(rateJitter))
}

// resourceOf is the rate-limit bucket GitHub counts a path in.
func resourceOf(path string) string {
	switch {
	case strings.HasPrefix(path, "/search/code"):
		return "code_search"
	case strings.HasPrefix(path, "/search/"):
		return "search"
	case path == "/graphql":
		return "graphql"
	}
	return "core"
}

// apiPath is path relative to the API base ("/repos/…").
func apiPath(basePath, path string) string {
	p := strings.TrimPrefix(path, basePath)
	if !strings.HasPrefix(p, "/") {
		p = "/" + p
	}
	return p
}

func parseUnix(v string) time.Time {
	n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	if err != nil || n <= 0 {
		return time.Time{}
	}
	return time.Unix(n, 0)
}

// retryAfter reads Retry-After as seconds or an HTTP date.
func retryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil && n >= 0 {
		return time.Duration(n) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0), true
	}
	return 0, false
}

// maxPeek bounds how much of an error body is read to find its message.
const maxPeek = 64 << 10

// peekMessage returns GitHub's "message" from an error body (or its start
// when it is not JSON) and leaves the body readable for the next layer.
func peekMessage(resp *http.Response) string {
	b, _ := io.ReadAll(io.LimitReader(resp.Body, maxPeek))
	resp.Body = struct {
		io.Reader
		io.Closer
	}{io.MultiReader(bytes.NewReader(b), resp.Body), resp.Body}
	var e struct {
		Message string `json:"message"`
	}
	if json.Unmarshal(b, &e) == nil && e.Message != "" {
		return e.Message
	}
	s := strings.TrimSpace(string(b))
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}

func drain(resp *http.Response) {
	if resp == nil || resp.Body == nil {
		return
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxPeek))
	_ = resp.Body.Close()
}
