package github

import (
	"context"
	"errors"
	"net/http"
	"strings"

	gh "github.com/google/go-github/v60/github"
)

// Permissions a remediation needs, as fine-grained token / GitHub App
// permissions; named in a *PermissionError so the operator knows what to
// grant.
const (
	ScopeActions  = "actions:write"
	ScopeContents = "contents:write"
	ScopePulls    = "pull-requests:write"
)

// write runs one go-github write through c.call and maps a refusal to the
// remediation kinds. classify keeps only GitHub's top-level message, which
// for a 422 is "Validation Failed"; the reason ("A pull request already
// exists …") is in errors[].message, so it is taken from the raw error.
func (c *Client) write(ctx context.Context, scope string, fn func() (*gh.Response, error)) error {
	var raw error
	err := c.call(ctx, func() (*gh.Response, error) {
		resp, err := fn()
		// go-github reports 202 Accepted (what cancel answers) as an
		// error; for a write it is success.
		var accepted *gh.AcceptedError
		if errors.As(err, &accepted) {
			return resp, nil
		}
		raw = err
		return resp, err
	})
	if err == nil {
		return nil
	}
	return refusal(err, raw, scope)
}

// refusal turns a 403/409/422 APIError into a *PermissionError or a
// *ConflictError; anything else is returned as it is.
func refusal(err, raw error, scope string) error {
	var ae *APIError
	if !errors.As(err, &ae) {
		return err
	}
	msg := ae.Message
	var er *gh.ErrorResponse
	if errors.As(raw, &er) {
		for _, d := range er.Errors {
			if d.Message != "" && !strings.Contains(msg, d.Message) {
				msg = strings.TrimPrefix(msg+": "+d.Message, ": ")
			}
		}
	}
	kind := conflictKind(msg)
	switch ae.Status {
	case http.StatusForbidden:
		// GitHub answers 403 both for a missing permission and for some
		// state refusals ("This workflow is already running"); only the
		// message tells them apart.
		if kind == nil {
			return &PermissionError{Op: ae.Op, Scope: scope, Message: msg}
		}
	case http.StatusConflict, http.StatusUnprocessableEntity:
		if kind == nil {
			kind = ErrConflict
		}
	default:
		return err
	}
	return &ConflictError{Op: ae.Op, Status: ae.Status, Kind: kind, Message: msg}
}

// conflictKind reads GitHub's message for a known state refusal.
func conflictKind(msg string) error {
	m := strings.ToLower(msg)
	switch {
	case strings.Contains(m, "already running"):
		return ErrAlreadyRunning
	case strings.Contains(m, "no failed jobs"):
		return ErrNoFailedJobs
	case strings.Contains(m, "maximum number of attempts"), strings.Contains(m, "cannot be retried"),
		strings.Contains(m, "cannot be rerun"), strings.Contains(m, "cannot be re-run"):
		return ErrRerunLimit
	case strings.Contains(m, "cannot cancel"), strings.Contains(m, "is completed"):
		return ErrRunCompleted
	case strings.Contains(m, "reference already exists"):
		return ErrBranchExists
	case strings.Contains(m, "pull request already exists"):
		return ErrPRExists
	}
	return nil
}

// ambiguous reports whether a failed write may still have been applied: a
// lost answer (network error, timeout, cut connection), a 5xx (GitHub may
// have committed before failing), or a 2xx whose body could not be read.
// A refusal, a 404 or a rate limit (the request was not processed) is
// definite.
func ambiguous(err error) bool {
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.Status >= 500
	}
	var re *RetryError
	var pe *PermissionError
	var ce *ConflictError
	if errors.As(err, &re) || errors.As(err, &pe) || errors.As(err, &ce) {
		return false
	}
	return true
}

// sendChecked sends a write that must not be blindly repeated. When the
// outcome is ambiguous, applied re-reads the world to tell whether the
// write took effect; only a write found not applied is sent again, up to
// MaxAttempts with backoff. A refusal on a repeat may be the first send
// having landed after all (GitHub answers "already running" to a second
// re-run, "Reference already exists" to a second create), so it is checked
// the same way. A write whose duplicates are harmless passes an applied
// that always says no. It reports whether success was found by checking
// rather than answered.
func (c *Client) sendChecked(ctx context.Context, op, scope string, send func() (*gh.Response, error),
	applied func(context.Context) (bool, error)) (recovered bool, err error) {
	for attempt := 1; ; attempt++ {
		err := c.write(ctx, scope, send)
		if err == nil {
			return false, nil
		}
		var ce *ConflictError
		repeatConflict := attempt > 1 && errors.As(err, &ce)
		if !ambiguous(err) && !repeatConflict {
			return false, err
		}
		if ctx.Err() != nil {
			return false, &UncertainError{Op: op, Err: err}
		}
		ok, cerr := applied(ctx)
		if cerr != nil {
			return false, &UncertainError{Op: op, Err: errors.Join(err, cerr)}
		}
		if ok {
			c.p.log.Warn("github write confirmed by reading back", "op", op, "attempt", attempt, "err", err)
			return true, nil
		}
		if repeatConflict {
			return false, err
		}
		if attempt >= c.p.maxAttempts {
			d := c.p.backoff(attempt)
			reason := "network error"
			status := 0
			var ae *APIError
			if errors.As(err, &ae) {
				reason, status = "server error", ae.Status
			}
			return false, &RetryError{Op: op, Reason: reason + " (write checked: not applied)", Status: status,
				Attempts: attempt, RetryAt: c.p.now().Add(d), Err: err}
		}
		c.p.log.Warn("github write not applied, sending again", "op", op, "attempt", attempt, "err", err)
		if serr := c.p.sleep(ctx, c.p.backoff(attempt)); serr != nil {
			return false, &UncertainError{Op: op, Err: errors.Join(err, serr)}
		}
	}
}

// never is the applied check of writes whose duplicates are harmless.
func never(context.Context) (bool, error) { return false, nil }
