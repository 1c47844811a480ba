package tasks

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/hibiken/asynq"

	"github.com/ccm-ci/ccm/analysis"
	"github.com/ccm-ci/ccm/config"
	"github.com/ccm-ci/ccm/policy"
	"github.com/ccm-ci/ccm/state"
)

// Step states on the record (state.RemediationStep.State).
const (
	stepPending    = "pending"
	stepStarted    = "started"
	stepDone       = "done"
	stepFailed     = "failed"
	stepRolledBack = "rolled_back"
)

// Remediation phases in the audit details (the README contract).
const (
	phaseAct      = "act"
	phaseVerify   = "verify"
	phaseRollback = "rollback"
)

// remediation is one run of the handler on one failure.
type remediation struct {
	h   *Handlers
	st  Store
	gh  GitHub
	rec state.FailureRecord
	log *slog.Logger
}

// HandleRemediate carries out the typed actions of a failure the gate let
// ccm do alone (analyzed, decision auto, not shadow) or a person approved
// (approved). It never trusts the payload beyond the ID:
//
//  1. the record moves to remediating (audit remediation, phase act,
//     outcome pending) with one pending step per action;
//  2. just before the first write it re-checks the world (RunState): a
//     newer attempt, a run going again, a new commit on the branch, or
//     max_reruns reached stops it, and the record is failed with the reason
//     (only the last is escalated: the others mean someone else acted);
//     Before every step not started yet the repository's mode is read
//     again: shadow stops it, and so does approve for a remediation no
//     person approved (stopped the same way; steps done stand);
//  3. each step is marked started (audited) before its write and done with
//     what GitHub returned after it, so a retry after a crash resumes: a
//     started re-run is looked for before one is sent again, and OpenFixPR
//     finds its own PR;
//  4. a step that fails for good rolls back what was done, fails the record
//     and raises a critical alert; an uncertain write is retried;
//  5. when a step created a run attempt, ccm:verify follows it; otherwise
//     the action's success is the verification and the record is
//     remediated at once.
func (h *Handlers) HandleRemediate(ctx context.Context, t *asynq.Task) error {
	var p RemediatePayload
	if err := decode(t, &p); err != nil {
		return err
	}
	id := p.FailureID
	st := h.d.Store
	gh := h.d.GitHub
	// asynq delivers at least once: two workers may hold the same task (a
	// redelivery after a lost ack, a recovered crash). The step journal
	// makes one worker's retry safe, not two at once, so one worker at a
	// time acts on a failure. The lease outlives the task's timeout.
	hold, left, err := st.HoldLease(ctx, "remediate:"+id, remediateLeaseTTL)
	if err != nil {
		return fmt.Errorf("remediate %s: %w", id, err)
	}
	if hold == nil {
		// Retried once the holder's lease ends: a worker that died holding
		// it (kill -9) blocks for at most remediateLeaseTTL, and the
		// retries are not spent in the meantime.
		return retryAfter(left+time.Second, fmt.Errorf("remediate %s: another worker is remediating it; retried in %s, when its lease ends", id, left.Round(time.Second)))
	}
	defer func() {
		if err := hold.Release(); err != nil {
			h.d.log().Warn("release remediation lease", "failure_id", id, "err", err)
		}
	}()
	// Lost lease, stopped work: another worker may hold it now.
	ctx = hold.Ctx
	rec, err := st.GetFailure(ctx, id)
	if errors.Is(err, state.ErrNotFound) {
		return fmt.Errorf("remediate %s: %w: %w", id, err, errFinal)
	}
	if err != nil {
		return fmt.Errorf("remediate %s: %w", id, err)
	}
	r := &remediation{h: h, st: st, gh: gh, rec: rec,
		log: h.d.log().With("failure_id", id, "repo", rec.Repo, "task_type", TypeRemediate)}
	if rec.Status != state.StatusRemediating {
		if ok, err := r.start(ctx); err != nil || !ok {
			return err
		}
	}
	return r.run(ctx)
}

