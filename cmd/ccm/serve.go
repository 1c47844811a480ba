package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"runtime/debug"
	"strings"
	"time"

	"github.com/ccm-ci/ccm/config"
	"github.com/ccm-ci/ccm/service"
)

const serveHelp = `Usage: ccm serve [flags]

Runs ccm as a service: polls the repositories listed in the config for
failed GitHub Actions runs, accepts GitHub webhooks, analyses each failure,
decides through the safety gate what ccm may do alone, remediates and
verifies (mode auto or approved), records everything in Redis, and serves
/healthz, /readyz and /metrics.
Needs GITHUB_TOKEN and a config file; REDIS_URL unset runs an embedded Redis.

Example:
  GITHUB_TOKEN=ghp_... ccm serve --config ccm.yaml --roles worker,scheduler

Flags:
`

type serveFlags struct {
	configPath, roles, httpAddr, logLevel string
	concurrency                           int
	shutdownTimeout                       time.Duration
}

func parseServeFlags(args []string, env config.Env, stderr io.Writer) (serveFlags, []service.Role, error) {
	var f serveFlags
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(fs.Output(), serveHelp); fs.PrintDefaults() }
	fs.StringVar(&f.configPath, "config", env.ConfigPath, "YAML config file (or CCM_CONFIG)")
	fs.StringVar(&f.roles, "roles", roleNames(service.AllRoles), "roles this process runs: bot, worker, scheduler")
	fs.StringVar(&f.httpAddr, "http-addr", env.HTTPAddr, "address of /healthz, /readyz, /metrics and /webhooks/github (or CCM_HTTP_ADDR)")
	fs.StringVar(&f.logLevel, "log-level", "info", "debug, info, warn or error")
	fs.IntVar(&f.concurrency, "concurrency", service.DefaultConcurrency, "tasks processed at once by the worker")
	fs.DurationVar(&f.shutdownTimeout, "shutdown-timeout", service.DefaultShutdownTimeout, "how long SIGTERM waits for in-flight tasks")
	if err := fs.Parse(args); err != nil {
		return f, nil, flagErr("serve", err)
	}
	if fs.NArg() > 0 {
		return f, nil, usageErr("serve: unexpected argument %q", fs.Arg(0))
	}
	// Zero would not mean "none" but asynq's defaults (one task per CPU,
	// an 8 s drain), which nobody asking for 0 expects.
	if f.concurrency < 1 {
		return f, nil, usageErr("serve: --concurrency %d: want at least 1", f.concurrency)
	}
	if f.shutdownTimeout <= 0 {
		return f, nil, usageErr("serve: --shutdown-timeout %s: want a positive duration, like 30s", f.shutdownTimeout)
	}
	roles, err := service.ParseRoles(f.roles)
	if err != nil {
		return f, nil, usageErr("serve: --roles: %v", err)
	}
	return f, roles, nil
}

func roleNames(roles []service.Role) string {
	names := make([]string, len(roles))
	for i, r := range roles {
		names[i] = string(r)
	}
	return strings.Join(names, ",")
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
	if env.GitHubToken == "" {
		return usageErr("GITHUB_TOKEN is not set: there is nothing to poll. " +
			"Set GITHUB_TOKEN (and list repositories in the config) to run the service, " +
			"or try `ccm analyze testdata/logs/<file>.log`, which works offline")
	}
	// Without a file the service could never learn a repository: a file
	// with none listed waits for an edit (it is watched), no file cannot.
	if f.configPath == "" {
		return usageErr("serve: no config file: nothing to watch. Name one with --config or CCM_CONFIG " +
			"(ccm.example.yaml documents every key)")
	}
	cfg, err := loadConfig(f.configPath)
	if err != nil {
		return err
	}
	// The flags win over the environment: log what is in force, not what
	// the environment said.
	env.ConfigPath, env.HTTPAddr = f.configPath, f.httpAddr
	bi, ok := debug.ReadBuildInfo()
	id := buildIdentity(bi, ok)
	logger.Info("starting ccm", "version", id.Version, "commit", id.Commit, "roles", roles, "env", env)
	if len(cfg.Watched()) == 0 {
		logger.Warn("no repositories in the config: nothing to poll until the file lists some (it is reloaded on change)")
	}
	svc, err := service.New(ctx, service.Options{
		Env: env, Config: cfg, ConfigPath: f.configPath, Roles: roles, HTTPAddr: f.httpAddr,
		Concurrency: f.concurrency, ShutdownTimeout: f.shutdownTimeout, Logger: logger,
	})
	if err != nil {
		return withExitCode(err)
	}
	return svc.Run(ctx)
}

// withExitCode gives a setup error only the operator can fix exit code 2.
func withExitCode(err error) error {
	var se *service.SetupError
	if errors.As(err, &se) {
		return &exitError{code: 2, err: err}
	}
	return err
}
