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

	"github.com/ccm-ci/ccm/triage"
	"github.com/redis/go-redis/v9"
)

// ErrAlreadyDecided means an approval request is no longer pending: someone
// (or the expiry) decided it first. The call that gets it also gets the
// request as it stands, which names who won (DecidedBy) and when.
var ErrAlreadyDecided = errors.New("approval already decided")

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
	ID        string          `json:"id"`
	FailureID string          `json:"failure_id"`
	Repo      string          `json:"repo"`
	Actions   []triage.Action `json:"actions"`
	Risk      int             `json:"risk"`
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
func wellFormedID(id string) bool {
	b, err := base64.RawURLEncoding.DecodeString(id)
	return err == nil && len(b) == approvalIDBytes
}

// RequestApproval creates a pending request for req.FailureID, moves that
// failure analyzed -> awaiting_approval and appends ev (action approval,
// details.decision "requested", outcome pending), all in one atomic step.
// The store sets ID, Status and (when zero) RequestedAt; Repo defaults to
// the failure's. Only one request per failure: when one exists it returns
// that one with created=false and writes nothing, plus ErrAlreadyDecided if
// it is no longer pending. A failure not in analyzed gives ErrConflict.
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
		ev.Actor = "ccm"
	}
	if ev.Outcome == "" {
		ev.Outcome = OutcomePending
	}
	for range maxCASAttempts {
		rec, rev, err := s.readFailure(ctx, req.FailureID)
		if err != nil {
			return Approval{}, false, fmt.Errorf("request approval: %w", err)
		}
		if rec.Status != StatusAnalyzed {
			if a, err := s.ApprovalForFailure(ctx, req.FailureID); err == nil {
				return existingRequest(a)
			}
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
		fields, err := approvalFields(req)
		if err != nil {
			return Approval{}, false, fmt.Errorf("request approval for %s: %w", req.FailureID, err)
		}
		keys := append([]string{s.k.approval(id), s.k.approvalsPending(), s.k.approvalOf(req.FailureID),
			s.k.failure(req.FailureID), s.k.approvals()}, s.k.auditKeys()...)
		args := append([]any{id, req.ExpiresAt.UnixMilli(), req.RequestedAt.UnixMilli(), rev,
			string(StatusAnalyzed), string(StatusAwaitingApproval), js, categoryOf(next)}, aargs...)
		res, err := requestApprovalScript.Run(ctx, s.rdb, keys, append(args, fields...)...).StringSlice()
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
		// stale: the record changed since we read it; read and decide again.
	}
	return Approval{}, false, fmt.Errorf("request approval for %s: record kept changing: %w", req.FailureID, ErrConflict)
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
		if !a.Type.Valid() || a.Type == triage.ActionNone {
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

// DecideApproval moves request id from pending to decision (approved,
// rejected or expired) exactly once, as a compare-and-set that also moves
// its failure awaiting_approval -> the same status and appends ev (action
// approval, details.decision and reason, actor = actor, ts = decided_at)
// in one atomic step. actor is the person's Slack ID, or "ccm".
//
// Of concurrent calls one wins; every other gets ErrAlreadyDecided and the
// request as decided (who won, when). An unknown id gives ErrNotFound. A
// failure that is not awaiting_approval gives ErrConflict, and nothing is
// written: the decision and the record never disagree.
func (s *Store) DecideApproval(ctx context.Context, id string, decision ApprovalStatus, actor, reason string, ev AuditEntry) (Approval, error) {
	to, ok := approvalOutcome[decision]
	if !ok {
		return Approval{}, fmt.Errorf("%w: decide approval %s: decision %q", ErrInvalid, id, decision)
	}
	if actor == "" || (ev.Actor != "" && ev.Actor != actor) {
		// The audit entry must name whoever decided, and nobody else.
		return Approval{}, fmt.Errorf("%w: decide approval %s: actor %q, event actor %q", ErrInvalid, id, actor, ev.Actor)
	}
	if ev.ActionType != "" && ev.ActionType != ActionApproval {
		return Approval{}, fmt.Errorf("%w: decide approval %s: event action %q", ErrInvalid, id, ev.ActionType)
	}
	ev.ActionType, ev.Actor, ev.RequestID = ActionApproval, actor, id
	ev.Details = withDetail(ev.Details, "decision", string(decision))
	if reason != "" {
		ev.Details["reason"] = reason
	}
	if ev.Outcome == "" {
		ev.Outcome = OutcomeSuccess
	}
	for range maxCASAttempts {
		a, err := s.GetApproval(ctx, id)
		if err != nil {
			return Approval{}, fmt.Errorf("decide approval %s: %w", id, err)
		}
		if a.Status != ApprovalPending {
			return a, fmt.Errorf("decide approval %s: %w", id, decidedError(a))
		}
		rec, rev, err := s.readFailure(ctx, a.FailureID)
		if err != nil {
			return s.refuseDecision(ctx, a, err)
		}
		if rec.Status != StatusAwaitingApproval {
			return s.refuseDecision(ctx, a, fmt.Errorf("failure %s is %s, not %s: %w",
				a.FailureID, rec.Status, StatusAwaitingApproval, ErrConflict))
		}
		e := ev
		if e.Timestamp.IsZero() {
			e.Timestamp = s.now()
		}
		decidedAt := e.Timestamp.UTC() // the audit ts and decided_at are one instant
		next := rec
		next.Status, next.UpdatedAt = to, decidedAt
		fillEvent(&e, next)
		js, err := json.Marshal(next)
		if err != nil {
			return a, fmt.Errorf("decide approval %s: encode failure: %w", id, err)
		}
		aargs, err := s.auditArgs(&e)
		if err != nil {
			return a, fmt.Errorf("decide approval %s: %w", id, err)
		}
		keys := append([]string{s.k.approval(id), s.k.approvalsPending(), s.k.failure(a.FailureID)}, s.k.auditKeys()...)
		args := append([]any{id, string(decision), actor, decidedAt.Format(time.RFC3339Nano), reason,
			rev, string(StatusAwaitingApproval), string(to), js, categoryOf(next)}, aargs...)
		res, err := decideApprovalScript.Run(ctx, s.rdb, keys, args...).StringSlice()
		if err != nil {
			return a, fmt.Errorf("decide approval %s: %w", id, err)
		}
		switch res[0] {
		case "ok":
			a.Status, a.DecidedBy, a.DecidedAt, a.Reason = decision, actor, decidedAt, reason
			return a, nil
		case "gone":
			return Approval{}, fmt.Errorf("decide approval %s: %w", id, ErrNotFound)
		case "nofailure":
			return a, fmt.Errorf("decide approval %s: failure %s: %w", id, a.FailureID, ErrNotFound)
		}
		// decided (someone won since we read: the next read says who) or
		// stale (the record changed in place): go round again.
	}
	return Approval{}, fmt.Errorf("decide approval %s: record kept changing: %w", id, ErrConflict)
}

// refuseDecision answers a decision whose failure record is not awaiting
// approval. Usually that is because another decision won between our two
// reads (it moved the record too): then the loser must hear who won, not a
// bare conflict. Otherwise the record moved on by another path and err
// stands; nothing was written.
func (s *Store) refuseDecision(ctx context.Context, a Approval, err error) (Approval, error) {
	if now, gerr := s.GetApproval(ctx, a.ID); gerr == nil && now.Status != ApprovalPending {
		return now, fmt.Errorf("decide approval %s: %w", a.ID, decidedError(now))
	}
	return a, fmt.Errorf("decide approval %s: %w", a.ID, err)
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
	for offset := int64(0); ; offset += pageSize {
		ids, err := s.rdb.ZRangeByScore(ctx, s.k.approvalsPending(), &redis.ZRangeBy{
			Min: "-inf", Max: maxScore, Offset: offset, Count: pageSize,
		}).Result()
		if err != nil {
			return nil, fmt.Errorf("pending approvals: %w", err)
		}
		pipe := s.rdb.Pipeline()
		cmds := make([]*redis.MapStringStringCmd, len(ids))
		for i, id := range ids {
			cmds[i] = pipe.HGetAll(ctx, s.k.approval(id))
		}
		if len(ids) > 0 {
			if _, err := pipe.Exec(ctx); err != nil {
				return nil, fmt.Errorf("pending approvals: %w", err)
			}
		}
		for i, id := range ids {
			m := cmds[i].Val()
			if len(m) == 0 {
				continue // deleted since the index was read
			}
			a, err := decodeApproval(id, m)
			if err != nil {
				return nil, fmt.Errorf("pending approvals: %w", err)
			}
			// Decided since the index was read, or not quite due.
			if a.Status != ApprovalPending || (!due.IsZero() && a.ExpiresAt.After(due)) {
				continue
			}
			out = append(out, a)
		}
		if len(ids) < pageSize {
			return out, nil
		}
	}
}
