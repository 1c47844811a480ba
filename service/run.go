package service

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/hibiken/asynq"

	"github.com/ccm-ci/ccm/httpapi"
	"github.com/ccm-ci/ccm/tasks"
)

// runState is what Start started and Shutdown stops.
type runState struct {
	cancel context.CancelFunc
	wg     sync.WaitGroup
	worker *asynq.Server
	http   *http.Server
	// fatal receives the error of a part that stopped on its own.
	fatal chan error
}

// Start runs the roles: the worker, the scheduler, the HTTP endpoints
// (the webhook only with the bot role), the config watcher and the queue
// gauges. They run until ctx ends or Shutdown is called; Shutdown must be
// called either way to drain the worker and release what New acquired.
func (s *Service) Start(ctx context.Context) error {
	if s.running != nil {
		return errors.New("service: already started")
	}
	runCtx, cancel := context.WithCancel(ctx)
	r := &runState{cancel: cancel, fatal: make(chan error, 1)}
	s.running = r
	sv := s.supervisor
	if sv == nil {
		sv = newSupervisor(s.log)
	}
	// Every long-running loop is supervised: restarted with backoff when
	// it fails (service/supervise.go).
	goRun := func(name string, fn func(context.Context) error) {
		r.wg.Go(func() { sv.run(runCtx, name, fn) })
	}
	if s.watcher != nil {
		goRun("config watcher", s.watcher.Run)
		goRun("config reload on SIGHUP", func(ctx context.Context) error { reloadOnHUP(ctx, s.watcher, s.log); return nil })
	}
	goRun("queue stats", func(ctx context.Context) error {
		tasks.WatchQueues(ctx, s.Inspector, s.Metrics, 15*time.Second)
		return nil
	})

	if s.HasRole(RoleWorker) {
		cfg := asynq.Config{
			Concurrency: s.opt.Concurrency, Queues: tasks.QueueWeights, RetryDelayFunc: s.Handlers.RetryDelay,
			ErrorHandler: asynq.ErrorHandlerFunc(s.Handlers.HandleError), Logger: tasks.AsynqLogger{L: s.log},
			ShutdownTimeout: s.opt.ShutdownTimeout,
		}
		if d := s.opt.QueueCheckInterval; d > 0 {
			cfg.TaskCheckInterval, cfg.DelayedTaskCheckInterval = d, 5*d
		}
		r.worker = asynq.NewServerFromRedisClient(s.rdb, cfg)
		if err := r.worker.Start(s.Mux()); err != nil {
			r.worker = nil
			return fmt.Errorf("worker: %w", err)
		}
	}
	s.startNotifications(goRun)
	s.startRedisWatch(goRun)
	s.startSlackBot(goRun)
	if s.HasRole(RoleScheduler) {
		sched := &tasks.Scheduler{Queue: s.Queue, Config: s.Config, Logger: s.log}
		goRun("scheduler", sched.Run)
	}
	if s.ln != nil {
		r.http = &http.Server{Handler: s.httpAPI().Handler(), ReadHeaderTimeout: 10 * time.Second}
		go func() {
			if err := r.http.Serve(s.ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				r.fatal <- fmt.Errorf("http: %w", err)
			}
		}()
	}
	s.log.Info("ccm is running", "roles", s.opt.Roles, "http_addr", s.Addr(), "repositories", s.Config().Watched())
	return nil
}

// Mux routes every task type the worker runs (tasks.Handlers.Mux). serve
// and sandbox both start it here.
// Innermost (next to the handler), a task that ends while Redis is gone
// waits for it, and for asynq's client to reach it (holdForRedis).
func (s *Service) Mux() *asynq.ServeMux {
	mux := s.Handlers.Mux()
	mux.Use(holdForRedis(redisReady(s.Store.Ready, s.rdb), redisHoldMax, redisHoldEvery, s.log))
	return mux
}

// httpAPI is the HTTP side. The bot role is ccm's front door: it receives
// GitHub webhooks now and will run the Slack Socket Mode loop.
func (s *Service) httpAPI() *httpapi.Server {
	api := &httpapi.Server{
		Checks: []httpapi.Check{
			{Name: "redis", Fn: s.Store.Ready},
			{Name: "asynq", Fn: s.asynqReady},
		},
		Metrics: s.Metrics, Config: s.Config, Logger: s.log,
	}
	switch {
	case !s.HasRole(RoleBot):
		s.log.Info("webhook receiver off: this process does not run the bot role")
	case !s.opt.Config.Webhook.Enabled || s.opt.Env.GitHubWebhookSecret == "":
		s.log.Info("webhook receiver off: set GITHUB_WEBHOOK_SECRET (and webhook.enabled) to accept POST /webhooks/github; polling detects failures meanwhile")
	default:
		api.Queue, api.WebhookSecret, api.Runs = s.Queue, []byte(s.opt.Env.GitHubWebhookSecret), s.Store
	}
	return api
}

// asynqReady asks asynq for its queues. asynq runs on the store's Redis:
// when that does not answer there is nothing to ask, and asking would only
// make the probe wait out the retries of asynq's client (its Inspector
// takes no context), so the probe says not ready at once instead.
func (s *Service) asynqReady(ctx context.Context) error {
	if err := s.Store.Ready(ctx); err != nil {
		return errors.New("not asked: Redis does not answer")
	}
	done := make(chan error, 1)
	go func() { _, err := s.Inspector.Queues(); done <- err }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return fmt.Errorf("no answer in time: %w", ctx.Err())
	}
}

// Err delivers the error of a part that stopped on its own (the HTTP
// server); nil before Start.
func (s *Service) Err() <-chan error {
	if s.running == nil {
		return nil
	}
	return s.running.fatal
}

// Run starts the service and stops it when ctx ends (SIGTERM) or a part
// fails on its own, then drains and closes everything.
func (s *Service) Run(ctx context.Context) error {
	if err := s.Start(ctx); err != nil {
		_ = s.Shutdown()
		return err
	}
	var err error
	select {
	case <-ctx.Done():
		s.log.Info("shutting down: no new work is taken, in-flight tasks drain", "timeout", s.opt.ShutdownTimeout)
	case err = <-s.Err():
		s.log.Error("stopping after a failure", "err", err)
	}
	_ = s.Shutdown() // close errors are logged; the run itself went fine
	return err
}

// Shutdown stops taking work, lets in-flight tasks drain for up to
// ShutdownTimeout (the rest go back to the queue and run again), then
// closes what New opened. It is safe to call more than once, and on a
// service that was never started.
func (s *Service) Shutdown() error {
	s.stopOnce.Do(func() {
		if r := s.running; r != nil {
			r.cancel()
			if r.http != nil {
				ctx, stop := context.WithTimeout(context.Background(), 5*time.Second)
				_ = r.http.Shutdown(ctx)
				stop()
			}
			if r.worker != nil {
				r.worker.Shutdown()
				// A handler cut short by the timeout still runs until its
				// context ends; keep Redis open for it (its lease release,
				// its audit).
				if !s.Handlers.Wait(10 * time.Second) {
					s.log.Warn("some tasks were still running at exit; asynq will run them again")
				}
			}
			r.wg.Wait()
		}
		s.stopErr = s.close()
		if s.running != nil {
			s.log.Info("ccm stopped")
		}
	})
	return s.stopErr
}
