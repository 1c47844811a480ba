package tasks

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/hibiken/asynq"

	"github.com/ccm-ci/ccm/config"
	"github.com/ccm-ci/ccm/excerpt"
	"github.com/ccm-ci/ccm/integrations/github"
	"github.com/ccm-ci/ccm/redact"
	"github.com/ccm-ci/ccm/rules"
	"github.com/ccm-ci/ccm/state"
	"github.com/ccm-ci/ccm/suspicious"
)

const (
	// maxLogJobs bounds the logs downloaded per run: a matrix of 40 failed
	// jobs usually fails for one reason, and the first few show it.
	maxLogJobs = 5
	// maxExcerptBytes caps the stored excerpt of all jobs together.
	maxExcerptBytes = 64 << 10
	// jobLogTimeout bounds one job's log download, retries included, so a
	// download that stalls cannot eat the whole task.
	jobLogTimeout = 90 * time.Second
	// ingestReserve is the part of the task's deadline kept for recording
	// the failure once the downloads have given up.
	ingestReserve = 30 * time.Second
	// changedFilesTimeout bounds the changed-files lookup (up to three
	// calls), retries included.
	changedFilesTimeout = 30 * time.Second
)

// failed reports a job, step or run conclusion ccm treats as a failure.
func failed(conclusion string) bool { return slices.Contains(github.FailedConclusions, conclusion) }

// HandleIngest records one failed run attempt exactly once: run, jobs, the
// failed jobs' logs (streamed, excerpted, redacted), fingerprint, the
// detection audit event, then enqueues its analysis.
func (h *Handlers) HandleIngest(ctx context.Context, t *asynq.Task) error {
	var p IngestPayload
	if err := decode(t, &p); err != nil {
		return err
	}
	p.Attempt = max(p.Attempt, 1)
	id := FailureID(p.Repo, p.RunID, p.Attempt)
	log := h.d.log().With("failure_id", id, "repo", p.Repo, "run_id", p.RunID, "task_type", TypeIngest)

	// A duplicate costs one Redis read and no GitHub call.
	done, err := h.d.Store.IsProcessed(ctx, id)
	if err != nil {
		return fmt.Errorf("ingest %s: %w", id, err)
	}
	if done {
		log.Debug("already recorded")
		if err := h.noteRecorded(ctx, id); err != nil {
			return err
		}
		return h.ensureAnalysis(ctx, id)
	}

	run, err := h.ingestRun(ctx, p)
	if err != nil {
		return h.githubError(ctx, id, p.Repo, "get run", err)
	}
	if !failed(run.Conclusion) {
		log.Info("run did not fail; nothing to record", "conclusion", run.Conclusion, "status", run.Status)
		return nil
	}
	jobs, err := h.d.GitHub.ListJobs(ctx, p.Repo, p.RunID, p.Attempt)
	if err != nil {
		return h.githubError(ctx, id, p.Repo, "list jobs", err)
	}
	cfg := h.d.Config()
	readCtx := ctx
	if dl, ok := ctx.Deadline(); ok {
		var cancel context.CancelFunc
		readCtx, cancel = context.WithDeadline(ctx, dl.Add(-ingestReserve))
		defer cancel()
	}
	earlier, err := h.earlierAttempts(ctx, p.Repo, p.RunID, p.Attempt)
	if err != nil {
		return fmt.Errorf("ingest %s: %w", id, err)
	}
	rec, logErr := ReadFailure(readCtx, h.d.GitHub, run, jobs, FailureInput{
		Repo: p.Repo, Now: h.d.now(), Options: LogOptions(cfg), Logger: log,
		MaxDownloadBytes: int64(cfg.Log.MaxDownloadBytes), Earlier: earlier,
		Change: h.changeHint(ctx, p.Repo, run, log),
	})
	rec.RetryOf = retryOf(earlier, p.Attempt)
	if logErr != nil {
		if !lastAttempt(ctx) {
			return fmt.Errorf("ingest %s: logs: %w", id, logErr)
		}
		log.Warn("logs unavailable after retries; recording without them", "err", logErr)
		if h.d.Metrics != nil {
			h.d.Metrics.LogsUnavailable.Inc()
		}
	}

	ev := state.AuditEntry{
		Timestamp: rec.DetectedAt, Actor: "ccm", ActionType: state.ActionDetection, FailureID: id,
		Repo: p.Repo, Outcome: state.OutcomeSuccess,
		Details: map[string]any{
			"run_url": rec.RunURL, "workflow": rec.Workflow, "branch": rec.Branch,
			"commit_sha": rec.CommitSHA, "reason": rec.FailureReason, "fingerprint": rec.Fingerprint,
			"failed_jobs": len(rec.FailedJobs), "source": p.Source, "log_unavailable": rec.LogUnavailable,
			"changed_files": len(rec.ChangedFiles), "changed_files_source": rec.ChangedFilesSource,
			"changed_files_unavailable": rec.ChangedFilesUnavailable,
		},
	}
	if rec.RetryOf != "" {
		ev.Details["retry_of"] = rec.RetryOf
	}
	if rec.SuspiciousLog != "" {
		ev.Details["suspicious_log"] = rec.SuspiciousLog
		log.Warn("log holds text addressed to an AI model; ccm will not act on it unattended", "suspicious_log", rec.SuspiciousLog)
	}
	created, err := h.d.Store.CreateFailure(ctx, rec, ev)
	if err != nil {
		return fmt.Errorf("ingest %s: %w", id, err)
	}
	if !created {
		log.Debug("recorded concurrently by another worker")
		return h.ensureAnalysis(ctx, id)
	}
	h.recordDetection(ctx, rec, run)
	log.Info("failure recorded", "reason", rec.FailureReason, "fingerprint", rec.Fingerprint, "source", p.Source)
	if err := h.noteIncident(ctx, rec); err != nil {
		return err // the retry finds the record and notes it (noteRecorded)
	}
	return h.enqueueAnalyze(ctx, id)
}

