// Package sandbox owns `ccm sandbox`: the whole pipeline (poll, ingest,
// analysis, audit) run locally on real code with no accounts — embedded
// Redis, the GitHub fake and optionally the OpenAI fake — fed with real
// failure logs from public projects, reporting what ccm saw and decided.
//
// Every repository runs in shadow mode, so a sandbox stops at the safety
// gate: each failure's decision is what ccm would do, and nothing is done.
package sandbox

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/hibiken/asynq"

	"github.com/ccm-ci/ccm/config"
	"github.com/ccm-ci/ccm/internal/text"
	"github.com/ccm-ci/ccm/service"
	"github.com/ccm-ci/ccm/sim/githubsim"
	"github.com/ccm-ci/ccm/sim/openaisim"
	"github.com/ccm-ci/ccm/state"
	"github.com/ccm-ci/ccm/tasks"
)

// Repo is the repository the sandbox's runs belong to.
const Repo = "sandbox/demo"

// DefaultTimeout bounds the wait for every seeded failure to be analyzed.
const DefaultTimeout = 60 * time.Second

// Options tune a sandbox run. The zero value replays DefaultLogs logs
// through the rule-based analyzer.
type Options struct {
	Logs    int  // how many real logs to replay; 0 = DefaultLogs
	LLM     bool // analyse through the LLM path against the OpenAI fake
	Timeout time.Duration
	Logger  *slog.Logger
}

// Failure is one recorded failure as the store holds it, with where its
// log came from.
type Failure struct {
	state.FailureRecord
	LogID string `json:"log_id"`
	// LogSource is the public page the real log was published on.
	LogSource string `json:"log_source"`
	// Label is the category the project's own thread concluded.
	Label string `json:"label"`
	// RerunPassed: attempt 2 of this run passed before ccm polled; the
	// record is attempt 1's.
	RerunPassed bool `json:"rerun_passed,omitempty"`
	// FallbackReason is why the rules answered instead of the model, as
	// the analysis audit entry says.
	FallbackReason string `json:"fallback_reason,omitempty"`
	// AuditTrail lists the failure's audit entries by action type, oldest
	// first.
	AuditTrail []string `json:"audit_trail"`
}

// Result is what a sandbox run saw and decided.
type Result struct {
	Failures []Failure
	Audit    map[string]int // audit entries by action type
	// Recorded counts the records in the store after the second poll.
	Recorded int
	Polls    int
	LLM      bool
	LLMCalls int
	Elapsed  time.Duration
}

// Run seeds the GitHub fake with real failed runs, polls twice through the
// real handlers on a real asynq worker, waits for every failure to be
// analyzed and returns what was recorded. Everything it starts is stopped
// before it returns.
func Run(ctx context.Context, opt Options) (Result, error) {
	start := time.Now()
	logger := opt.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	timeout := opt.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}

	gh := githubsim.NewServer()
	defer gh.Close()
	runs := seed(gh, Repo, Select(opt.Logs))

	cfg := config.Default()
	cfg.Repositories = []config.Repo{{Name: Repo}}
	// Retries of a flaky local call should not make a demo wait a minute.
	cfg.Retry.InitialBackoff, cfg.Retry.MaxBackoff = 50*time.Millisecond, time.Second

	// The service is built exactly as `ccm serve` builds it; only the
	// environment points at the simulators. The OpenAI fake takes no key,
	// like Ollama or vLLM.
	env := config.Env{GitHubToken: "sandbox", GitHubAPIURL: gh.URL}
	var ai *openaisim.Server
	if opt.LLM {
		ai = openaisim.NewServer()
		defer ai.Close()
		ai.Default(modelAnswer)
		env.OpenAIBaseURL = ai.URL
	}
	svc, err := service.New(ctx, service.Options{
		Env: env, Config: cfg, Roles: []service.Role{service.RoleWorker},
		Concurrency: 4, ShutdownTimeout: 5 * time.Second, QueueCheckInterval: 20 * time.Millisecond,
		Logger: logger,
		// An embedded Redis is the point of a sandbox, not news: the
		// store's warning about it is dropped, its errors still show.
		StoreLogger: slog.New(atLeast{logger.Handler(), slog.LevelError}),
	})
	if err != nil {
		return Result{}, fmt.Errorf("sandbox: %w", err)
	}
	if err := svc.Start(ctx); err != nil {
		_ = svc.Shutdown()
		return Result{}, fmt.Errorf("sandbox: %w", err)
	}
	// Stopped before the simulators (deferred earlier, so closed later):
	// in-flight handlers may still call them.
	defer func() { _ = svc.Shutdown() }()
	h, store, inspector := svc.Handlers, svc.Store, svc.Inspector

	if err := poll(ctx, h); err != nil {
		return Result{}, err
	}
	if err := waitAnalyzed(ctx, store, runs, timeout); err != nil {
		return Result{}, err
	}
	// The second poll sees every run again; nothing may be recorded twice.
	if err := poll(ctx, h); err != nil {
		return Result{}, err
	}
	if err := waitIdle(ctx, inspector, timeout); err != nil {
		return Result{}, err
	}
	res, err := collect(ctx, store, runs)
	if err != nil {
		return Result{}, err
	}
	res.Polls, res.LLM = 2, opt.LLM
	if ai != nil {
		res.LLMCalls = len(ai.Requests())
	}
	res.Elapsed = time.Since(start)
	if res.Recorded != len(runs) {
		return res, fmt.Errorf("sandbox: %s recorded for %s after the second poll",
			text.Count(res.Recorded, "failure", "failures"), text.Count(len(runs), "failed run", "failed runs"))
	}
	return res, nil
}

