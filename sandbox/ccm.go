package sandbox

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/hibiken/asynq"

	"github.com/ccm-ci/ccm/config"
	"github.com/ccm-ci/ccm/service"
	"github.com/ccm-ci/ccm/state"
	"github.com/ccm-ci/ccm/tasks"
)

// underTest is the ccm the scenarios play against: built in this process
// exactly as `ccm serve` builds it (service.New), or the built binary's
// `ccm serve` run as its own process, as deployed (--binary). The world
// reads ccm's state and queues through its own store, inspector and
// client on the same Redis either way; what differs is only how ccm is
// started, reconfigured and stopped.
type underTest interface {
	// Addr is where ccm's HTTP endpoints listen.
	Addr() string
	// Analyzer names how ccm analyses (the model, or the rules).
	Analyzer() string
	// Config is the configuration ccm has in force.
	Config() *config.Config
	// SetConfig puts cfg in force and returns once ccm applies it.
	SetConfig(ctx context.Context, cfg *config.Config) error
	// Died is closed when ccm stopped on its own (nil: it cannot, it is
	// this process); Cause then says how.
	Died() <-chan struct{}
	Cause() error
	// Log is the end of ccm's own log ("" when it is this process's).
	Log() string
	Shutdown() error
}

// inProcess is ccm built in this process: what `ccm sandbox` plays
// against by default.
type inProcess struct{ svc *service.Service }

func (c inProcess) Addr() string           { return c.svc.Addr() }
func (c inProcess) Analyzer() string       { return c.svc.Analyzer.String() }
func (c inProcess) Config() *config.Config { return c.svc.Config() }
func (c inProcess) SetConfig(_ context.Context, cfg *config.Config) error {
	return c.svc.SetConfig(cfg)
}
func (c inProcess) Died() <-chan struct{} { return nil }
func (c inProcess) Cause() error          { return nil }
func (c inProcess) Log() string           { return "" }
func (c inProcess) Shutdown() error       { return c.svc.Shutdown() }

// ServeDiedError is the `ccm serve` child (--binary) stopping on its own
// while the scenarios play: nothing it was doing can reach its end.
type ServeDiedError struct {
	// Scenario is the one playing when it died ("" before the first).
	Scenario string
	Err      error
	// Log is the end of the child's log.
	Log string
}

func (e *ServeDiedError) Error() string {
	msg := "ccm serve " + e.Err.Error()
	if e.Scenario != "" {
		msg += " during the scenario " + e.Scenario
	}
	return msg + logTail(e.Log)
}

func (e *ServeDiedError) Unwrap() error { return e.Err }

// ServeExitError is the `ccm serve` child not stopping cleanly when the
// sandbox stopped it (SIGTERM): it exited non-zero, had to be killed, or
// had exited by itself already. Report.ServeExit says which.
type ServeExitError struct{ Err error }

func (e *ServeExitError) Error() string { return e.Err.Error() }
func (e *ServeExitError) Unwrap() error { return e.Err }

// errServeDied marks a wait cut short because the child died.
var errServeDied = errors.New("ccm serve exited")

// external is the `ccm serve` child when ccm runs as its own process
// (--binary); false when ccm is built in this process.
func (w *World) external() (*external, bool) {
	c, ok := w.ccm.(*external)
	return c, ok
}

// diedWithin is died, allowing the child's exit up to d to be noticed: a
// wait that failed because ccm is gone (a refused connection) can fail
// before the child is reaped.
func (w *World) diedWithin(ctx context.Context, d time.Duration) bool {
	if ch := w.ccm.Died(); ch != nil {
		select {
		case <-ch:
		case <-time.After(d):
		}
	}
	return w.died(ctx)
}

// diedInScenario says, after a scenario missed its end, whether ccm died:
// a step that failed on a refused connection can fail before the child is
// reaped, so a serve that does not answer gets a second to be; one that
// answers costs no wait.
func (w *World) diedInScenario(ctx context.Context) bool {
	if w.died(ctx) {
		return true
	}
	ext, ok := w.external()
	if !ok || ext.answers(ctx) {
		return false
	}
	return w.diedWithin(ctx, time.Second)
}

// died says whether the ccm under test stopped on its own. A Ctrl-C
// reaches the child too (same terminal, same process group): a death that
// ctx's end soon explains is the interruption, not a crash.
func (w *World) died(ctx context.Context) bool {
	ch := w.ccm.Died()
	if ch == nil {
		return false
	}
	select {
	case <-ch:
	default:
		return false
	}
	select {
	case <-ctx.Done():
		return false
	case <-time.After(300 * time.Millisecond):
		return ctx.Err() == nil
	}
}

