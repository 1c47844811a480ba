package tasks

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hibiken/asynq"

	"github.com/ccm-ci/ccm/config"
	"github.com/ccm-ci/ccm/state"
)

// verifyRecoveryCheck is the check number of a verification the poll
// enqueues again after its chain of checks was lost. It is far above any
// check the chain reaches (one every 5 minutes at most over verify_timeout),
// so its task ID (verify:<failure id>:1000000) never meets a live check's,
// and it is one ID per failure, so sweeps never enqueue it twice.
const verifyRecoveryCheck = 1_000_000

// lostAfter is how long work may look stalled before a sweep takes it for
// lost: an approved failure's remediation not started, a verification not
// finished past its deadline. A live task well within its retries and
// backoff is done sooner; a duplicate is harmless anyway (task IDs).
const lostAfter = staleDetected

// sweepLostWork repairs what a lost task left behind after a decision:
//   - an approved failure whose remediation never started (the enqueue
//     after the click was lost, or its task archived): ccm:remediate again;
//   - a remediating failure that has not acted yet, or acted without an
//     attempt to watch but never finished (its task archived or lost):
//     ccm:remediate again, which resumes from its step journal (or, in a
//     repository now in shadow mode, stops it, audited);
//   - a remediating failure past its verify deadline (the chain of
//     ccm:verify checks was lost): one more check, which fails it at the
//     deadline with the escalation a verification owes;
//   - a shadow decision still without an outcome (its chain of
//     ccm:shadow-check may be lost): one recovery check, see
//     sweepLostShadowChecks.
//
// Task IDs keep each of these single: a task queued, running or retrying
// holds its ID and nothing is enqueued. A repair that enqueued is audited
// as recovery. It reads at most 100 failures per status from one
// repository's detection window, which spans the longest a failure can
// wait for a person and then be verified.
func (h *Handlers) sweepLostWork(ctx context.Context, repo string) error {
	cfg := h.d.Config()
	now := h.d.now()
	var errs []error
	for _, st := range []state.Status{state.StatusApproved, state.StatusRemediating} {
		recs, err := h.d.Store.ListFailures(ctx, state.FailureQuery{
			Repo: repo, Status: st, Since: now.Add(-lostWorkHorizon(cfg)), Until: now.Add(-lostAfter), Limit: 100,
		})
		if err != nil {
			errs = append(errs, fmt.Errorf("sweep %s failures: %w", st, err))
			continue
		}
		for _, rec := range recs {
			errs = append(errs, h.repairLost(ctx, cfg, rec, now))
		}
	}
	errs = append(errs, h.sweepLostShadowChecks(ctx, repo))
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("sweep lost work %s: %w", repo, err)
	}
	return nil
}

// lostWorkHorizon is how far back in detection time sweepLostWork looks:
// a failure can wait approval_timeout for a person, then verify_timeout.
func lostWorkHorizon(cfg *config.Config) time.Duration {
	return staleHorizon + cfg.ApprovalTimeout + cfg.VerifyTimeout
}

// repairLost enqueues the task a failure is waiting for, if it is lost.
func (h *Handlers) repairLost(ctx context.Context, cfg *config.Config, rec state.FailureRecord, now time.Time) error {
	if now.Sub(rec.UpdatedAt) < lostAfter {
		return nil // it moved moments ago: its task is on its way
	}
	rem := rec.Remediation
	var (
		task *asynq.Task
		err  error
		id   string
		why  string
	)
	switch {
	case rec.Status == state.StatusApproved && rem == nil:
		mode := cfg.For(rec.Repo).Mode
		if ok, _ := mayRemediate(rec, mode); !ok && mode != config.ModeShadow {
			return nil // ccm:remediate would do nothing
		}
		// In shadow mode since, ccm:remediate ends it (failed, stopped,
		// audited) rather than leave it approved forever.
		task, err = NewRemediateTask(rec.ID)
		id, why = RemediateTaskID(rec.ID), "approved, but its remediation never started"
	case rec.Status != state.StatusRemediating || rem == nil || rem.Outcome != "":
		return nil
	case rem.VerifyAttempt == 0:
		task, err = NewRemediateTask(rec.ID)
		id, why = RemediateTaskID(rec.ID), "remediating, but its remediation task is gone"
	case now.After(rem.VerifyDeadline.Add(lostAfter)):
		task, err = NewVerifyTask(rec.ID, verifyRecoveryCheck, 0)
		id, why = VerifyTaskID(rec.ID, verifyRecoveryCheck), "remediating past its verify deadline, but its verification task is gone"
	default:
		return nil // verifying, within its deadline
	}
	if err != nil {
		return err
	}
	fresh, err := h.enqueueOnceFresh(ctx, task, policies[task.Type()].queue, id)
	if err != nil || !fresh {
		return err
	}
	ev := state.AuditEntry{
		Timestamp: now, Actor: state.ActorCCM, ActionType: state.ActionRecovery, FailureID: rec.ID, Repo: rec.Repo,
		Outcome: state.OutcomeSuccess,
		Details: map[string]any{"task_id": id, "task_type": task.Type(), "status": string(rec.Status),
			"summary": fmt.Sprintf("%s: %s enqueued again", why, task.Type())},
	}
	if _, err := h.d.Store.Audit(ctx, ev); err != nil {
		h.d.log().Error("audit recovery", "failure_id", rec.ID, "task_id", id, "err", err)
	}
	h.d.log().Warn("lost work enqueued again", "failure_id", rec.ID, "repo", rec.Repo, "task_id", id, "reason", why)
	return nil
}
