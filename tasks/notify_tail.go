package tasks

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/hibiken/asynq"

	"github.com/ccm-ci/ccm/internal/backoff"
	"github.com/ccm-ci/ccm/state"
)

// NotifyGroup is the consumer group the Slack notifier reads the audit
// stream with.
const NotifyGroup = "ccm-slack"

// FeedStore is the audit stream read as a feed.
type FeedStore interface {
	EnsureAuditGroup(ctx context.Context, group string) error
	ReadAuditGroup(ctx context.Context, group, consumer string, count int64, block time.Duration) ([]state.AuditEntry, error)
	ClaimAuditPending(ctx context.Context, group, consumer string, minIdle time.Duration, count int64) ([]state.AuditEntry, error)
	AckAudit(ctx context.Context, group string, ids ...string) error
}

var _ FeedStore = (*state.Store)(nil)

// NotifyTail turns the audit stream into notifications: every entry that
// changes what people should see in Slack becomes one ccm:notify task
// (task ID notify:<entry id>, so an entry read twice is enqueued once),
// and is acknowledged only once enqueued. The pipeline's handlers write
// their audit entries anyway, so none of them has to know about Slack, and
// a slow or broken Slack never holds them up.
//
// Replicas share the consumer group: each entry goes to one of them, and
// entries a crashed replica read but never acknowledged are claimed by
// another after ClaimIdle.
type NotifyTail struct {
	Store  FeedStore
	Queue  Enqueuer
	Logger *slog.Logger
	// Consumer names this replica in the group; "" = host and pid.
	Consumer string
	// Block is how long one read waits for new entries [2s]; ClaimIdle how
	// long an entry may stay unacknowledged before another replica takes
	// it [1m].
	Block, ClaimIdle time.Duration
}

// Run reads until ctx ends. Redis trouble is logged and retried with
// backoff; it never stops the tail.
func (t *NotifyTail) Run(ctx context.Context) error {
	log := t.Logger
	if log == nil {
		log = slog.Default()
	}
	consumer := t.Consumer
	if consumer == "" {
		host, _ := os.Hostname()
		consumer = fmt.Sprintf("%s-%d", host, os.Getpid())
	}
	block, idle := t.Block, t.ClaimIdle
	if block <= 0 {
		block = 2 * time.Second
	}
	if idle <= 0 {
		idle = time.Minute
	}
	fails := 0
	nextClaim := time.Time{}
	grouped := false
	for ctx.Err() == nil {
		var err error
		if !grouped {
			// Once: a group deleted later (with its stream) is made again
			// by ReadAuditGroup.
			err = t.Store.EnsureAuditGroup(ctx, NotifyGroup)
			grouped = err == nil
		}
		if err == nil && !time.Now().Before(nextClaim) {
			var claimed []state.AuditEntry
			if claimed, err = t.Store.ClaimAuditPending(ctx, NotifyGroup, consumer, idle, 100); err == nil {
				err = t.handle(ctx, claimed, log)
				nextClaim = time.Now().Add(idle / 2)
			}
		}
		if err == nil {
			var entries []state.AuditEntry
			if entries, err = t.Store.ReadAuditGroup(ctx, NotifyGroup, consumer, 100, block); err == nil {
				err = t.handle(ctx, entries, log)
			}
		}
		if err == nil {
			fails = 0
			continue
		}
		if ctx.Err() != nil {
			break
		}
		fails++
		wait := backoff.Delay(fails, time.Second, 30*time.Second, nil)
		log.Warn("Slack notification tail: retrying", "err", err, "in", wait)
		select {
		case <-ctx.Done():
		case <-time.After(wait):
		}
	}
	return nil
}

// handle enqueues the notifications of entries and acknowledges every
// entry it is done with. An enqueue that fails leaves its entry (and the
// rest) pending, to be claimed again.
func (t *NotifyTail) handle(ctx context.Context, entries []state.AuditEntry, log *slog.Logger) error {
	var done []string
	var err error
	for _, e := range entries {
		if p, ok := NotifyFor(e); ok {
			if err = t.enqueue(ctx, p); err != nil {
				break
			}
			log.Debug("notification enqueued", "failure_id", e.FailureID, "entry_id", e.ID, "action_type", e.ActionType)
		}
		done = append(done, e.ID)
	}
	if aerr := t.Store.AckAudit(ctx, NotifyGroup, done...); aerr != nil {
		err = errors.Join(err, aerr)
	}
	return err
}

func (t *NotifyTail) enqueue(ctx context.Context, p NotifyPayload) error {
	task, err := NewNotifyTask(p, "notify:"+p.EntryID)
	if err != nil {
		return err
	}
	_, err = t.Queue.EnqueueContext(ctx, task)
	if errors.Is(err, asynq.ErrTaskIDConflict) {
		return nil // read before, by a replica that died before its ack
	}
	if err != nil {
		return fmt.Errorf("enqueue notification of %s (failure %s): %w", p.EntryID, p.FailureID, err)
	}
	return nil
}

// NotifyFor says whether an audit entry changes what people should see in
// Slack, and which notification it calls for: the failure's messages
// brought up to date (detection, analysis, the gate, approvals,
// remediation and verification), or a page (a critical alert, an incident
// opened or closed).
func NotifyFor(e state.AuditEntry) (NotifyPayload, bool) {
	p := NotifyPayload{EntryID: e.ID, FailureID: e.FailureID}
	switch e.ActionType {
	case state.ActionDetection, state.ActionAnalysis, state.ActionValidation, state.ActionApproval:
		return p, e.FailureID != ""
	case state.ActionRemediation:
		// A step marked started changes nothing worth a call: its done (or
		// failed) follows within seconds.
		st, _ := e.Details["state"].(string)
		return p, e.FailureID != "" && st != stepStarted
	case state.ActionAlert:
		return alertNotify(e, p)
	}
	return p, false
}

func alertNotify(e state.AuditEntry, p NotifyPayload) (NotifyPayload, bool) {
	summary, _ := e.Details["summary"].(string)
	severity, _ := e.Details["severity"].(string)
	kind := alertKind(e.Details, summary)
	switch {
	case kind == KindSlackAuth:
		return p, false // Slack cannot carry news that its token was refused
	case strings.HasPrefix(summary, "task "+TypeNotify+" "):
		return p, false // a notification that failed for good: paging it through Slack could loop
	case kind != state.IncidentKindClosed && severity != SeverityCritical:
		return p, false
	}
	fp, _ := e.Details["fingerprint"].(string)
	reason, _ := e.Details["reason"].(string)
	p.Alert = &NotifyAlert{Kind: kind, Severity: severity, Summary: summary, Repo: e.Repo, Fingerprint: fp, Reason: reason}
	return p, true
}
