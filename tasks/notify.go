package tasks

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	"github.com/hibiken/asynq"

	"github.com/ccm-ci/ccm/integrations/slack"
	"github.com/ccm-ci/ccm/state"
)

// TypeNotify sends or updates ccm's Slack messages about one failure, or
// one critical page. The audit tail (NotifyTail) enqueues one per audit
// entry that changes what people should see.
const TypeNotify = "ccm:notify"

// Slack is what the notifier needs from Slack (*slack.Client has it).
type Slack interface {
	Post(ctx context.Context, channel, threadTS string, m slack.Message) (slack.Ref, error)
	Update(ctx context.Context, ref slack.Ref, m slack.Message) error
}

var _ Slack = (*slack.Client)(nil)

// NotifyStore is what the notifier keeps in Redis: the failure and its
// approval to render, and where each message went.
type NotifyStore interface {
	GetFailure(ctx context.Context, id string) (state.FailureRecord, error)
	ApprovalForFailure(ctx context.Context, failureID string) (state.Approval, error)
	SetApprovalMessage(ctx context.Context, id, channel, ts string) error
	IncidentOpen(ctx context.Context, fingerprint string) (bool, error)
	HoldLease(ctx context.Context, name string, ttl time.Duration) (*state.Hold, time.Duration, error)
	Audit(ctx context.Context, e state.AuditEntry) (string, error)
	SlackRefs(ctx context.Context, failureID string) (map[string]state.SlackRef, error)
	SetSlackRef(ctx context.Context, failureID, kind string, ref state.SlackRef) error
	JoinSlackThread(ctx context.Context, name, failureID, repo string, ttl, stale time.Duration, extend bool) (state.SlackThread, error)
	SetSlackThreadRoot(ctx context.Context, name, owner string, root state.SlackRef) (bool, error)
	SlackThreadCounts(ctx context.Context, name string) (int, int, error)
	SlackPageEvent(ctx context.Context, name, event string, window time.Duration) (state.SlackPage, error)
	SetSlackPageRef(ctx context.Context, name string, ref state.SlackRef) error
	SlackMark(ctx context.Context, name string, ttl time.Duration) (bool, error)
	ExtendSlackMark(ctx context.Context, name string, ttl time.Duration) error
	SlackMarked(ctx context.Context, name string) (time.Duration, error)
}

var _ NotifyStore = (*state.Store)(nil)

// NotifyPayload says what to bring up to date: a failure's messages
// (FailureID) or a page (Alert). EntryID is the audit entry that caused
// it, for the logs and as the page's event ID.
type NotifyPayload struct {
	EntryID   string       `json:"entry_id,omitempty"`
	FailureID string       `json:"failure_id,omitempty"`
	Alert     *NotifyAlert `json:"alert,omitempty"`
	// Deferred counts how often this notification waited (see deferNotify).
	Deferred int `json:"deferred,omitempty"`
}

// NotifyAlert is an alert audit entry to page or announce.
type NotifyAlert struct {
	Kind        string `json:"kind"`
	Severity    string `json:"severity,omitempty"`
	Summary     string `json:"summary"`
	Repo        string `json:"repo,omitempty"`
	Fingerprint string `json:"fingerprint,omitempty"`
	Reason      string `json:"reason,omitempty"`
}

// NewNotifyTask builds a notification under task ID id, so an entry read
// twice by the tail is enqueued once.
func NewNotifyTask(p NotifyPayload, id string) (*asynq.Task, error) {
	b, err := json.Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("notify task %s: %w", id, err)
	}
	return asynq.NewTask(TypeNotify, b, options(TypeNotify, id)...), nil
}

// Message kinds kept per failure (state.SlackRefs).
const (
	msgThread   = "thread" // membership: Thread names it, Channel/TS its root
	msgRoot     = "root"
	msgAnalysis = "analysis"
	msgGate     = "gate"
	msgSeen     = "seen"
	msgRemedy   = "remediation"
	msgApproval = "approval:"      // + request ID
	msgApprLink = "approval_link:" // + request ID
)

// Timings of the notifier.
const (
	// threadStale: a thread owner that has not posted its root by then
	// (its task lost) is replaced, so its fingerprint is not muted.
	threadStale = 2 * time.Minute
	// notifyLease serializes one failure's notifications across workers,
	// so two of them never post the same message twice. It is renewed
	// while its holder runs (state.Hold), so a slow Slack cannot make it
	// lapse under a live holder, and a replica killed while it held one
	// holds up the failure's messages for this long at most.
	notifyLease     = 15 * time.Second
	notifyLeaseWait = 5 * time.Second
	// rootWait is how soon a failure added to a thread whose root is not
	// posted yet tries again.
	rootWait = 3 * time.Second
)

