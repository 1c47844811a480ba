// Package service is ccm's composition root: the one place that builds the
// running service — store, queue, GitHub client, analyzer, task handlers,
// worker, scheduler, HTTP endpoints — from the environment and the config.
// `ccm serve` and `ccm sandbox` (and end-to-end tests) all build it here,
// so a sandbox run exercises exactly what production runs; they differ
// only in the Options they pass.
//
// New builds and checks everything that can fail for a reason an operator
// must fix (Redis, the GitHub token, the HTTP port) before any work is
// taken; Start runs the roles; Shutdown drains and closes in reverse order.
package service

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/ccm-ci/ccm/bot"
	"github.com/ccm-ci/ccm/config"
	"github.com/ccm-ci/ccm/integrations/github"
	"github.com/ccm-ci/ccm/integrations/llm"
	"github.com/ccm-ci/ccm/integrations/slack"
	"github.com/ccm-ci/ccm/metrics"
	"github.com/ccm-ci/ccm/state"
	"github.com/ccm-ci/ccm/tasks"
)

// Role is one part of the service a process runs; replicas split them.
type Role string

// The roles. New ones (the Slack Socket Mode loop joins bot) are added
// here and started in Start.
const (
	// RoleBot is ccm's front door: GitHub webhooks (and Slack, later).
	RoleBot Role = "bot"
	// RoleWorker runs the pipeline's tasks.
	RoleWorker Role = "worker"
	// RoleScheduler enqueues the periodic polls.
	RoleScheduler Role = "scheduler"
)

// AllRoles is what a process runs unless told otherwise.
var AllRoles = []Role{RoleBot, RoleWorker, RoleScheduler}

// ParseRoles reads a comma-separated role list ("bot,worker").
func ParseRoles(s string) ([]Role, error) {
	var roles []Role
	for _, r := range strings.Split(s, ",") {
		role := Role(strings.TrimSpace(r))
		if !slices.Contains(AllRoles, role) {
			return nil, fmt.Errorf("unknown role %q (want a list of %s)", role, roleList())
		}
		if !slices.Contains(roles, role) {
			roles = append(roles, role)
		}
	}
	return roles, nil
}

func roleList() string {
	names := make([]string, len(AllRoles))
	for i, r := range AllRoles {
		names[i] = string(r)
	}
	return strings.Join(names, ", ")
}

// Defaults for Options.
const (
	DefaultConcurrency     = 10
	DefaultShutdownTimeout = 30 * time.Second
)

// Options is everything that differs between ccm serve, the sandbox and a
// test. The zero value of each field takes the production default.
type Options struct {
	// Env holds secrets and endpoints (GITHUB_TOKEN is required).
	Env config.Env
	// Config is the configuration at start; required.
	Config *config.Config
	// ConfigPath, when set, is watched (and re-read on SIGHUP): a good
	// edit applies without a restart.
	ConfigPath string
	// Roles this process runs; nil means AllRoles.
	Roles []Role
	// HTTPAddr serves /healthz, /readyz, /metrics and the webhook; ""
	// serves nothing (the sandbox).
	HTTPAddr string
	// Concurrency is how many tasks the worker runs at once.
	Concurrency int
	// ShutdownTimeout is how long Shutdown waits for in-flight tasks.
	ShutdownTimeout time.Duration
	// QueueCheckInterval is how often an idle worker looks for new tasks
	// (0: asynq's 1 s; scheduled and retried tasks are checked at 5×
	// this). The sandbox uses less so a demo does not idle.
	QueueCheckInterval time.Duration
	// RedisWatch is how often the Redis watchdog pings (0: 5 s); it pages
	// after six silent pings. Tests shorten it.
	RedisWatch time.Duration
	// Logger receives every component's logs; nil discards them.
	Logger *slog.Logger
	// StoreLogger, when set, replaces Logger for the store (the sandbox
	// hides the embedded-Redis warning, which is its point, not news).
	StoreLogger *slog.Logger
	// Metrics is the collector set; nil creates one.
	Metrics *metrics.Metrics
	// SlackPostSpacing is the least time between two posts to one Slack
	// channel (0: one second, about what Slack allows; negative: none).
	// The sandbox's Slack simulator has no such limit, and a demo whose
	// threads grow one line a second would not fit in a minute.
	SlackPostSpacing time.Duration
}

// SetupError is a problem only the operator can fix (a rejected token, an
// unusable endpoint): trying again changes nothing, so the CLI exits 2.
type SetupError struct{ Err error }

