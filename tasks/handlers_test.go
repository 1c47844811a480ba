package tasks_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/ccm-ci/ccm/config"
	"github.com/ccm-ci/ccm/integrations/github"
	"github.com/ccm-ci/ccm/metrics"
	"github.com/ccm-ci/ccm/tasks"
)

// RetryDelay backs off exponentially from retry.initial_backoff (asynq's
// n counts from 0), capped at retry.max_backoff and jittered over the upper
// half; a rate limit waits until GitHub's reset instead.
func TestRetryDelay(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	cfg := config.Default()
	cfg.Retry.InitialBackoff, cfg.Retry.MaxBackoff = time.Second, 10*time.Second
	h := tasks.NewHandlers(tasks.Deps{Config: func() *config.Config { return cfg }, Now: func() time.Time { return now }})
	tests := []struct {
		name   string
		n      int
		err    error
		lo, hi time.Duration
	}{
		{name: "first retry", n: 0, err: fmt.Errorf("redis down"), lo: 500 * time.Millisecond, hi: time.Second},
		{name: "doubles", n: 2, err: fmt.Errorf("redis down"), lo: 2 * time.Second, hi: 4 * time.Second},
		{name: "capped", n: 20, err: fmt.Errorf("redis down"), lo: 5 * time.Second, hi: 10 * time.Second},
		{name: "rate limit waits for the reset", n: 0,
			err: fmt.Errorf("ingest: %w", &github.RetryError{Op: "get run", RetryAt: now.Add(time.Hour)}),
			lo:  time.Hour, hi: time.Hour + time.Second},
		{name: "a reset in the past backs off as usual", n: 1,
			err: &github.RetryError{Op: "get run", RetryAt: now.Add(-time.Minute)},
			lo:  time.Second, hi: 2 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for range 100 {
				if d := h.RetryDelay(tt.n, tt.err, nil); d < tt.lo || d > tt.hi {
					t.Fatalf("RetryDelay(%d, %v) = %v, want within [%v, %v]", tt.n, tt.err, d, tt.lo, tt.hi)
				}
			}
		})
	}
}

// A handler that panics is counted in ccm_tasks_processed_total like any
// other failure (here on its last try, so "failed"), not skipped because
// the panic unwound past the counter.
func TestPanickingHandlerIsCountedAsFailed(t *testing.T) {
	m := metrics.New()
	// No store: retention dereferences a nil interface and panics.
	h := tasks.NewHandlers(tasks.Deps{Config: config.Default, Metrics: m, Logger: quiet})
	err := h.Mux().ProcessTask(context.Background(), tasks.NewRetentionTask())
	if err == nil || !strings.Contains(err.Error(), "panic") {
		t.Fatalf("err = %v, want the panic as an error", err)
	}
	tests := []struct {
		outcome string
		want    float64
	}{
		{"failed", 1},
		{"success", 0},
		{"retry", 0},
	}
	for _, tt := range tests {
		var pb dto.Metric
		if err := m.TasksProcessed.WithLabelValues(tasks.TypeRetention, tt.outcome).Write(&pb); err != nil {
			t.Fatal(err)
		}
		if got := pb.GetCounter().GetValue(); got != tt.want {
			t.Errorf("ccm_tasks_processed_total{type=%q,outcome=%q} = %v, want %v", tasks.TypeRetention, tt.outcome, got, tt.want)
		}
	}
}

// An unvalidated config (zero retry bounds) must still back off: asynq
// would otherwise retry a failing task in a hot loop.
func TestRetryDelayWithoutRetryConfig(t *testing.T) {
	cfg := config.Default()
	cfg.Retry = config.Retry{}
	h := tasks.NewHandlers(tasks.Deps{Config: func() *config.Config { return cfg }})
	if d := h.RetryDelay(0, fmt.Errorf("redis down"), nil); d < config.Default().Retry.InitialBackoff/2 {
		t.Fatalf("RetryDelay with zero retry config = %v, want at least half the default initial backoff", d)
	}
}
