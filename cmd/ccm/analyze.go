package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"regexp"

	"github.com/ccm-ci/ccm/analysis"
	"github.com/ccm-ci/ccm/config"
	"github.com/ccm-ci/ccm/excerpt"
	"github.com/ccm-ci/ccm/integrations/github"
	"github.com/ccm-ci/ccm/policy"
	"github.com/ccm-ci/ccm/service"
	"github.com/ccm-ci/ccm/tasks"
)

const analyzeHelp = `Usage: ccm analyze [flags] FILE|-
       ccm analyze [flags] --run https://github.com/OWNER/REPO/actions/runs/ID

Explains one failed CI job: the line that says why it failed, the category,
the risk of fixing it unattended, a proposed fix and what ccm would do.
Reads a log file (- for stdin) offline, or a run's failed jobs from GitHub
(--run, needs GITHUB_TOKEN). Uses the model when OPENAI_API_KEY or
OPENAI_BASE_URL is set, the rule-based analyzer otherwise.

Example:
  ccm analyze --json testdata/logs/npm-econnreset.log

Flags:
`

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
	FailureReason string `json:"failure_reason"`
	// FailureContext is up to 3 lines a person needs with the reason (the
	// expected and received values, the conflicting peer, the failing
	// test); absent when there are none.
	FailureContext []string                `json:"failure_context,omitempty"`
	Fingerprint    string                  `json:"fingerprint"`
	Analysis       analysis.AnalysisResult `json:"analysis"`
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
	// Gate is what the safety gate decides for this failure under the
	// config given (--config, else the defaults) for --repo (or the run's
	// repository). In mode shadow (the default) it is what ccm would do.
	Gate ReportGate `json:"gate"`
}

// ReportGate is the safety gate's decision in the report: decision auto,
// approval or none; every reason; the repository's mode.
type ReportGate struct {
	Decision string   `json:"decision"`
	Reasons  []string `json:"reasons"`
	Mode     string   `json:"mode"`
}

func analyze(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	var f analyzeFlags
	fs := flag.NewFlagSet("analyze", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(fs.Output(), analyzeHelp); fs.PrintDefaults() }
	fs.BoolVar(&f.json, "json", false, "print one JSON object (a stable contract) instead of text")
	fs.BoolVar(&f.rulesOnly, "rules-only", false, "use the offline rule-based analyzer even when a model is configured")
	fs.StringVar(&f.repo, "repo", "", "OWNER/NAME the log comes from (context for the analysis)")
	fs.StringVar(&f.configPath, "config", "", "YAML config file (or CCM_CONFIG): LLM budget, timeouts, log bounds, and the mode and thresholds the gate decision uses")
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
	opt := service.ExplainOptions{Env: env, Config: cfg, Logger: logger, RulesOnly: f.rulesOnly}
	var ex service.Explained
	switch {
	case f.run != "" && len(positional) > 0:
		return usageErr("analyze: give either --run URL or a FILE, not both")
	case f.run != "":
		ref, err := github.ParseRunURL(f.run)
		if err != nil {
			return usageErr("analyze --run: %v", err)
		}
		if err := ref.CheckServer(env.GitHubAPIURL); err != nil {
			return usageErr("analyze --run: %v", err)
		}
		if ex, err = service.ExplainRun(ctx, ref, opt); err != nil {
			return withExitCode(fmt.Errorf("analyze --run: %w", err))
		}
	case len(positional) == 1:
		logExcerpt, err := excerpt.ReadLogFile(positional[0], stdin, tasks.LogOptions(cfg))
		var ie *excerpt.InputError
		if errors.As(err, &ie) {
			return usageErr("analyze: %v", err)
		}
		if err != nil {
			return fmt.Errorf("analyze: %w", err)
		}
		if ex, err = service.ExplainLog(ctx, logExcerpt, f.repo, opt); err != nil {
			return withExitCode(fmt.Errorf("analyze: %w", err))
		}
	default:
		return usageErr("analyze: want one FILE (or - for stdin) or --run URL")
	}
	rep := newReport(ex, cfg)
	if f.json {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		// Log lines hold "<", ">" and "&" (Gradle's "> Task", shell
		// redirections): print them as they are, for grep and people.
		enc.SetEscapeHTML(false)
		return enc.Encode(rep)
	}
	printReport(stdout, rep)
	return nil
}

// newReport is the printed contract of one explained failure, with the
// gate's decision under cfg for the record's repository.
func newReport(ex service.Explained, cfg *config.Config) Report {
	rec, out := ex.Record, ex.Outcome
	rep := Report{
		FailureReason: rec.FailureReason, FailureContext: rec.FailureContext, Fingerprint: rec.Fingerprint, FailingStep: ex.Request.FailingStep,
		FailureID: rec.ID, RunURL: rec.RunURL, LogUnavailable: rec.LogUnavailable,
		Analysis: out.Analysis, FallbackReason: out.FallbackReason,
	}
	if out.Analysis.NoFailureFound() {
		// The excerpt's reason is then only the log's last line; the
		// contract must not present it as why the job failed.
		rep.FailureReason, rep.FailureContext = "", nil
	}
	if out.Analysis.Source == analysis.SourceLLM {
		rep.RiskFloor, rep.FloorRaised = out.RiskFloor, out.FloorRaised
	}
	// The same facts the ccm:gate task gathers, less the two only Redis
	// knows: no threshold set from Slack is read (the file's applies) and
	// no incident is open. What the record lacks (a log file has no
	// trigger, no changed files) is read the cautious way, as in the gate.
	d := policy.Decide(tasks.GateInput(rec, out.Analysis, out.Rules, cfg.For(rec.Repo), nil, false))
	rep.Gate = ReportGate{Decision: d.Kind.String(), Reasons: d.Reasons, Mode: string(d.Mode)}
	return rep
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
