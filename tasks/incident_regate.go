package tasks

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"time"

	"github.com/hibiken/asynq"

	"github.com/ccm-ci/ccm/state"
)

// RegateTaskID is the task ID of a failure's re-gate (ccm:regate) after
// the incident that opened at openedAt closed. It is not GateTaskID: that
// ID keeps its first task for the dedup retention and would swallow the
// re-gate; one per incident keeps a repeated close (or a retried sweep)
// single.
func RegateTaskID(failureID string, openedAt time.Time) string {
	return "regate:" + failureID + ":" + strconv.FormatInt(openedAt.UnixMilli(), 10)
}

// queueRegates enqueues ccm:regate for every failure a closed incident
// paused. The close listed them as pending in the same step, and each is
// forgotten only once its task has succeeded (HandleRegate), not when it
// is enqueued: a failed enqueue, a crash, or a task archived after its
// retries (enqueueOnce revives it) is retried by the next poll's sweep, so
// nothing paused is lost.
func (h *Handlers) queueRegates(ctx context.Context, log *slog.Logger) error {
	pending, err := h.d.Store.PendingRegates(ctx)
	if err != nil {
		return fmt.Errorf("re-gates after incidents: %w", err)
	}
	var errs []error
	for _, r := range pending {
		task, err := NewRegateTask(RegatePayload{FailureID: r.FailureID, Fingerprint: r.Fingerprint, OpenedAt: r.OpenedAt})
		if err != nil {
			errs = append(errs, err)
			continue
		}
		// A task already queued, running or done for this failure and
		// incident holds the ID and nothing is enqueued; an archived one
		// is enqueued again.
		id := RegateTaskID(r.FailureID, r.OpenedAt)
		if err := h.enqueueOnce(ctx, task, policies[TypeRegate].queue, id); err != nil {
			errs = append(errs, fmt.Errorf("enqueue re-gate of %s: %w", r.FailureID, err))
		}
	}
	if len(pending) > 0 {
		log.Info("paused failures handed to ccm:regate", "pending", len(pending), "errors", len(errs))
	}
	return errors.Join(errs...)
}

// HandleRegate re-runs the gate on one failure an incident paused, now
// that the incident is closed; its retries make sure the failure is not
// forgotten:
//   - analyzed without a decision (paused before the decision was saved):
//     the gate decides it afresh and carries the decision out;
//   - analyzed or awaiting_approval with a decision: the gate decides again
//     and, when the decision or its failed checks changed, the new one is
//     written with a validation entry (previous_decision, regated). An
//     analyzed record then has its decision carried out (an auto one
//     acts). A pending request stays pending, as in ReevaluatePending: a
//     person was asked and keeps the last word, so the record says auto
//     while the request waits for them or expires;
//   - anything else (approved, rejected, remediating...) was settled by
//     a person or by ccm meanwhile and is left alone.
func (h *Handlers) HandleRegate(ctx context.Context, t *asynq.Task) error {
	var p RegatePayload
	if err := decode(t, &p); err != nil {
		return err
	}
	inc := state.Incident{Fingerprint: p.Fingerprint, OpenedAt: p.OpenedAt}
	log := h.d.log().With("failure_id", p.FailureID, "task_type", TypeRegate, "fingerprint", p.Fingerprint)
	changed, err := h.regateOne(ctx, h.d.Store, p.FailureID, inc, log)
	if err != nil {
		return err
	}
	// Done: the pending entry the poll re-enqueues from is forgotten only
	// now, so a re-gate archived after its retries is not lost.
	r := state.Regate{FailureID: p.FailureID, Fingerprint: p.Fingerprint, OpenedAt: p.OpenedAt}
	if err := h.d.Store.RegateQueued(ctx, r); err != nil {
		return fmt.Errorf("re-gate %s: %w", p.FailureID, err)
	}
	log.Debug("re-gate done", "changed", changed)
	return nil
}

func (h *Handlers) regateOne(ctx context.Context, st Store, id string, inc state.Incident, log *slog.Logger) (bool, error) {
	rec, err := st.GetFailure(ctx, id)
	if errors.Is(err, state.ErrNotFound) {
		return false, nil // gone to retention
	}
	if err != nil {
		return false, fmt.Errorf("re-gate %s: %w", id, err)
	}
	switch {
	case rec.Status == state.StatusAnalyzed && rec.Gate == nil:
		return true, h.gate(ctx, id)
	case rec.Status != state.StatusAnalyzed && rec.Status != state.StatusAwaitingApproval:
		return false, nil
	}
	d, err := h.decide(ctx, st, rec, log)
	if err != nil {
		return false, fmt.Errorf("re-gate %s: %w", id, err)
	}
	g := GateRecord(d, h.d.now())
	old := *rec.Gate
	same := func(cur state.FailureRecord) bool {
		return cur.Gate != nil && cur.Gate.Decision == g.Decision && slices.Equal(cur.Gate.Failed, g.Failed)
	}
	if same(rec) {
		// Unchanged (or changed by an earlier delivery of this task that
		// then stopped): an analyzed record's decision is carried out,
		// which the gate does once.
		return false, h.carryOutAnalyzed(ctx, id, rec)
	}
	ev := validationEvent(rec, g)
	ev.Details["previous_decision"] = old.Decision
	ev.Details["regated"] = "incident closed"
	ev.Details["fingerprint"] = inc.Fingerprint
	if rec.Status == state.StatusAwaitingApproval {
		ev.Outcome = state.OutcomePending // the person is still asked
		ev.Details["request"] = keptPending
		if a, err := st.ApprovalForFailure(ctx, id); err == nil {
			ev.RequestID = a.ID
		}
	}
	saved, err := st.SaveGate(ctx, id, rec.Status, g, ev, same)
	if errors.Is(err, state.ErrConflict) {
		return false, nil // moved on meanwhile: whoever moved it decided
	}
	if err != nil {
		return false, fmt.Errorf("re-gate %s: %w", id, err)
	}
	if saved {
		log.Info("re-gated after the incident closed", "previous_decision", old.Decision, "decision", g.Decision, "mode", g.Mode)
	}
	return saved, h.carryOutAnalyzed(ctx, id, rec)
}

// carryOutAnalyzed has the gate carry out an analyzed record's stored
// decision (a request left waiting for a person is not touched).
func (h *Handlers) carryOutAnalyzed(ctx context.Context, id string, rec state.FailureRecord) error {
	if rec.Status != state.StatusAnalyzed {
		return nil
	}
	if err := h.gate(ctx, id); err != nil {
		return fmt.Errorf("re-gate %s: %w", id, err)
	}
	return nil
}
