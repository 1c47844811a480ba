package state

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/ccm-ci/ccm/analysis"
	"github.com/redis/go-redis/v9"
)

// ErrAlreadyDecided means an approval request is no longer pending: someone
// (or the expiry) decided it first. The call that gets it also gets the
// request as it stands, which names who won (DecidedBy) and when.
var ErrAlreadyDecided = errors.New("approval already decided")

// ErrExpired means a person's decision came at or after the request's
// expires_at while the request was still pending (the expiry had not run
// yet, e.g. the worker was down). Nothing was written; the call also
// returns the request as it stands, and the caller should expire it
// (DecideApproval with ApprovalExpired, actor ActorCCM).
var ErrExpired = errors.New("approval request past its expires_at")

// ErrActorNotAllowed means the actor may not make that decision: only ccm
// expires a request, and only a person approves or rejects one. It is an
// ErrInvalid too: the same call will never succeed.
var ErrActorNotAllowed = fmt.Errorf("%w: actor not allowed to make this decision", ErrInvalid)

// ActorCCM is the actor of what ccm decides itself: requests and expiries.
const ActorCCM = "ccm"

// ApprovalStatus is where an approval request is. It moves once, from
// pending to one of the three decisions, and never again.
type ApprovalStatus string

// The statuses of an approval request.
const (
	ApprovalPending  ApprovalStatus = "pending"
	ApprovalApproved ApprovalStatus = "approved"
	ApprovalRejected ApprovalStatus = "rejected"
	ApprovalExpired  ApprovalStatus = "expired"
)

// approvalOutcome maps each decision to the failure status it leads to.
var approvalOutcome = map[ApprovalStatus]Status{
	ApprovalApproved: StatusApproved,
	ApprovalRejected: StatusRejected,
	ApprovalExpired:  StatusExpired,
}

// Valid reports whether st is one of the four statuses.
func (st ApprovalStatus) Valid() bool {
	_, decided := approvalOutcome[st]
	return decided || st == ApprovalPending
}

// Approval is one request for a person to allow actions on one failure.
type Approval struct {
	// ID is random and unguessable (it rides on Slack buttons); the store
	// assigns it.
	ID        string            `json:"id"`
	FailureID string            `json:"failure_id"`
	Repo      string            `json:"repo"`
	Actions   []analysis.Action `json:"actions"`
	Risk      int               `json:"risk"`
	// Reasons are the gate's, in words a person understands.
	Reasons     []string       `json:"reasons"`
	RequestedAt time.Time      `json:"requested_at"`
	ExpiresAt   time.Time      `json:"expires_at"`
	Status      ApprovalStatus `json:"status"`
	// DecidedBy is a Slack user ID, or "ccm" when ccm decided (expiry).
	DecidedBy string    `json:"decided_by,omitempty"`
	DecidedAt time.Time `json:"decided_at,omitzero"`
	// Reason says why it was rejected or expired ("branch has a new commit").
	Reason string `json:"reason,omitempty"`
	// Where Slack posted the request, set by SetApprovalMessage.
	SlackChannel string `json:"slack_channel,omitempty"`
	SlackTS      string `json:"slack_ts,omitempty"`
}

// approvalIDBytes of crypto/rand: 128 bits, 22 base64url characters.
const approvalIDBytes = 16