// ingestRun is the run attempt to record: the one the payload carries
// when it is that completed attempt (no API call), else GitHub's.
func (h *Handlers) ingestRun(ctx context.Context, p IngestPayload) (github.Run, error) {
	if r := p.Run; r != nil && r.ID == p.RunID && max(r.Attempt, 1) == p.Attempt && r.Status == "completed" {
		return *r, nil
	}
	return h.d.GitHub.GetRun(ctx, p.Repo, p.RunID, p.Attempt)
}

// LogOptions are the excerpt bounds from the config's log section.
func LogOptions(cfg *config.Config) excerpt.Options {
	return excerpt.Options{TailLines: cfg.Log.TailLines, MaxSectionBytes: cfg.Log.MaxSectionBytes}
}

func newRecord(id, repo string, run github.Run, now time.Time) state.FailureRecord {
	return state.FailureRecord{
		ID: id, Repo: repo, RunID: run.ID, RunAttempt: max(run.Attempt, 1), RunURL: run.HTMLURL,
		Workflow: run.Name, Event: run.Event, Branch: run.HeadBranch, CommitSHA: run.HeadSHA,
		Actor: run.Actor, ActorIsBot: run.ActorIsBot, FromFork: run.FromFork, Status: state.StatusDetected,
		RunStartedAt: run.RunStartedAt.UTC(), RunUpdatedAt: run.UpdatedAt.UTC(),
		DetectedAt: now, UpdatedAt: now,
	}
}

// FailureInput is what ReadFailure needs besides the run and its jobs.
type FailureInput struct {
	Repo    string
	Now     time.Time
	Options excerpt.Options
	// MaxDownloadBytes stops reading a job log after this many bytes
	// (0: no cap); the excerpt then says it was truncated.
	MaxDownloadBytes int64
	// JobLogTimeout bounds each job's log download, retries included
	// (0: jobLogTimeout), so a stalled download cannot eat the task.
	JobLogTimeout time.Duration
	Logger        *slog.Logger
	// Earlier are the records of the run's earlier attempts (newest
	// first); one of the same commit lends its changed files, so a re-run
	// costs no call for them.
	Earlier []state.FailureRecord
	// Change spares the changed-files lookup calls: the previous run's
	// head from ccm's run index, the comparison cache.
	Change github.ChangeHint
}

