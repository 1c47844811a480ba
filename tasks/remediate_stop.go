package tasks

import (
	"context"
	"errors"
	"fmt"

	"github.com/ccm-ci/ccm/integrations/github"
	"github.com/ccm-ci/ccm/state"
)

// stopApproved ends an approved failure ccm may no longer act on (its
// repository is now in shadow mode) before its remediation started:
// failed and stopped with the reason, with its remediation audit entry,
// in one step. Left approved it would wait forever: the sweep re-enqueues
// it and every delivery would find it still forbidden.
func (r *remediation) stopApproved(ctx context.Context, reason string) error {
	ev := r.event(phaseAct, state.OutcomeFailure, map[string]any{"reason": reason, "stopped": true, "writes": 0,
		"from": string(state.StatusApproved)})
	if err := r.h.finishFrom(ctx, r.st, r.rec, state.StatusApproved, state.StatusFailed, ev, reason); err != nil {
		return err
	}
	r.log.Warn("approved remediation stopped before it started", "reason", reason)
	return nil
}

// retryOrFail decides what a step's error (i < 0: the world check's) means:
// an uncertain write or GitHub trouble is retried while retries remain (the
// retry re-reads GitHub before writing); anything else, or the last
// attempt, fails the remediation with rollback and a critical alert.
func (r *remediation) retryOrFail(ctx context.Context, i int, err error) error {
	if transient(err) && !outOfRetries(ctx) {
		r.log.Warn("remediation step uncertain or GitHub unavailable; retrying (the retry re-checks GitHub first)", "step", i, "err", err)
		return fmt.Errorf("remediate %s: %w", r.rec.ID, err)
	}
	if i >= 0 {
		if merr := r.mark(ctx, i, stepFailed, nil, err); merr != nil {
			return errors.Join(merr, err)
		}
	}
	switch {
	case i == 0 && errors.Is(err, github.ErrAlreadyRunning):
		// Someone re-ran the run between the world check and ccm's first
		// write: ccm did nothing, and nothing is ccm's to escalate.
		return r.stop(ctx, "someone else re-ran the run just before ccm's first write: "+err.Error(), false)
	case i == 0 && errors.Is(err, errOthersRerun):
		// A resumed first re-run found someone else's attempt, not ccm's:
		// ccm made none, and the run is someone else's to follow.
		return r.stop(ctx, err.Error(), false)
	}
	return r.fail(ctx, i, err)
}

// transient reports whether err may pass with time: an uncertain write,
// GitHub unavailable or rate-limited, a deadline.
func transient(err error) bool {
	var re *github.RetryError
	return errors.Is(err, github.ErrUncertain) || errors.As(err, &re) ||
		errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled)
}
