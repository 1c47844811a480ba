package tasks

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hibiken/asynq"

	"github.com/ccm-ci/ccm/state"
)

// Inspector is what reconciliation needs from asynq's inspector.
type Inspector interface {
	GetTaskInfo(queue, id string) (*asynq.TaskInfo, error)
	DeleteTask(queue, id string) error
}

var _ Inspector = (*asynq.Inspector)(nil)

// staleDetected is how long a failure may rest at detected before the poll
// assumes its analysis task was lost and enqueues it again.
const staleDetected = 10 * time.Minute

// enqueueOnce enqueues a task whose ID dedups it. A conflict usually means
// the work is queued or done; but asynq also keeps the ID of a task it
// archived after its last retry, which would block that work forever. Such
// a task is deleted and enqueued again, so the poll reconciles what a
// GitHub or Redis outage made fail for good.
func (h *Handlers) enqueueOnce(ctx context.Context, task *asynq.Task, queue, id string) error {
	opts := []asynq.Option{asynq.Retention(h.d.Config().DedupWindow)}
	_, err := h.d.Queue.EnqueueContext(ctx, task, opts...)
	if err == nil || !errors.Is(err, asynq.ErrTaskIDConflict) {
		return ignoreConflict(nil, err)
	}
	if h.d.Inspector == nil {
		return nil
	}
	info, err := h.d.Inspector.GetTaskInfo(queue, id)
	if err != nil || info.State != asynq.TaskStateArchived {
		return nil // queued, running, done, or gone meanwhile: nothing to repair
	}
	if err := h.d.Inspector.DeleteTask(queue, id); err != nil {
		return fmt.Errorf("requeue archived %s: %w", id, err)
	}
	if _, err := h.d.Queue.EnqueueContext(ctx, task, opts...); err != nil {
		return ignoreConflict(nil, err)
	}
	h.d.log().Warn("re-enqueued a task that had been archived", "task_id", id, "task_type", task.Type(),
		"last_error", info.LastErr)
	return nil
}

// reconcileAnalyses re-enqueues the analysis of a repository's failures
// that have rested at detected for too long: their task was lost (a worker
// died between recording and enqueueing) or archived.
func (h *Handlers) reconcileAnalyses(ctx context.Context, repo string) error {
	recs, err := h.d.Store.ListFailures(ctx, state.FailureQuery{
		Repo: repo, Status: state.StatusDetected, Until: h.d.now().Add(-staleDetected), Limit: 100,
	})
	if err != nil {
		return fmt.Errorf("reconcile %s: %w", repo, err)
	}
	for _, rec := range recs {
		if err := h.enqueueAnalyze(ctx, rec.ID); err != nil {
			return fmt.Errorf("reconcile %s: %w", repo, err)
		}
	}
	if len(recs) > 0 {
		h.d.log().Warn("re-enqueued stale analyses", "repo", repo, "count", len(recs))
	}
	return nil
}

// alertedError marks an error whose alert was already raised, so the
// ErrorHandler does not page a second time for it.
type alertedError struct{ error }

func (e alertedError) Unwrap() error { return e.error }
