package tasks

import (
	"context"
	"time"

	"github.com/hibiken/asynq"

	"github.com/ccm-ci/ccm/metrics"
)

// WatchQueues copies asynq's queue sizes into ccm_queue_size every period
// until ctx is done, so a growing backlog or archive shows on dashboards.
func WatchQueues(ctx context.Context, in *asynq.Inspector, m *metrics.Metrics, period time.Duration) {
	t := time.NewTicker(period)
	defer t.Stop()
	for {
		for q := range QueueWeights {
			info, err := in.GetQueueInfo(q)
			if err != nil {
				continue // a queue that never held a task does not exist yet
			}
			m.QueueSize.WithLabelValues(q, "pending").Set(float64(info.Pending))
			m.QueueSize.WithLabelValues(q, "active").Set(float64(info.Active))
			m.QueueSize.WithLabelValues(q, "scheduled").Set(float64(info.Scheduled))
			m.QueueSize.WithLabelValues(q, "retry").Set(float64(info.Retry))
			m.QueueSize.WithLabelValues(q, "archived").Set(float64(info.Archived))
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
