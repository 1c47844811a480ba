package tasks_test

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"pgregory.net/rapid"

	"github.com/ccm-ci/ccm/config"
	"github.com/ccm-ci/ccm/tasks"
	"github.com/ccm-ci/ccm/tasks/taskstest"
)

// recordingQueue passes enqueues through to the real queue and notes when
// each one was accepted on the test's clock.
type recordingQueue struct {
	next tasks.Enqueuer
	now  func() time.Time
	mu   sync.Mutex
	got  []accepted
}

type accepted struct {
	at      time.Time
	typ     string
	payload string
}

func (r *recordingQueue) EnqueueContext(ctx context.Context, t *asynq.Task, opts ...asynq.Option) (*asynq.TaskInfo, error) {
	info, err := r.next.EnqueueContext(ctx, t, opts...)
	if err == nil {
		r.mu.Lock()
		r.got = append(r.got, accepted{at: r.now(), typ: t.Type(), payload: string(t.Payload())})
		r.mu.Unlock()
	}
	return info, err
}

var quiet = slog.New(slog.DiscardHandler)

func configWith(interval time.Duration, repos ...string) *config.Config {
	cfg := config.Default()
	cfg.PollInterval = interval
	for _, r := range repos {
		cfg.Repositories = append(cfg.Repositories, config.Repo{Name: r})
	}
	return cfg
}

// TestProperty01_PollingIntervalConsistency checks Property 1:
// "For any monitoring session, the time between consecutive polling cycles
// should be approximately equal to the configured polling interval
// (5 minutes ± 10% tolerance)". It runs 1-3 schedulers side by side (as
// replicas would) on a simulated clock and checks each repository is
// polled once per interval, never twice.
func TestProperty01_PollingIntervalConsistency(t *testing.T) {
	q := taskstest.New(t)
	rapid.Check(t, func(rt *rapid.T) {
		interval := time.Duration(rapid.IntRange(10, 3600).Draw(rt, "interval_s")) * time.Second
		step := time.Duration(rapid.Int64Range(int64(interval/200), int64(interval/20)).Draw(rt, "step"))
		replicas := rapid.IntRange(1, 3).Draw(rt, "replicas")
		nRepos := rapid.IntRange(1, 3).Draw(rt, "repos")
		start := time.Unix(rapid.Int64Range(1.6e9, 1.9e9).Draw(rt, "start"), 0)

		q.Mini.FlushAll()
		repos := make([]string, nRepos)
		for i := range repos {
			repos[i] = fmt.Sprintf("acme/repo-%d", i)
		}
		cfg := configWith(interval, repos...)
		now := start
		clock := func() time.Time { return now }
		rec := &recordingQueue{next: q.Client, now: clock}
		scheds := make([]*tasks.Scheduler, replicas)
		for i := range scheds {
			scheds[i] = &tasks.Scheduler{Queue: rec, Config: func() *config.Config { return cfg }, Now: clock, Logger: quiet}
		}
		for now.Before(start.Add(6 * interval)) {
			for _, s := range scheds {
				s.Once(context.Background())
			}
			now = now.Add(step)
		}

		last := map[string]time.Time{}
		polls := map[string]int{}
		for _, a := range rec.got {
			if a.typ != tasks.TypePoll {
				continue
			}
			polls[a.payload]++
			if prev, ok := last[a.payload]; ok {
				gap := a.at.Sub(prev)
				if d := gap - interval; d > interval/10 || d < -interval/10 {
					rt.Fatalf("%s polled %v after the previous poll; interval %v", a.payload, gap, interval)
				}
			}
			last[a.payload] = a.at
		}
		if len(polls) != nRepos {
			rt.Fatalf("polled %d repositories, want %d", len(polls), nRepos)
		}
		for p, n := range polls {
			if n < 4 || n > 6 {
				rt.Fatalf("%s polled %d times in 6 intervals", p, n)
			}
		}
	})
}

func TestSchedulerFollowsConfigReload(t *testing.T) {
	q := taskstest.New(t)
	cfg := configWith(time.Minute, "acme/web")
	now := time.Unix(1_700_000_000, 0)
	s := &tasks.Scheduler{Queue: q.Client, Config: func() *config.Config { return cfg }, Now: func() time.Time { return now }, Logger: quiet}

	s.Once(context.Background()) // the first slot is only noted
	if n := len(q.Pending(t, tasks.QueueDefault, tasks.TypePoll)); n != 0 {
		t.Fatalf("polls enqueued in the first slot = %d, want 0", n)
	}
	now = now.Add(time.Minute)
	s.Once(context.Background())
	cfg = configWith(time.Minute, "acme/web", "acme/api") // a reload adds a repository
	s.Once(context.Background())
	now = now.Add(time.Minute)
	s.Once(context.Background())

	got := map[string]int{}
	for _, ti := range q.Pending(t, tasks.QueueDefault, tasks.TypePoll) {
		got[string(ti.Payload)]++
	}
	want := map[string]int{`{"repo":"acme/web"}`: 2, `{"repo":"acme/api"}`: 1}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("pending polls = %v, want %v", got, want)
	}
	if n := len(q.Pending(t, tasks.QueueLow, tasks.TypeRetention)); n != 1 {
		t.Fatalf("retention tasks = %d, want 1", n)
	}
}
