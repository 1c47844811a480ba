package tasks_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/ccm-ci/ccm/cilogs"
	"github.com/ccm-ci/ccm/sim/githubsim"
	"github.com/ccm-ci/ccm/state"
	"github.com/ccm-ci/ccm/tasks"
	"github.com/ccm-ci/ccm/tasks/taskstest"
)

// BenchmarkPipeline is the load driver for the intake: b.N failed runs,
// each with a real CI log, go through a real asynq server (10 workers) —
// ingest (GitHub fake over HTTP, log download, excerpt, redaction, record
// on the real Redis) then analysis (rules) — and it reports failures/s.
// The baseline is the same number of no-op tasks through the same kind of
// server in the same run, so the ratio is what ccm's work costs on top of
// the queue itself.
//
//	go test ./tasks -run '^$' -bench BenchmarkPipeline -benchtime 200x
func BenchmarkPipeline(b *testing.B) {
	logs := cilogs.All()
	h := newHarness(b, nil)
	runs := make([]githubsim.Run, b.N)
	for i := range runs {
		l := logs[i%len(logs)]
		runs[i] = h.gh.AddRun(testRepo, githubsim.Run{Conclusion: "failure", Jobs: []githubsim.Job{
			{Name: "build", Conclusion: "failure", Log: l.Log, Steps: []githubsim.Step{{Number: 1, Name: "Run build", Status: "completed", Conclusion: "failure"}}},
		}})
	}
	baseline := noopThroughput(b, b.N)

	srv := asynq.NewServerFromRedisClient(h.queue.Redis, asynq.Config{
		Concurrency: 10, Queues: tasks.QueueWeights, Logger: tasks.AsynqLogger{L: quiet},
		TaskCheckInterval: 5 * time.Millisecond,
	})
	if err := srv.Start(h.h.Mux()); err != nil {
		b.Fatal(err)
	}
	defer srv.Shutdown()
	ctx := context.Background()
	b.ResetTimer()
	start := time.Now()
	for _, r := range runs {
		task, err := tasks.NewIngestTask(tasks.IngestPayload{Repo: testRepo, RunID: r.ID, Attempt: 1, Source: "bench"})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := h.queue.EnqueueContext(ctx, task); err != nil {
			b.Fatal(err)
		}
	}
	for {
		recs, err := h.store.ListFailures(ctx, state.FailureQuery{Repo: testRepo, Status: state.StatusAnalyzed, Limit: state.MaxLimit})
		if err != nil {
			b.Fatal(err)
		}
		if len(recs) == len(runs) {
			break
		}
		if time.Since(start) > 5*time.Minute {
			b.Fatalf("only %d of %d failures analyzed after 5 min", len(recs), len(runs))
		}
		time.Sleep(10 * time.Millisecond)
	}
	elapsed := time.Since(start)
	b.StopTimer()
	rate := float64(len(runs)) / elapsed.Seconds()
	b.ReportMetric(rate, "failures/s")
	b.ReportMetric(baseline, "noop_pairs/s")
	b.ReportMetric(rate/baseline, "ratio_vs_noop")
}

// noopThroughput pushes n pairs of no-op tasks (a pair per failure, as
// ingest and analyze are) through a fresh asynq server with the same
// settings and returns pairs/s.
func noopThroughput(b *testing.B, n int) float64 {
	b.Helper()
	q := taskstest.New(b)
	var done atomic.Int64
	mux := asynq.NewServeMux()
	mux.HandleFunc("noop", func(context.Context, *asynq.Task) error { done.Add(1); return nil })
	srv := asynq.NewServerFromRedisClient(q.Redis, asynq.Config{
		Concurrency: 10, Queues: tasks.QueueWeights, Logger: tasks.AsynqLogger{L: quiet},
		TaskCheckInterval: 5 * time.Millisecond,
	})
	if err := srv.Start(mux); err != nil {
		b.Fatal(err)
	}
	defer srv.Shutdown()
	start := time.Now()
	for i := range n {
		// Two tasks per failure (ingest, analyze) are what the pipeline runs.
		for j := range 2 {
			if _, err := q.Enqueue(asynq.NewTask("noop", nil, asynq.TaskID(fmt.Sprint(i, "-", j)))); err != nil {
				b.Fatal(err)
			}
		}
	}
	for done.Load() < int64(2*n) {
		time.Sleep(time.Millisecond)
	}
	return float64(n) / time.Since(start).Seconds()
}
