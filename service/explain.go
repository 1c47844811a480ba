package service

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/ccm-ci/ccm/config"
	"github.com/ccm-ci/ccm/excerpt"
	"github.com/ccm-ci/ccm/integrations/github"
	"github.com/ccm-ci/ccm/integrations/llm"
	"github.com/ccm-ci/ccm/state"
	"github.com/ccm-ci/ccm/tasks"
)

// ExplainOptions configure one analysis outside the pipeline (`ccm
// analyze`): no Redis, no queue, but the same analyzer choice, the same
// record building and the same request as the service.
type ExplainOptions struct {
	Env       config.Env
	Config    *config.Config
	Logger    *slog.Logger
	RulesOnly bool
}

// Explained is one failure explained outside the pipeline.
type Explained struct {
	// Record is what the pipeline would record: complete for a run, the
	// log-derived fields for a file.
	Record  state.FailureRecord
	Request llm.Request
	Outcome llm.Outcome
	// Analyzer is which analyzer was configured, and why.
	Analyzer AnalyzerChoice
}

// ExplainLog analyses one excerpted log; repo ("" if unknown) is context
// for the analysis.
func ExplainLog(ctx context.Context, ex excerpt.Excerpt, repo string, opt ExplainOptions) (Explained, error) {
	return explain(ctx, tasks.LogRecord(repo, ex), opt)
}

// ExplainRun reads a run's failed jobs from GitHub as the ingest task does
// and analyses them. Without an attempt in ref, the latest attempt that
// failed is explained: a run re-run until it passed is still worth
// explaining, and its passing attempt has nothing to explain.
func ExplainRun(ctx context.Context, ref github.RunRef, opt ExplainOptions) (Explained, error) {
	if opt.Env.GitHubToken == "" {
		return Explained{}, &SetupError{Err: errors.New("GITHUB_TOKEN is not set")}
	}
	logger := opt.logger()
	cfg := opt.Config
	gh, err := newGitHub(opt.Env, cfg, logger, nil)
	if err != nil {
		return Explained{}, err
	}
	run, err := latestFailedAttempt(ctx, gh, ref)
	if err != nil {
		return Explained{}, err
	}
	jobs, err := gh.ListJobs(ctx, ref.Repo, ref.RunID, max(run.Attempt, 1))
	if err != nil {
		return Explained{}, err
	}
	rec, logErr := tasks.ReadFailure(ctx, gh, run, jobs, tasks.FailureInput{
		Repo: ref.Repo, Now: time.Now().UTC(), Options: tasks.LogOptions(cfg), Logger: logger,
		MaxDownloadBytes: int64(cfg.Log.MaxDownloadBytes),
	})
	if logErr != nil {
		logger.Warn("logs unavailable", "failure_id", rec.ID, "err", logErr)
	}
	return explain(ctx, rec, opt)
}

// explain asks the analyzer about rec with the pipeline's own request.
func explain(ctx context.Context, rec state.FailureRecord, opt ExplainOptions) (Explained, error) {
	// One run has nothing to protect with a circuit breaker.
	analyzer, choice, err := NewAnalyzer(opt.Env, opt.Config, AnalyzerOptions{RulesOnly: opt.RulesOnly, Logger: opt.logger()})
	if err != nil {
		return Explained{}, err
	}
	opt.logger().Info("analysis: " + choice.String())
	req := tasks.RequestFor(rec)
	out := analyzer.Analyze(ctx, req)
	if opt.RulesOnly {
		out.FallbackReason = "--rules-only"
	}
	return Explained{Record: rec, Request: req, Outcome: out, Analyzer: choice}, nil
}

func (o ExplainOptions) logger() *slog.Logger {
	if o.Logger != nil {
		return o.Logger
	}
	return slog.New(slog.DiscardHandler)
}

func latestFailedAttempt(ctx context.Context, gh *github.Client, ref github.RunRef) (github.Run, error) {
	run, err := gh.GetRun(ctx, ref.Repo, ref.RunID, ref.Attempt)
	if err != nil {
		return github.Run{}, runNotFound(ctx, gh, ref, err)
	}
	for a := run.Attempt - 1; ref.Attempt == 0 && !run.Failed() && a >= 1; a-- {
		if run, err = gh.GetRun(ctx, ref.Repo, ref.RunID, a); err != nil {
			return github.Run{}, err
		}
	}
	if !run.Failed() {
		return github.Run{}, fmt.Errorf("run %d attempt %d did not fail (status %s, conclusion %s): nothing to explain",
			ref.RunID, run.Attempt, run.Status, run.Conclusion)
	}
	return run, nil
}

// runNotFound rewrites GitHub's 404 for a run. GitHub answers 404 alike
// for a missing repository, one the token cannot see, a missing run and a
// missing attempt, and the generic message blames the repository; when
// the repository is visible, the run or the attempt is what is wrong.
func runNotFound(ctx context.Context, gh *github.Client, ref github.RunRef, err error) error {
	if !errors.Is(err, github.ErrNotFound) {
		return err
	}
	if ref.Attempt > 0 {
		if latest, lerr := gh.GetRun(ctx, ref.Repo, ref.RunID, 0); lerr == nil {
			return &notFoundError{err: err, msg: fmt.Sprintf("run %d of %s has no attempt %d (its latest is attempt %d): check the attempt in the URL",
				ref.RunID, ref.Repo, ref.Attempt, latest.Attempt)}
		}
	}
	visible, verr := gh.RepoVisible(ctx, ref.Repo)
	if verr != nil || !visible {
		return err // the repository is the problem, or it cannot be told
	}
	return &notFoundError{err: err, msg: fmt.Sprintf("run %d not found in %s (the repository exists): check the run ID in the URL",
		ref.RunID, ref.Repo)}
}

// notFoundError replaces GitHub's 404 message, which names the wrong
// culprit, while errors.Is(err, github.ErrNotFound) still holds.
type notFoundError struct {
	msg string
	err error
}

func (e *notFoundError) Error() string { return e.msg }
func (e *notFoundError) Unwrap() error { return e.err }
