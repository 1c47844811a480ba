package tasks

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/hibiken/asynq"

	"github.com/ccm-ci/ccm/integrations/github"
	"github.com/ccm-ci/ccm/state"
)

const (
	// initialLookback is how far back the first poll of a repository looks:
	// far enough to catch what failed while ccm was being installed, short
	// enough not to flood a new channel with last week's failures.
	initialLookback = time.Hour
	// pollOverlap re-reads runs created before the cursor, because GitHub
	// filters on creation time and a run created hours ago may fail now
	// (hosted jobs run up to 6 h). Records dedup the re-reads.
	pollOverlap = 6 * time.Hour
)

// pollSince is the creation-time lower bound of a poll. It is truncated to
// the hour so consecutive polls ask the same URL and GitHub can answer
// 304 Not Modified from the ETag cache, which costs no rate limit.
func pollSince(cursor, now time.Time) time.Time {
	if cursor.IsZero() || cursor.After(now) {
		cursor = now.Add(-initialLookback)
		return cursor.Truncate(time.Hour)
	}
	return cursor.Add(-pollOverlap).Truncate(time.Hour)
}

// HandlePoll lists a repository's failed runs and enqueues an ingest for
// each one not yet recorded.
func (h *Handlers) HandlePoll(ctx context.Context, t *asynq.Task) error {
	var p PollPayload
	if err := decode(t, &p); err != nil {
		return err
	}
	log := h.d.log().With("repo", p.Repo, "task_type", TypePoll)
	if cfg := h.d.Config(); !cfg.For(p.Repo).Watched {
		log.Info("repository no longer watched; poll skipped")
		return nil
	}
	start := h.d.now()
	cursor, err := h.d.Store.Cursor(ctx, p.Repo)
	if err != nil {
		return fmt.Errorf("poll %s: %w", p.Repo, err)
	}
	since := pollSince(cursor, start)
	runs, err := h.d.GitHub.ListFailedRuns(ctx, p.Repo, since)
	if err != nil {
		return h.pollError(ctx, p.Repo, err)
	}
	reruns, err := h.d.GitHub.ListRerunRuns(ctx, p.Repo, since)
	if err != nil {
		return h.pollError(ctx, p.Repo, err)
	}
	// The lists feed the run index the ingest finds a push's previous run
	// in — only an index a webhook delivery made (state.Store.NoteRuns).
	refs := make([]state.RunRef, 0, len(runs)+len(reruns))
	for _, r := range slices.Concat(runs, reruns) {
		refs = append(refs, RunRef(r))
	}
	if err := h.d.Store.NoteRuns(ctx, p.Repo, refs, false); err != nil {
		// An index without these runs costs an ingest a call, or widens
		// its comparison: not worth failing the poll for.
		log.Warn("run index not updated", "err", err)
	}
	queued := 0
	for _, c := range candidates(runs, reruns) {
		id := FailureID(p.Repo, c.runID, c.attempt)
		done, err := h.d.Store.IsProcessed(ctx, id)
		if err != nil {
			return fmt.Errorf("poll %s: %w", p.Repo, err)
		}
		if done {
			continue
		}
		if err := h.enqueueIngest(ctx, IngestPayload{Repo: p.Repo, RunID: c.runID, Attempt: c.attempt, Source: "poll", Run: c.run}); err != nil {
			return fmt.Errorf("poll %s: %w", p.Repo, err)
		}
		queued++
	}
	if err := h.d.Store.SetCursor(ctx, p.Repo, start); err != nil {
		return fmt.Errorf("poll %s: %w", p.Repo, err)
	}
	// Every sweep runs whatever another's error: one failing must not
	// leave approvals, incidents and re-gates unrepaired. Their errors are
	// returned together at the end (the task is retried).
	sweepErr := h.reconcileAnalyses(ctx, p.Repo)
	// The runs just listed are their latest attempts, so only requests on
	// other runs cost a read; each branch is read once.
	outdated, err := h.expireOutdated(ctx, p.Repo, h.newWorld(slices.Concat(runs, reruns)...),
		func(state.FailureRecord) (bool, bool) { return true, true })
	if err != nil {
		// The cursor moved and the rest is done; the next poll checks again.
		log.Warn("recheck of pending approvals failed; the next poll tries again", "err", err)
	}
	h.sweepIncidents(ctx, p.Repo, reruns)
	if queued > 0 && h.d.Metrics != nil {
		h.d.Metrics.PollRunsDiscovered.WithLabelValues(p.Repo).Add(float64(queued))
	}
	log.Info("polled", "failed_runs", len(runs), "enqueued", queued, "approvals_outdated", outdated)
	return sweepErr
}

