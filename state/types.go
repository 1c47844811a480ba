package state

import (
	"errors"
	"time"

	"github.com/ccm-ci/ccm/analysis"
)

// Status is where a failure is in its life. It only moves forward.
type Status string

// The statuses in the order a failure goes through them.
const (
	StatusDetected         Status = "detected"
	StatusAnalyzed         Status = "analyzed"
	StatusAwaitingApproval Status = "awaiting_approval"
	StatusApproved         Status = "approved"
	StatusRejected         Status = "rejected"
	StatusExpired          Status = "expired"
	StatusRemediating      Status = "remediating"
	StatusRemediated       Status = "remediated"
	StatusFailed           Status = "failed"
)

// Sentinel errors callers check with errors.Is.
var (
	ErrNotFound = errors.New("not found")
	// ErrConflict means a compare-and-set lost: the record was not in the
	// status the caller expected (someone else moved it first).
	ErrConflict = errors.New("state conflict")
)

// FailedJob is one job of a run that did not succeed.
type FailedJob struct {
	ID          int64    `json:"id"`
	Name        string   `json:"name"`
	URL         string   `json:"url,omitempty"`
	Conclusion  string   `json:"conclusion"`
	FailedSteps []string `json:"failed_steps,omitempty"`
	RunnerName  string   `json:"runner_name,omitempty"`
	// StartedAt and CompletedAt are GitHub's job timings: what a re-run of
	// the job costs in runner minutes (shown on approval requests).
	StartedAt   time.Time `json:"started_at,omitzero"`
	CompletedAt time.Time `json:"completed_at,omitzero"`
}

// FailureRecord is one failed workflow run attempt, identified by
// "owner/repo#run_id.attempt".
type FailureRecord struct {
	ID         string      `json:"id"`
	Repo       string      `json:"repo"`
	RunID      int64       `json:"run_id"`
	RunAttempt int         `json:"run_attempt"`
	RunURL     string      `json:"run_url"`
	Workflow   string      `json:"workflow"`
	Event      string      `json:"event,omitempty"`
	Branch     string      `json:"branch"`
	CommitSHA  string      `json:"commit_sha"`
	Actor      string      `json:"actor"`
	FromFork   bool        `json:"from_fork,omitempty"`
	FailedJobs []FailedJob `json:"failed_jobs"`
	// ChangedFiles are the paths the change behind the run touched (at
	// most 300): a pull request's files, a push's comparison with the
	// workflow's previous run on the branch, or the head commit's.
	ChangedFiles []string `json:"changed_files,omitempty"`
	// ChangedFilesUnavailable: GitHub could not say all that changed (no
	// answer, a capped list, only the head commit's, or an empty list), so
	// ChangedFiles are at most a part and the gate assumes application
	// code.
	ChangedFilesUnavailable bool `json:"changed_files_unavailable,omitempty"`
	// ChangedFilesSource says where ChangedFiles came from: pull_request,
	// compare, commit, or earlier_attempt (lent by the record of an
	// earlier attempt of the same commit).
	ChangedFilesSource string `json:"changed_files_source,omitempty"`
	FailureReason      string `json:"failure_reason"`
	// FailureContext is up to 3 redacted lines a person needs with the
	// reason: the values an assertion compared, the conflicting peer, the
	// failing test.
	FailureContext []string `json:"failure_context,omitempty"`
	// LogExcerpt is already redacted: the failing step's section and the
	// last lines of each failed job's log, capped in size.
	LogExcerpt     string                   `json:"log_excerpt"`
	LogUnavailable bool                     `json:"log_unavailable,omitempty"`
	Fingerprint    string                   `json:"fingerprint"`
	Status         Status                   `json:"status"`
	Analysis       *analysis.AnalysisResult `json:"analysis,omitempty"`
	RunStartedAt   time.Time                `json:"run_started_at,omitzero"`
	RunUpdatedAt   time.Time                `json:"run_updated_at,omitzero"`
	DetectedAt     time.Time                `json:"detected_at"`
	UpdatedAt      time.Time                `json:"updated_at"`
	// SuspiciousLog is the first line of the redacted excerpt addressed to
	// an AI model (suspicious.Line), set at ingest; "" when none. The
	// gate never acts alone on such a failure.
	SuspiciousLog string `json:"suspicious_log,omitempty"`
	// ActorIsBot: GitHub says the run's actor or triggering actor is a Bot
	// (for bots whose login lacks the "[bot]" suffix).
	ActorIsBot bool `json:"actor_is_bot,omitempty"`
	// Gate is the safety gate's last decision on this failure; nil until
	// the ccm:gate task has run.
	Gate *GateDecision `json:"gate,omitempty"`
	// Shadow: the gate decided in shadow mode, so Gate is what ccm would
	// have done and nothing was or will be done.
	Shadow bool `json:"shadow,omitempty"`
	// ShadowOutcome is what became of a shadow decision, once ccm found
	// out (ccm:shadow-check); nil until then and for other decisions.
	ShadowOutcome *ShadowOutcome `json:"shadow_outcome,omitempty"`
	// Remediation is what ccm:remediate did and what ccm:verify follows;
	// nil until remediation started.
	Remediation *Remediation `json:"remediation,omitempty"`
	// RetryOf is the ID of the failure whose remediation re-ran this run
	// (this attempt is that re-run, and it failed too); "" otherwise.
	RetryOf string `json:"retry_of,omitempty"`
}

