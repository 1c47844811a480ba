package tasks

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/hibiken/asynq"

	"github.com/ccm-ci/ccm/state"
)

// reasonTimeout is the reason an expired request carries.
const reasonTimeout = "approval_timeout elapsed"

// HandleExpire turns a still-pending, due approval request into expired
// (the failure moves awaiting_approval -> expired with the approval audit
// entry, actor ccm) and raises a critical alert: a failure nobody decided
// on is an escalation. A request already decided is left alone, so the
// task is idempotent and loses every race to a person's click.
func (h *Handlers) HandleExpire(ctx context.Context, t *asynq.Task) error {
	var p ExpirePayload
	if err := decode(t, &p); err != nil {
		return err
	}
	st := h.d.Store
	a, err := st.GetApproval(ctx, p.RequestID)
	if errors.Is(err, state.ErrNotFound) {
		// Deleted by retention (it outlived the failure); nothing to expire.
		h.d.log().Info("approval request gone; nothing to expire", "failure_id", p.FailureID,
			"request_id", p.RequestID, "task_type", TypeExpire)
		return nil
	}
	if err != nil {
		return fmt.Errorf("expire %s (failure %s): %w", p.RequestID, p.FailureID, err)
	}
	_, err = h.expire(ctx, st, a)
	return err
}

// expire decides one request expired if it is still pending and due at
// now, and reports whether it did. Used by the task and the sweep alike.
func (h *Handlers) expire(ctx context.Context, st Store, a state.Approval) (bool, error) {
	now := h.d.now()
	log := h.d.log().With("failure_id", a.FailureID, "repo", a.Repo, "request_id", a.ID, "task_type", TypeExpire)
	if a.Status != state.ApprovalPending {
		log.Debug("approval already decided; nothing to expire", "status", a.Status, "decided_by", a.DecidedBy)
		return false, nil
	}
	if now.Before(a.ExpiresAt) {
		// Early (a clock ahead of the scheduler's): the poll's sweep
		// expires it once it is due, so no retry is spent waiting here.
		log.Info("approval not due yet; the sweep will expire it", "expires_at", a.ExpiresAt)
		return false, nil
	}
	if ok, err := h.decideExpired(ctx, st, a, reasonTimeout, nil, log); err != nil || !ok {
		return false, err
	}
	// Only the winner of DecideApproval gets here, so each request raises
	// its alert once; the summary names the failure so the throttle never
	// merges two requests into one page.
	h.d.raise(ctx, &h.throttle, Alert{
		Severity: SeverityCritical, Repo: a.Repo, FailureID: a.FailureID,
		Summary: fmt.Sprintf("approval for %s expired after approval_timeout without a decision: nothing was done", a.FailureID),
		Details: map[string]any{"request_id": a.ID, "expires_at": a.ExpiresAt.Format(time.RFC3339),
			"actions": actionTypes(a.Actions), "risk": a.Risk},
	})
	log.Warn("approval expired without a decision", "expires_at", a.ExpiresAt)
	return true, nil
}

// sweepDueApprovals expires every pending request past its expires_at.
// The ccm:expire task normally does it on time; the sweep honours one lost
// to an outage (a task archived, a Redis restart without persistence).
//
// It runs in the poll (see reconcile), not in retention: a poll runs every
// poll_interval on any deployment that watches anything, so a lost expiry
// is late by one interval at most, where the hourly retention would leave
// it up to an hour. It is global, not per repository, so a request of a
// repository no longer watched still expires; concurrent sweeps from
// several polls are safe, since DecideApproval decides each request once.
func (h *Handlers) sweepDueApprovals(ctx context.Context) (int, error) {
	st := h.d.Store
	due, err := st.DueApprovals(ctx, h.d.now())
	if err != nil {
		return 0, fmt.Errorf("sweep approvals: %w", err)
	}
	n := 0
	var errs []error
	for _, a := range due {
		ok, err := h.expire(ctx, st, a)
		if ok {
			n++
		}
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return n, fmt.Errorf("sweep approvals: %w", err)
	}
	return n, nil
}

// decideExpired decides a pending request expired by ccm with reason,
// atomically with its failure's move and the approval audit entry
// (details.reason, plus details); false when it was not pending any more
// or its failure had left awaiting_approval by another path.
func (h *Handlers) decideExpired(ctx context.Context, st Store, a state.Approval, reason string,
	details map[string]any, log *slog.Logger) (bool, error) {
	d := map[string]any{"expires_at": a.ExpiresAt.Format(time.RFC3339), "requested_at": a.RequestedAt.Format(time.RFC3339)}
	for k, v := range details {
		d[k] = v
	}
	ev := state.AuditEntry{Timestamp: h.d.now(), Actor: state.ActorCCM, Details: d}
	got, err := st.DecideApproval(ctx, a.ID, state.ApprovalExpired, state.ActorCCM, reason, ev)
	switch {
	case errors.Is(err, state.ErrAlreadyDecided):
		log.Info("approval decided before it expired", "status", got.Status, "decided_by", got.DecidedBy)
		return false, nil
	case errors.Is(err, state.ErrConflict):
		// The record left awaiting_approval by another path; nothing was
		// written, and a person must see the mismatch.
		log.Warn("approval to expire but its failure is not awaiting approval; left pending", "err", err)
		return false, nil
	case errors.Is(err, state.ErrNotFound):
		log.Info("approval or its failure gone; nothing to expire", "err", err)
		return false, nil
	case err != nil:
		return false, fmt.Errorf("expire %s (failure %s): %w", a.ID, a.FailureID, err)
	}
	return true, nil
}
