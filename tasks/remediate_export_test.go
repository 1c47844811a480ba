package tasks

import "context"

// LastDelivery marks ctx as asynq's last delivery of a task, so a test can
// see what ccm:remediate does when its retries have run out.
func LastDelivery(ctx context.Context) context.Context {
	return context.WithValue(ctx, lastDeliveryKey{}, true)
}
