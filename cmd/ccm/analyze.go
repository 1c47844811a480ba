package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/ccm-ci/ccm/config"
	"github.com/ccm-ci/ccm/integrations/github"
	"github.com/ccm-ci/ccm/integrations/llm"
	"github.com/ccm-ci/ccm/tasks"
	"github.com/ccm-ci/ccm/triage"
)

// repoName is GitHub's OWNER/NAME.
var repoName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9-]*/[A-Za-z0-9_.-]+$`)

type analyzeFlags struct {
	json, rulesOnly       bool
	repo, configPath, run string
	logLevel              string
}

// Report is what `ccm analyze --json` prints: a documented, stable contract
// (README "ccm analyze --json"). Fields are only ever added.
type Report struct {
	FailureReason string                `json:"failure_reason"`
	Fingerprint   string                `json:"fingerprint"`
	Analysis      triage.AnalysisResult `json:"analysis"`
	// FallbackReason says why the rule-based analyzer answered instead of
	// the LLM ("no API key", "--rules-only", "llm: …"); empty when the LLM did.
	FallbackReason string `json:"fallback_reason,omitempty"`
	// RiskFloor is the rule-based analyzer's risk the model's answer may
	// not go below (present when the LLM answered and the rules were sure
	// enough to set one); FloorRaised says the floor changed the answer.
	RiskFloor      int    `json:"risk_floor,omitempty"`
	FloorRaised    bool   `json:"floor_raised,omitempty"`
	FailingStep    string `json:"failing_step,omitempty"`
	FailureID      string `json:"failure_id,omitempty"`
	RunURL         string `json:"run_url,omitempty"`
	LogUnavailable bool   `json:"log_unavailable,omitempty"`
}

func analyze(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	var f analyzeFlags
	fs := flag.NewFlagSet("analyze", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.BoolVar(&f.json, "json", false, "print one JSON object (a stable contract) instead of text")
	fs.BoolVar(&f.rulesOnly, "rules-only", false, "use the offline rule-based analyzer even when OPENAI_API_KEY is set")
	fs.StringVar(&f.repo, "repo", "", "OWNER/NAME the log comes from (context for the analysis)")
	fs.StringVar(&f.configPath, "config", "", "YAML config file (or CCM_CONFIG): LLM budget, timeouts, log bounds")
	fs.StringVar(&f.run, "run", "", "analyze a GitHub Actions run: https://github.com/OWNER/REPO/actions/runs/ID (needs GITHUB_TOKEN)")
	fs.StringVar(&f.logLevel, "log-level", "warn", "debug, info, warn or error (logs go to stderr)")
	positional, err := parseInterspersed(fs, args)
	if err != nil {
		return flagErr("analyze", err)
	}
	if f.repo != "" && !repoName.MatchString(f.repo) {
		return usageErr("analyze: --repo %q: want OWNER/NAME", f.repo)
	}
	env, err := config.LoadEnv()
	if err != nil {
		return &exitError{code: 2, err: err}
	}
	if f.configPath == "" {
		f.configPath = env.ConfigPath
	}
	cfg, err := loadConfig(f.configPath)
	if err != nil {
		return err
	}
	logger, err := newLogger(stderr, f.logLevel)
	if err != nil {
		return err
	}
	var rep Report
	var req llm.Request
	switch {
	case f.run != "" && len(positional) > 0:
		return usageErr("analyze: give either --run URL or a FILE, not both")
	case f.run != "":
		rep, req, err = readRun(ctx, f.run, env, cfg, logger)
	case len(positional) == 1:
		rep, req, err = readLogFile(positional[0], stdin, cfg, f.repo)
	default:
		return usageErr("analyze: want one FILE (or - for stdin) or --run URL")
	}
	if err != nil {
		return err
	}
	analyzer, err := newAnalyzer(env, cfg, logger, f.rulesOnly, nil)
	if err != nil {
		return err
	}
	out := analyzer.Analyze(ctx, req)
	rep.Analysis, rep.FallbackReason = out.Analysis, out.FallbackReason
	if out.Analysis.Source == triage.SourceLLM {
		rep.RiskFloor, rep.FloorRaised = out.RiskFloor, out.FloorRaised
	}
	if f.rulesOnly {
		rep.FallbackReason = "--rules-only"
	}
	if f.json {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	printReport(stdout, rep)
	return nil
}

// parseInterspersed lets flags follow the file (`ccm analyze job.log
// --json`), as people type it; the flag package alone stops at the first
// argument that is not a flag. "-" (stdin) is an argument, not a flag.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return positional, nil
		}
		positional = append(positional, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

// readLogFile excerpts a log file (or stdin) in one streaming pass.
func readLogFile(path string, stdin io.Reader, cfg *config.Config, repo string) (Report, llm.Request, error) {
	var r io.Reader = stdin
	if path != "-" {
		file, err := os.Open(path)
		if err != nil {
			return Report{}, llm.Request{}, usageErr("analyze: %v", err)
		}
		defer file.Close()
		r = file
	}
	br := bufio.NewReaderSize(r, 64<<10)
	head, err := br.Peek(8 << 10)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return Report{}, llm.Request{}, fmt.Errorf("analyze %s: read: %w", path, err)
	}
	if len(bytes.TrimSpace(head)) == 0 {
		return Report{}, llm.Request{}, usageErr("analyze %s: the log is empty", path)
	}
	if looksBinary(head) {
		return Report{}, llm.Request{}, usageErr("analyze %s: this is not a text log (binary data in the first %d bytes)", path, len(head))
	}
	ex, err := triage.Extract(br, tasks.LogOptions(cfg))
	if err != nil {
		return Report{}, llm.Request{}, fmt.Errorf("analyze %s: %w", path, err)
	}
	if strings.TrimSpace(ex.Section+ex.Tail+ex.Reason) == "" {
		// Colour codes, timestamps and markers only: nothing to explain.
		return Report{}, llm.Request{}, usageErr("analyze %s: the log is empty (no text once timestamps and colour codes are removed)", path)
	}
	rep := Report{
		FailureReason: ex.Reason, FailingStep: ex.FailingStep,
		Fingerprint: triage.Fingerprint(ex.Reason, ex.ErrorLines),
	}
	req := llm.Request{Repo: repo, FailingStep: ex.FailingStep, Reason: ex.Reason, Excerpt: ex.Text()}
	return rep, req, nil
}