// retryIn is an error whose task should run again after d, not after the
// usual backoff (a 429's Retry-After, a busy lease, a paused Slack).
type retryIn struct {
	err error
	d   time.Duration
}

func (e retryIn) Error() string                   { return e.err.Error() }
func (e retryIn) Unwrap() error                   { return e.err }
func (e retryIn) RetryIn() time.Duration          { return e.d }
func retryAfter(d time.Duration, err error) error { return retryIn{err: err, d: d} }

// HandleNotify brings Slack up to date with one failure or sends one page.
// It renders from the state as it is now, not from the entry that caused
// it, so a retry, a duplicate or an out-of-order delivery converges on the
// same messages: each is posted once, its channel and ts kept in Redis,
// and updated only when what it shows changed.
func (h *Handlers) HandleNotify(ctx context.Context, t *asynq.Task) error {
	var p NotifyPayload
	if err := decode(t, &p); err != nil {
		return err
	}
	n, err := h.notifier()
	if err != nil {
		return err
	}
	if n == nil {
		// Only a process with Slack on enqueues notifications: a worker
		// without it (a mixed fleet, a rolling deploy) hands the task back
		// so a retry can reach a worker that has Slack, rather than drop it.
		h.d.log().Warn("Slack is off in this worker (SLACK_BOT_TOKEN unset); notification handed back for a worker with Slack",
			"failure_id", p.FailureID, "entry_id", p.EntryID)
		return fmt.Errorf("notify %s: Slack is off in this worker (SLACK_BOT_TOKEN unset)", p.FailureID)
	}
	if err := n.paused(ctx, p); err != nil {
		return h.deferNotify(ctx, p, err)
	}
	if p.Alert != nil {
		err = n.page(ctx, p)
	} else {
		err = n.syncFailure(ctx, p.FailureID)
	}
	return h.deferNotify(ctx, p, n.outcome(ctx, p, err))
}

// maxDeferrals bounds how often one notification waits: at Slack's
// shortest Retry-After that is over ten minutes, at the authentication
// pause days.
const maxDeferrals = 600

// deferNotify turns a wait (a 429's Retry-After, a paused Slack, a thread
// whose root is not posted yet, a busy lease) into a copy of the task due
// when the wait ends, under its own task ID, and ends this one without a
// retry (asynq.RevokeTask): waiting is not failing, and a rate limit that
// lasts must not spend the task's retries and archive the message. Other
// errors, and a wait past maxDeferrals, take the usual retries.
func (h *Handlers) deferNotify(ctx context.Context, p NotifyPayload, err error) error {
	var ri interface{ RetryIn() time.Duration }
	if err == nil || !errors.As(err, &ri) || p.Deferred >= maxDeferrals {
		return err
	}
	base, ok := asynq.GetTaskID(ctx)
	if !ok {
		base = "notify:" + p.EntryID + ":" + p.FailureID
	}
	if i := strings.LastIndex(base, ":d"); i > 0 && p.Deferred > 0 {
		base = base[:i]
	}
	p.Deferred++
	id := fmt.Sprintf("%s:d%d", base, p.Deferred)
	task, terr := NewNotifyTask(p, id)
	if terr != nil {
		return errors.Join(err, terr)
	}
	// Spread the wake-ups: the notifications held back together must not
	// all call Slack in the same instant when the wait ends.
	wait := ri.RetryIn() + time.Duration(rand.Int64N(int64(2*time.Second)))
	if _, qerr := h.d.Queue.EnqueueContext(ctx, task, asynq.ProcessIn(wait)); qerr != nil && !errors.Is(qerr, asynq.ErrTaskIDConflict) {
		h.d.log().Warn("could not defer a notification; retrying it instead", "failure_id", p.FailureID, "err", qerr)
		return err
	}
	return fmt.Errorf("%w (waits %s as %s): %w", err, wait.Round(time.Millisecond), id, asynq.RevokeTask)
}

// notifier is the notification side of the handlers; nil when Slack is
// not configured.
type notifier struct {
	h   *Handlers
	st  NotifyStore
	sl  Slack
	url string // the workspace URL, for permalinks
	log *slog.Logger
}

func (h *Handlers) notifier() (*notifier, error) {
	if h.d.Slack == nil {
		return nil, nil
	}
	st, ok := h.d.Store.(NotifyStore)
	if !ok {
		return nil, fmt.Errorf("tasks: the store (%T) cannot keep Slack messages: %w", h.d.Store, errFinal)
	}
	return &notifier{h: h, st: st, sl: h.d.Slack, url: h.d.SlackURL, log: h.d.log()}, nil
}

