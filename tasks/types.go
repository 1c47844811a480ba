// Package tasks is ccm's pipeline: the asynq task types, their payloads and
// constructors, and one handler per type. Every handler is idempotent —
// delivery is at-least-once — and reloads the truth from state/ instead of
// trusting its payload beyond the IDs it carries.
package tasks

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/hibiken/asynq"
)

// Task types. They are part of the operator contract (queue dashboards,
// `asynq` CLI), so they never change.
const (
	TypePoll      = "ccm:poll"
	TypeIngest    = "ccm:ingest"
	TypeAnalyze   = "ccm:analyze"
	TypeRetention = "ccm:retention"
	// TypeGate runs the safety gate on an analyzed failure.
	TypeGate = "ccm:gate"
	// TypeExpire turns a still-pending approval request into expired.
	TypeExpire = "ccm:expire"
	// TypeReevaluate re-gates every pending approval after a threshold
	// change (Property 16).
	TypeReevaluate = "ccm:reevaluate"
	// TypeRemediate carries out the typed actions of an auto decision or
	// an approved request.
	TypeRemediate = "ccm:remediate"
	// TypeVerify follows the attempt a remediation created until it
	// completes.
	TypeVerify = "ccm:verify"
	// TypeShadowCheck finds out what became of a failure decided in
	// shadow mode, for the repository's scorecard.
	TypeShadowCheck = "ccm:shadow-check"
	// TypeRecheck expires the pending approvals a new run or attempt
	// announced by a webhook has made obsolete.
	TypeRecheck = "ccm:recheck"
	// TypeRegate re-gates one failure an incident paused, once it closed.
	TypeRegate = "ccm:regate"
)

// Queues and their weights: approvals and alerts must not wait behind a
// backlog of analyses, and housekeeping runs only when nothing else does.
const (
	QueueCritical = "critical"
	QueueDefault  = "default"
	QueueLow      = "low"
)

// QueueWeights is the asynq Queues map.
var QueueWeights = map[string]int{QueueCritical: 6, QueueDefault: 3, QueueLow: 1}

// taskPolicy is what each task type may cost: asynq's default of 25 retries
// spread over weeks is wrong for CI, where a failure is stale in hours.
type taskPolicy struct {
	queue     string
	maxRetry  int
	timeout   time.Duration
	retention time.Duration // how long a finished task still blocks a duplicate ID
}

