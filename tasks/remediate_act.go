package tasks

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/ccm-ci/ccm/analysis"
	"github.com/ccm-ci/ccm/integrations/github"
	"github.com/ccm-ci/ccm/state"
)

// prepare reads what a step's write depends on, to be recorded on the
// step before the write: for a re-run the run's latest attempt (so a
// resumed step knows which attempt would be ccm's), for a cache deletion
// the cache GitHub lists under that key for the failing ref (a key never
// listed is refused here, before any write).
func (r *remediation) prepare(ctx context.Context, a analysis.Action) (map[string]any, error) {
	rec := r.rec
	switch a.Type {
	case analysis.ActionRerunFailedJobs, analysis.ActionRerunWorkflow:
		run, err := r.gh.GetRun(ctx, rec.Repo, rec.RunID, 0)
		if err != nil {
			return nil, fmt.Errorf("read run %s#%d before re-running it: %w", rec.Repo, rec.RunID, err)
		}
		return map[string]any{"run_id": rec.RunID, "seen_attempt": run.Attempt}, nil
	case analysis.ActionDeleteCache:
		c, err := r.listedCache(ctx, a.Key)
		if err != nil {
			return nil, err
		}
		return map[string]any{"key": a.Key, "ref": c.Ref, "cache_id": c.ID, "size_bytes": c.SizeBytes, "listed": true}, nil
	}
	return nil, nil
}

// act runs one typed action and returns what GitHub answered. Parameters
// come from the record and from GitHub, never from the model beyond what
// the action names: a cache key is deleted only when GitHub lists it for
// the failing ref, a PR only writes the files the analysis names (the
// client refuses .github/, CODEOWNERS and bad paths). prep is what the
// step recorded before its write; resumed says an earlier delivery
// started this step and may have made the write.
func (r *remediation) act(ctx context.Context, a analysis.Action, prep map[string]any, resumed bool) (map[string]any, error) {
	rec := r.rec
	switch a.Type {
	case analysis.ActionRerunFailedJobs, analysis.ActionRerunWorkflow:
		if resumed {
			// A re-run is not idempotent: look for the attempt the
			// earlier delivery may have created before sending another.
			if res, err := r.resumeRerun(ctx, prep); err != nil || res != nil {
				return res, err
			}
		}
		rerun := r.gh.RerunFailedJobs
		if a.Type == analysis.ActionRerunWorkflow {
			rerun = r.gh.RerunWorkflow
		}
		res, err := rerun(ctx, rec.Repo, rec.RunID)
		if err != nil {
			return nil, err
		}
		return map[string]any{"run_id": res.RunID, "previous_attempt": res.PreviousAttempt,
			"attempt": res.Attempt, "recovered": res.Recovered}, nil
	case analysis.ActionCancelRun:
		err := r.gh.CancelRun(ctx, rec.Repo, rec.RunID)
		if errors.Is(err, github.ErrRunCompleted) {
			// Nothing was cancelled: say so, not "cancelled".
			return map[string]any{"run_id": rec.RunID, "cancelled": false, "noop": true,
				"note": "nothing to cancel: the run had already completed"}, nil
		}
		if err != nil {
			return nil, err
		}
		return map[string]any{"run_id": rec.RunID, "cancelled": true}, nil
	case analysis.ActionDeleteCache:
		return r.deleteCache(ctx, a.Key, prep, resumed)
	case analysis.ActionOpenFixPR:
		files := make([]github.FileChange, len(a.Files))
		for i, f := range a.Files {
			files[i] = github.FileChange{Path: f.Path, Content: f.Content}
		}
		pr, err := r.gh.OpenFixPR(ctx, rec.Repo, github.FixPR{FailureID: rec.ID, Base: rec.Branch, BaseSHA: rec.CommitSHA,
			Title: a.Title, Body: a.Body, Files: files})
		if err != nil {
			return nil, err
		}
		return map[string]any{"number": pr.Number, "url": pr.URL, "branch": pr.Branch, "head_sha": pr.HeadSHA,
			"reused": pr.Reused}, nil
	}
	return nil, fmt.Errorf("%w: action %q is not one ccm runs", github.ErrRefused, a.Type)
}

