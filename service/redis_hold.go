package service

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
)

// redisHoldMax bounds how long a finished task waits for Redis to answer
// again: under asynq's 30 s task lease (extended every 5 s while Redis
// answers), so the worker still owns the task when it hands it back.
const (
	redisHoldMax   = 15 * time.Second
	redisHoldEvery = 250 * time.Millisecond
)

// holdForRedis keeps a task that finished while Redis was unreachable
// until Redis answers again (at most max), and only then hands its outcome
// to asynq.
//
// Why: when a task ends, asynq moves it out of its active list (done, or
// retry after an error such as the handler's own failed Redis write). If
// that move fails, asynq v0.26 queues it for its syncer with a context it
// has already cancelled (processor.retry and friends: `defer cancel()`), so
// the second try always fails and the task sits in the active list until
// the recoverer finds its lease expired — a minute or two later. Held here,
// the move happens once Redis is back, and the failure's retry runs within
// seconds of a Redis restart. An outage longer than max still ends with the
// recoverer; nothing is lost either way. ready must answer for the client
// asynq moves the task with (redisReady), not only for Redis.
func holdForRedis(ready func(context.Context) error, maxWait, every time.Duration, log *slog.Logger) asynq.MiddlewareFunc {
	return func(next asynq.Handler) asynq.Handler {
		return asynq.HandlerFunc(func(ctx context.Context, t *asynq.Task) error {
			err := next.ProcessTask(ctx, t)
			if ctx.Err() != nil {
				return err
			}
			notReady := ready(ctx)
			if notReady == nil {
				return err
			}
			id := ""
			if w := t.ResultWriter(); w != nil {
				id = w.TaskID()
			}
			start := time.Now()
			log.Warn("Redis does not answer asynq's client; holding the finished task until it does, so asynq can requeue or complete it",
				"task_type", t.Type(), "task_id", id, "task_err", err, "redis_err", notReady, "for_at_most", maxWait)
			tick := time.NewTicker(every)
			defer tick.Stop()
			deadline := time.NewTimer(maxWait)
			defer deadline.Stop()
			for {
				select {
				case <-ctx.Done():
					return err
				case <-deadline.C:
					log.Warn("Redis still does not answer; asynq's recoverer will run the task again once its lease lapses",
						"task_type", t.Type(), "task_id", id)
					return err
				case <-tick.C:
					if ready(ctx) == nil {
						log.Info("Redis answers again; task handed back", "task_type", t.Type(), "task_id", id,
							"held", time.Since(start).Round(time.Millisecond).String())
						return err
					}
				}
			}
		})
	}
}

// redisReady is the hold's ready: the probe answers, then so does work, the
// client asynq moves tasks with (the worker is built on it).
//
// Why both: the probe (a client of its own that dials once) says at once
// that Redis is gone, where work would first ride out its retries. But the
// probe answering says nothing of work's pool: after PoolSize failed dials
// during the outage, go-redis stops dialing and fails every command at once
// with the last dial error until a background dial, once a second, gets
// through, and each pool does so at its own second. A task handed back in
// work's window failed its move and waited for the recoverer (seen in a CI
// run of TestServeSurvivesRedisRestart). A ping through work that answers
// was made on a connection dialed after Redis came back, so the move that
// follows gets one too.
func redisReady(probe func(context.Context) error, work redis.UniversalClient) func(context.Context) error {
	return func(ctx context.Context) error {
		if err := probe(ctx); err != nil {
			return err
		}
		// Bounded: Redis gone again since the probe answered would have
		// the ping ride out work's retries.
		ctx, cancel := context.WithTimeout(ctx, time.Second)
		defer cancel()
		if err := work.Ping(ctx).Err(); err != nil {
			return fmt.Errorf("ping redis through asynq's client: %w", err)
		}
		return nil
	}
}
