package tasks

import (
	"context"
	"fmt"

	"github.com/hibiken/asynq"

	"github.com/ccm-ci/ccm/config"
)

// EnqueueIngest enqueues the ingest of one run attempt, for the poll and
// the webhook alike: the task ID comes from the failure ID, so both paths
// seeing the same run enqueue it once, and the ID is kept for the dedup
// window. A conflict (already queued, running, done, or archived) comes
// back as an error wrapping asynq.ErrTaskIDConflict; callers decide
// whether that is success.
func EnqueueIngest(ctx context.Context, q Enqueuer, cfg *config.Config, p IngestPayload) error {
	task, err := NewIngestTask(p)
	if err != nil {
		return err
	}
	if _, err := q.EnqueueContext(ctx, task, asynq.Retention(DedupRetention(cfg))); err != nil {
		return fmt.Errorf("enqueue ingest %s: %w", FailureID(p.Repo, p.RunID, max(p.Attempt, 1)), err)
	}
	return nil
}