func newApprovalID() (string, error) {
	b := make([]byte, approvalIDBytes)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("approval id: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// wellFormedID reports whether id could be one newApprovalID made. IDs come
// back from Slack; anything else cannot exist, and must not be spliced into
// a key name (it could name another key, such as a failure pointer).
//
// The decoder alone is not enough: it skips CR and LF anywhere, and without
// Strict it ignores set trailing bits, so several strings decode to the
// same 16 bytes. Only the one the encoder writes back is accepted: 22
// characters of the URL-safe alphabet, canonical.
func wellFormedID(id string) bool {
	b, err := base64.RawURLEncoding.Strict().DecodeString(id)
	return err == nil && len(b) == approvalIDBytes && base64.RawURLEncoding.EncodeToString(b) == id
}

// RequestApproval creates a pending request for req.FailureID, moves that
// failure analyzed -> awaiting_approval and appends ev (action approval,
// details.decision "requested", outcome pending), all in one atomic step.
// The store sets ID, Status and (when zero) RequestedAt; Repo defaults to
// the failure's. A failure not in analyzed gives ErrConflict.
//
// At most one request per failure is pending. While one is, asking again
// returns it with created=false and writes nothing (the gate task may run
// twice). Once it is decided, a new request may be made if the record is
// at analyzed again: the failure's pointer moves to the new request and the
// old one keeps its history (its hash, its audit entries) until retention.
// Asked while the record is past analyzed, it returns the decided request
// with created=false and ErrAlreadyDecided, and writes nothing.
//
// Re-gating and the status order: a decision moves the record to approved,
// rejected or expired, and statuses only move forward, so no path brings a
// record with a decided request back to analyzed today; a new request is
// possible for a record that reaches analyzed with a decided request by
// some future, deliberate path. A failure whose gate never asked (shadow
// mode, decision none, an incident pause that held the request back) is
// still at analyzed with no request, and is asked like any other. Asking
// again about a request that was answered or expired (a new threshold, the
// end of an incident) must not rewind the record: it needs a step of its
// own, e.g. one script that supersedes the pending request (it closes with
// a reason naming its successor) and creates the new one while the record
// stays awaiting_approval, an in-place update the order allows.
func (s *Store) RequestApproval(ctx context.Context, req Approval, ev AuditEntry) (_ Approval, created bool, _ error) {
	if req.RequestedAt.IsZero() {
		req.RequestedAt = s.now()
	}
	if err := s.checkRequest(req); err != nil {
		return Approval{}, false, err
	}
	if ev.ActionType != "" && ev.ActionType != ActionApproval {
		return Approval{}, false, fmt.Errorf("%w: request approval for %s: event action %q", ErrInvalid, req.FailureID, ev.ActionType)
	}
	id, err := newApprovalID()
	if err != nil {
		return Approval{}, false, err
	}
	req.ID, req.Status = id, ApprovalPending
	ev.ActionType, ev.RequestID = ActionApproval, id
	ev.Details = withDetail(ev.Details, "decision", "requested")
	if ev.Actor == "" {
		ev.Actor = ActorCCM
	}
	if ev.Outcome == "" {
		ev.Outcome = OutcomePending
	}
	for range maxCASAttempts {
		rec, rev, err := s.readFailure(ctx, req.FailureID)
		if err != nil {
			return Approval{}, false, fmt.Errorf("request approval: %w", err)
		}
		prevID, prev, err := s.previousRequest(ctx, req.FailureID)
		if err != nil {
			return Approval{}, false, fmt.Errorf("request approval: %w", err)
		}
		if prev != nil && (prev.Status == ApprovalPending || rec.Status != StatusAnalyzed) {
			return existingRequest(*prev)
		}
		if rec.Status != StatusAnalyzed {
			return Approval{}, false, fmt.Errorf("request approval for %s: status is %s, not %s: %w",
				req.FailureID, rec.Status, StatusAnalyzed, ErrConflict)
		}
		if req.Repo == "" {
			req.Repo = rec.Repo
		}
		if req.Repo != rec.Repo {
			return Approval{}, false, fmt.Errorf("%w: request approval for %s: repo %q, the failure's is %q",
				ErrInvalid, req.FailureID, req.Repo, rec.Repo)
		}
		fields, err := approvalFields(req)
		if err != nil {
			return Approval{}, false, fmt.Errorf("request approval for %s: %w", req.FailureID, err)
		}
		next := rec
		next.Status, next.UpdatedAt = StatusAwaitingApproval, s.now()
		e := ev
		fillEvent(&e, next)
		js, err := json.Marshal(next)
		if err != nil {
			return Approval{}, false, fmt.Errorf("encode failure %s: %w", rec.ID, err)
		}
		aargs, err := s.auditArgs(&e)
		if err != nil {
			return Approval{}, false, fmt.Errorf("request approval for %s: %w", req.FailureID, err)
		}
		prevKey := s.k.approval(id) // no previous request to look at: a key the script never reads
		if prev != nil {
			prevKey = s.k.approval(prev.ID)
		}
		keys := append([]string{s.k.approval(id), s.k.approvalsPending(), s.k.approvalOf(req.FailureID),
			s.k.failure(req.FailureID), s.k.approvals(), prevKey}, s.k.auditKeys()...)
		fixed := []any{id, req.ExpiresAt.UnixMilli(), req.RequestedAt.UnixMilli(), rev,
			string(StatusAnalyzed), string(StatusAwaitingApproval), js, categoryOf(next), prevID}
		res, err := requestApprovalScript.Run(ctx, s.rdb, keys, scriptArgs(fixed, aargs, fields)...).StringSlice()
		if err != nil {
			return Approval{}, false, fmt.Errorf("request approval for %s: %w", req.FailureID, err)
		}
		switch res[0] {
		case "ok":
			return req, true, nil
		case "exists":
			a, err := s.GetApproval(ctx, res[1])
			if err != nil {
				return Approval{}, false, fmt.Errorf("request approval for %s: %w", req.FailureID, err)
			}
			return existingRequest(a)
		case "gone":
			return Approval{}, false, fmt.Errorf("request approval: failure %s: %w", req.FailureID, ErrNotFound)
		}
		// stale: the record or the pointer changed since we read them (a
		// concurrent request won); read and decide again.
	}
	return Approval{}, false, fmt.Errorf("request approval for %s: record kept changing: %w", req.FailureID, ErrConflict)
}

// previousRequest reads the failure's pointer and the request it names:
// "" and nil when there is none, the ID and nil when it names a request
// that no longer exists.
func (s *Store) previousRequest(ctx context.Context, failureID string) (string, *Approval, error) {
	id, err := s.rdb.Get(ctx, s.k.approvalOf(failureID)).Result()
	if errors.Is(err, redis.Nil) {
		return "", nil, nil
	}
	if err != nil {
		return "", nil, fmt.Errorf("approval for %s: %w", failureID, err)
	}
	a, err := s.GetApproval(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return id, nil, nil
	}
	if err != nil {
		return id, nil, fmt.Errorf("approval for %s: %w", failureID, err)
	}
	return id, &a, nil
}

func (s *Store) checkRequest(req Approval) error {
	switch {
	case req.ID != "":
		return fmt.Errorf("%w: request approval: the store assigns the ID", ErrInvalid)
	case req.FailureID == "":
		return fmt.Errorf("%w: request approval without a failure ID", ErrInvalid)
	case len(req.Actions) == 0:
		return fmt.Errorf("%w: request approval for %s: no actions to approve", ErrInvalid, req.FailureID)
	case req.Risk < 0 || req.Risk > 10:
		return fmt.Errorf("%w: request approval for %s: risk %d outside 0-10", ErrInvalid, req.FailureID, req.Risk)
	case !req.ExpiresAt.After(req.RequestedAt):
		return fmt.Errorf("%w: request approval for %s: expires_at %s is not after requested_at %s",
			ErrInvalid, req.FailureID, req.ExpiresAt, req.RequestedAt)
	case req.RequestedAt.UnixMilli() < 0 || req.ExpiresAt.Year() > 9999:
		return fmt.Errorf("%w: request approval for %s: times outside 1970-9999", ErrInvalid, req.FailureID)
	}
	for _, a := range req.Actions {
		if !a.Type.Valid() || a.Type == analysis.ActionNone {
			return fmt.Errorf("%w: request approval for %s: action %q", ErrInvalid, req.FailureID, a.Type)
		}
	}
	return nil
}

// existingRequest is RequestApproval's answer when the failure already has
// a request: the same one back, flagged when it is already decided.
func existingRequest(a Approval) (Approval, bool, error) {
	if a.Status != ApprovalPending {
		return a, false, fmt.Errorf("request approval for %s: %w", a.FailureID, decidedError(a))
	}
	return a, false, nil
}

func decidedError(a Approval) error {
	return fmt.Errorf("%w: %s by %s at %s", ErrAlreadyDecided, a.Status, a.DecidedBy, a.DecidedAt.Format(time.RFC3339))
}

// GetApproval returns request id, or ErrNotFound.
func (s *Store) GetApproval(ctx context.Context, id string) (Approval, error) {
	if !wellFormedID(id) {
		return Approval{}, fmt.Errorf("approval %q: %w", id, ErrNotFound)
	}
	m, err := s.rdb.HGetAll(ctx, s.k.approval(id)).Result()
	if err != nil {
		return Approval{}, fmt.Errorf("get approval %s: %w", id, err)
	}
	if len(m) == 0 {
		return Approval{}, fmt.Errorf("approval %s: %w", id, ErrNotFound)
	}
	return decodeApproval(id, m)
}

// ApprovalForFailure returns the failure's request, pending or decided, or
// ErrNotFound when it never had one.
func (s *Store) ApprovalForFailure(ctx context.Context, failureID string) (Approval, error) {
	id, err := s.rdb.Get(ctx, s.k.approvalOf(failureID)).Result()
	if errors.Is(err, redis.Nil) {
		return Approval{}, fmt.Errorf("approval for %s: %w", failureID, ErrNotFound)
	}
	if err != nil {
		return Approval{}, fmt.Errorf("approval for %s: %w", failureID, err)
	}
	return s.GetApproval(ctx, id)
}

// PendingApprovals returns every pending request, soonest to expire first:
// what a new threshold re-evaluates and what the expiry sweep walks.
func (s *Store) PendingApprovals(ctx context.Context) ([]Approval, error) {
	return s.pendingUpTo(ctx, "+inf", time.Time{})
}

// DueApprovals returns the pending requests whose expires_at is at or
// before now, soonest first.
func (s *Store) DueApprovals(ctx context.Context, now time.Time) ([]Approval, error) {
	return s.pendingUpTo(ctx, strconv.FormatInt(now.UnixMilli(), 10), now)
}

// pendingUpTo pages through the pending index up to maxScore (ms). Scores
// are floor(ms), so with a non-zero due the exact expires_at is checked.
func (s *Store) pendingUpTo(ctx context.Context, maxScore string, due time.Time) ([]Approval, error) {
	var out []Approval
	err := s.pageByScore(ctx, s.k.approvalsPending(), maxScore, func(ids []string) (int, error) {
		pipe := s.rdb.Pipeline()
		cmds := make([]*redis.MapStringStringCmd, len(ids))
		for i, id := range ids {
			cmds[i] = pipe.HGetAll(ctx, s.k.approval(id))
		}
		if _, err := pipe.Exec(ctx); err != nil {
			return 0, fmt.Errorf("read requests: %w", err)
		}
		for i, id := range ids {
			m := cmds[i].Val()
			if len(m) == 0 {
				continue // deleted since the index was read
			}
			a, err := decodeApproval(id, m)
			if err != nil {
				return 0, err
			}
			// Decided since the index was read, or not quite due.
			if a.Status != ApprovalPending || (!due.IsZero() && a.ExpiresAt.After(due)) {
				continue
			}
			out = append(out, a)
		}
		return 0, nil // a reader removes nothing
	})
	if err != nil {
		return nil, fmt.Errorf("pending approvals: %w", err)
	}
	return out, nil
}
