// Command ccm keeps GitHub Actions CI green: `ccm serve` runs the service,
// `ccm analyze` explains one failure log from the command line.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// exitError carries a process exit code: 2 for usage and configuration
// errors (scripts tell a bad invocation from a failed run), 1 otherwise.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func usageErr(format string, a ...any) error {
	return &exitError{code: 2, err: fmt.Errorf(format, a...)}
}

// errHelp ends a command that only printed its help: exit 0, no message.
var errHelp = errors.New("help printed")

// flagErr turns a flag parse error into errHelp for -h/--help (the flag
// package printed the usage already) and a usage error otherwise.
func flagErr(cmd string, err error) error {
	if errors.Is(err, flag.ErrHelp) {
		return errHelp
	}
	return usageErr("%s: %v", cmd, err)
}

const usage = `ccm keeps GitHub Actions CI green.

Usage:
  ccm serve   [--config FILE] [--roles bot,worker,scheduler] [--http-addr :8080]
  ccm analyze [--json] [--repo OWNER/NAME] [--config FILE] [--rules-only] FILE|-
  ccm analyze [--json] [--rules-only] --run https://github.com/OWNER/REPO/actions/runs/ID
  ccm audit   [--repo OWNER/NAME] [--failure ID] [--action TYPE] [--category C]
              [--since 24h] [--until TIME] [--limit 50] [--json]      (needs REDIS_URL)
  ccm sandbox [--logs 8] [--llm] [--json]   (the whole pipeline on real logs, all local)
  ccm version

Environment: GITHUB_TOKEN, GITHUB_API_URL, GITHUB_WEBHOOK_SECRET, OPENAI_API_KEY,
OPENAI_BASE_URL, OPENAI_MODEL, SLACK_BOT_TOKEN, SLACK_APP_TOKEN, SLACK_API_URL,
REDIS_URL (unset: embedded Redis, nothing survives a restart), CCM_CONFIG, CCM_HTTP_ADDR.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	if err != nil && !errors.Is(err, errHelp) {
		fmt.Fprintln(os.Stderr, "ccm:", err)
		var ee *exitError
		if errors.As(err, &ee) {
			os.Exit(ee.code)
		}
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return usageErr("no command given")
	}
	switch args[0] {
	case "serve":
		return serve(ctx, args[1:], stderr)
	case "analyze":
		return analyze(ctx, args[1:], stdin, stdout, stderr)
	case "audit":
		return audit(ctx, args[1:], stdout, stderr)
	case "sandbox":
		return sandbox(ctx, args[1:], stdout, stderr)
	case "version", "--version":
		fmt.Fprintln(stdout, "ccm", version)
		return nil
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	default:
		fmt.Fprint(stderr, usage)
		return usageErr("unknown command %q", args[0])
	}
}

// newLogger writes JSON lines; every component adds its fixed keys
// (failure_id, repo, task_type…) to this one logger.
func newLogger(w io.Writer, level string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, usageErr("--log-level %q: want debug, info, warn or error", level)
	}
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: lv})), nil
}
