package tasks

import (
	"context"
	"fmt"
	"hash/fnv"
	"log/slog"
	"time"

	"github.com/hibiken/asynq"

	"github.com/ccm-ci/ccm/config"
)

// RetentionInterval is how often housekeeping runs.
const RetentionInterval = time.Hour

// Scheduler enqueues the periodic tasks: one poll per watched repository
// per poll_interval, and retention every hour.
//
// Each repository polls at its own phase within the interval (a hash of
// its name), so a hundred repositories do not hit GitHub in the same
// second. A repository's first slot after start (or after a reload adds
// it) is only noted, not polled: the poll of that slot ran before the
// restart, or, on a fresh install, the first poll comes at the next slot.
// That keeps consecutive polls exactly one interval apart.
//
// It is not asynq's Scheduler on purpose. That one registers fixed tasks,
// syncs config changes only every few minutes, and its Unique lock is
// released when a task completes, so two replicas a few seconds apart can
// both poll. Here every period is a time slot (now truncated to the
// interval) and the task ID names the slot: any number of schedulers
// enqueue each slot exactly once, and a reloaded config is seen at the
// next tick.
type Scheduler struct {
	Queue  Enqueuer
	Config func() *config.Config
	Logger *slog.Logger
	Now    func() time.Time
	// Tick is how often slots are checked (default 5s); it bounds how late
	// after a slot boundary a poll is enqueued.
	Tick time.Duration

	last map[string]time.Time // slot last enqueued, per task key
}

// Run enqueues due tasks until ctx is done.
func (s *Scheduler) Run(ctx context.Context) error {
	tick := s.Tick
	if tick <= 0 {
		tick = 5 * time.Second
	}
	t := time.NewTicker(tick)
	defer t.Stop()
	for {
		s.Once(ctx)
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// Once enqueues every task whose current slot has not been enqueued yet.
// It returns how many tasks it enqueued (duplicates of another scheduler
// included, as asynq reports them as conflicts).
func (s *Scheduler) Once(ctx context.Context) int {
	if s.last == nil {
		s.last = map[string]time.Time{}
	}
	now := time.Now()
	if s.Now != nil {
		now = s.Now()
	}
	cfg := s.Config()
	watched := cfg.Watched()
	s.forget(watched)
	n := 0
	for _, repo := range watched {
		interval := cfg.PollInterval
		slot := Slot(now, interval, repo)
		key := "poll:" + repo
		if prev, seen := s.last[key]; !seen {
			s.last[key] = slot
			s.log().Info("first poll scheduled", "repo", repo, "at", slot.Add(interval))
			continue
		} else if prev.Equal(slot) {
			continue
		}
		task, err := NewPollTask(repo)
		if err == nil {
			err = s.enqueue(ctx, task, fmt.Sprintf("%s:%d", key, slot.Unix()), interval)
		}
		if err != nil {
			s.log().Error("schedule poll", "repo", repo, "err", err)
			continue
		}
		s.last[key] = slot
		n++
	}
	slot := now.Truncate(RetentionInterval)
	if !s.last["retention"].Equal(slot) {
		if err := s.enqueue(ctx, NewRetentionTask(), fmt.Sprintf("retention:%d", slot.Unix()), RetentionInterval); err != nil {
			s.log().Error("schedule retention", "err", err)
		} else {
			s.last["retention"] = slot
			n++
		}
	}
	return n
}

// forget drops the slots of repositories no longer watched, so a config
// that keeps changing does not grow last forever. A repository watched
// again later starts afresh, like one a reload adds.
func (s *Scheduler) forget(watched []string) {
	keep := make(map[string]bool, len(watched)+1)
	keep["retention"] = true
	for _, repo := range watched {
		keep["poll:"+repo] = true
	}
	for key := range s.last {
		if !keep[key] {
			delete(s.last, key)
		}
	}
}

// Slot is the start of the poll period of repo that holds now: periods
// are interval long and shifted by a per-repository phase.
func Slot(now time.Time, interval time.Duration, repo string) time.Time {
	h := fnv.New64a()
	_, _ = h.Write([]byte(repo))
	phase := time.Duration(h.Sum64() % uint64(interval))
	return now.Add(-phase).Truncate(interval).Add(phase)
}

// enqueue keeps the task ID for a whole period, so a scheduler that starts
// late in the slot still finds the ID taken.
func (s *Scheduler) enqueue(ctx context.Context, task *asynq.Task, id string, period time.Duration) error {
	return ignoreConflict(s.Queue.EnqueueContext(ctx, task, asynq.TaskID(id), asynq.Retention(period)))
}

func (s *Scheduler) log() *slog.Logger {
	if s.Logger != nil {
		return s.Logger
	}
	return slog.Default()
}
