package tasks

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hibiken/asynq"

	"github.com/ccm-ci/ccm/config"
	"github.com/ccm-ci/ccm/state"
)

// Inspector is what reconciliation needs from asynq's inspector.
type Inspector interface {
	GetTaskInfo(queue, id string) (*asynq.TaskInfo, error)
	DeleteTask(queue, id string) error
}

var _ Inspector = (*asynq.Inspector)(nil)

const (
	// staleDetected is how long a failure may rest at detected before the
	// poll assumes its analysis task was lost and enqueues it again.
	staleDetected = 10 * time.Minute
	// staleHorizon bounds that sweep: older stuck failures were alerted
	// when their tasks were archived and given up on below.
	staleHorizon = 48 * time.Hour
	// maxRequeues is how often one archived task is enqueued again per
	// requeueWindow before ccm gives up on it and says so; requeueSpacing
	// spreads those tries, so together they ride out an outage of about
	// an hour and a half instead of burning out in minutes.
	maxRequeues    = 8
	requeueWindow  = 24 * time.Hour
	requeueSpacing = 10 * time.Minute
)

// enqueueOnce enqueues a task whose ID dedups it. A conflict usually means
// the work is queued, running or done; but asynq also keeps the ID of a
// task it archived after its last retry, which would block that work
// forever. Such a task is deleted and enqueued again — so the poll
// reconciles what a GitHub or Redis outage made fail — unless it was
// archived on purpose (errFinal: it can never succeed) or has already
// been re-enqueued maxRequeues times in the window.
func (h *Handlers) enqueueOnce(ctx context.Context, task *asynq.Task, queue, id string) error {
	_, err := h.enqueueOnceFresh(ctx, task, queue, id)
	return err
}

// enqueueOnceFresh is enqueueOnce, also reporting whether nothing held the
// task ID (fresh): the task had never been enqueued, or asynq has forgotten
// it. A sweep that finds work lost that way audits the repair itself; the
// re-enqueue of an archived task is audited here.
func (h *Handlers) enqueueOnceFresh(ctx context.Context, task *asynq.Task, queue, id string) (fresh bool, _ error) {
	cfg := h.d.Config()
	opts := []asynq.Option{asynq.Retention(DedupRetention(cfg))}
	_, err := h.d.Queue.EnqueueContext(ctx, task, opts...)
	if err == nil || !errors.Is(err, asynq.ErrTaskIDConflict) {
		return err == nil, ignoreConflict(nil, err)
	}
	if h.d.Inspector == nil {
		return false, nil
	}
	info, err := h.d.Inspector.GetTaskInfo(queue, id)
	if err != nil || info.State != asynq.TaskStateArchived || archivedOnPurpose(info) {
		return false, nil // queued, running, done, gone, or final by design
	}
	if h.d.now().Sub(info.LastFailedAt) < requeueSpacing {
		return false, nil // archived moments ago: give the outage time to pass
	}
	repo, failureID := taskSubject(task)
	n, err := h.d.Store.Count(ctx, "requeue:"+id, requeueWindow)
	if err != nil {
		return false, fmt.Errorf("requeue archived %s: %w", id, err)
	}
	if n > maxRequeues {
		if n == maxRequeues+1 {
			h.d.raise(ctx, &h.throttle, Alert{Severity: SeverityCritical, Repo: repo, FailureID: failureID,
				Summary: fmt.Sprintf("task %s keeps failing after %d re-enqueues; left archived for a person (asynq CLI)", id, maxRequeues),
				Details: map[string]any{"task_id": id, "last_error": info.LastErr}})
		}
		return false, nil
	}
	// The task may have changed state since GetTaskInfo (asynq never
	// deletes an active one); the next poll tries again.
	if err := h.d.Inspector.DeleteTask(queue, id); err != nil {
		h.d.log().Warn("could not delete archived task; will retry at the next poll", "task_id", id, "err", err)
		return false, nil
	}
	if _, err := h.d.Queue.EnqueueContext(ctx, task, opts...); err != nil {
		return false, ignoreConflict(nil, err)
	}
	ev := state.AuditEntry{
		Timestamp: h.d.now(), Actor: "ccm", ActionType: state.ActionRecovery, FailureID: failureID, Repo: repo,
		Outcome: state.OutcomeSuccess,
		Details: map[string]any{"task_id": id, "task_type": task.Type(), "requeue": n, "last_error": info.LastErr,
			"summary": fmt.Sprintf("archived %s enqueued again (%d of %d today)", task.Type(), n, maxRequeues)},
	}
	if _, err := h.d.Store.Audit(ctx, ev); err != nil {
		h.d.log().Error("audit requeue", "task_id", id, "err", err)
	}
	h.d.log().Warn("re-enqueued a task that had been archived", "failure_id", failureID, "task_id", id, "task_type", task.Type(), "requeue", n)
	return false, nil
}

