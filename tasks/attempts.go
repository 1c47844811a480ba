package tasks

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/ccm-ci/ccm/integrations/github"
	"github.com/ccm-ci/ccm/state"
)

// sourceEarlierAttempt is Changes.Source for files lent by the record of an
// earlier attempt of the same commit.
const sourceEarlierAttempt = "earlier_attempt"

// earlierAttempts reads the records of a run's attempts before attempt,
// newest first, at most maxEarlierAttempts of them (the poll looks no
// further back either); attempts never recorded (they passed) are
// skipped. One Redis read each, and none for a first attempt.
func (h *Handlers) earlierAttempts(ctx context.Context, repo string, runID int64, attempt int) ([]state.FailureRecord, error) {
	var out []state.FailureRecord
	for a := attempt - 1; a >= 1 && a >= attempt-maxEarlierAttempts; a-- {
		rec, err := h.d.Store.GetFailure(ctx, FailureID(repo, runID, a))
		if errors.Is(err, state.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("earlier attempt %d: %w", a, err)
		}
		out = append(out, rec)
	}
	return out, nil
}

// startedBy is the earlier record whose remediation created attempt: ccm
// re-ran the run and this attempt is that re-run. Nil when no remediation
// of ccm's did (someone re-ran the run by hand).
func startedBy(earlier []state.FailureRecord, attempt int) *state.FailureRecord {
	for i, rec := range earlier {
		if rec.Remediation != nil && rec.Remediation.VerifyAttempt == attempt {
			return &earlier[i]
		}
	}
	return nil
}

// retryOf is the ID of the failure whose remediation re-ran the run into
// attempt (the contract's retry_of), or "". Linking at ingest means the
// link does not wait for the verification to fail; ccm:verify links it too
// when it finds the record already there without one.
func retryOf(earlier []state.FailureRecord, attempt int) string {
	if rec := startedBy(earlier, attempt); rec != nil {
		return rec.ID
	}
	return ""
}

// fillChanges sets what the change behind run touched. An earlier attempt
// of the same commit already asked GitHub and its answer stands; otherwise
// ChangedFiles asks, under its own time limit. When GitHub cannot say, or
// says only part (capped, or only the head commit), the record is marked
// unavailable and the gate assumes application code.
func fillChanges(ctx context.Context, gh GitHub, rec *state.FailureRecord, run github.Run, in FailureInput) {
	for _, e := range in.Earlier {
		if e.CommitSHA == run.HeadSHA && e.CommitSHA != "" {
			rec.ChangedFiles, rec.ChangedFilesUnavailable = e.ChangedFiles, e.ChangedFilesUnavailable
			rec.ChangedFilesSource = sourceEarlierAttempt
			return
		}
	}
	if run.HeadSHA == "" {
		rec.ChangedFilesUnavailable = true
		return
	}
	fctx, cancel := context.WithTimeout(ctx, changedFilesTimeout)
	ch, err := gh.ChangedFiles(fctx, in.Repo, run, in.Change)
	cancel()
	if err != nil {
		// The record is complete without them; the flag tells the
		// analysis and the gate that "none listed" means "unknown".
		rec.ChangedFilesUnavailable = true
		if in.Logger != nil {
			in.Logger.Warn("changed files unavailable", "commit_sha", run.HeadSHA, "err", err)
		}
		return
	}
	rec.ChangedFiles, rec.ChangedFilesSource = ch.Files, ch.Source
	rec.ChangedFilesUnavailable = !ch.Complete
}

// RunRef is what ccm's run index keeps of run.
func RunRef(run github.Run) state.RunRef {
	return state.RunRef{RunID: run.ID, WorkflowID: run.WorkflowID, Branch: run.HeadBranch, Event: run.Event,
		HeadSHA: run.HeadSHA, CreatedAt: run.CreatedAt}
}

// changeHint is what ccm already knows of run's change: the previous run
// of its workflow from the run index the webhook deliveries and the poll
// feed (a miss or an error costs the one call GitHub's list costs), and
// the comparison cache shared by the workflows of one push.
func (h *Handlers) changeHint(ctx context.Context, repo string, run github.Run, log *slog.Logger) github.ChangeHint {
	hint := github.ChangeHint{Compares: h.d.Store}
	if strings.HasPrefix(run.Event, "pull_request") {
		return hint
	}
	sha, ok, err := h.d.Store.PreviousRun(ctx, repo, RunRef(run))
	switch {
	case err != nil:
		log.Warn("run index unreadable; asking GitHub for the previous run", "err", err)
	case ok:
		hint.PreviousSHA = sha
	}
	return hint
}
