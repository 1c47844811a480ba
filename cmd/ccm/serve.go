package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/ccm-ci/ccm/config"
	"github.com/ccm-ci/ccm/httpapi"
	"github.com/ccm-ci/ccm/integrations/github"
	"github.com/ccm-ci/ccm/integrations/llm"
	"github.com/ccm-ci/ccm/metrics"
	"github.com/ccm-ci/ccm/state"
	"github.com/ccm-ci/ccm/tasks"
)

var allRoles = []string{"bot", "worker", "scheduler"}

type serveFlags struct {
	configPath, roles, httpAddr, logLevel string
	concurrency                           int
	shutdownTimeout                       time.Duration
}

func parseServeFlags(args []string, env config.Env, stderr io.Writer) (serveFlags, []string, error) {
	var f serveFlags
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&f.configPath, "config", env.ConfigPath, "YAML config file (or CCM_CONFIG)")
	fs.StringVar(&f.roles, "roles", strings.Join(allRoles, ","), "roles this process runs: bot, worker, scheduler")
	fs.StringVar(&f.httpAddr, "http-addr", env.HTTPAddr, "address of /healthz, /readyz, /metrics and /webhooks/github (or CCM_HTTP_ADDR)")
	fs.StringVar(&f.logLevel, "log-level", "info", "debug, info, warn or error")
	fs.IntVar(&f.concurrency, "concurrency", 10, "tasks processed at once by the worker")
	fs.DurationVar(&f.shutdownTimeout, "shutdown-timeout", 30*time.Second, "how long SIGTERM waits for in-flight tasks")
	if err := fs.Parse(args); err != nil {
		return f, nil, flagErr("serve", err)
	}
	if fs.NArg() > 0 {
		return f, nil, usageErr("serve: unexpected argument %q", fs.Arg(0))
	}
	var roles []string
	for _, r := range strings.Split(f.roles, ",") {
		r = strings.TrimSpace(r)
		if !slices.Contains(allRoles, r) {
			return f, nil, usageErr("serve: --roles: unknown role %q (want a list of %s)", r, strings.Join(allRoles, ", "))
		}
		roles = append(roles, r)
	}
	return f, roles, nil
}

// loadConfig reads the YAML file, or the defaults when none is named.
func loadConfig(path string) (*config.Config, error) {
	if path == "" {
		return config.Default(), nil
	}
	cfg, err := config.Load(path)
	if err != nil {
		return nil, &exitError{code: 2, err: err}
	}
	return cfg, nil
}

