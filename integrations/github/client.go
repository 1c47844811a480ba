// Package github is ccm's GitHub client: failed workflow runs, their jobs
// and streamed job logs through go-github, plus webhook signature checks
// and workflow_run payload parsing. Every request goes through one
// transport chain (ETag cache, rate-limit and retry handling, observation),
// and every failure comes back as an error naming the operation and
// repository; what passes with time is a *RetryError that says when to try
// again. It returns its own small value types and imports nothing of ccm.
package github

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/ccm-ci/ccm/internal/backoff"
	gh "github.com/google/go-github/v60/github"
)

// Options configure a Client. Zero values take the defaults in brackets.
type Options struct {
	// Token is the GitHub token sent as "Authorization: Bearer" to the API
	// (never to the log download host). Required.
	Token string
	// BaseURL is the GitHub Enterprise Server (or fake) base, with or
	// without /api/v3/. "" = api.github.com.
	BaseURL string
	// HTTPClient supplies the base transport and timeout. Its transport
	// also downloads logs, so it must not add credentials itself.
	HTTPClient *http.Client
	// MaxAttempts is the total tries per request, the first included [3].
	MaxAttempts int
	// InitialBackoff and MaxBackoff bound the jittered exponential backoff
	// for server and network errors [1s, 60s].
	InitialBackoff, MaxBackoff time.Duration
	// SecondaryBackoff is the first wait after a secondary rate limit that
	// came without Retry-After; GitHub asks for at least a minute [60s].
	SecondaryBackoff time.Duration
	// MaxWait is the longest rate-limit wait done in-process [MaxBackoff];
	// a longer one returns a *RetryError so the task queue retries later.
	MaxWait time.Duration
	// MaxPages bounds the pages ListFailedRuns reads per conclusion [10].
	MaxPages int
	Logger   *slog.Logger
	// Observe is called for every HTTP exchange (metrics), from
	// concurrent goroutines.
	Observe func(Observation)
	// Sleep waits d or until ctx ends [a timer]; tests record instead.
	Sleep func(ctx context.Context, d time.Duration) error
	Now   func() time.Time
}

// Client talks to one GitHub (or Enterprise Server) with one token. It is
// safe for concurrent use.
type Client struct {
	gh       *gh.Client
	blob     *http.Client // log downloads: base transport, no token
	p        *policy
	basePath string
	maxPages int
	me       login // the token's user, see Login
}

// New builds a Client. It makes no request.
func New(opt Options) (*Client, error) {
	if opt.Token == "" {
		return nil, errors.New("github client: token is empty")
	}
	p := &policy{
		maxAttempts: opt.MaxAttempts, initial: opt.InitialBackoff, maxBackoff: opt.MaxBackoff,
		maxWait: opt.MaxWait, second: opt.SecondaryBackoff, sleep: opt.Sleep, now: opt.Now, log: opt.Logger,
	}
	if p.maxAttempts <= 0 {
		p.maxAttempts = 3
	}
	if p.initial <= 0 {
		p.initial = time.Second
	}
	if p.maxBackoff <= 0 {
		p.maxBackoff = time.Minute
	}
	p.maxBackoff = max(p.maxBackoff, p.initial)
	if p.maxWait <= 0 {
		p.maxWait = p.maxBackoff
	}
	if p.second <= 0 {
		p.second = time.Minute
	}
	if p.sleep == nil {
		p.sleep = backoff.Sleep
	}
	if p.now == nil {
		p.now = time.Now
	}
	if p.log == nil {
		p.log = slog.New(slog.DiscardHandler)
	}
	maxPages := opt.MaxPages
	if maxPages <= 0 {
		maxPages = 10
	}

	base, timeout := http.DefaultTransport, time.Duration(0)
	if opt.HTTPClient != nil {
		timeout = opt.HTTPClient.Timeout
		if opt.HTTPClient.Transport != nil {
			base = opt.HTTPClient.Transport
		}
	}
	basePath, err := apiBasePath(opt.BaseURL)
	if err != nil {
		return nil, err
	}
	obs := &observeTransport{next: base, basePath: basePath, observe: opt.Observe}
	chain := &retryTransport{
		next:     &cacheTransport{next: obs, cache: newETagCache()},
		p:        p,
		basePath: basePath,
		blocked:  map[string]time.Time{},
	}
	client := gh.NewClient(&http.Client{Transport: chain, Timeout: timeout}).WithAuthToken(opt.Token)
	if opt.BaseURL != "" {
		if client, err = client.WithEnterpriseURLs(opt.BaseURL, opt.BaseURL); err != nil {
			return nil, fmt.Errorf("github client: base URL %q: %w", opt.BaseURL, err)
		}
	}
	blob := &http.Client{Transport: &observeTransport{next: base, route: RouteLogDownload, observe: opt.Observe}}
	return &Client{gh: client, blob: blob, p: p, basePath: basePath, maxPages: maxPages}, nil
}

