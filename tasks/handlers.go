package tasks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime/debug"
	"sync"
	"time"

	"github.com/hibiken/asynq"

	"github.com/ccm-ci/ccm/config"
	"github.com/ccm-ci/ccm/integrations/github"
	"github.com/ccm-ci/ccm/internal/backoff"
	"github.com/ccm-ci/ccm/state"
)

// Handlers owns one handler per task type.
type Handlers struct {
	d        Deps
	throttle alertThrottle
	inflight sync.WaitGroup
}

// NewHandlers wires the handlers to their dependencies.
func NewHandlers(d Deps) *Handlers {
	return &Handlers{d: d, throttle: alertThrottle{window: time.Hour}}
}

// Mux routes every task type to its handler — the pipeline's (poll,
// ingest, analyze, retention), the safety gate's (gate, expire,
// reevaluate, recheck, regate), remediation's (remediate, verify) and the
// shadow scorecard's (shadow-check) — behind the
// middleware that turns panics into errors and counts outcomes. The first middleware is
// the outermost: observe sits outside recoverPanics so a panic, once it is
// an error, is counted in ccm_tasks_processed_total like any failure.
func (h *Handlers) Mux() *asynq.ServeMux {
	mux := asynq.NewServeMux()
	mux.Use(h.track, h.observe, h.recoverPanics)
	mux.HandleFunc(TypePoll, h.HandlePoll)
	mux.HandleFunc(TypeIngest, h.HandleIngest)
	mux.HandleFunc(TypeAnalyze, h.HandleAnalyze)
	mux.HandleFunc(TypeRetention, h.HandleRetention)
	mux.HandleFunc(TypeGate, h.HandleGate)
	mux.HandleFunc(TypeExpire, h.HandleExpire)
	mux.HandleFunc(TypeReevaluate, h.HandleReevaluate)
	mux.HandleFunc(TypeRemediate, h.HandleRemediate)
	mux.HandleFunc(TypeVerify, h.HandleVerify)
	mux.HandleFunc(TypeShadowCheck, h.HandleShadowCheck)
	mux.HandleFunc(TypeRecheck, h.HandleRecheck)
	mux.HandleFunc(TypeRegate, h.HandleRegate)
	mux.HandleFunc(TypeNotify, h.HandleNotify)
	return mux
}

// track counts running handlers. asynq's Shutdown returns when its
// timeout ends even if a handler is still running (the task goes back to
// the queue); Wait lets the process keep its store open until they finish.
func (h *Handlers) track(next asynq.Handler) asynq.Handler {
	return asynq.HandlerFunc(func(ctx context.Context, t *asynq.Task) error {
		h.inflight.Add(1)
		defer h.inflight.Done()
		return next.ProcessTask(ctx, t)
	})
}

// Wait waits up to timeout for running handlers to return; false if some
// are still running.
func (h *Handlers) Wait(timeout time.Duration) bool {
	done := make(chan struct{})
	go func() { h.inflight.Wait(); close(done) }()
	select {
	case <-done:
		return true
	case <-time.After(timeout):
		return false
	}
}

// recoverPanics makes a handler panic an ordinary error, so the task is
// retried and, at the end, archived and alerted like any other failure.
func (h *Handlers) recoverPanics(next asynq.Handler) asynq.Handler {
	return asynq.HandlerFunc(func(ctx context.Context, t *asynq.Task) (err error) {
		defer func() {
			if r := recover(); r != nil {
				h.d.log().Error("task panicked", "task_type", t.Type(), "panic", r, "stack", string(debug.Stack()))
				err = fmt.Errorf("%s: panic: %v", t.Type(), r)
			}
		}()
		return next.ProcessTask(ctx, t)
	})
}

func (h *Handlers) observe(next asynq.Handler) asynq.Handler {
	return asynq.HandlerFunc(func(ctx context.Context, t *asynq.Task) error {
		start := time.Now()
		err := next.ProcessTask(ctx, t)
		if m := h.d.Metrics; m != nil {
			m.TaskDuration.WithLabelValues(t.Type()).Observe(time.Since(start).Seconds())
			m.TasksProcessed.WithLabelValues(t.Type(), outcome(ctx, err)).Inc()
		}
		switch {
		case errors.Is(err, asynq.RevokeTask):
			// A task that deferred a copy of itself (a notification waiting
			// for Slack's rate limit) is waiting, not failing.
			h.d.log().Debug("task deferred", "task_type", t.Type(), "reason", err)
		case err != nil:
			h.d.log().Warn("task failed", "task_type", t.Type(), "err", err)
		}
		return err
	})
}