// listedCache is the cache GitHub lists under key for the failing ref;
// ErrNotFound when there is none.
func (r *remediation) listedCache(ctx context.Context, key string) (github.ActionsCache, error) {
	rec := r.rec
	caches, err := r.gh.ListCaches(ctx, rec.Repo, rec.Branch)
	if err != nil {
		return github.ActionsCache{}, err
	}
	for _, c := range caches {
		if c.Key == key && key != "" {
			return c, nil
		}
	}
	return github.ActionsCache{}, fmt.Errorf("delete cache %q on %s: %w: GitHub lists no such cache for the failing ref; nothing deleted",
		key, rec.Branch, github.ErrNotFound)
}

// deleteCache deletes key for the failing branch only if GitHub lists it
// there. A resumed step that no longer finds the key counts it deleted
// only if the step recorded it listed before its write: a key never
// listed was never ccm's to delete, and its absence proves nothing.
func (r *remediation) deleteCache(ctx context.Context, key string, prep map[string]any, resumed bool) (map[string]any, error) {
	rec := r.rec
	c, err := r.listedCache(ctx, key)
	switch {
	case err == nil:
		if err := r.gh.DeleteCache(ctx, rec.Repo, key, rec.Branch); err != nil {
			return nil, err
		}
		return map[string]any{"key": key, "ref": c.Ref, "cache_id": c.ID, "size_bytes": c.SizeBytes}, nil
	case resumed && errors.Is(err, github.ErrNotFound) && prep["listed"] == true:
		return map[string]any{"key": key, "ref": prep["ref"], "cache_id": prep["cache_id"],
			"note": "already gone: listed for the failing ref before ccm's delete, which an earlier delivery sent"}, nil
	}
	return nil, err
}

// rollback undoes what the done steps did, newest first, and audits each
// undo (phase rollback). What cannot be undone is said so.
func (r *remediation) rollback(ctx context.Context, failedStep int, cause error) []string {
	rec := r.rec
	var done []string
	undo := func(action string, err error, details map[string]any) {
		outcome := state.OutcomeSuccess
		ev := r.event(phaseRollback, outcome, details)
		ev.Details["action"] = action
		if err != nil {
			ev.Outcome, ev.Error = state.OutcomeFailure, err.Error()
			r.log.Error("rollback step failed: left behind", "action", action, "err", err)
		}
		if _, aerr := r.st.Audit(ctx, ev); aerr != nil {
			r.log.Error("audit rollback", "err", aerr)
		}
		done = append(done, fmt.Sprintf("%s: %s", action, ev.Outcome))
	}
	steps := rec.Remediation.Steps
	var re *github.RetryError
	if failedStep >= 0 && steps[failedStep].Action == string(analysis.ActionOpenFixPR) &&
		(errors.Is(cause, github.ErrUncertain) || errors.As(cause, &re)) {
		// OpenFixPR keeps its branch after an uncertain or unavailable PR
		// call, for a retry that will not come now; a missing branch is
		// success. After any other error it deleted what it created, and a
		// branch it refused (ErrBranchExists) is someone else's: never
		// touched. The error may also have come before OpenFixPR knew
		// whose the branch is (503 on the pulls list or on the ownership
		// check), so the branch is deleted only once proved ccm's.
		details, err := r.deleteFixBranch(ctx)
		undo("open_fix_pr", err, details)
	}
	if failedStep >= 0 && isRerun(steps[failedStep].Action) && transient(cause) {
		// The re-run's request was uncertain on the last delivery: it may
		// have made an attempt. Take it back if it is there and ccm's.
		details, err := r.cancelOurRerun(ctx, r.seenAttempt(steps[failedStep].Result), false)
		undo(steps[failedStep].Action, err, details)
	}
	for i := len(steps) - 1; i >= 0; i-- {
		s := steps[i]
		if s.State != stepDone {
			continue
		}
		switch s.Action {
		case string(analysis.ActionOpenFixPR):
			n, _ := s.Result["number"].(float64)
			err := r.gh.ClosePR(ctx, rec.Repo, int(n))
			details, derr := r.deleteFixBranch(ctx)
			details["closed_pr"] = int(n)
			undo(s.Action, errors.Join(err, derr), details)
		case string(analysis.ActionRerunFailedJobs), string(analysis.ActionRerunWorkflow):
			attempt, _ := resultInt(s.Result, "attempt")
			details, err := r.cancelOurRerun(ctx, attempt-1, true)
			undo(s.Action, err, details)
		default:
			undo(s.Action, nil, map[string]any{"undone": false,
				"note": "cannot be undone (a deleted cache is rebuilt by the next run; a cancel is final)"})
		}
	}
	return done
}