// syncFailure posts or updates every message a failure should have now.
func (n *notifier) syncFailure(ctx context.Context, id string) error {
	hold, err := n.lease(ctx, id)
	if err != nil {
		return err
	}
	defer func() {
		if err := hold.Release(); err != nil {
			n.log.Warn("release notify lease", "failure_id", id, "err", err)
		}
	}()
	// Lost lease, stopped sync: another worker may be posting now.
	ctx = hold.Ctx
	rec, err := n.st.GetFailure(ctx, id)
	if errors.Is(err, state.ErrNotFound) {
		n.log.Info("failure gone; nothing to notify", "failure_id", id)
		return nil
	}
	if err != nil {
		return fmt.Errorf("notify %s: %w", id, err)
	}
	f := &failureMsgs{n: n, rec: rec, log: n.log.With("failure_id", id, "repo", rec.Repo, "task_type", TypeNotify)}
	if err := f.load(ctx); err != nil {
		return err
	}
	return f.sync(ctx)
}

// lease takes the failure's notify lease, waiting a little for another
// worker to finish; past that, the task is retried when the holder's
// lease ends.
func (n *notifier) lease(ctx context.Context, id string) (*state.Hold, error) {
	deadline := time.Now().Add(notifyLeaseWait)
	for {
		hold, left, err := n.st.HoldLease(ctx, "notify:"+id, notifyLease)
		if err != nil {
			return nil, fmt.Errorf("notify %s: %w", id, err)
		}
		if hold != nil {
			return hold, nil
		}
		if time.Now().After(deadline) {
			return nil, retryAfter(max(left, time.Second), fmt.Errorf("notify %s: another worker is notifying it", id))
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("notify %s: %w", id, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// put makes the message of kind show m: posted (in channel, in the
// thread threadTS when set) if it never was, updated if what it shows
// changed, left alone otherwise. It returns where the message is.
func (n *notifier) put(ctx context.Context, failureID, kind string, refs map[string]state.SlackRef,
	channel, threadTS string, m slack.Message) (slack.Ref, error) {
	sum := digest(m)
	cur, ok := refs[kind]
	ref := slack.Ref{Channel: cur.Channel, TS: cur.TS}
	switch {
	case ok && !ref.IsZero() && cur.Sum == sum:
		return ref, nil
	case ok && !ref.IsZero():
		err := n.sl.Update(ctx, ref, m)
		if err == nil {
			break
		}
		if !errors.Is(err, slack.ErrRejected) {
			return ref, fmt.Errorf("update %s message of %s: %w", kind, failureID, err)
		}
		// Someone deleted the message (or it can no longer be edited):
		// post it again rather than fall silent.
		n.log.Warn("Slack refused to update a message; posting it again", "failure_id", failureID, "kind", kind, "err", err)
		fallthrough
	default:
		if err := n.spacePost(ctx, channel); err != nil {
			return ref, fmt.Errorf("post %s message of %s: %w", kind, failureID, err)
		}
		var err error
		if ref, err = n.sl.Post(ctx, channel, threadTS, m); err != nil {
			return ref, fmt.Errorf("post %s message of %s: %w", kind, failureID, err)
		}
	}
	if channel != "" && ref.Channel != channel {
		channelIDs.Store(channel, ref.Channel)
	}
	next := state.SlackRef{Channel: ref.Channel, TS: ref.TS, Sum: sum}
	if err := n.st.SetSlackRef(ctx, failureID, kind, next); err != nil {
		// Slack has the message but Redis does not know: the next try
		// would post it again, so this must be retried soon.
		return ref, fmt.Errorf("remember %s message of %s: %w", kind, failureID, err)
	}
	refs[kind] = next
	return ref, nil
}

// channelIDs maps the channel names of the config to the IDs Slack
// answered with, so a channel's posts are spaced as one whether named
// (a thread's root) or given by ID (its replies). Names are
// workspace-wide, so one map serves every handler.
var channelIDs sync.Map

// spacePost takes the channel's next post slot (Slack allows about one
// post a second per channel, and answers a burst with 429s): when the
// slot is taken, the notification waits for it (deferNotify) instead of
// calling Slack to be refused. The slot is in Redis, so replicas share it.
func (n *notifier) spacePost(ctx context.Context, channel string) error {
	spacing := n.h.d.SlackPostSpacing
	if spacing <= 0 {
		return nil
	}
	if id, ok := channelIDs.Load(channel); ok {
		channel = id.(string)
	}
	free, err := n.st.SlackMark(ctx, "post:"+channel, spacing)
	if err != nil || free {
		return err
	}
	left, err := n.st.SlackMarked(ctx, "post:"+channel)
	if err != nil {
		return err
	}
	return retryAfter(max(left, time.Millisecond), fmt.Errorf("channel %s had a post less than %s ago", channel, spacing))
}

// digest identifies what a message shows.
func digest(m slack.Message) string {
	b, _ := json.Marshal(struct {
		T string
		B any
	}{m.Text, m.Blocks})
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:8])
}