// ReadFailure builds the record of a failed run: its failed jobs and steps,
// and the reason, redacted excerpt and fingerprint read from the failed
// jobs' logs. logErr is set when no log could be read; the record is still
// complete otherwise, with LogUnavailable set and a reason saying so.
// The ingest task and `ccm analyze --run` share it.
func ReadFailure(ctx context.Context, gh GitHub, run github.Run, jobs []github.Job, in FailureInput) (rec state.FailureRecord, logErr error) {
	id := FailureID(in.Repo, run.ID, max(run.Attempt, 1))
	rec = newRecord(id, in.Repo, run, in.Now)
	// The changed files come first, with their own time limit: the logs
	// may use up the budget, and the safety gate needs the files more.
	fillChanges(ctx, gh, &rec, run, in)
	exs, logErr := excerpts(ctx, gh, &rec, jobs, in)
	rec.LogUnavailable = logErr != nil
	fillReason(&rec, exs, logErr)
	// On the redacted excerpt, the text the analysis and people see: a log
	// addressed to an AI model is flagged once, on the record, so the gate
	// and everyone reading the record see the same line.
	// The reason's context lines are shown in Slack too and may come from
	// outside the excerpt's windows: they are checked with it.
	rec.SuspiciousLog, _ = suspicious.Line(rec.LogExcerpt + "\n" + strings.Join(rec.FailureContext, "\n"))
	return rec, logErr
}

// excerpts fills rec.FailedJobs and returns the excerpt of each failed job
// whose log could be read, in job order. The error is the last download
// failure, when no log at all could be read.
func excerpts(ctx context.Context, gh GitHub, rec *state.FailureRecord, jobs []github.Job, in FailureInput) ([]jobExcerpt, error) {
	var out []jobExcerpt
	var lastErr error
	for _, j := range jobs {
		if !failed(j.Conclusion) {
			continue
		}
		fj := state.FailedJob{ID: j.ID, Name: j.Name, URL: j.HTMLURL, Conclusion: j.Conclusion, RunnerName: j.RunnerName,
			StartedAt: j.StartedAt, CompletedAt: j.CompletedAt}
		for _, s := range j.Steps {
			if failed(s.Conclusion) {
				fj.FailedSteps = append(fj.FailedSteps, s.Name)
			}
		}
		rec.FailedJobs = append(rec.FailedJobs, fj)
		if len(out) >= maxLogJobs {
			continue
		}
		var ex excerpt.Excerpt
		jctx, cancel := context.WithTimeout(ctx, cmp.Or(in.JobLogTimeout, jobLogTimeout))
		err := gh.JobLog(jctx, in.Repo, j.ID, func(r io.Reader) error {
			if in.MaxDownloadBytes > 0 {
				r = io.LimitReader(r, in.MaxDownloadBytes)
			}
			var err error
			ex, err = excerpt.Extract(r, in.Options)
			return err
		})
		cancel()
		if err != nil {
			if in.Logger != nil {
				in.Logger.Warn("job log unavailable", "job", j.Name, "job_id", j.ID, "err", err)
			}
			lastErr = fmt.Errorf("job %d (%s): %w", j.ID, j.Name, err)
			continue
		}
		out = append(out, jobExcerpt{job: fj, ex: ex})
	}
	if len(out) > 0 || len(rec.FailedJobs) == 0 {
		return out, nil
	}
	return out, lastErr
}

type jobExcerpt struct {
	job state.FailedJob
	ex  excerpt.Excerpt
}

// fillReason sets the reason, the excerpt and the fingerprint. The reason
// is the first failed job's; the fingerprint covers the same job so one
// root cause across runs maps to one value.
func fillReason(rec *state.FailureRecord, exs []jobExcerpt, logErr error) {
	var b strings.Builder
	for _, je := range exs {
		if je.ex.FailingStep == "" && len(je.job.FailedSteps) > 0 {
			// A log without step groups (an action's own runner, a
			// truncated log): GitHub's job record still names the step.
			je.ex.FailingStep = je.job.FailedSteps[0]
		}
		if je.ex.FailingStep == excerpt.PostCleanupStep {
			// A post step whose action the log does not tell: the job
			// record names it ("Post Run actions/setup-node@v4").
			je.ex.FailingStep = postStepName(je.job.FailedSteps)
		}
		if rec.FailureReason == "" && je.ex.Reason != "" {
			rec.FailureReason, rec.FailureContext = rules.Reason(je.ex)
			rec.Fingerprint = fingerprint(je.ex)
		}
		if b.Len() < maxExcerptBytes {
			fmt.Fprintf(&b, "=== job: %s ===\n%s\n", je.job.Name, je.ex.Text())
		}
	}
	rec.LogExcerpt = truncate(b.String(), maxExcerptBytes)
	if rec.FailureReason == "" {
		rec.FailureReason = fallbackReason(rec, logErr)
		rec.Fingerprint = excerpt.Fingerprint(rec.FailureReason, nil)
	}
}