var policies = map[string]taskPolicy{
	// A poll runs again at the next interval anyway; retrying hard is waste.
	TypePoll: {queue: QueueDefault, maxRetry: 1, timeout: 2 * time.Minute, retention: 0},
	// Ingest downloads logs; a few retries ride out a flaky download, and
	// the last attempt records the failure without logs rather than drop it.
	TypeIngest: {queue: QueueDefault, maxRetry: 3, timeout: 5 * time.Minute, retention: 24 * time.Hour},
	// Analysis falls back to rules inside the handler, so retries are for
	// Redis trouble only. The timeout covers the LLM's worst case: an
	// answer and its repair, each retried 3 times at the 60 s timeout.
	TypeAnalyze:   {queue: QueueDefault, maxRetry: 3, timeout: 10 * time.Minute, retention: 24 * time.Hour},
	TypeRetention: {queue: QueueLow, maxRetry: 1, timeout: 10 * time.Minute, retention: 0},
	// The gate is Redis and the rules, a second at most, and its outcome is
	// what people wait for (an approval request): critical, so a backlog of
	// minute-long LLM analyses never delays a decision already possible.
	// Retries are for Redis trouble; the poll's reconcile re-enqueues a
	// gate lost for good.
	TypeGate: {queue: QueueCritical, maxRetry: 5, timeout: time.Minute, retention: 24 * time.Hour},
	// An expiry is a critical escalation; it is as cheap as the gate. The
	// poll's sweep over due requests honours one lost to an outage.
	TypeExpire: {queue: QueueCritical, maxRetry: 5, timeout: time.Minute, retention: 24 * time.Hour},
	// A re-evaluation is idempotent and every threshold change needs its
	// own (no task ID, no retention); it walks every pending request, so
	// it gets more time than one gate.
	TypeReevaluate: {queue: QueueCritical, maxRetry: 3, timeout: 5 * time.Minute, retention: 0},
	// A remediation is what people wait for and writes to GitHub; its
	// retries are for an uncertain write or GitHub trouble, each resolved
	// by re-reading GitHub first, so a retry never acts twice. The task ID
	// with retention keeps a second gate delivery or a second click from
	// starting a second one.
	TypeRemediate: {queue: QueueCritical, maxRetry: 5, timeout: 5 * time.Minute, retention: 24 * time.Hour},
	// A verification is a read or two; while the attempt runs it enqueues
	// its own next check (a new task ID), so retries are for Redis or
	// GitHub trouble only.
	TypeVerify: {queue: QueueCritical, maxRetry: 5, timeout: time.Minute, retention: 24 * time.Hour},
	// A shadow check is bookkeeping nobody waits for: low, behind
	// everything else. A few reads; its retries are for Redis or GitHub
	// trouble, and a read that fails is checked again at the next check.
	TypeShadowCheck: {queue: QueueLow, maxRetry: 3, timeout: time.Minute, retention: 24 * time.Hour},
	// A recheck is a Redis read and at most one GitHub read; the poll
	// checks every pending request anyway, so few retries. The retention
	// makes a redelivered webhook enqueue it once.
	TypeRecheck: {queue: QueueCritical, maxRetry: 3, timeout: time.Minute, retention: time.Hour},
	// A re-gate is the gate again; its retries are what keeps a failure an
	// incident paused from being forgotten when Redis hiccups at the close.
	TypeRegate: {queue: QueueCritical, maxRetry: 5, timeout: time.Minute, retention: 24 * time.Hour},
	// A notification is what people watch, so critical; it is a few Slack
	// calls. Its retries ride out a Slack outage or rate limit (each waits
	// for Retry-After) and the next entry about the failure syncs it
	// anyway; the task ID (notify:<audit entry id>) is kept an hour so the
	// tail, re-reading an entry after a crash, enqueues it once.
	TypeNotify: {queue: QueueCritical, maxRetry: 10, timeout: time.Minute, retention: time.Hour},
}

// MaxRetry is the retry limit of a task type (0 for unknown types).
func MaxRetry(taskType string) int { return policies[taskType].maxRetry }

func options(taskType, id string) []asynq.Option {
	p := policies[taskType]
	opts := []asynq.Option{asynq.Queue(p.queue), asynq.MaxRetry(p.maxRetry), asynq.Timeout(p.timeout)}
	if id != "" {
		opts = append(opts, asynq.TaskID(id))
	}
	if p.retention > 0 {
		opts = append(opts, asynq.Retention(p.retention))
	}
	return opts
}

// FailureID is the stable identity of one failed run attempt.
func FailureID(repo string, runID int64, attempt int) string {
	return fmt.Sprintf("%s#%d.%d", repo, runID, attempt)
}

// ParseFailureID splits "owner/repo#run.attempt".
func ParseFailureID(id string) (repo string, runID int64, attempt int, err error) {
	hash := strings.LastIndexByte(id, '#')
	if hash <= 0 {
		return "", 0, 0, fmt.Errorf("failure id %q: want owner/repo#run.attempt", id)
	}
	if _, err := fmt.Sscanf(id[hash+1:], "%d.%d", &runID, &attempt); err != nil {
		return "", 0, 0, fmt.Errorf("failure id %q: want owner/repo#run.attempt: %w", id, err)
	}
	return id[:hash], runID, attempt, nil
}

// PollPayload names the repository to poll.
type PollPayload struct {
	Repo string `json:"repo"`
}

// NewPollTask builds the periodic poll of one repository. The Scheduler
// enqueues it with a task ID naming the poll's time slot (not
// asynq.Unique, whose lock ends with the task), so any number of replicas
// enqueue each slot once.
func NewPollTask(repo string) (*asynq.Task, error) {
	b, err := json.Marshal(PollPayload{Repo: repo})
	if err != nil {
		return nil, fmt.Errorf("poll task %s: %w", repo, err)
	}
	return asynq.NewTask(TypePoll, b, options(TypePoll, "")...), nil
}

// IngestPayload names one run attempt to record.
type IngestPayload struct {
	Repo    string `json:"repo"`
	RunID   int64  `json:"run_id"`
	Attempt int    `json:"attempt"`
	// Source is "poll" or "webhook", for the audit trail only.
	Source string `json:"source,omitempty"`
}