// remediateLeaseTTL is how long a remediation lease outlives its holder:
// it is renewed every third of it while the worker lives, so a worker
// killed mid-remediation holds up the recovered task for at most this long
// (asynq itself recovers a dead worker's task 30 to 90 s after its last
// heartbeat). A lease as long as the task's timeout outlived every retry
// of the recovered task, which was then archived with the failure stuck
// in remediating.
const remediateLeaseTTL = 30 * time.Second

// mayRemediate reports whether the record is one ccm may act on under the
// repository's mode now, and why not. Shadow and approval decisions never
// reach a write; nor does anything in a repository now in shadow mode, and
// an unattended decision needs the repository still in mode auto (the mode
// may have changed since the gate decided).
func mayRemediate(rec state.FailureRecord, mode config.Mode) (bool, string) {
	switch {
	case mode == config.ModeShadow:
		return false, "the repository is in shadow mode: ccm only records what it would have done"
	case rec.Gate == nil:
		return false, "no gate decision"
	case rec.Shadow:
		return false, "decided in shadow mode: ccm only records what it would have done"
	case rec.Gate.Decision == policy.KindNone.String():
		return false, "the gate decided there is nothing to do"
	case rec.Status == state.StatusApproved:
		return true, ""
	case rec.Status != state.StatusAnalyzed:
		return false, "status is " + string(rec.Status)
	case rec.Gate.Decision != policy.KindAuto.String():
		return false, "gate decision is " + rec.Gate.Decision + ", not auto"
	case mode != config.ModeAuto:
		return false, "the repository is now in mode " + string(mode) + ": acting alone needs mode auto"
	}
	return true, ""
}

// start moves the record to remediating; false when there is nothing to do.
func (r *remediation) start(ctx context.Context) (bool, error) {
	mode := r.h.d.Config().For(r.rec.Repo).Mode
	if ok, why := mayRemediate(r.rec, mode); !ok {
		if r.rec.Status == state.StatusApproved && mode == config.ModeShadow {
			// Nothing else would ever move it: it ends here, audited.
			return false, r.stopApproved(ctx, reasonShadowNow)
		}
		r.log.Info("not remediating", "reason", why, "status", r.rec.Status)
		return false, nil
	}
	acts, err := r.approvedActions(ctx)
	if err != nil {
		return false, err
	}
	now := r.h.d.now()
	steps := make([]state.RemediationStep, len(acts))
	for i, a := range acts {
		steps[i] = state.RemediationStep{Action: string(a.Type), State: stepPending}
	}
	ev := r.event(phaseAct, state.OutcomePending, map[string]any{"action": strings.Join(actionTypes(acts), ","),
		"actions": actionTypes(acts), "from": string(r.rec.Status)})
	err = r.st.Transition(ctx, r.rec.ID, r.rec.Status, state.StatusRemediating, ev, func(f *state.FailureRecord) {
		f.Remediation = &state.Remediation{Steps: steps, Actions: acts, StartedAt: now}
	})
	switch {
	case errors.Is(err, state.ErrConflict):
		r.log.Debug("record moved on before remediation started; re-reading")
	case err != nil:
		return false, fmt.Errorf("remediate %s: %w", r.rec.ID, err)
	}
	rec, err := r.st.GetFailure(ctx, r.rec.ID)
	if err != nil {
		return false, fmt.Errorf("remediate %s: %w", r.rec.ID, err)
	}
	r.rec = rec
	return rec.Status == state.StatusRemediating && rec.Remediation != nil, nil
}

