package tasks

import (
	"context"
	"sync"
	"time"

	"github.com/ccm-ci/ccm/state"
)

// Alert severities.
const (
	SeverityCritical = "critical"
	SeverityWarning  = "warning"
)

// alertThrottle keeps a broken repository from raising the same critical
// alert at every poll: the audit trail records every error, the alert
// (which becomes a page in #ops-critical) fires once per window.
//
// Keys name repositories and summaries, which come and go; an entry older
// than the window no longer throttles anything, so it is dropped at most
// once per window. The map holds only keys seen in the last two windows.
type alertThrottle struct {
	mu        sync.Mutex
	window    time.Duration
	last      map[string]time.Time
	nextSweep time.Time
}

func (t *alertThrottle) allow(key string, now time.Time) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.last == nil {
		t.last = map[string]time.Time{}
	}
	if !now.Before(t.nextSweep) {
		for k, at := range t.last {
			if now.Sub(at) >= t.window {
				delete(t.last, k)
			}
		}
		t.nextSweep = now.Add(t.window)
	}
	if at, ok := t.last[key]; ok && now.Sub(at) < t.window {
		return false
	}
	t.last[key] = now
	return true
}

// Alert is a critical or warning event for the ops channel. Until the Slack
// notifier exists it lands in the audit stream as action_type "alert" (with
// details.severity and details.channel) and in ccm_alerts_total.
type Alert struct {
	Severity  string
	Repo      string
	FailureID string
	Summary   string
	Err       error
	Details   map[string]any
}

// raise records the error in the audit stream and, unless the same alert
// fired within the throttle window, an alert event.
func (d *Deps) raise(ctx context.Context, th *alertThrottle, a Alert) {
	now := d.now()
	errText := ""
	if a.Err != nil {
		errText = a.Err.Error()
	}
	details := map[string]any{"summary": a.Summary}
	for k, v := range a.Details {
		details[k] = v
	}
	ev := state.AuditEntry{
		Timestamp: now, Actor: "ccm", ActionType: state.ActionError, FailureID: a.FailureID,
		Repo: a.Repo, Details: details, Outcome: state.OutcomeFailure, Error: errText,
	}
	log := d.log().With("repo", a.Repo, "failure_id", a.FailureID)
	if _, err := d.Store.Audit(ctx, ev); err != nil {
		log.Error("audit error event", "err", err, "summary", a.Summary)
	}
	if th != nil && !th.allow(a.Severity+"|"+a.Repo+"|"+a.Summary, now) {
		return
	}
	alert := ev
	alert.ActionType = state.ActionAlert
	alert.Details = map[string]any{"severity": a.Severity, "channel": a.Severity, "summary": a.Summary}
	if _, err := d.Store.Audit(ctx, alert); err != nil {
		log.Error("audit alert event", "err", err, "summary", a.Summary)
	}
	if d.Metrics != nil {
		d.Metrics.Alerts.WithLabelValues(a.Severity).Inc()
	}
	log.Error("alert", "severity", a.Severity, "summary", a.Summary, "err", a.Err)
}
