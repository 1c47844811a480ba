package service

import (
	"context"
	"errors"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hibiken/asynq"
)

// A task that ends while Redis is gone is handed back only once Redis
// answers again (or at the bound, or when its context ends), with the
// handler's own outcome; with Redis up it costs one ping and no wait.
func TestHoldForRedis(t *testing.T) {
	handlerErr := errors.New("create failure: connection refused")
	tests := []struct {
		name     string
		downFor  time.Duration // Redis answers after this (0: all along; <0: never)
		cancelAt time.Duration // the task's context ends then (0: never)
		min, max time.Duration // how long the hold may take
	}{
		// The upper bounds are loose (a loaded CI box runs this under
		// -race); "no wait" is pinned by its single ping, the others by
		// their lower bounds.
		{"redis up: no wait", 0, 0, 0, 400 * time.Millisecond},
		{"redis back: handed back then", 300 * time.Millisecond, 0, 300 * time.Millisecond, 2 * time.Second},
		{"redis never back: the bound", -1, 0, 500 * time.Millisecond, 3 * time.Second},
		{"shutdown: at once", -1, 200 * time.Millisecond, 200 * time.Millisecond, 1500 * time.Millisecond},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			var pings atomic.Int32
			ready := func(ctx context.Context) error {
				pings.Add(1)
				if tc.downFor == 0 || tc.downFor > 0 && time.Since(start) >= tc.downFor {
					return nil
				}
				return errors.New("ping redis: connection refused")
			}
			ctx := context.Background()
			if tc.cancelAt > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tc.cancelAt)
				defer cancel()
			}
			h := holdForRedis(ready, 500*time.Millisecond, 20*time.Millisecond, slog.New(slog.DiscardHandler))(
				asynq.HandlerFunc(func(context.Context, *asynq.Task) error { return handlerErr }))
			err := h.ProcessTask(ctx, asynq.NewTask("ccm:test", nil))
			took := time.Since(start)
			if !errors.Is(err, handlerErr) {
				t.Errorf("err = %v, want the handler's", err)
			}
			if took < tc.min || took > tc.max {
				t.Errorf("handed back after %s, want between %s and %s", took, tc.min, tc.max)
			}
			if tc.downFor == 0 && pings.Load() != 1 {
				t.Errorf("%d pings with Redis up, want 1", pings.Load())
			}
		})
	}
}
