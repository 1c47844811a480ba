package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/ccm-ci/ccm/config"
	"github.com/ccm-ci/ccm/internal/redisurl"
	ccmsandbox "github.com/ccm-ci/ccm/sandbox"
)

const sandboxHelp = `Usage: ccm sandbox [flags]

Plays scenarios on ccm's real pipeline, the very service 'ccm serve' runs,
with GitHub, Slack and the OpenAI API simulated on loopback and an embedded
Redis, seeded from real failed-run logs of public projects: a flaky test
re-run that passes, a registry outage in 3 repositories (one incident), an
application-code failure only explained, an approval, a protected
repository's rejection, a click by someone not allowed, an approval that
expires, a re-run whose verification fails, a repository in shadow mode and
its scorecard. Prints what Slack shows and whether each scenario reached
its expected end; exits 0 only when all did, 1 when one did not (named,
with where it stopped), 130 on Ctrl-C.

With --interactive it stops at each approval request: type approve,
reject REASON, /ccm ..., @ccm ... or continue. With OPENAI_API_KEY set the
real model analyses (OPENAI_BASE_URL, OPENAI_MODEL); with REDIS_URL set that
Redis is used (give it a database of its own: the queues are not prefixed).

With --slack-ui ADDR it also serves a web page at http://ADDR/ drawing the
simulated Slack as your team would see it (channels, threads, Block Kit
messages, buttons), following the scenarios as they play; when they end it
keeps serving until Ctrl-C, which closes the page and exits with the
scenarios' code (0 when all reached their end). Until then the run is left
as it ended: with REDIS_URL set, ccm stats and ccm audit can read its data,
which the sandbox empties on the way out.

With --binary PATH the scenarios play against 'PATH serve' run as its own
process, as deployed (PATH is a built ccm binary): the sandbox writes its
config to a file that ccm serve watches (each scenario's edit is applied
through the reload, as an operator's would be), starts it with the bot and
worker roles on the --http-addr port and the simulators' endpoints, on
REDIS_URL or else on a Redis the sandbox embeds and shares with it, waits
for /readyz, and stops it with SIGTERM at the end or on Ctrl-C. An edit not
applied within 2s (a watcher polling without inotify) gets a SIGHUP, noted
in the scenario. If ccm serve exits early the sandbox says so with the end
of its log (exit 2 before it was ready, 1 after; the scenarios left are
reported missed, --json included); if it does not exit 0 on SIGTERM the run
exits 1. The report says how it ended (serve_exit). ccm serve keeps its production defaults (a Slack post
per channel per second, asynq's one-second queue check), so each scenario's
deadline is 60s unless --timeout is set. A config file cannot set
approval_timeout below 1m: the expiry scenario uses 1m, then moves that
request's expiry to now and runs ccm's own expiry task.

--logs N instead replays N real logs through detection and analysis only,
in shadow mode (the sandbox of earlier versions).

Example:
  ccm sandbox
  ccm sandbox --interactive --scenario approved,protected
  ccm sandbox --slack-ui 127.0.0.1:8090
  ccm sandbox --binary ./ccm --json
  ccm sandbox --logs 20 --llm

Flags:
`

// sandboxWithhold names scenarios whose simulated people do nothing: a
// test's way to make one miss its end. Nil outside tests.
var sandboxWithhold []string