// approvedActions are the actions this remediation will run. A person
// approved the request's actions — what they were shown — so those run,
// not the gate's latest decision, which a re-evaluation may have changed
// since; an unattended remediation runs the gate's.
func (r *remediation) approvedActions(ctx context.Context) ([]analysis.Action, error) {
	if r.rec.Status != state.StatusApproved {
		return r.rec.Gate.Actions, nil
	}
	a, err := r.st.ApprovalForFailure(ctx, r.rec.ID)
	if err != nil {
		return nil, fmt.Errorf("remediate %s: the approved request: %w", r.rec.ID, err)
	}
	if a.Status != state.ApprovalApproved {
		return nil, fmt.Errorf("remediate %s: the record is approved but its request %s is %s: %w",
			r.rec.ID, a.ID, a.Status, errFinal)
	}
	return a.Actions, nil
}

// actions are what the steps run (state.Remediation.Actions); a record
// that started before they were kept runs its gate's.
func (r *remediation) actions() []analysis.Action {
	if rem := r.rec.Remediation; rem != nil && len(rem.Actions) == len(rem.Steps) {
		return rem.Actions
	}
	return r.rec.Gate.Actions
}

// run does the steps not done yet, then hands over to verification.
func (r *remediation) run(ctx context.Context) error {
	rem := r.rec.Remediation
	if rem == nil || rem.Outcome != "" {
		return nil // finished by an earlier delivery
	}
	if !rem.ActedAt.IsZero() {
		return r.handOver(ctx) // acted; only the verification was left
	}
	if !anyStarted(rem.Steps) {
		// The mode in force now decides, not the one when the
		// remediation started (README: a switch to shadow applies to the
		// next action, even one already queued).
		if stop, err := r.modeForbids(ctx); err != nil || stop != "" {
			if err != nil {
				return err
			}
			return r.stop(ctx, stop, false)
		}
		stop, escalate, err := r.worldChanged(ctx)
		if err != nil {
			return r.retryOrFail(ctx, -1, err)
		}
		if stop != "" {
			return r.stop(ctx, stop, escalate)
		}
	}
	for i := range rem.Steps {
		if r.rec.Remediation.Steps[i].State == stepDone {
			continue
		}
		resumed := r.rec.Remediation.Steps[i].State == stepStarted
		if stop, err := r.modeForbids(ctx); err != nil || stop != "" {
			if err != nil {
				return err
			}
			// Nothing new is sent; a started step only settles what an
			// earlier delivery may have sent.
			settled, err := r.settleOnly(ctx, i, resumed)
			if err != nil {
				return r.retryOrFail(ctx, i, err)
			}
			if !settled {
				return r.stop(ctx, stop, false)
			}
			continue
		}
		if !resumed {
			// What the write depends on is recorded with the step before
			// the write, so a delivery resuming after a crash can tell
			// what ccm did from what others did.
			prep, err := r.prepare(ctx, r.actions()[i])
			if err != nil {
				return r.retryOrFail(ctx, i, err)
			}
			if err := r.mark(ctx, i, stepStarted, prep, nil); err != nil {
				return err
			}
		}
		res, err := r.act(ctx, r.actions()[i], r.rec.Remediation.Steps[i].Result, resumed)
		if err != nil {
			return r.retryOrFail(ctx, i, err)
		}
		if err := r.mark(ctx, i, stepDone, res, nil); err != nil {
			return err
		}
	}
	return r.handOver(ctx)
}

func anyStarted(steps []state.RemediationStep) bool {
	for _, s := range steps {
		if s.State != stepPending {
			return true
		}
	}
	return false
}

// event is a remediation audit entry for this failure.
func (r *remediation) event(phase, outcome string, details map[string]any) state.AuditEntry {
	d := map[string]any{"phase": phase}
	for k, v := range details {
		d[k] = v
	}
	return state.AuditEntry{Timestamp: r.h.d.now(), Actor: "ccm", ActionType: state.ActionRemediation,
		FailureID: r.rec.ID, Repo: r.rec.Repo, Details: d, Outcome: outcome}
}