func (e *SetupError) Error() string { return e.Err.Error() }
func (e *SetupError) Unwrap() error { return e.Err }

// Service is ccm, built and ready to Start.
type Service struct {
	opt       Options
	log       *slog.Logger
	Metrics   *metrics.Metrics
	Store     *state.Store
	Queue     *asynq.Client
	Inspector *asynq.Inspector
	GitHub    *github.Client
	Handlers  *tasks.Handlers
	// Analyzer is which analyzer answers, and why.
	Analyzer AnalyzerChoice
	// Slack is the Slack Web API client; nil when SLACK_BOT_TOKEN is not
	// set. SlackURL is the workspace's address from auth.test.
	Slack    *slack.Client
	SlackURL string
	// slackBot is the Socket Mode bot (mentions, /ccm, buttons); nil when
	// it is off (service/slack_bot.go).
	slackBot *bot.Bot
	// newBot builds a fresh bot with slackBot's options: a bot's Run runs
	// once, so a restart of the stopped loop takes a new one.
	newBot func() (*bot.Bot, error)
	// supervisor restarts the loops Start runs; nil means the default.
	supervisor *supervisor

	rdb redis.UniversalClient
	// cfg is the configuration in force without a watched file; SetConfig
	// replaces it.
	cfg     atomic.Pointer[config.Config]
	watcher *config.Watcher
	ln      net.Listener
	// closers release what New acquired, run last-first by Shutdown (or
	// by New itself when a later step fails).
	closers []closer

	running  *runState
	stopOnce sync.Once
	stopErr  error
}

type closer struct {
	name string
	fn   func() error
}

// New builds the service: it opens the store, checks the GitHub token,
// chooses the analyzer and binds the HTTP port, so a setup mistake stops
// ccm before it takes any work. Nothing runs until Start.
func New(ctx context.Context, opt Options) (_ *Service, err error) {
	if err := opt.validate(); err != nil {
		return nil, err
	}
	s := &Service{opt: opt, log: opt.Logger, Metrics: opt.Metrics}
	s.cfg.Store(opt.Config)
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.Metrics == nil {
		s.Metrics = metrics.New()
	}
	defer func() {
		if err != nil {
			_ = s.close() // what failed to close is logged
		}
	}()
	setRedisLogger(s.log)

	storeLog := opt.StoreLogger
	if storeLog == nil {
		storeLog = s.log
	}
	store, rdb, closeStore, err := state.Open(ctx, opt.Env.RedisURL, state.Options{Logger: storeLog})
	if err != nil {
		return nil, fmt.Errorf("state: %w", err)
	}
	s.Store = store
	s.addCloser("store", closeStore)
	// The queue client and inspector share the store's connection: asynq
	// refuses to close a shared one, so the store's closer releases it.
	s.Queue = asynq.NewClientFromRedisClient(rdb)
	s.Inspector = asynq.NewInspectorFromRedisClient(rdb)
	s.rdb = rdb

	cfg := opt.Config
	if s.GitHub, err = newGitHub(opt.Env, cfg, s.log, observeGitHub(s.Metrics)); err != nil {
		return nil, err
	}
	if err := s.checkToken(ctx); err != nil {
		return nil, err
	}
	if opt.ConfigPath != "" {
		if s.watcher, err = newWatcher(opt.ConfigPath, cfg, store, s.Metrics, s.log); err != nil {
			return nil, err
		}
	}
	// A service stops calling a model that keeps failing for a while (the
	// rules answer meanwhile).
	analyzer, choice, err := NewAnalyzer(opt.Env, cfg, AnalyzerOptions{Breaker: llm.NewBreaker(0, 0), Logger: s.log})
	if err != nil {
		return nil, err
	}
	s.Analyzer = choice
	s.log.Info("analysis: " + choice.String())
	if err := s.setupSlack(ctx); err != nil {
		return nil, err
	}
	deps := tasks.Deps{
		GitHub: s.GitHub, Store: store, Queue: s.Queue, Inspector: s.Inspector, Analyzer: analyzer,
		Config: s.Config, Metrics: s.Metrics, Logger: s.log,
	}
	s.slackDeps(&deps)
	s.Handlers = tasks.NewHandlers(deps)
	if err := s.setupSlackBot(ctx); err != nil {
		return nil, err
	}

	// Bind last but before Start: a port in use must stop ccm before it
	// takes any work.
	if opt.HTTPAddr != "" {
		if s.ln, err = net.Listen("tcp", opt.HTTPAddr); err != nil {
			return nil, fmt.Errorf("http: cannot listen on %s (--http-addr, CCM_HTTP_ADDR): %w; "+
				"stop what holds the port or choose another address", opt.HTTPAddr, err)
		}
		s.addCloser("http listener", func() error { return ignoreClosed(s.ln.Close()) })
	}
	return s, nil
}