func serve(ctx context.Context, args []string, stderr io.Writer) error {
	env, err := config.LoadEnv()
	if err != nil {
		return &exitError{code: 2, err: err}
	}
	f, roles, err := parseServeFlags(args, env, stderr)
	if err != nil {
		return err
	}
	logger, err := newLogger(stderr, f.logLevel)
	if err != nil {
		return err
	}
	cfg, err := loadConfig(f.configPath)
	if err != nil {
		return err
	}
	if env.GitHubToken == "" {
		return usageErr("GITHUB_TOKEN is not set: there is nothing to poll. " +
			"Set GITHUB_TOKEN (and list repositories in the config) to run the service, " +
			"or try `ccm analyze testdata/logs/<file>.log`, which works offline")
	}
	logger.Info("starting ccm", "version", version, "roles", roles, "env", env, "config", f.configPath)
	if len(cfg.Watched()) == 0 {
		logger.Warn("no repositories in the config: nothing to poll until the file lists some (it is reloaded on change)")
	}

	redis.SetLogger(redisLogger{logger})
	m := metrics.New()
	store, rdb, closeStore, err := state.Open(ctx, env.RedisURL, state.Options{Logger: logger})
	if err != nil {
		return fmt.Errorf("state: %w", err)
	}
	defer func() { _ = closeStore() }()
	client := asynq.NewClientFromRedisClient(rdb)
	inspector := asynq.NewInspectorFromRedisClient(rdb)

	gh, err := github.New(github.Options{
		Token: env.GitHubToken, BaseURL: env.GitHubAPIURL, Logger: logger,
		MaxAttempts: cfg.Retry.MaxAttempts, InitialBackoff: cfg.Retry.InitialBackoff, MaxBackoff: cfg.Retry.MaxBackoff,
		Observe: observeGitHub(m),
	})
	if err != nil {
		return &exitError{code: 2, err: fmt.Errorf("github: %w", err)}
	}
	if err := checkToken(ctx, gh, m, logger); err != nil {
		return err
	}
	// Without a file there is nothing to watch: the defaults stay.
	current := func() *config.Config { return cfg }
	var watcher *config.Watcher
	if f.configPath != "" {
		if watcher, err = newWatcher(f.configPath, cfg, store, m, logger); err != nil {
			return err
		}
		current = watcher.Current
	}
	// A service stops calling a model that keeps failing for a while (the
	// rules answer meanwhile); one CLI run has nothing to protect.
	analyzer, err := newAnalyzer(env, cfg, logger, false, llm.NewBreaker(0, 0))
	if err != nil {
		return err
	}
	h := tasks.NewHandlers(tasks.Deps{
		GitHub: gh, Store: store, Queue: client, Inspector: inspector, Analyzer: analyzer, Config: current,
		Metrics: m, Logger: logger,
	})

	// Bind first: a port in use must stop ccm before it takes any work.
	ln, err := net.Listen("tcp", f.httpAddr)
	if err != nil {
		return fmt.Errorf("http: %w", err)
	}
	var wg sync.WaitGroup
	runCtx, cancel := context.WithCancel(ctx)
	// On every return path, background goroutines stop before the store
	// (deferred earlier, so closed later) goes away.
	defer func() { cancel(); wg.Wait() }()
	goRun := func(name string, fn func(context.Context) error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := fn(runCtx); err != nil {
				logger.Error(name+" stopped", "err", err)
			}
		}()
	}
	if watcher != nil {
		goRun("config watcher", watcher.Run)
		goRun("config reload on SIGHUP", func(ctx context.Context) error { reloadOnHUP(ctx, watcher, logger); return nil })
	}
	goRun("queue stats", func(ctx context.Context) error { tasks.WatchQueues(ctx, inspector, m, 15*time.Second); return nil })

	var srv *asynq.Server
	if slices.Contains(roles, "worker") {
		srv = asynq.NewServerFromRedisClient(rdb, asynq.Config{
			Concurrency: f.concurrency, Queues: tasks.QueueWeights, RetryDelayFunc: h.RetryDelay,
			ErrorHandler: asynq.ErrorHandlerFunc(h.HandleError), Logger: tasks.AsynqLogger{L: logger},
			ShutdownTimeout: f.shutdownTimeout,
		})
		if err := srv.Start(h.Mux()); err != nil {
			return fmt.Errorf("worker: %w", err)
		}
	}
	if slices.Contains(roles, "scheduler") {
		sched := &tasks.Scheduler{Queue: client, Config: current, Logger: logger}
		goRun("scheduler", sched.Run)
	}

	api := &httpapi.Server{
		Checks: []httpapi.Check{
			{Name: "redis", Fn: store.Ping},
			{Name: "asynq", Fn: func(context.Context) error { _, err := inspector.Queues(); return err }},
		},
		Metrics: m, Config: current, Logger: logger,
	}
	// The bot role is ccm's front door: it receives GitHub webhooks now
	// and will run the Slack Socket Mode loop.
	switch {
	case !slices.Contains(roles, "bot"):
		logger.Info("webhook receiver off: this process does not run the bot role")
	case !cfg.Webhook.Enabled || env.GitHubWebhookSecret == "":
		logger.Info("webhook receiver off: set GITHUB_WEBHOOK_SECRET (and webhook.enabled) to accept POST /webhooks/github; polling detects failures meanwhile")
	default:
		api.Queue, api.WebhookSecret = client, []byte(env.GitHubWebhookSecret)
	}
	httpSrv := &http.Server{Addr: f.httpAddr, Handler: api.Handler(), ReadHeaderTimeout: 10 * time.Second}
	httpErr := make(chan error, 1)
	go func() { httpErr <- httpSrv.Serve(ln) }()
	logger.Info("ccm is running", "http_addr", f.httpAddr, "repositories", cfg.Watched())

	select {
	case <-ctx.Done():
		logger.Info("shutting down: no new work is taken, in-flight tasks drain", "timeout", f.shutdownTimeout)
	case err = <-httpErr:
		logger.Error("http server stopped", "err", err)
	}
	cancel()
	shutdownCtx, stop := context.WithTimeout(context.Background(), 5*time.Second)
	_ = httpSrv.Shutdown(shutdownCtx)
	stop()
	if srv != nil {
		srv.Shutdown() // waits for in-flight tasks up to ShutdownTimeout; the rest go back to the queue
		// A handler cut short by the timeout still runs until its context
		// ends; keep Redis open for it (its lease release, its audit).
		if !h.Wait(10 * time.Second) {
			logger.Warn("some tasks were still running at exit; asynq will run them again")
		}
	}
	wg.Wait()
	_ = client.Close()
	_ = inspector.Close()
	logger.Info("ccm stopped")
	if err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("http: %w", err)
	}
	return nil
}

