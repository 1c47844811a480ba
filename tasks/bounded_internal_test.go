package tasks

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/ccm-ci/ccm/config"
	"github.com/ccm-ci/ccm/state"
)

// The throttle keeps only keys seen within about two windows, however
// many distinct repositories and summaries pass through it, and still
// throttles a repeat within the window.
func TestAlertThrottleStaysBounded(t *testing.T) {
	th := &alertThrottle{window: time.Hour}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	const perMinute = 10
	most := 0
	for minute := range 24 * 60 { // a day of new keys, ten a minute
		for i := range perMinute {
			if !th.allow(fmt.Sprintf("critical|acme/r%d-%d|broken", minute, i), now) {
				t.Fatalf("a new key was throttled at minute %d", minute)
			}
		}
		most = max(most, len(th.last))
		now = now.Add(time.Minute)
	}
	if limit := 2 * 60 * perMinute; most > limit {
		t.Errorf("throttle held %d keys, want at most %d (two windows' worth)", most, limit)
	}
	if !th.allow("warning|acme/web|LLM down", now) || th.allow("warning|acme/web|LLM down", now.Add(59*time.Minute)) {
		t.Error("a repeat within the window was not throttled")
	}
	if !th.allow("warning|acme/web|LLM down", now.Add(61*time.Minute)) {
		t.Error("a repeat after the window was throttled")
	}
}

type nopQueue struct{ n int }

func (q *nopQueue) EnqueueContext(context.Context, *asynq.Task, ...asynq.Option) (*asynq.TaskInfo, error) {
	q.n++
	return &asynq.TaskInfo{}, nil
}

// A scheduler whose config keeps changing repositories remembers only the
// watched ones.
func TestSchedulerForgetsUnwatchedRepositories(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	cfg := config.Default()
	cfg.PollInterval = time.Minute
	s := &Scheduler{Queue: &nopQueue{}, Config: func() *config.Config { return cfg }, Now: func() time.Time { return now }}
	for i := range 500 {
		cfg.Repositories = []config.Repo{{Name: "acme/web"}, {Name: fmt.Sprintf("acme/r%d", i)}}
		s.Once(context.Background())
		now = now.Add(time.Minute)
	}
	if len(s.last) != 3 { // acme/web, the last acme/r…, retention
		t.Errorf("scheduler remembers %d keys, want 3: %v", len(s.last), s.last)
	}
	if _, ok := s.last["poll:acme/web"]; !ok {
		t.Error("the repository watched throughout was forgotten")
	}
}

// archiveStore answers the requeue counter; nothing else is called.
type archiveStore struct {
	Store
	audits int
}

func (s *archiveStore) Count(context.Context, string, time.Duration) (int64, error) { return 1, nil }
func (s *archiveStore) Audit(context.Context, state.AuditEntry) (string, error) {
	s.audits++
	return "1-0", nil
}

type archivedInspector struct {
	info    asynq.TaskInfo
	deleted int
}

func (i *archivedInspector) GetTaskInfo(string, string) (*asynq.TaskInfo, error) { return &i.info, nil }
func (i *archivedInspector) DeleteTask(string, string) error                     { i.deleted++; return nil }

type conflictQueue struct{ calls int }

func (q *conflictQueue) EnqueueContext(context.Context, *asynq.Task, ...asynq.Option) (*asynq.TaskInfo, error) {
	q.calls++
	if q.calls == 1 {
		return nil, asynq.ErrTaskIDConflict
	}
	return &asynq.TaskInfo{}, nil
}

// An archived task is enqueued again unless it failed on purpose; asynq
// keeps only the error's text, and an upstream message that merely quotes
// asynq's "skip retry" wording must not make an outage permanent.
func TestEnqueueOnceRequeuesArchivedUnlessFinal(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	badPayload := decode(asynq.NewTask(TypeAnalyze, []byte("{")), &AnalyzePayload{})
	tests := []struct {
		name    string
		lastErr string
		requeue bool
	}{
		{"bad payload is final", badPayload.Error(), false},
		{"vanished run is final", alertedError{fmt.Errorf("ingest x: get run: %w: %w", errors.New("404"), errFinal)}.Error(), false},
		{"outage is requeued", "ingest x: get run: 502 Bad Gateway", true},
		{"outage quoting asynq's wording is requeued", "ingest x: get run: 502: proxy says: " + asynq.SkipRetry.Error(), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			insp := &archivedInspector{info: asynq.TaskInfo{State: asynq.TaskStateArchived, LastErr: tt.lastErr, LastFailedAt: now.Add(-time.Hour)}}
			q := &conflictQueue{}
			h := NewHandlers(Deps{Store: &archiveStore{}, Queue: q, Inspector: insp,
				Config: config.Default, Now: func() time.Time { return now }})
			task, err := NewAnalyzeTask("acme/web#1.1")
			if err != nil {
				t.Fatal(err)
			}
			if err := h.enqueueOnce(context.Background(), task, QueueDefault, AnalyzeTaskID("acme/web#1.1")); err != nil {
				t.Fatal(err)
			}
			if got := insp.deleted == 1 && q.calls == 2; got != tt.requeue {
				t.Errorf("requeued = %v (deleted %d, enqueues %d), want %v", got, insp.deleted, q.calls, tt.requeue)
			}
		})
	}
	if !errors.Is(badPayload, asynq.SkipRetry) {
		t.Error("a bad payload no longer skips asynq's retries")
	}
}