// deleteFixBranch takes back the failure's fix branch if, and only if,
// GitHub shows it is ccm's: its head carries the Ccm-Failure trailer for
// this failure and its parent is the failing commit (what OpenFixPR
// checks). Someone else's branch of that name is left, and so is a branch
// whose owner could not be checked; the details say so (undone false, a
// note) and the latter is an error, as ccm's branch may be left behind.
func (r *remediation) deleteFixBranch(ctx context.Context) (map[string]any, error) {
	rec := r.rec
	branch := github.FixBranch(rec.ID)
	err := r.gh.DeleteFixBranch(ctx, rec.Repo, rec.ID, rec.CommitSHA)
	switch {
	case err == nil:
		return map[string]any{"deleted_branch": branch}, nil
	case errors.Is(err, github.ErrNotOurBranch):
		r.log.Warn("rollback: fix branch is not ccm's; left as it is", "branch", branch, "err", err)
		return map[string]any{"undone": false, "branch": branch,
			"note": "branch left: it is not ccm's (its head is not ccm's fix commit for this failure); " + err.Error()}, nil
	}
	return map[string]any{"undone": false, "branch": branch,
		"note": "branch left: whose it is could not be checked, and ccm deletes only its own; delete it by hand if its head is ccm's fix commit for this failure"}, err
}

// fail ends a remediation whose step failed (i < 0: before any step):
// rollback, the record failed with the reason, a critical alert. The task
// is not retried: what failed is final (a missing permission, a conflict,
// a deleted run) or retries ran out.
func (r *remediation) fail(ctx context.Context, i int, cause error) error {
	undone := r.rollback(ctx, i, cause)
	action := ""
	if i >= 0 {
		action = r.rec.Remediation.Steps[i].Action
	}
	reason := cause.Error()
	var pe *github.PermissionError
	if errors.As(cause, &pe) {
		reason = fmt.Sprintf("the GitHub token lacks the %s permission (403 on %s): grant it; retrying will not help", pe.Scope, pe.Op)
	}
	details := map[string]any{"action": action, "reason": reason, "rolled_back": undone}
	if err := r.h.finish(ctx, r.st, r.rec, state.StatusFailed, r.event(phaseAct, state.OutcomeFailure, details), reason); err != nil {
		return errors.Join(err, cause)
	}
	r.h.d.raise(ctx, &r.h.throttle, Alert{Severity: SeverityCritical, Repo: r.rec.Repo, FailureID: r.rec.ID,
		Summary: fmt.Sprintf("remediation of %s failed: %s", r.rec.ID, reason), Err: cause,
		Details: map[string]any{"action": action, "rolled_back": undone}})
	return alertedError{fmt.Errorf("remediate %s: %w: %w", r.rec.ID, cause, errFinal)}
}

// stop ends a remediation the world check refused before any write, or
// the repository's mode refused before a later step (see modeForbids). It is
// escalated only when it needs a person (max_reruns, a deleted run); a
// run someone else re-ran or a branch that moved on is not ccm's failure.
func (r *remediation) stop(ctx context.Context, reason string, escalate bool) error {
	// A mode switched mid-way stops after the steps already done: those
	// writes stand (undoing them would be more writes) and are counted.
	writes := 0
	details := map[string]any{"reason": reason, "stopped": true}
	if rem := r.rec.Remediation; rem != nil {
		for i, s := range rem.Steps {
			switch s.State {
			case stepDone:
				writes++
			case stepStarted:
				details["uncertain_step"] = i
			}
		}
	}
	details["writes"] = writes
	if err := r.h.finish(ctx, r.st, r.rec, state.StatusFailed, r.event(phaseAct, state.OutcomeFailure, details), reason); err != nil {
		return err
	}
	r.log.Warn("remediation stopped: the world or the mode changed", "reason", reason, "writes", writes)
	if escalate {
		r.h.d.raise(ctx, &r.h.throttle, Alert{Severity: SeverityCritical, Repo: r.rec.Repo, FailureID: r.rec.ID,
			Summary: fmt.Sprintf("remediation of %s stopped: %s", r.rec.ID, reason)})
	}
	return nil
}