// maxEarlierAttempts bounds how many earlier attempts of one re-run run a
// poll looks at; GitHub allows 50 re-runs, and the last few tell the story.
const maxEarlierAttempts = 5

type attemptRef struct {
	runID   int64
	attempt int
	// run is the attempt as listed (its latest), nil for earlier ones.
	run *github.Run
}

// candidates are the run attempts that may be unrecorded failures: the
// latest attempt of each failed run, and the earlier attempts of every
// re-run run — a failure re-run by hand before the next poll would
// otherwise go unseen when no webhook is configured. Ingest checks each
// attempt's conclusion and records only failures; the task ID keeps a
// passing attempt from being fetched again within the dedup window.
func candidates(failed, reruns []github.Run) []attemptRef {
	var out []attemptRef
	type key struct {
		runID   int64
		attempt int
	}
	seen := map[key]bool{}
	add := func(r attemptRef) {
		if k := (key{r.runID, r.attempt}); !seen[k] {
			seen[k] = true
			out = append(out, r)
		}
	}
	for i, r := range failed {
		add(attemptRef{r.ID, max(r.Attempt, 1), &failed[i]})
	}
	for _, r := range append(failed, reruns...) {
		for a := r.Attempt - 1; a >= 1 && a >= r.Attempt-maxEarlierAttempts; a-- {
			add(attemptRef{runID: r.ID, attempt: a})
		}
	}
	return out
}

// pollError turns a broken repository or a revoked token into an audit
// error and a critical alert. The poll is not retried — the next interval
// tries again — and other repositories are unaffected (one task each).
// Other errors (rate limits, 5xx) go back to asynq for a retry.
func (h *Handlers) pollError(ctx context.Context, repo string, err error) error {
	var summary string
	switch {
	case errors.Is(err, github.ErrUnauthorized):
		summary = "GitHub token rejected (revoked or invalid): polling stopped for every repository until it is replaced"
	case errors.Is(err, github.ErrNotFound):
		summary = "repository not found or not visible to the token: check its name in the config and the token's access"
	default:
		// Rate limits (*github.RetryError) and transient errors: asynq
		// retries, at the RetryAt the error carries (see retryDelay).
		return fmt.Errorf("poll %s: %w", repo, err)
	}
	h.d.raise(ctx, &h.throttle, Alert{Severity: SeverityCritical, Repo: repo, Summary: summary, Err: err})
	// Handled: audited and alerted, and the next slot polls again. An
	// error here would only archive one dead poll task per interval and
	// crowd out the archived tasks operators need to see.
	return nil
}

// enqueueIngest enqueues once per failure ID, through EnqueueIngest like
// the webhook. A conflict usually means another poll or a webhook got
// there first, which is success; enqueueOnce then checks whether the task
// holding the ID was archived and repairs it (one more Redis round trip,
// on conflicts only).
func (h *Handlers) enqueueIngest(ctx context.Context, p IngestPayload) error {
	err := EnqueueIngest(ctx, h.d.Queue, h.d.Config(), p)
	if err == nil || errors.Is(err, asynq.ErrDuplicateTask) {
		return nil
	}
	if !errors.Is(err, asynq.ErrTaskIDConflict) {
		return err
	}
	task, err := NewIngestTask(p)
	if err != nil {
		return err
	}
	return h.enqueueOnce(ctx, task, policies[TypeIngest].queue, IngestTaskID(FailureID(p.Repo, p.RunID, max(p.Attempt, 1))))
}

func ignoreConflict(_ *asynq.TaskInfo, err error) error {
	if err == nil || errors.Is(err, asynq.ErrTaskIDConflict) || errors.Is(err, asynq.ErrDuplicateTask) {
		return nil
	}
	return fmt.Errorf("enqueue: %w", err)
}