// mark records step i's new state (and what GitHub returned) on the record
// with its audit entry, in one atomic step. The last step done also
// records ActedAt and the attempt to verify.
func (r *remediation) mark(ctx context.Context, i int, to string, res map[string]any, stepErr error) error {
	action := r.rec.Remediation.Steps[i].Action
	outcome := state.OutcomePending
	switch to {
	case stepDone:
		outcome = state.OutcomeSuccess
	case stepFailed:
		outcome = state.OutcomeFailure
	}
	details := map[string]any{"action": action, "step": i, "state": to}
	if res != nil {
		details["result"] = res
	}
	if to == stepDone && res["noop"] == true {
		details["noop"] = true
	}
	ev := r.event(phaseAct, outcome, details)
	errText := ""
	if stepErr != nil {
		errText = stepErr.Error()
		ev.Error = errText
	}
	now := r.h.d.now()
	last := to == stepDone && i == len(r.rec.Remediation.Steps)-1
	timeout := r.h.d.Config().VerifyTimeout
	err := r.st.Transition(ctx, r.rec.ID, state.StatusRemediating, state.StatusRemediating, ev, func(f *state.FailureRecord) {
		rem := *f.Remediation
		rem.Steps = append([]state.RemediationStep(nil), rem.Steps...)
		if res == nil {
			// A failed step keeps what it recorded before its write: the
			// rollback needs it (the attempt seen before a re-run).
			res = rem.Steps[i].Result
		}
		rem.Steps[i] = state.RemediationStep{Action: action, State: to, Result: res, Error: errText}
		if last {
			rem.ActedAt = now
			rem.VerifyAttempt = verifyAttempt(rem.Steps)
			if rem.VerifyAttempt > 0 {
				rem.VerifyDeadline = now.Add(timeout)
			}
		}
		f.Remediation = &rem
	})
	if err != nil {
		return fmt.Errorf("remediate %s: record step %d (%s) %s: %w", r.rec.ID, i, action, to, err)
	}
	rec, err := r.st.GetFailure(ctx, r.rec.ID)
	if err != nil {
		return fmt.Errorf("remediate %s: %w", r.rec.ID, err)
	}
	r.rec = rec
	return nil
}

// verifyAttempt is the newest attempt a done re-run step created.
func verifyAttempt(steps []state.RemediationStep) int {
	n := 0
	for _, s := range steps {
		if a, ok := resultInt(s.Result, "attempt"); ok && s.State == stepDone && isRerun(s.Action) {
			n = max(n, a)
		}
	}
	return n
}

// handOver enqueues the verification of the attempt a re-run created, or
// counts the action's success as the verification when none was created
// (cancel_run, delete_cache, open_fix_pr: there is no run to watch; a fix
// PR is then a person's to merge).
func (r *remediation) handOver(ctx context.Context) error {
	rem := r.rec.Remediation
	if rem.VerifyAttempt > 0 {
		task, err := NewVerifyTask(r.rec.ID, 0, 0)
		if err != nil {
			return err
		}
		if err := r.h.enqueueOnce(ctx, task, policies[TypeVerify].queue, VerifyTaskID(r.rec.ID, 0)); err != nil {
			return fmt.Errorf("remediate %s: enqueue verification: %w", r.rec.ID, err)
		}
		r.log.Info("remediation acted; verifying the new attempt", "attempt", rem.VerifyAttempt, "deadline", rem.VerifyDeadline)
		return nil
	}
	details := map[string]any{"verified_by": "the action itself: no run attempt was created to watch"}
	if notes := noopNotes(rem.Steps); len(notes) == len(rem.Steps) && len(notes) > 0 {
		// Nothing was done (a cancel of a run already completed): the
		// record says so rather than claim a cancel.
		details = map[string]any{"verified_by": "nothing to verify: every action was a no-op", "noop": true, "notes": notes}
	}
	return r.h.finishVerified(ctx, r.st, r.rec, r.log, details)
}
