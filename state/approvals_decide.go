package state

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// deadlineLayout writes an instant as the decide script compares it with
// expires_at: fixed width (nine fraction digits), so that for years
// 1970-9999 string order is time order.
const deadlineLayout = "2006-01-02T15:04:05.000000000Z07:00"

// What the decide script does with the failure record (ARGV "record").
const (
	recordMove    = "move"    // awaiting_approval -> the decision, compare-and-set on rev
	recordKeep    = "keep"    // moved on by another path: left as it is (rev and status checked)
	recordDeleted = "deleted" // gone: stays gone
)

// DecideApproval moves request id from pending to decision (approved,
// rejected or expired) exactly once, as a compare-and-set that also moves
// its failure awaiting_approval -> the same status and appends ev (action
// approval, details.decision and reason, actor = actor, ts = decided_at)
// in one atomic step.
//
// Who: only ActorCCM expires a request, and only a person (a Slack user
// ID, never ccm or "") approves or rejects one; otherwise
// ErrActorNotAllowed. When: a person's decision is refused with ErrExpired
// at or after expires_at, measured by the later of the store's clock and
// ev.Timestamp (decided_at), so one that arrives late never wins even
// though the expiry has not run yet. An expiry is allowed at any time (ccm
// also expires a request early, e.g. when the branch got a new commit).
//
// Of concurrent calls one wins; every other gets ErrAlreadyDecided and the
// request as decided (who won, when). An unknown id gives ErrNotFound.
//
// A failure that is no longer awaiting_approval (moved on by another path)
// refuses an approval or rejection with ErrConflict, and a deleted one with
// ErrNotFound; nothing is written, so the decision and the record never
// disagree. The expiry instead closes such a request and leaves the record
// as it is (or gone), with its audit entry saying so in
// details.record_moved_on (the record's status, or "deleted"): otherwise
// the request would stay pending forever and every sweep would find it due
// again.
func (s *Store) DecideApproval(ctx context.Context, id string, decision ApprovalStatus, actor, reason string, ev AuditEntry) (Approval, error) {
	to, ok := approvalOutcome[decision]
	if !ok {
		return Approval{}, fmt.Errorf("%w: decide approval %s: decision %q", ErrInvalid, id, decision)
	}
	if err := checkDecider(decision, actor); err != nil {
		return Approval{}, fmt.Errorf("decide approval %s: %w", id, err)
	}
	if ev.Actor != "" && ev.Actor != actor {
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
		mode := recordMove
		switch {
		case errors.Is(err, ErrNotFound) && decision == ApprovalExpired:
			mode = recordDeleted
		case err != nil:
			return s.refuseDecision(ctx, a, err)
		case rec.Status != StatusAwaitingApproval && decision == ApprovalExpired:
			mode = recordKeep
		case rec.Status != StatusAwaitingApproval:
			return s.refuseDecision(ctx, a, fmt.Errorf("failure %s is %s, not %s: %w",
				a.FailureID, rec.Status, StatusAwaitingApproval, ErrConflict))
		}
		e := ev
		if e.Timestamp.IsZero() {
			e.Timestamp = s.now()
		}
		decidedAt := e.Timestamp.UTC() // the audit ts and decided_at are one instant
		deadline := ""                 // the expiry has none
		if decision != ApprovalExpired {
			deadline = later(decidedAt, s.now()).UTC().Format(deadlineLayout)
		}
		next, js := rec, ""
		switch mode {
		case recordMove:
			next.Status, next.UpdatedAt = to, decidedAt
			b, err := json.Marshal(next)
			if err != nil {
				return a, fmt.Errorf("decide approval %s: encode failure: %w", id, err)
			}
			js = string(b)
		case recordKeep:
			e.Details = withDetail(ev.Details, "record_moved_on", string(rec.Status))
		case recordDeleted:
			e.Details = withDetail(ev.Details, "record_moved_on", recordDeleted)
			next = FailureRecord{ID: a.FailureID, Repo: a.Repo}
		}
		fillEvent(&e, next)
		aargs, err := s.auditArgs(&e)
		if err != nil {
			return a, fmt.Errorf("decide approval %s: %w", id, err)
		}
		keys := append([]string{s.k.approval(id), s.k.approvalsPending(), s.k.failure(a.FailureID)}, s.k.auditKeys()...)
		fixed := []any{id, string(decision), actor, decidedAt.Format(time.RFC3339Nano), reason, deadline,
			mode, rev, string(rec.Status), string(to), js, categoryOf(next)}
		res, err := decideApprovalScript.Run(ctx, s.rdb, keys, scriptArgs(fixed, aargs, nil)...).StringSlice()
		if err != nil {
			return a, fmt.Errorf("decide approval %s: %w", id, err)
		}
		switch res[0] {
		case "ok":
			a.Status, a.DecidedBy, a.DecidedAt, a.Reason = decision, actor, decidedAt, reason
			return a, nil
		case "gone":
			return Approval{}, fmt.Errorf("decide approval %s: %w", id, ErrNotFound)
		case "late":
			return a, fmt.Errorf("decide approval %s: %w (expires_at %s, decided at %s)",
				id, ErrExpired, a.ExpiresAt.Format(time.RFC3339Nano), deadline)
		}
		// decided (someone won since we read: the next read says who) or
		// stale (the record changed since we read it): go round again.
	}
	return Approval{}, fmt.Errorf("decide approval %s: record kept changing: %w", id, ErrConflict)
}

// checkDecider refuses a decision its actor may not make: ccm only expires
// (it never allows actions nobody approved, nor refuses in a person's
// name), and a person's decision needs the person.
func checkDecider(decision ApprovalStatus, actor string) error {
	if decision == ApprovalExpired && actor != ActorCCM {
		return fmt.Errorf("%w: only %s expires a request, not %q", ErrActorNotAllowed, ActorCCM, actor)
	}
	if decision != ApprovalExpired && (actor == "" || actor == ActorCCM) {
		return fmt.Errorf("%w: %s needs a person, not %q", ErrActorNotAllowed, decision, actor)
	}
	return nil
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
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
