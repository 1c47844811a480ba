package tasks

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ccm-ci/ccm/config"
	"github.com/ccm-ci/ccm/state"
)

// shadowRecoveryCheck is the check number of the ccm:shadow-check the poll
// enqueues for a shadow decision whose chain of checks may be lost. Far
// above any check a chain reaches (about 15 over the horizon), its task ID
// (shadow:<failure id>:1000000) never meets a live check's and is one per
// failure, so sweeps never enqueue it twice.
const shadowRecoveryCheck = 1_000_000

// sweepLostShadowChecks gives every shadow decision of repo still without
// an outcome one more ccm:shadow-check, so a chain of checks lost (a task
// archived after its retries, an enqueue lost) still ends judged and
// counted by ccm stats. A live chain cannot be told from a lost one
// cheaply, so the recovery check runs just after the horizon, when the
// live chain's last check has judged: it then finds the outcome and does
// nothing, or judges it (nothing_helped when no outcome is known by then).
// Only decisions older than one check interval (the longest gap between
// two checks) are looked at. It reads at most 100 records of one
// repository, from the horizon plus staleHorizon back, like the other
// sweeps; a repair that enqueued is audited as recovery.
func (h *Handlers) sweepLostShadowChecks(ctx context.Context, repo string) error {
	cfg := h.d.Config()
	now := h.d.now()
	span := shadowSpan(cfg)
	recs, err := h.d.Store.ListFailures(ctx, state.FailureQuery{
		Repo: repo, Status: state.StatusAnalyzed, Since: now.Add(-(span + staleHorizon)), Until: now.Add(-shadowMaxDelay), Limit: 100,
	})
	if err != nil {
		return fmt.Errorf("sweep shadow checks %s: %w", repo, err)
	}
	var errs []error
	for _, rec := range recs {
		if !rec.Shadow || rec.Gate == nil || rec.ShadowOutcome != nil || now.Sub(rec.Gate.DecidedAt) < shadowMaxDelay {
			continue
		}
		errs = append(errs, h.recoverShadowCheck(ctx, rec, rec.Gate.DecidedAt.Add(span+lostAfter).Sub(now), now))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("sweep shadow checks %s: %w", repo, err)
	}
	return nil
}

// shadowSpan is the shadow_horizon in force (HandleShadowCheck's default
// for a config that skipped validation).
func shadowSpan(cfg *config.Config) time.Duration {
	if cfg.ShadowHorizon <= 0 {
		return config.DefaultShadowHorizon
	}
	return cfg.ShadowHorizon
}

// recoverShadowCheck enqueues rec's recovery check to run after delay (at
// once when the horizon has passed) and audits it when it was enqueued.
func (h *Handlers) recoverShadowCheck(ctx context.Context, rec state.FailureRecord, delay time.Duration, now time.Time) error {
	id := ShadowCheckTaskID(rec.ID, shadowRecoveryCheck)
	task, err := NewShadowCheckTask(rec.ID, shadowRecoveryCheck, max(delay, 0))
	if err != nil {
		return err
	}
	fresh, err := h.enqueueOnceFresh(ctx, task, policies[TypeShadowCheck].queue, id)
	if err != nil || !fresh {
		return err
	}
	ev := state.AuditEntry{
		Timestamp: now, Actor: state.ActorCCM, ActionType: state.ActionRecovery, FailureID: rec.ID, Repo: rec.Repo,
		Outcome: state.OutcomeSuccess,
		Details: map[string]any{"task_id": id, "task_type": TypeShadowCheck, "status": string(rec.Status),
			"run_at":  now.Add(max(delay, 0)),
			"summary": "shadow decision without an outcome: a last ccm:shadow-check enqueued in case its chain of checks was lost"},
	}
	if _, err := h.d.Store.Audit(ctx, ev); err != nil {
		h.d.log().Error("audit recovery", "failure_id", rec.ID, "task_id", id, "err", err)
	}
	h.d.log().Info("shadow recovery check enqueued", "failure_id", rec.ID, "repo", rec.Repo, "task_id", id, "in", max(delay, 0))
	return nil
}
