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
	"runtime"
	"runtime/debug"
	"syscall"
)

// Build identity. Each can be set at build time with -ldflags "-X
// main.version=v1.2.3 -X main.commit=SHA -X main.date=TIME" (the Dockerfile
// sets all three from build arguments: its build context has no .git, so Go
// records no VCS information there). Left empty, `ccm version` reads what the Go toolchain
// recorded (see buildIdentity). "dev" is the Dockerfile's default VERSION
// and means "not set".
var version, commit, date string

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

const usage = `ccm keeps GitHub Actions CI green: it notices failed runs, explains why
each failed, and decides what is safe to fix alone and what needs a person.

Usage:
  ccm serve   [--config FILE] [--roles bot,worker,scheduler] [--http-addr :8080]
  ccm analyze [--json] [--repo OWNER/NAME] [--config FILE] [--rules-only] FILE|-
  ccm analyze [--json] [--rules-only] --run https://github.com/OWNER/REPO/actions/runs/ID
  ccm audit   [--repo OWNER/NAME] [--failure ID] [--action TYPE] [--category C]
              [--since 24h] [--until TIME] [--limit 50] [--json]      (needs REDIS_URL)
  ccm stats   [--repo OWNER/NAME] [--json]                            (needs REDIS_URL)
  ccm sandbox [--interactive] [--scenario NAME,...] [--json] [--slack-ui ADDR] [--binary PATH]
  ccm sandbox --logs 8 [--llm] [--json]
  ccm slack-manifest
  ccm version

Commands:
  serve     run the service: poll GitHub, take webhooks, record and explain failures
  analyze   explain one failed job's log, offline or from a run URL
  audit     print the audit trail of a running ccm, newest first
  stats     print each repository's shadow scorecard and remediation figures
  sandbox   play scenarios on the whole service with GitHub, Slack and OpenAI simulated, all local
  slack-manifest  print the Slack app manifest of ccm's bot (Socket Mode, scopes, /ccm)
  version   print the version, commit and commit date of this binary

Example:
  ccm analyze testdata/logs/npm-econnreset.log

Run 'ccm COMMAND --help' for a command's flags and an example.

Environment: GITHUB_TOKEN, GITHUB_API_URL, GITHUB_WEBHOOK_SECRET, OPENAI_API_KEY,
OPENAI_BASE_URL, OPENAI_MODEL, SLACK_BOT_TOKEN, SLACK_APP_TOKEN, SLACK_API_URL,
REDIS_URL (unset: embedded Redis, nothing survives a restart), CCM_CONFIG, CCM_HTTP_ADDR.
`

const versionHelp = `Usage: ccm version

Prints the version of this binary, the commit it was built from (with
"(modified)" when the tree had uncommitted changes), the commit's date and
the Go version. Unknown parts say so: a build outside a git checkout records
no commit, and "(devel)" is a build from source rather than a tagged module.

Example:
  ccm version
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
	case "stats":
		return stats(ctx, args[1:], stdout, stderr)
	case "sandbox":
		return sandbox(ctx, args[1:], stdin, stdout, stderr)
	case "slack-manifest":
		return slackManifest(args[1:], stdout, stderr)
	case "version", "--version":
		return printVersion(args[1:], stdout, stderr)
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
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: lv, ReplaceAttr: readableDuration})), nil
}

// readableDuration renders a time.Duration as "1m30s" rather than the
// JSON handler's nanoseconds (90000000000), which nobody reads at a glance.
// The handler calls it for every attribute, inside groups too, after
// resolving LogValuers. A duration nested in a struct or map value is
// marshalled by encoding/json and stays a number.
func readableDuration(_ []string, a slog.Attr) slog.Attr {
	if a.Value.Kind() == slog.KindDuration {
		a.Value = slog.StringValue(a.Value.Duration().String())
	}
	return a
}

// identity is what `ccm version` prints.
type identity struct {
	Version, Commit, Date, GoVersion string
	Modified                         bool
}

// buildIdentity combines the -X values (they win: a release build says
// what it is) with what the toolchain recorded in the binary: the module
// version ("(devel)" for a build from a checkout) and, when built inside a
// git checkout with VCS stamping on (the default for go build, off with
// -buildvcs=false), vcs.revision, vcs.time and vcs.modified.
func buildIdentity(bi *debug.BuildInfo, ok bool) identity {
	id := identity{Version: version, Commit: commit, Date: date, GoVersion: runtime.Version()}
	if id.Version == "dev" {
		id.Version = ""
	}
	if ok && bi != nil {
		if id.Version == "" {
			id.Version = bi.Main.Version
		}
		if bi.GoVersion != "" {
			id.GoVersion = bi.GoVersion
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				if id.Commit == "" {
					id.Commit = s.Value
				}
			case "vcs.time":
				if id.Date == "" {
					id.Date = s.Value
				}
			case "vcs.modified":
				// Only meaningful for the recorded revision, not for a
				// commit given with -X.
				id.Modified = s.Value == "true" && commit == ""
			}
		}
	}
	if id.Version == "" {
		id.Version = "(devel)"
	}
	return id
}

func (id identity) String() string {
	commit, date := id.Commit, id.Date
	if commit == "" {
		commit = "unknown (built without version control information)"
	} else if id.Modified {
		commit += " (modified)"
	}
	if date == "" {
		date = "unknown"
	}
	return fmt.Sprintf("ccm %s\ncommit: %s\ndate:   %s\ngo:     %s\n", id.Version, commit, date, id.GoVersion)
}

// noArgs parses the flags of a command that takes none but --help.
func noArgs(cmd, help string, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(fs.Output(), help) }
	if err := fs.Parse(args); err != nil {
		return flagErr(cmd, err)
	}
	if fs.NArg() > 0 {
		return usageErr("%s: unexpected argument %q", cmd, fs.Arg(0))
	}
	return nil
}

// printVersion is `ccm version`; it takes no arguments but --help.
func printVersion(args []string, stdout, stderr io.Writer) error {
	if err := noArgs("version", versionHelp, args, stderr); err != nil {
		return err
	}
	bi, ok := debug.ReadBuildInfo()
	fmt.Fprint(stdout, buildIdentity(bi, ok))
	return nil
}
