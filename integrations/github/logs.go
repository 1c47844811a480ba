package github

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"

	gh "github.com/google/go-github/v60/github"
)

// JobLog streams one job's log to fn. GitHub answers the log endpoint with
// a redirect to a short-lived signed URL; that URL is fetched with a plain
// GET that does not carry the GitHub token (the signature is the
// credential, and the host is not GitHub's API). fn reads the body as it
// arrives; nothing is buffered whole.
//
// A download that fails or breaks mid-stream is retried from the start
// with a fresh URL, up to Options.MaxAttempts times, so fn must be safe to
// call again. A break is detected from the body's read error even when fn
// swallowed it. An error fn returns on its own is passed back as is. When
// every attempt broke, the error is a *RetryError saying so.
func (c *Client) JobLog(ctx context.Context, repo string, jobID int64, fn func(io.Reader) error) error {
	what := fmt.Sprintf("job log %s job %d", repo, jobID)
	owner, name, err := splitRepo(repo)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	op := fmt.Sprintf("GET /repos/%s/%s/actions/jobs/%d/logs", owner, name, jobID)
	for attempt := 1; ; attempt++ {
		u, err := c.logURL(ctx, owner, name, jobID)
		if err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		err = c.download(ctx, u, fn)
		var broken *brokenDownload
		switch {
		case err == nil:
			return nil
		case ctx.Err() != nil:
			return fmt.Errorf("%s: %w", what, ctx.Err())
		case !errors.As(err, &broken):
			return fmt.Errorf("%s: %w", what, err)
		}
		wait := c.p.backoff(attempt)
		if attempt >= c.p.maxAttempts {
			return fmt.Errorf("%s: %w", what, &RetryError{Op: op + " (download)", Reason: broken.reason,
				Status: broken.status, Attempts: attempt, RetryAt: c.p.now().Add(wait), Err: broken.err})
		}
		c.p.log.Warn("github log download retrying", "repo", repo, "job_id", jobID, "reason", broken.reason,
			"attempt", attempt, "wait", wait, "err", broken.err)
		if err := c.p.sleep(ctx, wait); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
	}
}

// logURL asks GitHub where the log is.
func (c *Client) logURL(ctx context.Context, owner, name string, jobID int64) (*url.URL, error) {
	var u *url.URL
	err := c.call(ctx, func() (*gh.Response, error) {
		var resp *gh.Response
		var err error
		u, resp, err = c.gh.Actions.GetWorkflowJobLogs(ctx, owner, name, jobID, 1)
		if err != nil && resp != nil && resp.StatusCode != http.StatusFound {
			// go-github reports any answer but a redirect as a bare
			// "unexpected status code".
			if resp.StatusCode < 400 {
				return resp, fmt.Errorf("%s: %w: answered %d, expected a redirect to the log",
					c.opOf(resp.Response), ErrMalformedResponse, resp.StatusCode)
			}
			return resp, &APIError{Op: c.opOf(resp.Response), Status: resp.StatusCode}
		}
		return resp, err
	})
	if err != nil {
		return nil, err
	}
	if u == nil || u.Host == "" {
		return nil, fmt.Errorf("GET /repos/%s/%s/actions/jobs/%d/logs: %w: redirect without a Location", owner, name, jobID, ErrMalformedResponse)
	}
	return u, nil
}

// brokenDownload is a download worth repeating.
type brokenDownload struct {
	reason string
	status int
	err    error
}

func (e *brokenDownload) Error() string { return e.reason + ": " + e.err.Error() }

// trackReader remembers the first read error other than EOF.
type trackReader struct {
	r   io.Reader
	err error
}

func (t *trackReader) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	if err != nil && err != io.EOF && t.err == nil {
		t.err = err
	}
	return n, err
}

func (c *Client) download(ctx context.Context, u *url.URL, fn func(io.Reader) error) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return fmt.Errorf("log download: %w", err)
	}
	resp, err := c.blob.Do(req)
	if err != nil {
		// The signed URL is a credential for a minute: keep it out of errors.
		var ue *url.Error
		if errors.As(err, &ue) {
			ue.URL = u.Scheme + "://" + u.Host + u.Path
		}
		return &brokenDownload{reason: "log download failed", err: err}
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusNotFound:
		return &APIError{Op: "GET log download", Status: resp.StatusCode, Message: "log no longer stored"}
	case resp.StatusCode != http.StatusOK:
		// 5xx, or 403 from an expired signature: a fresh URL may work.
		return &brokenDownload{reason: "log download failed", status: resp.StatusCode,
			err: &statusError{status: resp.StatusCode, message: peekMessage(resp)}}
	}
	tr := &trackReader{r: resp.Body}
	ferr := fn(tr)
	if tr.err != nil {
		return &brokenDownload{reason: "log download broke mid-stream", status: resp.StatusCode, err: tr.err}
	}
	return ferr
}
