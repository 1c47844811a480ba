package tasks

import (
	"context"
	"io"
	"log/slog"
	"time"

	"github.com/hibiken/asynq"

	"github.com/ccm-ci/ccm/analysis"
	"github.com/ccm-ci/ccm/config"
	"github.com/ccm-ci/ccm/integrations/github"
	"github.com/ccm-ci/ccm/integrations/llm"
	"github.com/ccm-ci/ccm/metrics"
	"github.com/ccm-ci/ccm/state"
)

// GitHub is what the pipeline reads from GitHub and what remediation
// writes. It is the whole of what every handler uses, so a client that
// lacks a method is a compile error here, not a task failing at run time.
type GitHub interface {
	ListFailedRuns(ctx context.Context, repo string, since time.Time) ([]github.Run, error)
	ListRerunRuns(ctx context.Context, repo string, since time.Time) ([]github.Run, error)
	GetRun(ctx context.Context, repo string, runID int64, attempt int) (github.Run, error)
	ListJobs(ctx context.Context, repo string, runID int64, attempt int) ([]github.Job, error)
	JobLog(ctx context.Context, repo string, jobID int64, fn func(io.Reader) error) error
	// ChangedFiles says what the change behind a run touched.
	ChangedFiles(ctx context.Context, repo string, run github.Run, hint github.ChangeHint) (github.Changes, error)

	// What ccm:remediate and ccm:verify write and re-read. Login is the
	// token's user, which GitHub names as the trigger of ccm's re-runs.
	Login(ctx context.Context) (string, error)
	RunState(ctx context.Context, repo string, runID int64) (github.RunState, error)
	RerunFailedJobs(ctx context.Context, repo string, runID int64) (github.RerunResult, error)
	RerunWorkflow(ctx context.Context, repo string, runID int64) (github.RerunResult, error)
	CancelRun(ctx context.Context, repo string, runID int64) error
	ListCaches(ctx context.Context, repo, ref string) ([]github.ActionsCache, error)
	DeleteCache(ctx context.Context, repo, key, ref string) error
	OpenFixPR(ctx context.Context, repo string, fix github.FixPR) (github.PullRequest, error)
	ClosePR(ctx context.Context, repo string, number int) error
	// DeleteFixBranch deletes a failure's fix branch only when its head is
	// ccm's fix commit for the failure on its base: a rollback never
	// deletes a branch by its name alone.
	DeleteFixBranch(ctx context.Context, repo, failureID, baseSHA string) error

	// What ccm:shadow-check reads: the runs of the failure's workflow on
	// its branch, and what changed between two commits.
	ListBranchRuns(ctx context.Context, repo string, workflowID int64, branch string, since time.Time) ([]github.Run, error)
	CompareFiles(ctx context.Context, repo, base, head string) ([]string, error)
}

var _ GitHub = (*github.Client)(nil)

// Store is what the pipeline keeps in Redis: every handler's needs, the
// gate's, the incident guard's and remediation's included.
type Store interface {
	CreateFailure(ctx context.Context, rec state.FailureRecord, ev state.AuditEntry) (bool, error)
	GetFailure(ctx context.Context, id string) (state.FailureRecord, error)
	IsProcessed(ctx context.Context, id string) (bool, error)
	SaveAnalysis(ctx context.Context, id string, a analysis.AnalysisResult, ev state.AuditEntry) error
	Cursor(ctx context.Context, repo string) (time.Time, error)
	SetCursor(ctx context.Context, repo string, t time.Time) error
	CachedAnalysis(ctx context.Context, fingerprint string) (analysis.AnalysisResult, bool, error)
	CacheAnalysis(ctx context.Context, fingerprint string, a analysis.AnalysisResult, ttl time.Duration) error
	// History is the fingerprint's failures and passing re-runs in the
	// repository this week: evidence the analysis adds to the log's.
	History(ctx context.Context, repo, fingerprint string, now time.Time) (state.FingerprintHistory, error)
	Audit(ctx context.Context, e state.AuditEntry) (string, error)
	RecordMetrics(ctx context.Context, m state.MetricsRecord) error
	ApplyRetention(ctx context.Context, cutoff time.Time) (state.RetentionResult, error)
	Lease(ctx context.Context, name string, ttl time.Duration) (func(context.Context) error, bool, error)
	// HoldLease is a lease renewed while its holder works (state.Hold).
	HoldLease(ctx context.Context, name string, ttl time.Duration) (*state.Hold, time.Duration, error)
	ListFailures(ctx context.Context, q state.FailureQuery) ([]state.FailureRecord, error)
	Count(ctx context.Context, name string, window time.Duration) (int64, error)
	// The run index and the comparison cache, which spare the ingest
	// GitHub calls (state/runindex.go).
	NoteRuns(ctx context.Context, repo string, runs []state.RunRef, fromWebhook bool) error
	PreviousRun(ctx context.Context, repo string, run state.RunRef) (string, bool, error)
	github.CompareCache

	// The gate, the expiry and the re-evaluation: decisions, settings
	// and approval requests.
	Setting(ctx context.Context, key string) (string, bool, error)
	SetSetting(ctx context.Context, key, value string, ev state.AuditEntry) error
	SaveGate(ctx context.Context, id string, at state.Status, g state.GateDecision, ev state.AuditEntry,
		skip func(state.FailureRecord) bool) (bool, error)
	RequestApproval(ctx context.Context, req state.Approval, ev state.AuditEntry) (state.Approval, bool, error)
	DecideApproval(ctx context.Context, id string, decision state.ApprovalStatus, actor, reason string,
		ev state.AuditEntry) (state.Approval, error)
	GetApproval(ctx context.Context, id string) (state.Approval, error)
	ApprovalForFailure(ctx context.Context, failureID string) (state.Approval, error)
	PendingApprovals(ctx context.Context) ([]state.Approval, error)
	// RecordShadowOutcome writes a shadow decision's outcome with the
	// repository's tally (ccm:shadow-check).
	RecordShadowOutcome(ctx context.Context, id string, o state.ShadowOutcome, ev state.AuditEntry) (bool, error)
	DueApprovals(ctx context.Context, now time.Time) ([]state.Approval, error)

	// The incident guard.
	NoteOccurrence(ctx context.Context, fingerprint, failureID, repo string, at time.Time,
		th state.IncidentThresholds) (state.Incident, bool, error)
	PauseIfOpen(ctx context.Context, fingerprint, failureID string) (bool, error)
	PausedFailures(ctx context.Context, fingerprint string) ([]string, error)
	CloseIncident(ctx context.Context, fingerprint, reason string, ev state.AuditEntry) (state.Incident, bool, error)
	QuietIncidents(ctx context.Context, before time.Time) ([]string, error)
	OpenIncidents(ctx context.Context) ([]string, error)
	IncidentOpen(ctx context.Context, fingerprint string) (bool, error)
	PendingRegates(ctx context.Context) ([]state.Regate, error)
	RegateQueued(ctx context.Context, r state.Regate) error

	// Remediation: the compare-and-set that moves a record and audits it
	// in one step.
	Transition(ctx context.Context, id string, from, to state.Status, ev state.AuditEntry, mutate func(*state.FailureRecord)) error
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
