package github

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Sentinels callers check with errors.Is. ErrNotFound and ErrUnauthorized
// are what an operator must act on (a repository that vanished or a token
// that was revoked), so the pipeline audits them and raises an alert.
var (
	// ErrNotFound: 404. GitHub also answers 404 for a private repository
	// the token cannot see.
	ErrNotFound = errors.New("not found (repository missing or token lacks access)")
	// ErrUnauthorized: 401.
	ErrUnauthorized = errors.New("token revoked or invalid")
	// ErrForbidden: 403 that is not a rate limit (missing permission).
	ErrForbidden = errors.New("forbidden (token lacks permission)")
	// ErrMalformedResponse: a 2xx whose body is not the JSON expected.
	ErrMalformedResponse = errors.New("malformed response")
)

// RetryError is a call that failed for a reason that passes with time: a
// rate limit longer than Options.MaxWait, or server and network errors that
// outlasted Options.MaxAttempts. RetryAt says when trying again makes
// sense, so a task queue can schedule the retry instead of a worker
// sleeping through it.
type RetryError struct {
	Op       string    // "GET /repos/acme/web/actions/runs"
	Reason   string    // "primary rate limit exhausted", "server error", …
	Status   int       // HTTP status of the last answer; 0 when none came
	Attempts int       // requests made; 0 when refused before sending
	RetryAt  time.Time // earliest sensible retry
	Err      error     // the last underlying failure
}

func (e *RetryError) Error() string {
	msg := fmt.Sprintf("%s: %s after %d attempt(s); retry at %s", e.Op, e.Reason, e.Attempts,
		e.RetryAt.UTC().Format(time.RFC3339))
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

func (e *RetryError) Unwrap() error { return e.Err }

// APIError is a final (not retried) error answer from GitHub.
type APIError struct {
	Op      string // "GET /repos/acme/web/actions/runs/1"
	Status  int
	Message string // GitHub's "message", when it sent one
}

func (e *APIError) Error() string {
	desc := http.StatusText(e.Status)
	if s := e.sentinel(); s != nil {
		desc = s.Error()
	}
	msg := fmt.Sprintf("%s: %d %s", e.Op, e.Status, desc)
	if e.Message != "" && !strings.EqualFold(e.Message, http.StatusText(e.Status)) {
		msg += ": " + e.Message
	}
	return msg
}

func (e *APIError) sentinel() error {
	switch e.Status {
	case http.StatusNotFound:
		return ErrNotFound
	case http.StatusUnauthorized:
		return ErrUnauthorized
	case http.StatusForbidden:
		return ErrForbidden
	}
	return nil
}

// Is makes errors.Is(err, ErrNotFound) and friends work on an APIError.
func (e *APIError) Is(target error) bool {
	s := e.sentinel()
	return s != nil && target == s
}

// statusError is an error answer seen inside the transport: its status and
// GitHub's message.
type statusError struct {
	status  int
	message string
}

func (e *statusError) Error() string {
	if e.message == "" {
		return fmt.Sprintf("%d %s", e.status, http.StatusText(e.status))
	}
	return fmt.Sprintf("%d %s", e.status, e.message)
}