// finish moves a remediating record to remediated or failed with ev, and
// records the metrics: remediation latency (detection to acting), time to
// resolution (detection to now) and the outcome, in Redis and Prometheus.
func (h *Handlers) finish(ctx context.Context, st Store, rec state.FailureRecord, to state.Status,
	ev state.AuditEntry, reason string) error {
	return h.finishFrom(ctx, st, rec, state.StatusRemediating, to, ev, reason)
}

// finishFrom is finish from a status other than remediating (an approved
// failure stopped before its remediation started).
func (h *Handlers) finishFrom(ctx context.Context, st Store, rec state.FailureRecord, from, to state.Status,
	ev state.AuditEntry, reason string) error {
	outcome := state.OutcomeSuccess
	if to == state.StatusFailed {
		outcome = state.OutcomeFailure
	}
	err := st.Transition(ctx, rec.ID, from, to, ev, func(f *state.FailureRecord) {
		if f.Remediation == nil {
			f.Remediation = &state.Remediation{}
		}
		rem := *f.Remediation
		rem.Outcome, rem.Reason = outcome, reason
		f.Remediation = &rem
	})
	if errors.Is(err, state.ErrConflict) {
		h.d.log().Info("remediation already finished by another delivery", "failure_id", rec.ID)
		return nil
	}
	if err != nil {
		return fmt.Errorf("finish remediation %s: %w", rec.ID, err)
	}
	h.recordRemediationMetrics(ctx, rec, outcome)
	return nil
}

func (h *Handlers) recordRemediationMetrics(ctx context.Context, rec state.FailureRecord, outcome string) {
	now := h.d.now()
	ok := outcome == state.OutcomeSuccess
	m := state.MetricsRecord{FailureID: rec.ID, Repo: rec.Repo, RemediationSuccess: &ok,
		TotalLatencyMS: max(now.Sub(rec.DetectedAt).Milliseconds(), 1)}
	if rec.Analysis != nil {
		m.Category = string(rec.Analysis.Category)
	}
	var acted time.Time
	if rec.Remediation != nil {
		acted = rec.Remediation.ActedAt
	}
	if !acted.IsZero() {
		m.RemediationLatencyMS = max(acted.Sub(rec.DetectedAt).Milliseconds(), 1)
	}
	if err := h.d.Store.RecordMetrics(ctx, m); err != nil {
		h.d.log().Warn("record remediation metrics", "failure_id", rec.ID, "err", err)
	}
	if pm := h.d.Metrics; pm != nil {
		if rec.Remediation == nil || len(rec.Remediation.Steps) == 0 {
			pm.Remediations.WithLabelValues("none", outcome).Inc()
		} else {
			for _, s := range rec.Remediation.Steps {
				// An action that found nothing to do is counted as such,
				// not as a success.
				o := outcome
				if s.Result["noop"] == true {
					o = "noop"
				}
				pm.Remediations.WithLabelValues(s.Action, o).Inc()
			}
		}
		if !acted.IsZero() {
			pm.RemediationLatency.Observe(acted.Sub(rec.DetectedAt).Seconds())
		}
		pm.TimeToResolution.WithLabelValues(outcome).Observe(now.Sub(rec.DetectedAt).Seconds())
	}
}

// finishVerified records a verified success: remediated, with the audit
// entry remediation/verify/success.
func (h *Handlers) finishVerified(ctx context.Context, st Store, rec state.FailureRecord, log *slog.Logger, details map[string]any) error {
	d := map[string]any{"phase": phaseVerify}
	for k, v := range details {
		d[k] = v
	}
	ev := state.AuditEntry{Timestamp: h.d.now(), Actor: "ccm", ActionType: state.ActionRemediation,
		FailureID: rec.ID, Repo: rec.Repo, Details: d, Outcome: state.OutcomeSuccess}
	if err := h.finish(ctx, st, rec, state.StatusRemediated, ev, ""); err != nil {
		return err
	}
	log.Info("remediation verified: remediated", "details", d)
	return nil
}

// noopNotes are the notes of the steps that found nothing to do.
func noopNotes(steps []state.RemediationStep) []string {
	var notes []string
	for _, s := range steps {
		if s.Result["noop"] == true {
			note, _ := s.Result["note"].(string)
			notes = append(notes, s.Action+": "+note)
		}
	}
	return notes
}