// looksBinary is true for data no CI prints: NUL bytes or mostly control
// characters (an image, an archive, a core dump).
func looksBinary(b []byte) bool {
	if bytes.IndexByte(b, 0) >= 0 {
		return true
	}
	ctrl := 0
	for _, c := range b {
		if c < 0x20 && c != '\n' && c != '\r' && c != '\t' && c != 0x1b {
			ctrl++
		}
	}
	return ctrl*10 > len(b)
}

// readRun fetches a run's failed jobs' logs from GitHub, like the ingest
// task does.
func readRun(ctx context.Context, rawURL string, env config.Env, cfg *config.Config, logger *slog.Logger) (Report, llm.Request, error) {
	repo, runID, attempt, err := parseRunURL(rawURL)
	if err != nil {
		return Report{}, llm.Request{}, usageErr("analyze --run: %v", err)
	}
	if env.GitHubToken == "" {
		return Report{}, llm.Request{}, usageErr("analyze --run: GITHUB_TOKEN is not set")
	}
	gh, err := github.New(github.Options{
		Token: env.GitHubToken, BaseURL: env.GitHubAPIURL, Logger: logger,
		MaxAttempts: cfg.Retry.MaxAttempts, InitialBackoff: cfg.Retry.InitialBackoff, MaxBackoff: cfg.Retry.MaxBackoff,
	})
	if err != nil {
		return Report{}, llm.Request{}, usageErr("analyze --run: %v", err)
	}
	run, err := latestFailedAttempt(ctx, gh, repo, runID, attempt)
	if err != nil {
		return Report{}, llm.Request{}, err
	}
	jobs, err := gh.ListJobs(ctx, repo, runID, max(run.Attempt, 1))
	if err != nil {
		return Report{}, llm.Request{}, fmt.Errorf("analyze --run: %w", err)
	}
	rec, logErr := tasks.ReadFailure(ctx, gh, run, jobs, tasks.FailureInput{
		Repo: repo, Now: time.Now().UTC(), Options: tasks.LogOptions(cfg), Logger: logger,
		MaxDownloadBytes: int64(cfg.Log.MaxDownloadBytes),
	})
	if logErr != nil {
		logger.Warn("logs unavailable", "failure_id", rec.ID, "err", logErr)
	}
	rep := Report{
		FailureReason: rec.FailureReason, Fingerprint: rec.Fingerprint, FailureID: rec.ID,
		RunURL: rec.RunURL, LogUnavailable: rec.LogUnavailable,
	}
	req := tasks.RequestFor(rec)
	rep.FailingStep = req.FailingStep
	return rep, req, nil
}

