// Package taskstest gives tests a real asynq queue on an embedded Redis
// (miniredis), isolated per test, so task IDs, conflicts and retention
// behave exactly as in production without sharing asynq's fixed key names
// between tests on the real Redis.
package taskstest

import (
	"testing"

	"github.com/alicebob/miniredis/v2"
	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
)

// Queue is an asynq client and inspector on a private embedded Redis.
type Queue struct {
	*asynq.Client
	Inspector *asynq.Inspector
	Redis     redis.UniversalClient
	Mini      *miniredis.Miniredis
}

// New starts the queue; it is closed when the test ends.
func New(t testing.TB) *Queue {
	t.Helper()
	mr := miniredis.RunT(t)
	rdb := redis.NewClient(&redis.Options{Addr: mr.Addr()})
	q := &Queue{
		Client:    asynq.NewClientFromRedisClient(rdb),
		Inspector: asynq.NewInspectorFromRedisClient(rdb),
		Redis:     rdb,
		Mini:      mr,
	}
	t.Cleanup(func() {
		_ = q.Client.Close()
		_ = q.Inspector.Close()
		_ = rdb.Close()
	})
	return q
}

// Pending lists the pending tasks of a queue with the given type ("" = all).
func (q *Queue) Pending(t testing.TB, queue, taskType string) []*asynq.TaskInfo {
	t.Helper()
	infos, err := q.Inspector.ListPendingTasks(queue, asynq.PageSize(10000))
	if err != nil {
		return nil // a queue that never held a task does not exist yet
	}
	var out []*asynq.TaskInfo
	for _, in := range infos {
		if taskType == "" || in.Type == taskType {
			out = append(out, in)
		}
	}
	return out
}
