package tasks_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/ccm-ci/ccm/config"
	"github.com/ccm-ci/ccm/tasks"
	"github.com/ccm-ci/ccm/tasks/taskstest"
)

// The poll and the webhook enqueue through EnqueueIngest: one task ID per
// failure, the ingest's queue and retries, and the ID kept for the dedup
// window, whichever path saw the run first.
func TestEnqueueIngest(t *testing.T) {
	q := taskstest.New(t)
	cfg := config.Default()
	cfg.DedupWindow = 72 * time.Hour
	ctx := context.Background()
	p := tasks.IngestPayload{Repo: "acme/web", RunID: 42, Source: "webhook"}
	if err := tasks.EnqueueIngest(ctx, q.Client, cfg, p); err != nil {
		t.Fatal(err)
	}
	info, err := q.Inspector.GetTaskInfo(tasks.QueueDefault, "ingest:acme/web#42.1")
	if err != nil {
		t.Fatal(err)
	}
	if info.Type != tasks.TypeIngest || info.MaxRetry != tasks.MaxRetry(tasks.TypeIngest) || info.Retention != tasks.DedupRetention(cfg) {
		t.Errorf("task %s: type %s, max retry %d, retention %s; want ingest, %d, %s",
			info.ID, info.Type, info.MaxRetry, info.Retention, tasks.MaxRetry(tasks.TypeIngest), tasks.DedupRetention(cfg))
	}
	// The same failure from the other path is a conflict the caller sees.
	p.Source, p.Attempt = "poll", 1
	err = tasks.EnqueueIngest(ctx, q.Client, cfg, p)
	if !errors.Is(err, asynq.ErrTaskIDConflict) {
		t.Errorf("second enqueue: err = %v, want a task ID conflict", err)
	}
	if n := len(q.Pending(t, tasks.QueueDefault, tasks.TypeIngest)); n != 1 {
		t.Errorf("%d ingest tasks, want 1", n)
	}
}