// startInProcess builds ccm in this process as `ccm serve` does, tuned for
// a demo: workers look for tasks every 20 ms and Slack posts are not
// spaced (the simulator has no rate limit).
func (w *World) startInProcess(ctx context.Context, env config.Env, cfg *config.Config, addr string, logger, storeLog *slog.Logger) error {
	svc, err := service.New(ctx, service.Options{
		Env: env, Config: cfg, Roles: []service.Role{service.RoleBot, service.RoleWorker},
		HTTPAddr: addr, Concurrency: 8, ShutdownTimeout: serveShutdown, QueueCheckInterval: 20 * time.Millisecond,
		SlackPostSpacing: -1, Logger: logger, StoreLogger: storeLog,
	})
	if err != nil {
		return &SetupError{Err: err}
	}
	w.ccm = inProcess{svc}
	w.Store, w.queue, w.inspector = svc.Store, svc.Queue, svc.Inspector
	w.redisNote = "Redis is REDIS_URL's"
	if _, ok := svc.Store.Embedded(); ok {
		w.redisNote = "Redis is embedded"
	}
	if err := svc.Start(ctx); err != nil {
		return fmt.Errorf("sandbox: start ccm: %w", err)
	}
	return nil
}

// startServe runs `bin serve` as its own process against the simulators,
// on REDIS_URL or, without one, on a Redis the world embeds on loopback;
// the world reads ccm's state and queues there through its own
// connection, with serve's key prefix.
func (w *World) startServe(ctx context.Context, bin string, cfg *config.Config, env config.Env, addr string, storeLog *slog.Logger) error {
	w.redisNote = "Redis is REDIS_URL's"
	if env.RedisURL == "" {
		w.mini = miniredis.NewMiniRedis()
		if err := w.mini.Start(); err != nil {
			return fmt.Errorf("sandbox: start the embedded Redis: %w", err)
		}
		env.RedisURL = "redis://" + w.mini.Addr()
		w.redisNote = "Redis is embedded (the sandbox's, on " + w.mini.Addr() + ", shared with ccm serve)"
	}
	st, rdb, closeStore, err := state.Open(ctx, env.RedisURL, state.Options{Logger: storeLog})
	if err != nil {
		return &SetupError{Err: err}
	}
	w.Store, w.closeStore = st, closeStore
	w.queue, w.inspector = asynq.NewClientFromRedisClient(rdb), asynq.NewInspectorFromRedisClient(rdb)
	c, err := startExternal(ctx, bin, cfg, addr, childEnv(env))
	if err != nil {
		return err
	}
	w.ccm = c
	return nil
}

// childEnv is the environment of the `ccm serve` child: the simulators'
// endpoints and tokens, REDIS_URL, the model's settings, and nothing else
// of the sandbox's (a GITHUB_TOKEN there must not reach real GitHub).
func childEnv(e config.Env) []string {
	out := []string{}
	for _, kv := range [][2]string{
		{"PATH", os.Getenv("PATH")}, {"HOME", os.Getenv("HOME")}, {"TMPDIR", os.Getenv("TMPDIR")},
		{"GITHUB_TOKEN", e.GitHubToken}, {"GITHUB_API_URL", e.GitHubAPIURL}, {"GITHUB_WEBHOOK_SECRET", e.GitHubWebhookSecret},
		{"SLACK_BOT_TOKEN", e.SlackBotToken}, {"SLACK_APP_TOKEN", e.SlackAppToken}, {"SLACK_API_URL", e.SlackAPIURL},
		{"REDIS_URL", e.RedisURL},
		{"OPENAI_API_KEY", e.OpenAIAPIKey}, {"OPENAI_BASE_URL", e.OpenAIBaseURL}, {"OPENAI_MODEL", e.OpenAIModel},
	} {
		if kv[1] != "" {
			out = append(out, kv[0]+"="+kv[1])
		}
	}
	return out
}

// fileMinApprovalTimeout is the least approval_timeout a config file may
// set (config.Validate): `ccm serve` reads its config from a file, so the
// expiry scenario cannot shorten it to seconds there as it does in-process.
const fileMinApprovalTimeout = time.Minute

// approvalTimeout is what a scenario's approval_timeout becomes in the ccm
// under test.
func (w *World) approvalTimeout(want time.Duration) time.Duration {
	if _, ok := w.external(); ok {
		return max(want, fileMinApprovalTimeout)
	}
	return want
}

// expireNow brings a request that `ccm serve` gave approval_timeout's
// minimum minute to its expiry now instead of a minute on, as the tests of
// crashes age asynq's leases: its expires_at (record and pending index)
// is set to now, then ccm's own expiry task is run at once through its
// queue. ccm's handler decides it expired and escalates as it would have a
// minute later. In-process the short timeout expires it by itself.
func (p *Play) expireNow(ctx context.Context, a state.Approval) (string, error) {
	if _, ok := p.w.external(); !ok {
		return "", nil
	}
	p.Step("move %s's expiry to now (approval_timeout is at least %s in a config file)", a.ID, fileMinApprovalTimeout)
	moved, err := p.w.Store.MoveApprovalExpiry(ctx, a.ID, time.Now())
	if err != nil {
		return "", p.stop(err)
	}
	if !moved {
		return "", nil // decided meanwhile (--interactive): nothing to expire
	}
	if err := p.RunScheduled(ctx, tasks.ExpireTaskID(a.ID)); err != nil {
		return "", err
	}
	return fmt.Sprintf("approval_timeout was %s, the least a config file may set: the sandbox moved the request's expiry to now and ran ccm's expiry task", a.ExpiresAt.Sub(a.RequestedAt)), nil
}
