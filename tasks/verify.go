package tasks

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/hibiken/asynq"

	"github.com/ccm-ci/ccm/integrations/github"
	"github.com/ccm-ci/ccm/internal/backoff"
	"github.com/ccm-ci/ccm/state"
)

// How often ccm:verify looks at a running attempt: soon at first (a
// re-run of one flaky job often takes a minute or two), then every few
// minutes, so a two-hour verification costs a few dozen reads.
const (
	verifyFirstDelay = 30 * time.Second
	verifyMaxDelay   = 5 * time.Minute
)

// HandleVerify follows the attempt a remediation created
// (Remediation.VerifyAttempt) until it completes, bounded by
// verify_timeout from when the remediation acted (VerifyDeadline):
//   - completed with success: remediated (audit remediation, phase
//     verify, outcome success);
//   - completed otherwise, gone, or past the deadline: failed, with a
//     critical alert (the escalation). A failed re-run attempt is itself a
//     failure (owner/repo#run.N) that the poll records; it is linked to
//     this one (retry_of) here when already recorded, and max_reruns keeps
//     the gate from re-running it again;
//   - still running: check n+1 is enqueued with backoff under its own
//     task ID, so a duplicate delivery schedules it once.
func (h *Handlers) HandleVerify(ctx context.Context, t *asynq.Task) error {
	var p VerifyPayload
	if err := decode(t, &p); err != nil {
		return err
	}
	st := h.d.Store
	gh := h.d.GitHub
	rec, err := st.GetFailure(ctx, p.FailureID)
	if errors.Is(err, state.ErrNotFound) {
		return fmt.Errorf("verify %s: %w: %w", p.FailureID, err, errFinal)
	}
	if err != nil {
		return fmt.Errorf("verify %s: %w", p.FailureID, err)
	}
	log := h.d.log().With("failure_id", rec.ID, "repo", rec.Repo, "task_type", TypeVerify, "check", p.Check)
	rem := rec.Remediation
	if rec.Status != state.StatusRemediating || rem == nil || rem.VerifyAttempt == 0 {
		log.Debug("nothing to verify", "status", rec.Status)
		return nil
	}
	now := h.d.now()
	run, err := gh.GetRun(ctx, rec.Repo, rec.RunID, rem.VerifyAttempt)
	switch {
	case errors.Is(err, github.ErrNotFound):
		return h.verifyFailed(ctx, st, rec, log, fmt.Sprintf("attempt %d of run %d is gone (deleted)", rem.VerifyAttempt, rec.RunID), nil)
	case err != nil && !now.Before(rem.VerifyDeadline):
		return h.verifyFailed(ctx, st, rec, log, fmt.Sprintf("verify_timeout elapsed at %s and GitHub could not be read: %v",
			rem.VerifyDeadline.Format(time.RFC3339), err), nil)
	case err != nil:
		// A read that fails before the deadline is checked again like a
		// run still going: asynq's own retries would be spent in about a
		// minute and archive the task, leaving the record remediating.
		log.Warn("could not read the re-run's attempt; checking again later", "attempt", rem.VerifyAttempt, "err", err)
		return h.scheduleVerify(ctx, rec, p.Check, now, log)
	}
	details := map[string]any{"attempt": rem.VerifyAttempt, "status": run.Status, "conclusion": run.Conclusion, "url": run.HTMLURL}
	if run.Status == "completed" {
		if run.Conclusion == "success" {
			return h.finishVerified(ctx, st, rec, log, details)
		}
		return h.verifyFailed(ctx, st, rec, log,
			fmt.Sprintf("the re-run (attempt %d) ended %s: the remediation did not fix the failure", rem.VerifyAttempt, run.Conclusion), details)
	}
	if !now.Before(rem.VerifyDeadline) {
		return h.verifyFailed(ctx, st, rec, log, fmt.Sprintf("verify_timeout elapsed: attempt %d still %s at %s",
			rem.VerifyAttempt, run.Status, rem.VerifyDeadline.Format(time.RFC3339)), details)
	}
	log.Debug("attempt still running; checking again later", "attempt", rem.VerifyAttempt, "status", run.Status)
	return h.scheduleVerify(ctx, rec, p.Check, now, log)
}

// scheduleVerify enqueues check number check+1, backing off, never past
// the deadline (the check after it decides).
func (h *Handlers) scheduleVerify(ctx context.Context, rec state.FailureRecord, check int, now time.Time, log *slog.Logger) error {
	rem := rec.Remediation
	delay := min(backoff.Delay(check+1, verifyFirstDelay, verifyMaxDelay, nil), rem.VerifyDeadline.Sub(now)+time.Second)
	next, err := NewVerifyTask(rec.ID, check+1, delay)
	if err != nil {
		return err
	}
	if err := h.enqueueOnce(ctx, next, policies[TypeVerify].queue, VerifyTaskID(rec.ID, check+1)); err != nil {
		return fmt.Errorf("verify %s: schedule the next check: %w", rec.ID, err)
	}
	log.Debug("next verification check scheduled", "check", check+1, "in", delay)
	return nil
}

// verifyFailed records a remediation that did not fix the failure: failed
// (audit remediation, phase verify, outcome failure), a critical alert,
// and the link from the failed attempt's record when it exists.
func (h *Handlers) verifyFailed(ctx context.Context, st Store, rec state.FailureRecord, log *slog.Logger,
	reason string, details map[string]any) error {
	d := map[string]any{"phase": phaseVerify, "reason": reason}
	for k, v := range details {
		d[k] = v
	}
	ev := state.AuditEntry{Timestamp: h.d.now(), Actor: "ccm", ActionType: state.ActionRemediation,
		FailureID: rec.ID, Repo: rec.Repo, Details: d, Outcome: state.OutcomeFailure}
	if err := h.finish(ctx, st, rec, state.StatusFailed, ev, reason); err != nil {
		return err
	}
	h.d.raise(ctx, &h.throttle, Alert{Severity: SeverityCritical, Repo: rec.Repo, FailureID: rec.ID,
		Summary: fmt.Sprintf("remediation of %s failed verification: %s; a person must look", rec.ID, reason),
		Details: map[string]any{"attempt": rec.Remediation.VerifyAttempt, "escalation": true}})
	log.Warn("remediation failed verification", "reason", reason)
	h.linkRetry(ctx, st, rec, log)
	return nil
}

// linkRetry sets retry_of on the record of the re-run attempt, when the
// poll or a webhook has recorded it already. When it has not, the link is
// still derivable: this record's remediation.verify_attempt names it.
func (h *Handlers) linkRetry(ctx context.Context, st Store, rec state.FailureRecord, log *slog.Logger) {
	next := FailureID(rec.Repo, rec.RunID, rec.Remediation.VerifyAttempt)
	cur, err := st.GetFailure(ctx, next)
	if err != nil || cur.RetryOf != "" {
		return
	}
	ev := state.AuditEntry{Timestamp: h.d.now(), Actor: "ccm", ActionType: state.ActionRemediation, FailureID: next,
		Repo: rec.Repo, Outcome: state.OutcomeSuccess, Details: map[string]any{"phase": phaseVerify, "retry_of": rec.ID}}
	err = st.Transition(ctx, next, cur.Status, cur.Status, ev, func(f *state.FailureRecord) { f.RetryOf = rec.ID })
	if err != nil {
		log.Info("could not link the re-run's failure to this one", "retry_failure_id", next, "err", err)
	}
}
