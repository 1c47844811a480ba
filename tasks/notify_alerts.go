package tasks

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ccm-ci/ccm/integrations/slack"
	"github.com/ccm-ci/ccm/state"
)

// Alert kinds the notifier raises about Slack itself. The tail never
// sends them to Slack: an "authentication lost" page cannot be delivered
// with the token that was lost, and a page about a page would loop.
const (
	KindSlackAuth     = "slack_auth"
	KindSlackRejected = "slack_rejected"
)

// Marks (state.SlackMark) of the notifier.
const (
	markAuthPause = "auth-pause" // no Slack call while set
	markAuthAlert = "auth-alert" // one "authentication lost" alert per window
	markRateLimit = "rate-limit" // Slack said 429: no call until Retry-After
)

// paused says whether Slack may be called now: not while the token is
// refused, nor before a 429's Retry-After has passed. Slack's limits are
// per workspace and method, so one replica's 429 holds every replica back.
func (n *notifier) paused(ctx context.Context, p NotifyPayload) error {
	for _, m := range []struct{ mark, why string }{
		{markAuthPause, "Slack authentication lost"}, {markRateLimit, "Slack rate limit (429)"},
	} {
		left, err := n.st.SlackMarked(ctx, m.mark)
		if err != nil {
			return fmt.Errorf("notify %s: %w", p.EntryID, err)
		}
		if left > 0 {
			return retryAfter(left, fmt.Errorf("notify %s: %s; waiting %s", p.EntryID, m.why, left.Round(time.Millisecond)))
		}
	}
	return nil
}

const (
	// authPause is how long notifications wait after Slack refused the
	// token before one tries again (each try is one call, not a loop).
	authPause = 5 * time.Minute
	// pageWindow: one page per kind and subject (fingerprint, else
	// repository) per window; later ones are counted on it.
	pageWindow = time.Hour
)

// page sends a critical alert to the repository's critical channel,
// throttled: the first alert of its kind and subject in pageWindow posts,
// later ones only raise the count shown on it, so an outage that fails a
// hundred runs pages once. An incident that closed is told in the alerts
// channel instead (not a page).
func (n *notifier) page(ctx context.Context, p NotifyPayload) error {
	a := *p.Alert
	ch := n.h.d.Config().For(a.Repo).Channels
	log := n.log.With("failure_id", p.FailureID, "repo", a.Repo, "task_type", TypeNotify, "kind", a.Kind)
	if a.Kind == state.IncidentKindClosed {
		// The summary already says "incident closed: …".
		text := a.Summary
		if len(text) > 0 {
			text = strings.ToUpper(text[:1]) + text[1:]
		}
		if a.Reason != "" {
			text += " (" + a.Reason + ")"
		}
		if _, err := n.sl.Post(ctx, ch.Alerts, "", slack.Notice(text)); err != nil {
			return fmt.Errorf("notify incident closed %s: %w", a.Fingerprint, err)
		}
		return nil
	}
	subject := a.Fingerprint
	thread := ""
	if p.FailureID != "" {
		rec, err := n.st.GetFailure(ctx, p.FailureID)
		if err != nil && !errors.Is(err, state.ErrNotFound) {
			return fmt.Errorf("notify page %s: %w", p.EntryID, err)
		}
		if subject == "" {
			subject = rec.Fingerprint
		}
		refs, err := n.st.SlackRefs(ctx, p.FailureID)
		if err != nil {
			return fmt.Errorf("notify page %s: %w", p.EntryID, err)
		}
		if m := refs[msgThread]; m.TS != "" {
			thread = slack.Permalink(n.url, slack.Ref{Channel: m.Channel, TS: m.TS})
		}
	}
	if subject == "" {
		subject = "repo:" + a.Repo
	}
	name := ch.Critical + "|" + a.Kind + "|" + subject
	pg, err := n.st.SlackPageEvent(ctx, name, p.EntryID, pageWindow)
	if err != nil {
		return fmt.Errorf("notify page %s: %w", p.EntryID, err)
	}
	switch {
	case pg.First && pg.Ref.TS == "":
		ref, err := n.sl.Post(ctx, ch.Critical, "", slack.Critical(a.Summary, a.Repo, p.FailureID, thread, pg.Count-1))
		if err != nil {
			return fmt.Errorf("notify page %s: %w", p.EntryID, err)
		}
		if err := n.st.SetSlackPageRef(ctx, name, state.SlackRef{Channel: ref.Channel, TS: ref.TS}); err != nil {
			return fmt.Errorf("notify page %s: posted, but %w", p.EntryID, err)
		}
		log.Info("critical page sent", "summary", a.Summary)
	case pg.First:
		log.Debug("critical page already sent")
	case pg.Ref.TS != "" && showCount(pg.Count-1):
		// Held back: the page says how many more. Not every one updates
		// it, so an outage's hundreds of alerts cost a few calls.
		ref := slack.Ref{Channel: pg.Ref.Channel, TS: pg.Ref.TS}
		if err := n.sl.Update(ctx, ref, slack.Critical(a.Summary, a.Repo, p.FailureID, thread, pg.Count-1)); err != nil {
			return fmt.Errorf("notify page %s: %w", p.EntryID, err)
		}
		log.Info("critical alert held back by the throttle; count updated on the page", "count", pg.Count)
	default:
		log.Info("critical alert held back by the throttle", "count", pg.Count)
	}
	return nil
}

