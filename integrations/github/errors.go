package github

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/ccm-ci/ccm/internal/text"
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
	// "Retry at" would read as a promise once ccm has stopped trying: say
	// when GitHub is worth asking again, which is what RetryAt is.
	msg := fmt.Sprintf("%s: %s after %s; worth trying again from %s", e.Op, e.Reason,
		text.Count(e.Attempts, "attempt", "attempts"), e.RetryAt.UTC().Format(time.RFC3339))
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

// Remediation error kinds. A write GitHub refuses is one of three things,
// and each asks something different of the caller:
//   - *PermissionError (errors.Is ErrForbidden): the token may not write;
//     a person must grant the named permission, retrying will not help;
//   - *ConflictError (errors.Is ErrConflict and its Kind): the world is
//     not as the caller thought (the run is already running, the branch
//     exists); re-check it and decide again;
//   - *UncertainError (errors.Is ErrUncertain): GitHub may or may not have
//     applied the write and ccm could not find out; whoever retries must
//     re-check before writing again.
//
// ErrNotFound (a deleted run, a cache key GitHub does not list) and
// *RetryError (GitHub down, rate limited) keep their meaning.
var (
	// ErrConflict: GitHub refused a write because of the state things are
	// in (409, 422, or a 403 that says so), not because of the token.
	ErrConflict = errors.New("refused by GitHub in the current state")
	// ErrAlreadyRunning: a re-run of a run whose latest attempt has not
	// completed (GitHub's 403 "already running").
	ErrAlreadyRunning = fmt.Errorf("%w: the workflow run is already running", ErrConflict)
	// ErrNoFailedJobs: re-run failed jobs of a run with none.
	ErrNoFailedJobs = fmt.Errorf("%w: the workflow run has no failed jobs", ErrConflict)
	// ErrRerunLimit: the run reached GitHub's attempt limit.
	ErrRerunLimit = fmt.Errorf("%w: the workflow run cannot be re-run again", ErrConflict)
	// ErrRunCompleted: cancelling a run that has already completed.
	ErrRunCompleted = fmt.Errorf("%w: the workflow run has already completed", ErrConflict)
	// ErrBranchExists: the branch is there and is not ccm's fix for this
	// failure.
	ErrBranchExists = fmt.Errorf("%w: the branch already exists", ErrConflict)
	// ErrPRExists: an open pull request from that branch already exists.
	ErrPRExists = fmt.Errorf("%w: a pull request already exists", ErrConflict)
	// ErrUncertain: the outcome of a write is unknown.
	ErrUncertain = errors.New("outcome unknown: GitHub may have applied the write; re-check before repeating it")
	// ErrRefused: ccm refused a request before sending it (a path under
	// .github/, an empty cache key, a branch that is not ccm's).
	ErrRefused = errors.New("refused by ccm before calling GitHub")
)

// PermissionError is a 403 on a write that is not a rate limit nor a state
// refusal: the token lacks Scope, the fine-grained permission (or GitHub
// App permission) the call needs, e.g. "actions:write".
type PermissionError struct {
	Op      string
	Scope   string
	Message string // GitHub's message, e.g. "Resource not accessible by integration"
}

func (e *PermissionError) Error() string {
	msg := fmt.Sprintf("%s: 403 token lacks permission: grant it %s", e.Op, e.Scope)
	if e.Message != "" {
		msg += " (" + e.Message + ")"
	}
	return msg
}

// Is makes errors.Is(err, ErrForbidden) true.
func (e *PermissionError) Is(target error) bool { return target == ErrForbidden }

// ConflictError is a write GitHub refused because of the state of things.
// Kind is ErrAlreadyRunning, ErrBranchExists, … or ErrConflict itself.
type ConflictError struct {
	Op      string
	Status  int // 403, 409 or 422; 0 when ccm saw the state itself
	Kind    error
	Message string
}

func (e *ConflictError) Error() string {
	kind := e.Kind
	if kind == nil {
		kind = ErrConflict
	}
	msg := e.Op + ": "
	if e.Status != 0 {
		msg += fmt.Sprintf("%d ", e.Status)
	}
	msg += kind.Error()
	if e.Message != "" {
		msg += " (" + e.Message + ")"
	}
	return msg
}

// Is matches ErrConflict and the Kind.
func (e *ConflictError) Is(target error) bool {
	return target == ErrConflict || (e.Kind != nil && errors.Is(e.Kind, target))
}

// UncertainError is a write whose answer was lost or was a server error,
// and whose effect ccm could not check.
type UncertainError struct {
	Op  string
	Err error // what happened to the write, and to the check
}

func (e *UncertainError) Error() string {
	return fmt.Sprintf("%s: %s: %v", e.Op, ErrUncertain.Error(), e.Err)
}

func (e *UncertainError) Unwrap() error { return e.Err }

// Is makes errors.Is(err, ErrUncertain) true.
func (e *UncertainError) Is(target error) bool { return target == ErrUncertain }