// finalMark is written into the text of every error that ends a task's
// retries on purpose. asynq keeps only an archived task's error text
// (TaskInfo.LastErr), so errors.Is cannot be asked of it later; matching
// asynq.SkipRetry's own text ("skip retry for the task") would also match
// any upstream message that happens to quote it. This marker is ccm's own,
// written only through errFinal and read only by archivedOnPurpose.
const finalMark = "[ccm:final]"

// errFinal ends a task's retries: errors.Is(err, asynq.SkipRetry) holds in
// the worker, and finalMark reaches LastErr. Wrap it with %w.
var errFinal = fmt.Errorf("%s %w", finalMark, asynq.SkipRetry)

// archivedOnPurpose reports whether a task was archived because it can
// never succeed (errFinal), not because it ran out of retries.
func archivedOnPurpose(info *asynq.TaskInfo) bool {
	return strings.Contains(info.LastErr, finalMark)
}

// DedupRetention is how long a finished ingest or analysis keeps its task
// ID: the configured window, but never less than a poll's look-back, or a
// passing earlier attempt would be fetched again at every poll.
func DedupRetention(cfg *config.Config) time.Duration {
	return max(cfg.DedupWindow, pollOverlap+2*cfg.PollInterval)
}

// reconcileAnalyses repairs what a lost task left behind, at every poll:
//   - the analysis of a repository's failures that have rested at detected
//     for too long (their task was lost: a worker died between recording
//     and enqueueing, or it was archived);
//   - the gate of its analyzed failures that have no decision (the same,
//     one step later);
//   - the remediation and verification of its approved and remediating
//     failures whose task was lost (see sweepLostWork);
//   - the expiry of every due approval request, of any repository (see
//     sweepDueApprovals for why here).
func (h *Handlers) reconcileAnalyses(ctx context.Context, repo string) error {
	now := h.d.now()
	var errs []error
	for _, stage := range []struct {
		status  state.Status
		stuck   func(state.FailureRecord) bool
		enqueue func(context.Context, string) error
		what    string
	}{
		{state.StatusDetected, func(state.FailureRecord) bool { return true }, h.enqueueAnalyze, "analyses"},
		{state.StatusAnalyzed, func(r state.FailureRecord) bool { return r.Gate == nil }, h.enqueueGate, "gate decisions"},
	} {
		recs, err := h.d.Store.ListFailures(ctx, state.FailureQuery{
			Repo: repo, Status: stage.status, Since: now.Add(-staleHorizon), Until: now.Add(-staleDetected), Limit: 100,
		})
		if err != nil {
			// The other sweeps still run (errors are joined below).
			errs = append(errs, fmt.Errorf("list stale %s: %w", stage.what, err))
			continue
		}
		n := 0
		for _, rec := range recs {
			if stage.stuck(rec) {
				errs = append(errs, stage.enqueue(ctx, rec.ID))
				n++
			}
		}
		if n > 0 {
			h.d.log().Warn("re-enqueued stale "+stage.what, "repo", repo, "count", n)
		}
	}
	errs = append(errs, h.sweepLostWork(ctx, repo))
	if n, err := h.sweepDueApprovals(ctx); err != nil {
		errs = append(errs, err)
	} else if n > 0 {
		h.d.log().Warn("expired approvals whose expiry task was lost", "repo", repo, "count", n)
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("reconcile %s: %w", repo, err)
	}
	return nil
}

// alertedError marks an error whose alert was already raised, so the
// ErrorHandler does not page a second time for it.
type alertedError struct{ error }

func (e alertedError) Unwrap() error { return e.error }
