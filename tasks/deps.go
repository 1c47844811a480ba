package tasks

import (
	"context"
	"io"
	"log/slog"
	"time"

	"github.com/hibiken/asynq"

	"github.com/ccm-ci/ccm/config"
	"github.com/ccm-ci/ccm/integrations/github"
	"github.com/ccm-ci/ccm/integrations/llm"
	"github.com/ccm-ci/ccm/metrics"
	"github.com/ccm-ci/ccm/state"
	"github.com/ccm-ci/ccm/triage"
)

// GitHub is what the pipeline reads from GitHub.
type GitHub interface {
	ListFailedRuns(ctx context.Context, repo string, since time.Time) ([]github.Run, error)
	ListRerunRuns(ctx context.Context, repo string, since time.Time) ([]github.Run, error)
	GetRun(ctx context.Context, repo string, runID int64, attempt int) (github.Run, error)
	ListJobs(ctx context.Context, repo string, runID int64, attempt int) ([]github.Job, error)
	JobLog(ctx context.Context, repo string, jobID int64, fn func(io.Reader) error) error
	CommitFiles(ctx context.Context, repo, sha string) ([]string, error)
}

var _ GitHub = (*github.Client)(nil)

// Store is what the pipeline keeps in Redis.
type Store interface {
	CreateFailure(ctx context.Context, rec state.FailureRecord, ev state.AuditEntry) (bool, error)
	GetFailure(ctx context.Context, id string) (state.FailureRecord, error)
	IsProcessed(ctx context.Context, id string) (bool, error)
	SaveAnalysis(ctx context.Context, id string, a triage.AnalysisResult, ev state.AuditEntry) error
	Cursor(ctx context.Context, repo string) (time.Time, error)
	SetCursor(ctx context.Context, repo string, t time.Time) error
	CachedAnalysis(ctx context.Context, fingerprint string) (triage.AnalysisResult, bool, error)
	CacheAnalysis(ctx context.Context, fingerprint string, a triage.AnalysisResult, ttl time.Duration) error
	Audit(ctx context.Context, e state.AuditEntry) (string, error)
	RecordMetrics(ctx context.Context, m state.MetricsRecord) error
	ApplyRetention(ctx context.Context, cutoff time.Time) (state.RetentionResult, error)
	Lease(ctx context.Context, name string, ttl time.Duration) (func(context.Context) error, bool, error)
	ListFailures(ctx context.Context, q state.FailureQuery) ([]state.FailureRecord, error)
	Count(ctx context.Context, name string, window time.Duration) (int64, error)
}

var _ Store = (*state.Store)(nil)

// Enqueuer puts tasks on the queue (asynq.Client satisfies it).
type Enqueuer interface {
	EnqueueContext(ctx context.Context, task *asynq.Task, opts ...asynq.Option) (*asynq.TaskInfo, error)
}

// Analyzer explains a failure; it never fails (rules take over).
type Analyzer interface {
	Analyze(ctx context.Context, req llm.Request) llm.Outcome
}

// Deps is everything the handlers share. Config is a function so a hot
// reload is seen by the next task without restarting the workers.
type Deps struct {
	GitHub GitHub
	Store  Store
	Queue  Enqueuer
	// Inspector lets the poll re-enqueue work whose task asynq archived;
	// nil disables that repair.
	Inspector Inspector
	Analyzer  Analyzer
	Config    func() *config.Config
	Metrics   *metrics.Metrics
	// Slack sends the notifications (ccm:notify); nil when Slack is off.
	// SlackURL is the workspace's address (auth.test), for permalinks.
	Slack    Slack
	SlackURL string
	// SlackPostSpacing is the least time between two posts to one channel
	// (Slack allows about one a second); 0 spaces nothing.
	SlackPostSpacing time.Duration
	Logger           *slog.Logger
	Now              func() time.Time
}

func (d *Deps) now() time.Time {
	if d.Now != nil {
		return d.Now().UTC()
	}
	return time.Now().UTC()
}

func (d *Deps) log() *slog.Logger {
	if d.Logger != nil {
		return d.Logger
	}
	return slog.Default()
}
