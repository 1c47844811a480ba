package tasks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/hibiken/asynq"

	"github.com/ccm-ci/ccm/integrations/github"
	"github.com/ccm-ci/ccm/internal/backoff"
	"github.com/ccm-ci/ccm/state"
)

// How often ccm:shadow-check looks: a person who re-runs a flaky job does
// so within the hour, a fix takes hours to days, so the checks start at
// 15 minutes and back off to one every 6 hours, about 15 checks (a few
// reads each) over the default 72h horizon.
const (
	shadowFirstDelay = 15 * time.Minute
	shadowMaxDelay   = 6 * time.Hour
)

// ShadowCheckPayload names the shadow failure to follow and which check
// this is (0 for the first).
type ShadowCheckPayload struct {
	FailureID string `json:"failure_id"`
	Check     int    `json:"check,omitempty"`
}

// NewShadowCheckTask builds check n of a shadow failure's follow-up, to
// run after delay.
func NewShadowCheckTask(failureID string, n int, delay time.Duration) (*asynq.Task, error) {
	b, err := json.Marshal(ShadowCheckPayload{FailureID: failureID, Check: n})
	if err != nil {
		return nil, fmt.Errorf("shadow check task %s: %w", failureID, err)
	}
	opts := options(TypeShadowCheck, ShadowCheckTaskID(failureID, n))
	if delay > 0 {
		opts = append(opts, asynq.ProcessIn(delay))
	}
	return asynq.NewTask(TypeShadowCheck, b, opts...), nil
}

// ShadowCheckTaskID is the task ID of check n: shadow:<failure id> for
// the first, shadow:<failure id>:<n> after it, so a duplicate delivery
// of one check schedules the next once.
func ShadowCheckTaskID(failureID string, n int) string {
	if n == 0 {
		return "shadow:" + failureID
	}
	return fmt.Sprintf("shadow:%s:%d", failureID, n)
}

// HandleShadowCheck finds out what became of a failure ccm decided on in
// shadow mode, so its scorecard can say whether ccm's would-be decision
// would have fixed it (observeShadow lists the outcomes). Until an outcome
// is known it checks again with backoff; at the shadow_horizon after the
// decision it records nothing_helped. The outcome, the repository's tally
// and the audit entry are one atomic step that a second delivery finds
// done.
func (h *Handlers) HandleShadowCheck(ctx context.Context, t *asynq.Task) error {
	var p ShadowCheckPayload
	if err := decode(t, &p); err != nil {
		return err
	}
	st, gh := h.d.Store, h.d.GitHub
	log := h.d.log().With("failure_id", p.FailureID, "task_type", TypeShadowCheck, "check", p.Check)
	rec, err := st.GetFailure(ctx, p.FailureID)
	if errors.Is(err, state.ErrNotFound) {
		log.Info("the failure is gone (retention); nothing to follow")
		return nil
	}
	if err != nil {
		return fmt.Errorf("shadow check %s: %w", p.FailureID, err)
	}
	log = log.With("repo", rec.Repo)
	if !rec.Shadow || rec.Gate == nil || rec.ShadowOutcome != nil {
		log.Debug("not a shadow decision waiting for its outcome", "shadow", rec.Shadow)
		return nil
	}
	now := h.d.now()
	// A config that skipped validation must not judge every decision
	// "nothing helped" at its first look (shadowSpan).
	span := shadowSpan(h.d.Config())
	horizon := rec.Gate.DecidedAt.Add(span)
	o, known, err := observeShadow(ctx, gh, rec)
	switch {
	case errors.Is(err, github.ErrNotFound):
		o, known = state.ShadowOutcome{Outcome: state.ShadowUnknown, Evidence: "GitHub no longer has the run (deleted)"}, true
	case err != nil && now.Before(horizon):
		log.Warn("could not read GitHub; checking again later", "err", err)
		return h.scheduleShadowCheck(ctx, rec.ID, p.Check, horizon.Sub(now), log)
	case err != nil:
		o, known = state.ShadowOutcome{Outcome: state.ShadowUnknown,
			Evidence: fmt.Sprintf("GitHub could not be read at the horizon: %v", err)}, true
	}
	if !known && now.Before(horizon) {
		return h.scheduleShadowCheck(ctx, rec.ID, p.Check, horizon.Sub(now), log)
	}
	if !known {
		o = state.ShadowOutcome{Outcome: state.ShadowNothingHelped,
			Evidence: fmt.Sprintf("no passing attempt or run within shadow_horizon (%s)", span)}
	}
	o.At = now
	o.WouldHaveFixed, o.TouchedCode = judgeShadow(rec, o.Outcome)
	ev := state.AuditEntry{Timestamp: now, Actor: "ccm", Outcome: state.OutcomeSuccess, Details: map[string]any{
		"decision": rec.Gate.Decision, "would_have_fixed": o.WouldHaveFixed, "touched_code": o.TouchedCode, "evidence": o.Evidence,
	}}
	recorded, err := st.RecordShadowOutcome(ctx, rec.ID, o, ev)
	if err != nil {
		return fmt.Errorf("shadow check %s: %w", rec.ID, err)
	}
	if recorded {
		log.Info("shadow decision judged", "decision", rec.Gate.Decision, "shadow_outcome", o.Outcome,
			"would_have_fixed", o.WouldHaveFixed, "touched_code", o.TouchedCode, "evidence", o.Evidence)
	}
	return nil
}

// scheduleShadowCheck enqueues check+1 with backoff, never past the
// horizon (the check at the horizon decides).
func (h *Handlers) scheduleShadowCheck(ctx context.Context, id string, check int, left time.Duration, log *slog.Logger) error {
	delay := min(backoff.Delay(check+1, shadowFirstDelay, shadowMaxDelay, nil), left+time.Second)
	return h.enqueueShadowCheck(ctx, id, check+1, delay, log)
}

// enqueueShadowCheck enqueues check n of id's follow-up after delay, once
// (its task ID).
func (h *Handlers) enqueueShadowCheck(ctx context.Context, id string, n int, delay time.Duration, log *slog.Logger) error {
	task, err := NewShadowCheckTask(id, n, delay)
	if err != nil {
		return err
	}
	if err := h.enqueueOnce(ctx, task, policies[TypeShadowCheck].queue, ShadowCheckTaskID(id, n)); err != nil {
		return fmt.Errorf("shadow check %s: schedule check %d: %w", id, n, err)
	}
	log.Debug("shadow check scheduled", "next_check", n, "in", delay)
	return nil
}