// Remediation is the work done on a failure, kept on the record so a task
// retried after a crash knows what was already done and never does it
// twice.
type Remediation struct {
	// Steps are the actions in the order they run. A step is marked
	// started before its write is sent, so a retry that finds a started
	// step knows the write may have been made and checks GitHub first.
	Steps []RemediationStep `json:"steps"`
	// Actions are what the steps run: the request's actions when a person
	// approved (what they saw and said yes to, even if the gate has since
	// decided otherwise), else the gate's. Steps[i] runs Actions[i].
	Actions []analysis.Action `json:"actions,omitempty"`
	// StartedAt is when remediation began (the record moved to
	// remediating); ActedAt when every step had succeeded.
	StartedAt time.Time `json:"started_at"`
	ActedAt   time.Time `json:"acted_at,omitzero"`
	// VerifyAttempt is the run attempt a re-run created, which ccm:verify
	// follows; 0 when no action created one.
	VerifyAttempt int `json:"verify_attempt,omitempty"`
	// VerifyDeadline is ActedAt + verify_timeout.
	VerifyDeadline time.Time `json:"verify_deadline,omitzero"`
	// Outcome is success or failure once it ended; Reason says why it
	// failed or stopped.
	Outcome string `json:"outcome,omitempty"`
	Reason  string `json:"reason,omitempty"`
}

// RemediationStep is one typed action and what GitHub returned for it.
type RemediationStep struct {
	Action string `json:"action"`
	// State is started, done, failed or rolled_back.
	State  string         `json:"state"`
	Result map[string]any `json:"result,omitempty"`
	Error  string         `json:"error,omitempty"`
}

// GateDecision is the safety gate's decision as the record keeps it
// (policy.Decision in plain words, so state does not depend on policy).
type GateDecision struct {
	// Decision is auto, approval or none.
	Decision string `json:"decision"`
	// Reasons say why, in words a person understands.
	Reasons []string `json:"reasons"`
	// Failed names the checks that did not hold (policy.Check values).
	Failed []string `json:"failed,omitempty"`
	// Mode is the repository's mode when it decided: shadow, approve, auto.
	Mode string `json:"mode"`
	// Threshold is the risk threshold in force and ThresholdSource where it
	// came from (repository, slack, global).
	Threshold       int    `json:"threshold"`
	ThresholdSource string `json:"threshold_source,omitempty"`
	// EffectiveRisk is the risk compared with Threshold: the analysis's,
	// raised to the rules' floor.
	EffectiveRisk int `json:"effective_risk"`
	// Actions are what it would do (auto) or asks a person to approve.
	Actions   []analysis.Action `json:"actions,omitempty"`
	DecidedAt time.Time         `json:"decided_at"`
}

// Audit action types. The audit stream is a public contract.
const (
	ActionDetection   = "detection"
	ActionAnalysis    = "analysis"
	ActionValidation  = "validation"
	ActionApproval    = "approval"
	ActionRemediation = "remediation"
	ActionConfig      = "config"
	ActionError       = "error"
	ActionAlert       = "alert"
	ActionRetention   = "retention"
	// ActionRecovery is ccm repairing its own pipeline: a task asynq had
	// archived, enqueued again.
	ActionRecovery = "recovery"
)

// ActionTypes lists the audit action types in use.
var ActionTypes = []string{
	ActionDetection, ActionAnalysis, ActionValidation, ActionApproval, ActionRemediation,
	ActionConfig, ActionError, ActionAlert, ActionRetention, ActionRecovery,
}

// Audit outcomes.
const (
	OutcomeSuccess = "success"
	OutcomeFailure = "failure"
	OutcomePending = "pending"
)

// AuditEntry is one entry of the audit stream (ccm:audit). Its field names
// in Redis are a documented contract: action_type, actor, failure_id, repo,
// outcome, details (JSON), error, plus ts, request_id and category.
type AuditEntry struct {
	ID         string         `json:"id,omitempty"` // the stream entry ID, set by the store
	Timestamp  time.Time      `json:"timestamp"`
	Actor      string         `json:"actor"`
	ActionType string         `json:"action_type"`
	FailureID  string         `json:"failure_id,omitempty"`
	RequestID  string         `json:"request_id,omitempty"`
	Repo       string         `json:"repo,omitempty"`
	Category   string         `json:"category,omitempty"`
	Details    map[string]any `json:"details,omitempty"`
	Outcome    string         `json:"outcome"`
	Error      string         `json:"error,omitempty"`
}

// AuditQuery filters the audit stream; zero fields match everything and
// all set fields must match.
type AuditQuery struct {
	Since, Until time.Time
	Repo         string
	Category     string // the failure type
	ActionType   string
	FailureID    string
	Limit        int // 0 means a default cap
}

// MetricsRecord holds one failure's timings and outcome.
type MetricsRecord struct {
	FailureID            string    `json:"failure_id"`
	Repo                 string    `json:"repo"`
	Category             string    `json:"category,omitempty"`
	RiskScore            *int      `json:"risk_score,omitempty"`
	DetectionLatencyMS   int64     `json:"detection_latency_ms,omitempty"`
	AnalysisLatencyMS    int64     `json:"analysis_latency_ms,omitempty"`
	RemediationLatencyMS int64     `json:"remediation_latency_ms,omitempty"`
	TotalLatencyMS       int64     `json:"total_latency_ms,omitempty"`
	RemediationSuccess   *bool     `json:"remediation_success,omitempty"`
	PromptTokens         int       `json:"prompt_tokens,omitempty"`
	CompletionTokens     int       `json:"completion_tokens,omitempty"`
	RecordedAt           time.Time `json:"recorded_at"`
}
