package tasks

import (
	"context"
	"time"

	"github.com/ccm-ci/ccm/state"
)

const (
	// leaseTTL is how long an analysis lease outlives its holder: it is
	// renewed while the holder lives (state.Hold), so the slowest analysis
	// keeps it, and a replica killed mid-analysis holds up the others for
	// this long, not for the task's timeout.
	leaseTTL = 30 * time.Second
	// leaseWait bounds how long a worker waits for another replica's
	// analysis of the same fingerprint before asking the LLM itself.
	leaseWait = 2 * time.Minute
	leasePoll = 250 * time.Millisecond
)

// cacheLease holds the lease on a cache key while this worker analyzes
// the failure; the lease is in Redis, so it binds every worker of every
// replica. If someone else holds it, it waits until that analysis is cached
// (then the cache answers) or the wait runs out (then a duplicate LLM call
// is the lesser evil). It returns the release function.
func (h *Handlers) cacheLease(ctx context.Context, rec state.FailureRecord, key string, ttl time.Duration) func() {
	noop := func() {}
	if key == "" || ttl <= 0 {
		return noop
	}
	log := h.d.log().With("failure_id", rec.ID, "repo", rec.Repo, "fingerprint", rec.Fingerprint)
	deadline := h.d.now().Add(leaseWait)
	for {
		// Losing the lease midway (Redis out of reach) costs at worst a
		// second LLM call, so the analysis goes on under the task's context.
		hold, _, err := h.d.Store.HoldLease(ctx, "analyze:"+key, leaseTTL)
		if err != nil {
			log.Warn("fingerprint lease unavailable; analyzing without it", "err", err)
			return noop
		}
		if hold != nil {
			return func() {
				if err := hold.Release(); err != nil {
					log.Warn("release fingerprint lease", "err", err)
				}
			}
		}
		if _, cached, err := h.d.Store.CachedAnalysis(ctx, key); err == nil && cached {
			return noop
		}
		if h.d.now().After(deadline) {
			log.Warn("another replica is still analyzing this fingerprint; analyzing it here too")
			return noop
		}
		select {
		case <-ctx.Done():
			return noop
		case <-time.After(leasePoll):
		}
	}
}
