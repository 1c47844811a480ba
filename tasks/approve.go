package tasks

import (
	"context"
	"errors"
	"fmt"

	"github.com/ccm-ci/ccm/state"
)

// Approve decides approval request requestID approved by actor (a Slack
// user ID) through state.DecideApproval — exactly once, atomically with
// the record's move to approved and its audit entry — and enqueues
// ccm:remediate for the failure. The Slack Approve button calls it.
//
// Of concurrent calls one wins; the others get state.ErrAlreadyDecided and
// the request as decided (who won, when), and enqueue nothing. The winner
// enqueues once (task ID remediate:<failure id>); if that enqueue fails the
// error says so and calling Approve again is refused as already decided,
// so the caller retries the enqueue with EnqueueRemediate.
func (h *Handlers) Approve(ctx context.Context, requestID, actor string) (state.Approval, error) {
	st := h.d.Store
	ev := state.AuditEntry{Timestamp: h.d.now(), Actor: actor}
	a, err := st.DecideApproval(ctx, requestID, state.ApprovalApproved, actor, "", ev)
	if err != nil {
		if errors.Is(err, state.ErrAlreadyDecided) {
			return a, fmt.Errorf("approve %s: %w", requestID, err)
		}
		return a, fmt.Errorf("approve %s by %s: %w", requestID, actor, err)
	}
	h.d.log().Info("approval decided: remediating", "failure_id", a.FailureID, "request_id", a.ID, "actor", actor)
	if err := h.EnqueueRemediate(ctx, a.FailureID); err != nil {
		return a, fmt.Errorf("approve %s: approved, but %w", requestID, err)
	}
	return a, nil
}

// Reject decides approval request requestID rejected by actor (a Slack
// user ID) with an optional reason, through state.DecideApproval — exactly
// once, atomically with the record's move to rejected and its audit entry
// (details decision rejected and reason). Nothing is enqueued: a rejected
// failure is left as it is. The Slack Reject button's modal calls it; of
// concurrent decisions one wins and the others get state.ErrAlreadyDecided
// with the request as decided.
func (h *Handlers) Reject(ctx context.Context, requestID, actor, reason string) (state.Approval, error) {
	st := h.d.Store
	ev := state.AuditEntry{Timestamp: h.d.now(), Actor: actor}
	a, err := st.DecideApproval(ctx, requestID, state.ApprovalRejected, actor, reason, ev)
	if err != nil {
		return a, fmt.Errorf("reject %s by %s: %w", requestID, actor, err)
	}
	h.d.log().Info("approval decided: rejected", "failure_id", a.FailureID, "request_id", a.ID, "actor", actor)
	return a, nil
}

// EnqueueRemediate enqueues ccm:remediate for a failure, once per failure.
func (h *Handlers) EnqueueRemediate(ctx context.Context, failureID string) error {
	task, err := NewRemediateTask(failureID)
	if err != nil {
		return err
	}
	if err := h.enqueueOnce(ctx, task, policies[TypeRemediate].queue, RemediateTaskID(failureID)); err != nil {
		return fmt.Errorf("enqueue remediation of %s: %w", failureID, err)
	}
	return nil
}