// apiBasePath is the path prefix go-github will put before API paths:
// WithEnterpriseURLs appends api/v3/ to a base lacking it.
func apiBasePath(base string) (string, error) {
	if base == "" {
		return "", nil
	}
	u, err := url.Parse(base)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return "", fmt.Errorf("github client: base URL %q is not an absolute URL", base)
	}
	p := strings.TrimSuffix(u.Path, "/")
	if !strings.HasSuffix(p+"/", "/api/v3/") && !strings.HasPrefix(u.Host, "api.") && !strings.Contains(u.Host, ".api.") {
		p += "/api/v3"
	}
	return p, nil
}

// splitRepo checks "owner/name".
func splitRepo(repo string) (owner, name string, err error) {
	owner, name, ok := strings.Cut(repo, "/")
	if !ok || owner == "" || name == "" || strings.ContainsAny(name, "/ ") || strings.Contains(owner, " ") {
		return "", "", fmt.Errorf("repository %q is not \"owner/name\"", repo)
	}
	return owner, name, nil
}

// call runs one go-github call. go-github itself refuses requests while a
// limit it saw is exhausted, without reaching the transport; that wait is
// done here (within MaxWait and MaxAttempts) or becomes a *RetryError.
func (c *Client) call(ctx context.Context, fn func() (*gh.Response, error)) error {
	for attempt := 1; ; attempt++ {
		resp, err := fn()
		if err == nil {
			return nil
		}
		err = c.classify(resp, err)
		var re *RetryError
		if !errors.As(err, &re) || re.Attempts > 0 || attempt >= c.p.maxAttempts {
			return err
		}
		wait := re.RetryAt.Sub(c.p.now())
		if wait > c.p.maxWait {
			return err
		}
		if serr := c.p.sleep(ctx, max(wait, 0)+randDur(rateJitter)); serr != nil {
			return serr
		}
	}
}

// classify turns what go-github returns into our error types.
func (c *Client) classify(resp *gh.Response, err error) error {
	var re *RetryError
	if errors.As(err, &re) {
		return re
	}
	var ae *APIError
	if errors.As(err, &ae) {
		return ae
	}
	if errors.Is(err, ErrMalformedResponse) {
		return err
	}
	var rl *gh.RateLimitError
	if errors.As(err, &rl) {
		return &RetryError{Op: c.opOf(rl.Response), Reason: "primary rate limit exhausted", Status: http.StatusForbidden,
			RetryAt: rl.Rate.Reset.Time, Err: errors.New(rl.Message)}
	}
	var ab *gh.AbuseRateLimitError
	if errors.As(err, &ab) {
		wait := c.p.secondaryDelay(1)
		if ab.RetryAfter != nil {
			wait = *ab.RetryAfter
		}
		return &RetryError{Op: c.opOf(ab.Response), Reason: "secondary rate limit", Status: http.StatusForbidden,
			RetryAt: c.p.now().Add(wait), Err: errors.New(ab.Message)}
	}
	var er *gh.ErrorResponse
	if errors.As(err, &er) && er.Response != nil {
		return &APIError{Op: c.opOf(er.Response), Status: er.Response.StatusCode, Message: er.Message}
	}
	if resp != nil && resp.Response != nil && resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return fmt.Errorf("%s: %w: decode JSON: %v", c.opOf(resp.Response), ErrMalformedResponse, err)
	}
	return err
}

// opOf names a request as "METHOD /path" relative to the API base.
func (c *Client) opOf(resp *http.Response) string {
	if resp == nil || resp.Request == nil {
		return "request"
	}
	return resp.Request.Method + " " + apiPath(c.basePath, resp.Request.URL.Path)
}

// RateLimit reports the core rate limit left for the token. GitHub does
// not count this call.
func (c *Client) RateLimit(ctx context.Context) (remaining int, reset time.Time, err error) {
	var limits *gh.RateLimits
	err = c.call(ctx, func() (*gh.Response, error) {
		var resp *gh.Response
		var err error
		limits, resp, err = c.gh.RateLimit.Get(ctx)
		return resp, err
	})
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("rate limit: %w", err)
	}
	if limits == nil || limits.Core == nil {
		return 0, time.Time{}, fmt.Errorf("rate limit: GET /rate_limit: %w: no core resource", ErrMalformedResponse)
	}
	return limits.Core.Remaining, limits.Core.Reset.Time, nil
}