func (o *Options) validate() error {
	switch {
	case o.Config == nil:
		return errors.New("service: Options.Config is required")
	case o.Env.GitHubToken == "":
		return &SetupError{Err: errors.New("GITHUB_TOKEN is not set: there is nothing to poll")}
	case o.Concurrency < 0:
		return fmt.Errorf("service: concurrency %d: want a positive number", o.Concurrency)
	case o.ShutdownTimeout < 0:
		return fmt.Errorf("service: shutdown timeout %s: want a positive duration", o.ShutdownTimeout)
	}
	if o.Roles == nil {
		o.Roles = AllRoles
	}
	if o.Concurrency == 0 {
		o.Concurrency = DefaultConcurrency
	}
	if o.ShutdownTimeout == 0 {
		o.ShutdownTimeout = DefaultShutdownTimeout
	}
	return nil
}

// Config is the configuration in force: the watched file's latest good
// version, or the one the service started with.
func (s *Service) Config() *config.Config {
	if s.watcher != nil {
		return s.watcher.Current()
	}
	return s.cfg.Load()
}

// SetConfig replaces the configuration in force of a service that
// watches no file (the sandbox sets each scenario's timeouts); every
// component reads it at its next use, as after a reload. With a watched
// file the file is the only source, and this is an error.
func (s *Service) SetConfig(cfg *config.Config) error {
	if s.watcher != nil {
		return errors.New("service: the config comes from a watched file; edit the file")
	}
	if cfg == nil {
		return errors.New("service: SetConfig: nil config")
	}
	s.cfg.Store(cfg)
	return nil
}

// Addr is the address the HTTP endpoints listen on ("" without them);
// with HTTPAddr ":0" it tells which port was picked.
func (s *Service) Addr() string {
	if s.ln == nil {
		return ""
	}
	return s.ln.Addr().String()
}

// HasRole reports whether this process runs role.
func (s *Service) HasRole(r Role) bool { return slices.Contains(s.opt.Roles, r) }

func (s *Service) addCloser(name string, fn func() error) {
	s.closers = append(s.closers, closer{name: name, fn: fn})
}

// close runs the closers last-first; what fails is logged and returned.
func (s *Service) close() error {
	var errs []error
	for i := len(s.closers) - 1; i >= 0; i-- {
		c := s.closers[i]
		if err := c.fn(); err != nil {
			s.log.Warn("close "+c.name, "err", err)
			errs = append(errs, fmt.Errorf("close %s: %w", c.name, err))
		}
	}
	s.closers = nil
	return errors.Join(errs...)
}

func ignoreClosed(err error) error {
	if errors.Is(err, net.ErrClosed) {
		return nil
	}
	return err
}

// checkToken authenticates with GitHub once at start (GET /rate_limit costs
// no rate limit): a rejected token stops ccm with a clear error instead of
// failing every poll; GitHub being unreachable only warns, since polling
// retries on its own.
func (s *Service) checkToken(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	remaining, reset, err := s.GitHub.RateLimit(ctx)
	switch {
	case errors.Is(err, github.ErrUnauthorized):
		return &SetupError{Err: fmt.Errorf("GITHUB_TOKEN was rejected by GitHub (revoked, expired or mistyped): %w", err)}
	case err != nil:
		s.log.Warn("could not reach GitHub at start; polling will retry", "err", err)
	default:
		s.Metrics.GitHubRateLimit.Set(float64(remaining))
		s.log.Info("GitHub token accepted", "rate_limit_remaining", remaining, "rate_limit_reset", reset)
	}
	return nil
}

// newGitHub is the GitHub client of the service and of `ccm analyze --run`:
// the token and endpoint from the environment, retries from the config.
func newGitHub(env config.Env, cfg *config.Config, logger *slog.Logger, observe func(github.Observation)) (*github.Client, error) {
	c, err := github.New(github.Options{
		Token: env.GitHubToken, BaseURL: env.GitHubAPIURL, Logger: logger,
		MaxAttempts: cfg.Retry.MaxAttempts, InitialBackoff: cfg.Retry.InitialBackoff, MaxBackoff: cfg.Retry.MaxBackoff,
		Observe: observe,
	})
	if err != nil {
		return nil, &SetupError{Err: fmt.Errorf("github: %w", err)}
	}
	return c, nil
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