func outcome(ctx context.Context, err error) string {
	switch {
	case err == nil:
		return "success"
	case errors.Is(err, asynq.RevokeTask):
		return "deferred"
	case errors.Is(err, asynq.SkipRetry) || lastAttempt(ctx):
		return "failed"
	default:
		return "retry"
	}
}

// RetryDelay is the asynq RetryDelayFunc: a rate-limited GitHub call is
// retried when GitHub says it may be; everything else backs off
// exponentially with full jitter between the configured bounds.
func (h *Handlers) RetryDelay(n int, err error, t *asynq.Task) time.Duration {
	// An error that knows when to try again (Slack's Retry-After, a
	// paused notifier) is believed.
	var ri interface{ RetryIn() time.Duration }
	if errors.As(err, &ri) && ri.RetryIn() > 0 {
		return ri.RetryIn() + time.Duration(rand.Int64N(int64(time.Second)))
	}
	var re *github.RetryError
	if errors.As(err, &re) && !re.RetryAt.IsZero() {
		if d := re.RetryAt.Sub(h.d.now()); d > 0 {
			return d + time.Duration(rand.Int64N(int64(time.Second)))
		}
	}
	r := h.d.Config().Retry
	if r.InitialBackoff <= 0 {
		// A config that skipped validation must not retry in a hot loop.
		r = config.Default().Retry
	}
	// asynq counts retries from 0; the first retry waits InitialBackoff.
	return backoff.Delay(n+1, r.InitialBackoff, r.MaxBackoff, nil)
}

// HandleError is the asynq ErrorHandler. A task that has used its last
// retry is archived by asynq; here it is audited and raises a critical
// alert, so nothing is dropped silently.
func (h *Handlers) HandleError(ctx context.Context, t *asynq.Task, err error) {
	if errors.Is(err, asynq.RevokeTask) {
		return // ended on purpose: a copy runs later (a notification that waits)
	}
	if !errors.Is(err, asynq.SkipRetry) && !lastAttempt(ctx) {
		return
	}
	if errors.As(err, new(alertedError)) {
		return // the handler raised this one's alert itself
	}
	id, _ := asynq.GetTaskID(ctx)
	a := Alert{
		Severity: SeverityCritical, Summary: "task " + t.Type() + " failed for good and was archived", Err: err,
		Details: map[string]any{"task_type": t.Type(), "task_id": id, "payload": string(t.Payload())},
	}
	a.Repo, a.FailureID = taskSubject(t)
	h.d.raise(ctx, &h.throttle, a)
}

// taskSubject reads the repo and failure a payload is about, for the audit.
func taskSubject(t *asynq.Task) (repo, failureID string) {
	switch t.Type() {
	case TypePoll:
		var p PollPayload
		if decode(t, &p) == nil {
			return p.Repo, ""
		}
	case TypeIngest, TypeRecheck:
		// Both name a run attempt with the same fields.
		var p IngestPayload
		if decode(t, &p) == nil {
			return p.Repo, FailureID(p.Repo, p.RunID, max(p.Attempt, 1))
		}
	default:
		// Every task about one failure (analyze, gate, expire, and those to
		// come) carries it as failure_id, so a new task type is named in
		// its archive alert without a case here.
		var p struct {
			FailureID string `json:"failure_id"`
		}
		if json.Unmarshal(t.Payload(), &p) == nil && p.FailureID != "" {
			repo, _, _, _ := ParseFailureID(p.FailureID)
			return repo, p.FailureID
		}
	}
	return "", ""
}

// HandleRetention deletes what is older than the configured retention and
// records what it removed.
func (h *Handlers) HandleRetention(ctx context.Context, _ *asynq.Task) error {
	cfg := h.d.Config()
	now := h.d.now()
	cutoff := now.Add(-cfg.Retention)
	res, err := h.d.Store.ApplyRetention(ctx, cutoff)
	if err != nil {
		return fmt.Errorf("retention: %w", err)
	}
	ev := state.AuditEntry{
		Timestamp: now, Actor: "ccm", ActionType: state.ActionRetention, Outcome: state.OutcomeSuccess,
		Details: map[string]any{"cutoff": cutoff.Format(time.RFC3339), "result": res},
	}
	if _, err := h.d.Store.Audit(ctx, ev); err != nil {
		return fmt.Errorf("retention: %w", err)
	}
	h.d.log().Info("retention applied", "task_type", TypeRetention, "cutoff", cutoff, "result", res)
	return nil
}
