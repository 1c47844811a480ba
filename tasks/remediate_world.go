package tasks

import (
	"context"
	"errors"
	"fmt"

	"github.com/hibiken/asynq"

	"github.com/ccm-ci/ccm/config"
	"github.com/ccm-ci/ccm/integrations/github"
	"github.com/ccm-ci/ccm/state"
)

// worldChanged re-checks the run just before the first write. It returns
// why it must stop ("" to go on) and whether that is a failure to escalate
// (max_reruns, a deleted run) rather than someone else having acted.
func (r *remediation) worldChanged(ctx context.Context) (string, bool, error) {
	rec := r.rec
	reruns := false
	for _, a := range r.actions() {
		reruns = reruns || isRerun(string(a.Type))
	}
	if maxN := r.h.d.Config().For(rec.Repo).MaxReruns; reruns && rec.RunAttempt-1 >= maxN {
		return fmt.Sprintf("max_reruns reached: attempt %d already follows %d re-run(s) of run %d, and max_reruns is %d; a person must look",
			rec.RunAttempt, rec.RunAttempt-1, rec.RunID, maxN), true, nil
	}
	if reruns {
		// The gate paused unattended re-runs of an open incident's
		// fingerprint, but a remediation queued before the incident opened
		// would still act: check again here. A person's approval stands.
		if stop, err := r.incidentPauses(ctx); err != nil || stop != "" {
			return stop, false, err
		}
	}
	rs, err := r.gh.RunState(ctx, rec.Repo, rec.RunID)
	if errors.Is(err, github.ErrNotFound) {
		return fmt.Sprintf("run %d is gone (deleted, or the token lost access): nothing to remediate", rec.RunID), true, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("re-check run %s#%d: %w", rec.Repo, rec.RunID, err)
	}
	switch {
	case rs.Run.Attempt > rec.RunAttempt:
		return fmt.Sprintf("someone else re-ran the run: attempt %d exists after the failed attempt %d", rs.Run.Attempt, rec.RunAttempt), false, nil
	case rs.Run.Status != "completed":
		return fmt.Sprintf("the run is %s again: someone else is acting on it", rs.Run.Status), false, nil
	case rs.BranchSHA == "" && rs.Run.HeadBranch != "":
		return fmt.Sprintf("branch %s is gone: the remediation no longer fits", rs.Run.HeadBranch), false, nil
	case rs.BranchMoved():
		return fmt.Sprintf("branch %s has a new commit %s since the run's %s: the remediation no longer fits",
			rs.Run.HeadBranch, short(rs.BranchSHA), short(rs.Run.HeadSHA)), false, nil
	}
	return "", false, nil
}

// reasonShadowNow is why a remediation stops when its repository was
// switched to shadow mode after it was decided or approved.
const reasonShadowNow = "the repository is now in shadow mode: ccm only records what it would have done"

// modeForbids says why the repository's mode in force now forbids the next
// write ("" when it allows it): shadow mode stops everything, and a
// remediation no person approved needs the repository still in mode auto.
// It is read before every step, not only when the remediation starts.
func (r *remediation) modeForbids(ctx context.Context) (string, error) {
	mode := r.h.d.Config().For(r.rec.Repo).Mode
	switch mode {
	case config.ModeShadow:
		return reasonShadowNow, nil
	case config.ModeAuto:
		return "", nil
	}
	a, err := r.st.ApprovalForFailure(ctx, r.rec.ID)
	switch {
	case err == nil && a.Status == state.ApprovalApproved:
		return "", nil
	case err != nil && !errors.Is(err, state.ErrNotFound):
		return "", fmt.Errorf("remediate %s: approval: %w", r.rec.ID, err)
	}
	return "the repository is now in mode " + string(mode) + ": acting alone needs mode auto", nil
}

// settleOnly settles step i without sending anything new, when the mode no
// longer allows writes: a re-run an earlier delivery started is looked for
// and, when it landed and is ccm's, the step is done (its attempt is then
// verified). It reports false when there is nothing to settle: a step not
// started, a re-run that never landed, or an action whose write cannot be
// looked for without making it again.
func (r *remediation) settleOnly(ctx context.Context, i int, resumed bool) (bool, error) {
	step := r.rec.Remediation.Steps[i]
	if !resumed || !isRerun(step.Action) {
		return false, nil
	}
	res, err := r.resumeRerun(ctx, step.Result)
	if err != nil || res == nil {
		return false, err
	}
	if err := r.mark(ctx, i, stepDone, res, nil); err != nil {
		return false, err
	}
	return true, nil
}

// incidentPauses says why an unattended re-run must stop: an incident is
// open for the failure's fingerprint and no person approved this one.
func (r *remediation) incidentPauses(ctx context.Context) (string, error) {
	open, err := r.st.IncidentOpen(ctx, r.rec.Fingerprint)
	if err != nil || !open {
		return "", err
	}
	a, err := r.st.ApprovalForFailure(ctx, r.rec.ID)
	switch {
	case err == nil && a.Status == state.ApprovalApproved:
		return "", nil
	case err != nil && !errors.Is(err, state.ErrNotFound):
		return "", fmt.Errorf("approval of %s: %w", r.rec.ID, err)
	}
	return fmt.Sprintf("an incident is open for fingerprint %s: unattended re-runs are paused until it closes", r.rec.Fingerprint), nil
}

func isRerun(action string) bool {
	return action == "rerun_failed_jobs" || action == "rerun_workflow"
}

func short(sha string) string {
	if len(sha) > 12 {
		return sha[:12]
	}
	return sha
}

// lastDeliveryKey marks a context as asynq's last delivery of a task; only
// tests set it (asynq's own context keys cannot be made outside asynq).
type lastDeliveryKey struct{}

// outOfRetries reports whether asynq will not retry this task again. Unlike
// lastAttempt it says no when the context carries no retry count (a direct
// call), so an uncertain write is handed back as an error rather than
// failing the remediation on the first try.
func outOfRetries(ctx context.Context) bool {
	if ctx.Value(lastDeliveryKey{}) != nil {
		return true
	}
	n, ok1 := asynq.GetRetryCount(ctx)
	maxN, ok2 := asynq.GetMaxRetry(ctx)
	return ok1 && ok2 && n >= maxN
}
