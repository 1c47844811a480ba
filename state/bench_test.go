package state_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ccm-ci/ccm/state"
	"github.com/ccm-ci/ccm/state/statetest"
)

// BenchmarkCreateFailure measures idempotent ingest (one Lua script: record,
// two indexes, processed marker, audit entry) against a bare SET of the
// same JSON on the same connection, and reports the ratio as x_bare_set.
// It runs on the real Redis only: timings on miniredis say nothing about
// production.
func BenchmarkCreateFailure(b *testing.B) {
	for _, par := range []int{1, 8} {
		b.Run(fmt.Sprintf("parallelism=%d", par), func(b *testing.B) {
			env := statetest.OpenRedis(b, state.Options{})
			ctx := context.Background()
			rec := failure("acme/api", 1, t0)
			js, err := json.Marshal(rec)
			if err != nil {
				b.Fatal(err)
			}
			run := func(op func(i int64) error) time.Duration {
				var n atomic.Int64
				start := time.Now()
				b.SetParallelism(par)
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						if err := op(n.Add(1)); err != nil {
							b.Error(err)
							return
						}
					}
				})
				return time.Since(start)
			}
			base := run(func(i int64) error {
				return env.Client.Set(ctx, fmt.Sprintf("%sbench:%d", env.Prefix, i), js, 0).Err()
			})
			b.ResetTimer()
			got := run(func(i int64) error {
				r := rec
				r.ID = fmt.Sprintf("acme/api#%d.1", i)
				_, err := env.Store.CreateFailure(ctx, r, event(state.ActionDetection))
				return err
			})
			b.StopTimer()
			b.ReportMetric(float64(got)/float64(base), "x_bare_set")
			b.ReportMetric(float64(b.N)/got.Seconds(), "creates/s")
		})
	}
}