func fallbackReason(rec *state.FailureRecord, logErr error) string {
	steps := []string{}
	for _, j := range rec.FailedJobs {
		for _, s := range j.FailedSteps {
			steps = append(steps, j.Name+" / "+s)
		}
	}
	var reason string
	switch {
	case logErr != nil:
		reason = "logs unavailable"
	case len(rec.FailedJobs) == 0:
		reason = "run failed without a failed job (workflow file or startup failure)"
	default:
		reason = "no error line found in the log"
	}
	if len(steps) > 0 {
		reason += "; failed step: " + strings.Join(steps, ", ")
	}
	return redact.Redact(reason)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && cut < len(s) && s[cut]&0xC0 == 0x80 { // don't split a UTF-8 rune
		cut--
	}
	return s[:cut] + "\n[excerpt truncated]"
}

func (h *Handlers) recordDetection(ctx context.Context, rec state.FailureRecord, run github.Run) {
	var latency time.Duration
	if !run.UpdatedAt.IsZero() {
		latency = max(rec.DetectedAt.Sub(run.UpdatedAt), 0)
	}
	if h.d.Metrics != nil {
		h.d.Metrics.FailuresDetected.WithLabelValues(rec.Repo).Inc()
		h.d.Metrics.DetectionLatency.Observe(latency.Seconds())
	}
	m := state.MetricsRecord{FailureID: rec.ID, Repo: rec.Repo, DetectionLatencyMS: latency.Milliseconds(), RecordedAt: rec.DetectedAt}
	if err := h.d.Store.RecordMetrics(ctx, m); err != nil {
		// The record and its audit event are stored; a lost latency sample
		// is not worth failing (and re-running) the ingest for.
		h.d.log().Error("record detection metrics", "failure_id", rec.ID, "repo", rec.Repo, "err", err)
	}
}

// ensureAnalysis re-enqueues the analysis of a failure still at detected:
// if a worker died between recording and enqueueing, the next duplicate
// ingest (a poll catches it) repairs the gap. TaskIDs keep it single.
func (h *Handlers) ensureAnalysis(ctx context.Context, id string) error {
	rec, err := h.d.Store.GetFailure(ctx, id)
	if err != nil {
		return fmt.Errorf("ingest %s: %w", id, err)
	}
	if rec.Status != state.StatusDetected {
		return nil
	}
	return h.enqueueAnalyze(ctx, id)
}

func (h *Handlers) enqueueAnalyze(ctx context.Context, id string) error {
	task, err := NewAnalyzeTask(id)
	if err != nil {
		return err
	}
	if err := h.enqueueOnce(ctx, task, policies[TypeAnalyze].queue, AnalyzeTaskID(id)); err != nil {
		return fmt.Errorf("enqueue analysis %s: %w", id, err)
	}
	return nil
}

// githubError audits the errors retries cannot fix (a run that vanished, a
// revoked token) and lets asynq retry the rest.
func (h *Handlers) githubError(ctx context.Context, id, repo, op string, err error) error {
	if errors.Is(err, github.ErrNotFound) || errors.Is(err, github.ErrUnauthorized) {
		h.d.raise(ctx, &h.throttle, Alert{Severity: SeverityCritical, Repo: repo, FailureID: id,
			Summary: "cannot read failed run from GitHub: " + op, Err: err})
		return alertedError{fmt.Errorf("ingest %s: %s: %w: %w", id, op, err, errFinal)}
	}
	return fmt.Errorf("ingest %s: %s: %w", id, op, err)
}

// lastAttempt is true on the final try asynq will make of this task.
func lastAttempt(ctx context.Context) bool {
	n, ok1 := asynq.GetRetryCount(ctx)
	maxN, ok2 := asynq.GetMaxRetry(ctx)
	return !ok1 || !ok2 || n >= maxN
}