// showCount says which held-back counts update the page: the first few,
// then every tenth.
func showCount(more int) bool { return more <= 5 || more%10 == 0 }

// outcome turns a Slack failure into what asynq should do with the task:
// a 429 waits for Retry-After; a refused token pauses every notification
// and raises one critical alert; a refused message will never go and is
// dropped with an alert; anything else is retried with backoff. A message
// that cannot be sent never holds up the pipeline: notifications run in
// their own tasks.
func (n *notifier) outcome(ctx context.Context, p NotifyPayload, err error) error {
	var rl *slack.RateLimitError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &rl):
		wait := max(rl.RetryAfter, time.Second)
		if merr := n.st.ExtendSlackMark(ctx, markRateLimit, wait); merr != nil {
			n.log.Error("hold Slack calls for Retry-After", "failure_id", p.FailureID, "err", merr)
		}
		n.log.Warn("Slack rate limit: retrying after Retry-After", "failure_id", p.FailureID, "retry_after", rl.RetryAfter)
		return retryAfter(wait, err)
	case errors.Is(err, slack.ErrAuth):
		n.authLost(ctx, p, err)
		return retryAfter(authPause, err)
	case errors.Is(err, slack.ErrRejected):
		n.alert(ctx, p, KindSlackRejected, "Slack refused a message for good; it is dropped: "+err.Error())
		return alertedError{fmt.Errorf("%w: %w", err, errFinal)}
	}
	return err
}

// authLost pauses notifications and raises the critical alert once per
// hour. The alert is only audited (and counted): Slack cannot carry it.
func (n *notifier) authLost(ctx context.Context, p NotifyPayload, cause error) {
	if _, err := n.st.SlackMark(ctx, markAuthPause, authPause); err != nil {
		n.log.Error("pause Slack notifications", "failure_id", p.FailureID, "err", err)
	}
	first, err := n.st.SlackMark(ctx, markAuthAlert, time.Hour)
	if err != nil {
		n.log.Error("throttle the Slack authentication alert", "failure_id", p.FailureID, "err", err)
	}
	if !first {
		return
	}
	n.alert(ctx, p, KindSlackAuth, "Slack authentication lost: SLACK_BOT_TOKEN was refused ("+cause.Error()+
		"); notifications wait and retry every "+authPause.String()+" until it is fixed")
}

// alert audits a critical alert about Slack itself.
func (n *notifier) alert(ctx context.Context, p NotifyPayload, kind, summary string) {
	repo := ""
	if p.Alert != nil {
		repo = p.Alert.Repo
	} else if p.FailureID != "" {
		repo, _, _, _ = ParseFailureID(p.FailureID)
	}
	ev := state.AuditEntry{
		Timestamp: n.h.d.now(), Actor: "ccm", ActionType: state.ActionAlert, FailureID: p.FailureID, Repo: repo,
		Outcome: state.OutcomeFailure,
		Details: map[string]any{"severity": SeverityCritical, "channel": SeverityCritical, "kind": kind, "summary": summary},
	}
	if _, err := n.st.Audit(ctx, ev); err != nil {
		n.log.Error("audit Slack alert", "failure_id", p.FailureID, "kind", kind, "err", err)
	}
	if m := n.h.d.Metrics; m != nil {
		m.Alerts.WithLabelValues(SeverityCritical).Inc()
	}
	n.log.Error("alert", "severity", SeverityCritical, "kind", kind, "failure_id", p.FailureID, "summary", summary)
}

// alertKind classifies an alert entry for the page throttle: the kind the
// entry names, else one read from ccm's own summary wording.
func alertKind(details map[string]any, summary string) string {
	if k, _ := details["kind"].(string); k != "" {
		return k
	}
	switch {
	case strings.HasPrefix(summary, "task "):
		return "task_failed"
	case strings.Contains(summary, "expired"):
		return "approval_expired"
	case strings.HasPrefix(summary, "remediation"):
		return "remediation_failed"
	}
	return "alert"
}