// sandbox runs ccm locally on simulators: no accounts, nothing leaves the
// machine (but a real model's calls, when asked for).
func sandbox(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("sandbox", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(fs.Output(), sandboxHelp); fs.PrintDefaults() }
	// Both defaults are 0, meaning "as the mode needs": --help then prints
	// no default the sandbox does not use.
	logs := fs.Int("logs", 0, fmt.Sprintf("replay `N` real failure logs through detection and analysis only, instead of the scenarios (off unless set; --logs %d replays the set earlier versions did)", ccmsandbox.DefaultLogs))
	useLLM := fs.Bool("llm", false, "with --logs: analyse through the LLM path against a local OpenAI fake (it answers with the rules' verdict)")
	asJSON := fs.Bool("json", false, "print one JSON object instead of text")
	timeout := fs.Duration("timeout", 0, fmt.Sprintf("each scenario's deadline; with --logs, how long to wait for every failure to be analyzed (0, the default: %gs per scenario, %gs with --binary; %gs with --logs)",
		ccmsandbox.DefaultScenarioDeadline.Seconds(), ccmsandbox.ExternalScenarioDeadline.Seconds(), ccmsandbox.DefaultTimeout.Seconds()))
	logLevel := fs.String("log-level", "warn", "debug, info, warn or error (logs go to stderr; the scenarios log nothing unless this is set: their alerts are the point)")
	interactive := fs.Bool("interactive", false, "stop at each approval request and read your decision, /ccm commands and @ccm questions from the terminal")
	only := fs.String("scenario", "", "play only these scenarios, comma-separated ("+strings.Join(ccmsandbox.ScenarioNames(), ", ")+")")
	httpAddr := fs.String("http-addr", "127.0.0.1:0", "where ccm's HTTP endpoints listen (webhooks from the GitHub simulator, /metrics)")
	slackUIAddr := fs.String("slack-ui", "", "serve a web page drawing the simulated Slack on this address (127.0.0.1:8090, or just 8090 for loopback) while the scenarios play, and after until Ctrl-C; \"\" is off")
	binary := fs.String("binary", "", "play the scenarios against `PATH` serve run as its own process, as deployed (PATH: a built ccm binary); \"\" plays against ccm built into this process")
	if err := fs.Parse(args); err != nil {
		return flagErr("sandbox", err)
	}
	if fs.NArg() > 0 {
		return usageErr("sandbox: unexpected argument %q", fs.Arg(0))
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if *logs < 0 || set["logs"] && *logs == 0 {
		return usageErr("sandbox: --logs %d: want at least 1", *logs)
	}
	if *timeout < 0 || set["timeout"] && *timeout == 0 {
		return usageErr("sandbox: --timeout %s: want a positive duration", *timeout)
	}
	logger, err := newLogger(stderr, *logLevel)
	if err != nil {
		return err
	}
	if set["logs"] {
		for _, f := range []string{"interactive", "scenario", "http-addr", "slack-ui", "binary"} {
			if set[f] {
				return usageErr("sandbox: --%s plays the scenarios; --logs replays logs instead: choose one", f)
			}
		}
		return replayLogs(ctx, ccmsandbox.Options{Logs: *logs, LLM: *useLLM, Timeout: *timeout, Logger: logger}, *asJSON, stdout)
	}
	if set["llm"] {
		return usageErr("sandbox: --llm goes with --logs (the scenarios always analyse through the LLM path)")
	}
	if *interactive && *asJSON {
		return usageErr("sandbox: --interactive and --json: choose one")
	}
	if !set["log-level"] {
		// The scenarios raise alerts on purpose: Slack shows them, and a
		// log line per page on stderr would read as the sandbox failing.
		logger = slog.New(slog.DiscardHandler)
	}
	env, err := config.LoadEnv()
	if err != nil {
		return &exitError{code: 2, err: err}
	}
	if env.RedisURL != "" {
		// An unreachable REDIS_URL is the sandbox's error to say, once,
		// not four lines of go-redis's pool first.
		redisurl.Quiet()
	}
	opt := ccmsandbox.ScenarioOptions{Env: env, HTTPAddr: *httpAddr, Out: stdout, Logger: logger, Withhold: sandboxWithhold}
	if set["binary"] {
		if opt.Binary, err = servableBinary(*binary); err != nil {
			return err
		}
		opt.Deadline = ccmsandbox.ExternalScenarioDeadline
	}
	if *timeout > 0 {
		opt.Deadline = *timeout
	}
	if *only != "" {
		for _, n := range strings.Split(*only, ",") {
			opt.Only = append(opt.Only, strings.TrimSpace(n))
		}
	}
	if *interactive {
		opt.Interactive = stdin
	}
	if *asJSON {
		opt.Out = io.Discard
	}
	if *slackUIAddr != "" {
		ui, err := startSlackUI(*slackUIAddr, logger)
		if err != nil {
			return err
		}
		defer ui.Close()
		fmt.Fprintf(stderr, "ccm sandbox: Slack as your team sees it: %s\n", ui.URL)
		opt.OnStart = func(w *ccmsandbox.World) { ui.Show(w.Slack) }
		var end error
		ended := false
		// The page is the point of --slack-ui: it stays up to be read,
		// with all the run left as it ended (REDIS_URL's data too, for
		// ccm stats and ccm audit), until Ctrl-C, which then only closes
		// it: the exit code is the scenarios'.
		opt.Ended = func(rep ccmsandbox.Report, err error) {
			end, ended = scenariosEnd(rep, err, *asJSON, stdout), true
			if ctx.Err() != nil {
				return
			}
			kept := ""
			if env.RedisURL != "" {
				kept = "; REDIS_URL's database keeps the run's data until then (ccm stats, ccm audit)"
			}
			fmt.Fprintf(stderr, "ccm sandbox: the scenarios are over; Slack stays at %s until Ctrl-C%s\n", ui.URL, kept)
			<-ctx.Done()
		}
		rep, err := ccmsandbox.RunScenarios(ctx, opt)
		if ended {
			return end
		}
		return scenariosEnd(rep, err, *asJSON, stdout)
	}
	rep, err := ccmsandbox.RunScenarios(ctx, opt)
	return scenariosEnd(rep, err, *asJSON, stdout)
}

// servableBinary checks --binary before anything starts: a path that is
// not an executable file is the person's to fix (exit 2).
func servableBinary(path string) (string, error) {
	if path == "" {
		return "", usageErr("sandbox: --binary \"\": want the path of a built ccm binary")
	}
	st, err := os.Stat(path)
	switch {
	case err != nil:
		return "", usageErr("sandbox: --binary %s: %v", path, err)
	case st.IsDir():
		return "", usageErr("sandbox: --binary %s is a directory; want the path of a built ccm binary", path)
	case st.Mode().Perm()&0o111 == 0:
		return "", usageErr("sandbox: --binary %s is not executable (chmod +x it, or build ccm: go build ./cmd/ccm)", path)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", usageErr("sandbox: --binary %s: %v", path, err)
	}
	return abs, nil
}

// scenariosEnd prints the JSON report when asked and turns the run's end
// into the exit code: 0 all reached, 1 one did not (or the ccm serve child
// died, or did not stop cleanly), 2 a setup problem, 130 interrupted.
func scenariosEnd(rep ccmsandbox.Report, err error, asJSON bool, stdout io.Writer) error {
	var (
		se   *ccmsandbox.SetupError
		died *ccmsandbox.ServeDiedError
		exit *ccmsandbox.ServeExitError
	)
	switch {
	case errors.Is(err, ccmsandbox.ErrInterrupted):
		return &exitError{code: 130, err: errors.New("interrupted")}
	case errors.As(err, &se):
		return &exitError{code: 2, err: fmt.Errorf("sandbox: %w", err)}
	case err != nil && !errors.Is(err, ccmsandbox.ErrMissed) && !errors.As(err, &died) && !errors.As(err, &exit):
		return fmt.Errorf("sandbox: %w", err)
	}
	// The run went to its end, or as far as ccm serve let it: the report
	// says what happened either way.
	if asJSON {
		if jerr := ccmsandbox.WriteReportJSON(stdout, rep); jerr != nil {
			return jerr
		}
	}
	if died != nil {
		return fmt.Errorf("sandbox: %w", died)
	}
	var msgs []string
	if missed := rep.Missed(); len(missed) > 0 {
		lines := make([]string, len(missed))
		for i, m := range missed {
			lines[i] = fmt.Sprintf("%s did not reach its end: %s", m.Name, m.Stopped)
		}
		msgs = append(msgs, fmt.Sprintf("sandbox: %d of %d scenarios did not reach their end:\n  %s",
			len(missed), len(rep.Scenarios), strings.Join(lines, "\n  ")))
	}
	if exit != nil {
		msgs = append(msgs, "sandbox: "+exit.Error())
	}
	if len(msgs) == 0 {
		return nil
	}
	msg := strings.Join(msgs, "\n")
	if rep.ServeLog != "" {
		msg += "\nthe end of ccm serve's log:\n" + rep.ServeLog
	}
	return errors.New(msg)
}

// replayLogs is `ccm sandbox --logs N`.
func replayLogs(ctx context.Context, opt ccmsandbox.Options, asJSON bool, stdout io.Writer) error {
	res, err := ccmsandbox.Run(ctx, opt)
	if err != nil {
		return err
	}
	if asJSON {
		return ccmsandbox.WriteJSON(stdout, res)
	}
	if err := ccmsandbox.WriteText(stdout, res, actionText); err != nil {
		return fmt.Errorf("sandbox: %w", err)
	}
	return nil
}