func poll(ctx context.Context, h *tasks.Handlers) error {
	task, err := tasks.NewPollTask(Repo)
	if err != nil {
		return fmt.Errorf("sandbox: poll: %w", err)
	}
	if err := h.HandlePoll(ctx, task); err != nil {
		return fmt.Errorf("sandbox: poll: %w", err)
	}
	return nil
}

// waitAnalyzed returns once every seeded failure is analyzed, or says
// which ones were not after timeout.
func waitAnalyzed(ctx context.Context, store *state.Store, runs []seeded, timeout time.Duration) error {
	return waitFor(ctx, timeout, func() (string, error) {
		var pending []string
		for _, r := range runs {
			rec, err := store.GetFailure(ctx, r.id)
			switch {
			case errors.Is(err, state.ErrNotFound):
				pending = append(pending, r.id+" (not recorded)")
			case err != nil:
				return "", fmt.Errorf("sandbox: %w", err)
			case rec.Status != state.StatusAnalyzed:
				pending = append(pending, fmt.Sprintf("%s (%s)", r.id, rec.Status))
			}
		}
		if len(pending) == 0 {
			return "", nil
		}
		return fmt.Sprintf("failures not analyzed within %s: %d of %d: %s",
			timeout, len(pending), len(runs), strings.Join(pending, ", ")), nil
	})
}

// waitIdle returns once no task is queued, running or waiting to retry,
// and none is scheduled but a shadow decision's follow-up, which is due
// minutes to days later by design (ccm:shadow-check) and is not work the
// sandbox waits for.
func waitIdle(ctx context.Context, in *asynq.Inspector, timeout time.Duration) error {
	return waitFor(ctx, timeout, func() (string, error) {
		queues, err := in.Queues()
		if err != nil {
			return "", fmt.Errorf("sandbox: queues: %w", err)
		}
		busy := 0
		for _, q := range queues {
			info, err := in.GetQueueInfo(q)
			if err != nil {
				return "", fmt.Errorf("sandbox: queue %s: %w", q, err)
			}
			busy += info.Pending + info.Active + info.Retry
			if info.Scheduled == 0 {
				continue
			}
			scheduled, err := in.ListScheduledTasks(q, asynq.PageSize(info.Scheduled))
			if err != nil {
				return "", fmt.Errorf("sandbox: queue %s: %w", q, err)
			}
			for _, t := range scheduled {
				if t.Type != tasks.TypeShadowCheck {
					busy++
				}
			}
		}
		if busy == 0 {
			return "", nil
		}
		return fmt.Sprintf("%s still queued %s after the second poll", text.Count(busy, "task", "tasks"), timeout), nil
	})
}

// waitFor checks until check reports nothing left to wait for, an error,
// or timeout passes; then what is still missing becomes the error.
func waitFor(ctx context.Context, timeout time.Duration, check func() (missing string, err error)) error {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		missing, err := check()
		if err != nil || missing == "" {
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("sandbox: %w (%s)", ctx.Err(), missing)
		case <-deadline.C:
			return errors.New("sandbox: " + missing)
		case <-tick.C:
		}
	}
}

// atLeast hides a handler's records below min.
type atLeast struct {
	slog.Handler
	min slog.Level
}

func (a atLeast) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= a.min && a.Handler.Enabled(ctx, l)
}

func (a atLeast) WithAttrs(attrs []slog.Attr) slog.Handler {
	return atLeast{a.Handler.WithAttrs(attrs), a.min}
}

func (a atLeast) WithGroup(name string) slog.Handler {
	return atLeast{a.Handler.WithGroup(name), a.min}
}