// NewIngestTask builds an ingest whose TaskID is derived from the failure
// ID, so a poll and a webhook for the same run enqueue it once.
func NewIngestTask(p IngestPayload) (*asynq.Task, error) {
	if p.Attempt < 1 {
		p.Attempt = 1
	}
	b, err := json.Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("ingest task %s: %w", FailureID(p.Repo, p.RunID, p.Attempt), err)
	}
	id := IngestTaskID(FailureID(p.Repo, p.RunID, p.Attempt))
	return asynq.NewTask(TypeIngest, b, options(TypeIngest, id)...), nil
}

// AnalyzePayload names the failure to analyze.
type AnalyzePayload struct {
	FailureID string `json:"failure_id"`
}

// NewAnalyzeTask builds the analysis of one recorded failure.
func NewAnalyzeTask(failureID string) (*asynq.Task, error) {
	b, err := json.Marshal(AnalyzePayload{FailureID: failureID})
	if err != nil {
		return nil, fmt.Errorf("analyze task %s: %w", failureID, err)
	}
	return asynq.NewTask(TypeAnalyze, b, options(TypeAnalyze, AnalyzeTaskID(failureID))...), nil
}

// IngestTaskID is the task ID of a failure's ingest.
func IngestTaskID(failureID string) string { return "ingest:" + failureID }

// AnalyzeTaskID is the task ID of a failure's analysis.
func AnalyzeTaskID(failureID string) string { return "analyze:" + failureID }

// GatePayload names the analyzed failure to decide on.
type GatePayload struct {
	FailureID string `json:"failure_id"`
}

// NewGateTask builds the safety gate's decision on one analyzed failure.
func NewGateTask(failureID string) (*asynq.Task, error) {
	b, err := json.Marshal(GatePayload{FailureID: failureID})
	if err != nil {
		return nil, fmt.Errorf("gate task %s: %w", failureID, err)
	}
	return asynq.NewTask(TypeGate, b, options(TypeGate, GateTaskID(failureID))...), nil
}

// GateTaskID is the task ID of a failure's gate decision.
func GateTaskID(failureID string) string { return "gate:" + failureID }

// ExpirePayload names the approval request to expire. FailureID is for
// logs and the audit of an archived task only; the handler reads the
// request's own.
type ExpirePayload struct {
	RequestID string `json:"request_id"`
	FailureID string `json:"failure_id,omitempty"`
}

// NewExpireTask builds the expiry of approval request requestID, to run
// at expiresAt, or within the second after it: asynq keeps a due time in
// whole seconds, rounded down, and a task run before expires_at finds the
// request not due and leaves it to the next poll's sweep (up to a
// poll_interval late), so the time is rounded up here.
func NewExpireTask(requestID, failureID string, expiresAt time.Time) (*asynq.Task, error) {
	b, err := json.Marshal(ExpirePayload{RequestID: requestID, FailureID: failureID})
	if err != nil {
		return nil, fmt.Errorf("expire task %s: %w", requestID, err)
	}
	due := expiresAt.Truncate(time.Second)
	if due.Before(expiresAt) {
		due = due.Add(time.Second)
	}
	opts := append(options(TypeExpire, ExpireTaskID(requestID)), asynq.ProcessAt(due))
	return asynq.NewTask(TypeExpire, b, opts...), nil
}

// ExpireTaskID is the task ID of an approval request's expiry.
func ExpireTaskID(requestID string) string { return "expire:" + requestID }

// ReevaluatePayload says what changed, for the logs and an archived
// task's audit; the handler reads the thresholds from Redis.
type ReevaluatePayload struct {
	Setting string `json:"setting,omitempty"`
	Actor   string `json:"actor,omitempty"`
}

// NewReevaluateTask builds the re-evaluation of every pending approval.
func NewReevaluateTask(p ReevaluatePayload) (*asynq.Task, error) {
	b, err := json.Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("reevaluate task: %w", err)
	}
	return asynq.NewTask(TypeReevaluate, b, options(TypeReevaluate, "")...), nil
}

// RemediatePayload names the failure to remediate; the handler reads the
// actions from the record, never from the payload.
type RemediatePayload struct {
	FailureID string `json:"failure_id"`
}

