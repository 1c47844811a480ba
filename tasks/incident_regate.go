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

// RegateTaskID is the task ID of a failure's re-gate after the incident
// that opened at openedAt closed. It is not GateTaskID: that ID keeps its
// first task for the dedup retention and would swallow the re-gate; one
// per incident keeps a repeated close (or a retried sweep) single.
func RegateTaskID(failureID string, openedAt time.Time) string {
	return "regate:" + failureID + ":" + strconv.FormatInt(openedAt.UnixMilli(), 10)
}

// regatePaused re-runs the gate, now that inc is closed, on every failure
// it paused that nothing has moved on since:
//   - analyzed without a decision (paused before the decision was saved):
//     ccm:gate decides it afresh;
//   - analyzed or awaiting_approval with a decision: the gate decides again
//     and, when the decision or its failed checks changed, the new one is
//     written with a validation entry (previous_decision, regated). An
//     analyzed record then gets a ccm:gate that carries the new decision
//     out (an auto one acts). A pending request stays pending, as in
//     ReevaluatePending: a person was asked and keeps the last word, so
//     the record says auto while the request waits for them or expires;
//   - anything else (approved, rejected, remediating...) was settled by
//     a person or by ccm meanwhile and is left alone.
func (h *Handlers) regatePaused(ctx context.Context, st Store, inc state.Incident, log *slog.Logger) error {
	ids, err := st.PausedFailures(ctx, inc.Fingerprint)
	if err != nil {
		return fmt.Errorf("re-gate after incident %s: %w", inc.Fingerprint, err)
	}
	var errs []error
	regated := 0
	for _, id := range ids {
		ok, err := h.regateOne(ctx, st, id, inc, log.With("failure_id", id))
		if err != nil {
			errs = append(errs, err)
		}
		if ok {
			regated++
		}
	}
	log.Info("paused failures re-gated", "fingerprint", inc.Fingerprint, "paused", len(ids), "changed", regated)
	return errors.Join(errs...)
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
		return true, h.enqueueRegate(ctx, id, inc)
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
		return false, nil
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
	if !saved {
		return false, nil
	}
	log.Info("re-gated after the incident closed", "previous_decision", old.Decision, "decision", g.Decision, "mode", g.Mode)
	if rec.Status == state.StatusAnalyzed {
		return true, h.enqueueRegate(ctx, id, inc)
	}
	return true, nil
}

// enqueueRegate enqueues ccm:gate for a paused failure under its re-gate
// task ID; the handler reloads the record and does what it says.
func (h *Handlers) enqueueRegate(ctx context.Context, id string, inc state.Incident) error {
	task, err := NewGateTask(id)
	if err != nil {
		return err
	}
	_, err = h.d.Queue.EnqueueContext(ctx, task, asynq.TaskID(RegateTaskID(id, inc.OpenedAt)),
		asynq.Retention(DedupRetention(h.d.Config())))
	if err := ignoreConflict(nil, err); err != nil {
		return fmt.Errorf("re-gate %s: %w", id, err)
	}
	return nil
}
