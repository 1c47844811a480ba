package tasks

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/hibiken/asynq"

	"github.com/ccm-ci/ccm/policy"
	"github.com/ccm-ci/ccm/state"
)

// HandleGate runs the safety gate on an analyzed failure and carries the
// decision out as far as this slice goes:
//   - it writes the decision on the record with its validation audit entry
//     in one atomic step, once (a second delivery finds it and goes on);
//   - shadow: nothing else (the record stays analyzed, marked shadow) but
//     ccm:shadow-check, which finds out later what became of it;
//   - approval: an approval request, and its expiry scheduled;
//   - auto: ccm:remediate enqueued (once per failure);
//   - none: nothing else.
//
// It reloads the record and trusts the payload only for the ID. Every step
// is idempotent, so a retry after a crash between them finishes the work.
func (h *Handlers) HandleGate(ctx context.Context, t *asynq.Task) error {
	var p GatePayload
	if err := decode(t, &p); err != nil {
		return err
	}
	return h.gate(ctx, p.FailureID)
}

// gate is ccm:gate's work on failure id, also done by a re-gate.
func (h *Handlers) gate(ctx context.Context, id string) error {
	st := h.d.Store
	rec, err := st.GetFailure(ctx, id)
	if errors.Is(err, state.ErrNotFound) {
		return fmt.Errorf("gate %s: %w: %w", id, err, errFinal)
	}
	if err != nil {
		return fmt.Errorf("gate %s: %w", id, err)
	}
	log := h.d.log().With("failure_id", id, "repo", rec.Repo, "task_type", TypeGate)
	switch rec.Status {
	case state.StatusAnalyzed:
	case state.StatusAwaitingApproval:
		// Decided and asked; make sure the expiry is scheduled (a crash may
		// have come between the request and its scheduling).
		return h.ensureExpiry(ctx, st, rec, log)
	default:
		log.Debug("not analyzed; nothing for the gate to do", "status", rec.Status)
		return nil
	}
	if rec.Gate == nil {
		d, err := h.decide(ctx, st, rec, log)
		if err != nil {
			return fmt.Errorf("gate %s: %w", id, err)
		}
		g := GateRecord(d, h.d.now())
		saved, err := st.SaveGate(ctx, id, state.StatusAnalyzed, g, validationEvent(rec, g),
			func(cur state.FailureRecord) bool { return cur.Gate != nil })
		if errors.Is(err, state.ErrConflict) {
			log.Debug("record moved on while the gate decided; nothing to do")
			return nil
		}
		if err != nil {
			return fmt.Errorf("gate %s: %w", id, err)
		}
		if saved {
			log.Info("gate decided", "decision", g.Decision, "mode", g.Mode, "effective_risk", g.EffectiveRisk,
				"threshold", g.Threshold, "threshold_source", g.ThresholdSource, "failed_checks", g.Failed)
		}
		// Another worker may have decided first: carry out what is stored.
		if rec, err = st.GetFailure(ctx, id); err != nil {
			return fmt.Errorf("gate %s: %w", id, err)
		}
		if rec.Gate == nil || rec.Status != state.StatusAnalyzed {
			return nil // moved on by another path
		}
	}
	return h.carryOut(ctx, st, rec, log)
}

// carryOut does what a stored decision calls for, idempotently.
func (h *Handlers) carryOut(ctx context.Context, st Store, rec state.FailureRecord, log *slog.Logger) error {
	g := *rec.Gate
	switch {
	case rec.Shadow:
		log.Info("shadow mode: decision recorded, nothing done", "decision", g.Decision)
		if rec.ShadowOutcome != nil {
			return nil
		}
		// Find out later what became of it, for the scorecard.
		return h.enqueueShadowCheck(ctx, rec.ID, 0, shadowFirstDelay, log)
	case g.Decision == policy.KindApproval.String():
		return h.requestApproval(ctx, st, rec, log)
	case g.Decision == policy.KindAuto.String():
		// ccm:remediate re-checks the decision and the world before acting;
		// its task ID makes a second gate delivery enqueue it once.
		if err := h.EnqueueRemediate(ctx, rec.ID); err != nil {
			return fmt.Errorf("gate %s: %w", rec.ID, err)
		}
		log.Info("the gate allows acting alone: remediation enqueued", "actions", actionTypes(g.Actions))
		return nil
	default:
		log.Info("nothing useful to do: people are told, nothing is touched", "decision", g.Decision)
		return nil
	}
}

// requestApproval asks a person: a pending request (the record moves to
// awaiting_approval with the approval audit entry), then its expiry.
func (h *Handlers) requestApproval(ctx context.Context, st Store, rec state.FailureRecord, log *slog.Logger) error {
	g := *rec.Gate
	now := h.d.now()
	req := state.Approval{
		FailureID: rec.ID, Repo: rec.Repo, Actions: g.Actions, Risk: min(max(g.EffectiveRisk, 0), 10),
		Reasons: g.Reasons, RequestedAt: now, ExpiresAt: now.Add(h.d.Config().ApprovalTimeout),
	}
	ev := state.AuditEntry{
		Timestamp: now, Actor: "ccm",
		Details: map[string]any{"mode": g.Mode, "risk": req.Risk, "actions": actionTypes(g.Actions), "reasons": g.Reasons},
	}
	a, created, err := st.RequestApproval(ctx, req, ev)
	switch {
	case errors.Is(err, state.ErrAlreadyDecided):
		log.Debug("approval already requested and decided", "request_id", a.ID, "status", a.Status)
		return nil
	case errors.Is(err, state.ErrConflict):
		log.Debug("record moved on before the approval request; nothing to do")
		return nil
	case err != nil:
		return fmt.Errorf("gate %s: %w", rec.ID, err)
	}
	if created {
		log.Info("approval requested", "request_id", a.ID, "expires_at", a.ExpiresAt, "actions", actionTypes(a.Actions))
	}
	return h.enqueueExpire(ctx, a)
}

// ensureExpiry schedules the expiry of a failure's pending request.
func (h *Handlers) ensureExpiry(ctx context.Context, st Store, rec state.FailureRecord, log *slog.Logger) error {
	a, err := st.ApprovalForFailure(ctx, rec.ID)
	if errors.Is(err, state.ErrNotFound) {
		log.Warn("awaiting approval without a request; the expiry sweep cannot help, a person must look")
		return nil
	}
	if err != nil {
		return fmt.Errorf("gate %s: %w", rec.ID, err)
	}
	if a.Status != state.ApprovalPending {
		return nil
	}
	return h.enqueueExpire(ctx, a)
}

// enqueueExpire schedules ccm:expire at the request's expires_at, once per
// request (task ID expire:<request id>).
func (h *Handlers) enqueueExpire(ctx context.Context, a state.Approval) error {
	task, err := NewExpireTask(a.ID, a.FailureID, a.ExpiresAt)
	if err != nil {
		return err
	}
	if err := h.enqueueOnce(ctx, task, policies[TypeExpire].queue, ExpireTaskID(a.ID)); err != nil {
		return fmt.Errorf("schedule expiry of %s (failure %s): %w", a.ID, a.FailureID, err)
	}
	return nil
}

// enqueueGate enqueues the gate of an analyzed failure, once per failure.
func (h *Handlers) enqueueGate(ctx context.Context, id string) error {
	task, err := NewGateTask(id)
	if err != nil {
		return err
	}
	if err := h.enqueueOnce(ctx, task, policies[TypeGate].queue, GateTaskID(id)); err != nil {
		return fmt.Errorf("enqueue gate %s: %w", id, err)
	}
	return nil
}