func observeGitHub(m *metrics.Metrics) func(github.Observation) {
	return func(o github.Observation) {
		code := fmt.Sprint(o.Code)
		if o.FromCache {
			code = "304"
		}
		m.GitHubRequests.WithLabelValues(code).Inc()
		if o.RateRemaining >= 0 {
			m.GitHubRateLimit.Set(float64(o.RateRemaining))
		}
	}
}

// newWatcher hot-reloads the config file: a bad edit is rejected, logged
// and audited, and the old config stays.
func newWatcher(path string, cfg *config.Config, store *state.Store, m *metrics.Metrics, logger *slog.Logger) (*config.Watcher, error) {
	audit := func(outcome, errText string, details map[string]any) {
		ev := state.AuditEntry{Timestamp: time.Now().UTC(), Actor: "ccm/config", ActionType: state.ActionConfig,
			Outcome: outcome, Error: errText, Details: details}
		if _, err := store.Audit(context.Background(), ev); err != nil {
			logger.Error("audit config reload", "err", err)
		}
	}
	w, err := config.NewWatcher(path, cfg, logger,
		func(err error) {
			m.ConfigReloads.WithLabelValues("rejected").Inc()
			audit(state.OutcomeFailure, err.Error(), map[string]any{"path": path, "result": "rejected; previous config kept"})
		},
		func(prev, next *config.Config) {
			m.ConfigReloads.WithLabelValues("applied").Inc()
			audit(state.OutcomeSuccess, "", map[string]any{"path": path, "changed": config.Changes(prev, next)})
		})
	if err != nil {
		return nil, fmt.Errorf("config watcher: %w", err)
	}
	return w, nil
}

// reloadOnHUP re-reads the config on SIGHUP, the Unix habit for "reload".
func reloadOnHUP(ctx context.Context, w *config.Watcher, logger *slog.Logger) {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	for {
		select {
		case <-ctx.Done():
			return
		case <-hup:
			if err := w.Reload(); err != nil {
				logger.Error("config reload on SIGHUP rejected; previous config kept", "err", err)
			}
		}
	}
}

// redisLogger sends go-redis's own messages (pool and reconnect trouble)
// to the JSON log instead of its plain stderr lines.
type redisLogger struct{ l *slog.Logger }

func (r redisLogger) Printf(ctx context.Context, format string, v ...any) {
	r.l.WarnContext(ctx, fmt.Sprintf(format, v...), "component", "redis")
}

// checkToken authenticates with GitHub once at start (GET /rate_limit costs
// no rate limit): a rejected token stops ccm with a clear error instead of
// failing every poll; GitHub being unreachable only warns, since polling
// retries on its own.
func checkToken(ctx context.Context, gh *github.Client, m *metrics.Metrics, logger *slog.Logger) error {
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	remaining, reset, err := gh.RateLimit(ctx)
	switch {
	case errors.Is(err, github.ErrUnauthorized):
		return &exitError{code: 2, err: fmt.Errorf("GITHUB_TOKEN was rejected by GitHub (revoked, expired or mistyped): %w", err)}
	case err != nil:
		logger.Warn("could not reach GitHub at start; polling will retry", "err", err)
	default:
		m.GitHubRateLimit.Set(float64(remaining))
		logger.Info("GitHub token accepted", "rate_limit_remaining", remaining, "rate_limit_reset", reset)
	}
	return nil
}