// NewRemediateTask builds the remediation of one failure.
func NewRemediateTask(failureID string) (*asynq.Task, error) {
	b, err := json.Marshal(RemediatePayload{FailureID: failureID})
	if err != nil {
		return nil, fmt.Errorf("remediate task %s: %w", failureID, err)
	}
	return asynq.NewTask(TypeRemediate, b, options(TypeRemediate, RemediateTaskID(failureID))...), nil
}

// RemediateTaskID is the task ID of a failure's remediation.
func RemediateTaskID(failureID string) string { return "remediate:" + failureID }

// VerifyPayload names the failure whose remediation to verify and which
// check this is (0 for the first).
type VerifyPayload struct {
	FailureID string `json:"failure_id"`
	Check     int    `json:"check,omitempty"`
}

// NewVerifyTask builds check n of a failure's verification, to run after
// delay (0: now).
func NewVerifyTask(failureID string, n int, delay time.Duration) (*asynq.Task, error) {
	b, err := json.Marshal(VerifyPayload{FailureID: failureID, Check: n})
	if err != nil {
		return nil, fmt.Errorf("verify task %s: %w", failureID, err)
	}
	opts := options(TypeVerify, VerifyTaskID(failureID, n))
	if delay > 0 {
		opts = append(opts, asynq.ProcessIn(delay))
	}
	return asynq.NewTask(TypeVerify, b, opts...), nil
}

// VerifyTaskID is the task ID of check n of a failure's verification:
// verify:<failure id> for the first, verify:<failure id>:<n> for the
// follow-ups (each check enqueues the next under its own ID, so a
// duplicate delivery of one check schedules the next once).
func VerifyTaskID(failureID string, n int) string {
	if n == 0 {
		return "verify:" + failureID
	}
	return fmt.Sprintf("verify:%s:%d", failureID, n)
}

// RecheckPayload is a run attempt a webhook says was requested: a new
// commit's run, or a re-run of an older one.
type RecheckPayload struct {
	Repo    string `json:"repo"`
	RunID   int64  `json:"run_id"`
	Attempt int    `json:"attempt"`
	Branch  string `json:"branch,omitempty"`
	HeadSHA string `json:"head_sha,omitempty"`
	// Actor is who triggered the attempt (GitHub's triggering_actor).
	Actor string `json:"actor,omitempty"`
}

// NewRecheckTask builds the recheck of the pending approvals a run attempt
// may have made obsolete; its task ID (recheck:<failure id>) makes a
// redelivery of the same webhook one task.
func NewRecheckTask(p RecheckPayload) (*asynq.Task, error) {
	p.Attempt = max(p.Attempt, 1)
	b, err := json.Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("recheck task %s: %w", FailureID(p.Repo, p.RunID, p.Attempt), err)
	}
	id := "recheck:" + FailureID(p.Repo, p.RunID, p.Attempt)
	return asynq.NewTask(TypeRecheck, b, options(TypeRecheck, id)...), nil
}

// RegatePayload names a failure an incident paused and that incident (its
// fingerprint and when it opened).
type RegatePayload struct {
	FailureID   string    `json:"failure_id"`
	Fingerprint string    `json:"fingerprint"`
	OpenedAt    time.Time `json:"opened_at"`
}

// NewRegateTask builds the re-gate of one paused failure, once per
// incident (RegateTaskID).
func NewRegateTask(p RegatePayload) (*asynq.Task, error) {
	b, err := json.Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("regate task %s: %w", p.FailureID, err)
	}
	return asynq.NewTask(TypeRegate, b, options(TypeRegate, RegateTaskID(p.FailureID, p.OpenedAt))...), nil
}

// NewRetentionTask builds the periodic housekeeping task.
func NewRetentionTask() *asynq.Task {
	return asynq.NewTask(TypeRetention, nil, options(TypeRetention, "")...)
}

// decode unmarshals a payload; a payload that cannot be decoded will never
// succeed, so it is not retried.
func decode(t *asynq.Task, v any) error {
	if err := json.Unmarshal(t.Payload(), v); err != nil {
		return fmt.Errorf("%s: bad payload: %w: %w", t.Type(), err, errFinal)
	}
	return nil
}