// latestFailedAttempt is the attempt the URL names, or, when it names
// none, the latest attempt that failed: a run re-run until it passed is
// still worth explaining, and its passing attempt has nothing to explain.
func latestFailedAttempt(ctx context.Context, gh *github.Client, repo string, runID int64, attempt int) (github.Run, error) {
	run, err := gh.GetRun(ctx, repo, runID, attempt)
	if err != nil {
		return github.Run{}, fmt.Errorf("analyze --run: %w", err)
	}
	for a := run.Attempt - 1; attempt == 0 && !run.Failed() && a >= 1; a-- {
		if run, err = gh.GetRun(ctx, repo, runID, a); err != nil {
			return github.Run{}, fmt.Errorf("analyze --run: %w", err)
		}
	}
	if !run.Failed() {
		return github.Run{}, &exitError{code: 1, err: fmt.Errorf("analyze --run: run %d attempt %d did not fail (status %s, conclusion %s): nothing to explain",
			runID, run.Attempt, run.Status, run.Conclusion)}
	}
	return run, nil
}

// parseRunURL reads OWNER/REPO and the run ID (and attempt) from a run's web
// URL, on github.com or a GitHub Enterprise Server host.
func parseRunURL(raw string) (repo string, runID int64, attempt int, err error) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "", 0, 0, fmt.Errorf("%q is not a URL", raw)
	}
	parts := strings.Split(strings.Trim(u.Path, "/"), "/")
	if len(parts) < 5 || parts[2] != "actions" || parts[3] != "runs" {
		return "", 0, 0, fmt.Errorf("%q: want https://HOST/OWNER/REPO/actions/runs/ID", raw)
	}
	runID, err = strconv.ParseInt(parts[4], 10, 64)
	if err != nil || runID <= 0 {
		return "", 0, 0, fmt.Errorf("%q: run ID %q is not a number", raw, parts[4])
	}
	if len(parts) >= 7 && parts[5] == "attempts" {
		if attempt, err = strconv.Atoi(parts[6]); err != nil || attempt < 1 {
			return "", 0, 0, fmt.Errorf("%q: attempt %q is not a number", raw, parts[6])
		}
	}
	return parts[0] + "/" + parts[1], runID, attempt, nil
}

// newAnalyzer is the LLM with the rules as fallback, or the rules alone
// when there is no key or the caller asked for them.
func newAnalyzer(env config.Env, cfg *config.Config, logger *slog.Logger, rulesOnly bool, breaker *llm.Breaker) (tasks.Analyzer, error) {
	chain := llm.Chain{Logger: logger, Breaker: breaker}
	if rulesOnly || env.OpenAIAPIKey == "" {
		return chain, nil
	}
	a, err := llm.New(llm.Options{
		APIKey: env.OpenAIAPIKey, BaseURL: env.OpenAIBaseURL, Model: env.OpenAIModel,
		Timeout: cfg.LLM.Timeout, MaxAttempts: cfg.LLM.MaxAttempts, PromptTokenBudget: cfg.LLM.PromptTokenBudget,
		Redact: triage.Redact, Logger: logger,
	})
	if err != nil {
		return nil, &exitError{code: 2, err: fmt.Errorf("llm: %w", err)}
	}
	chain.LLM = a
	return chain, nil
}
