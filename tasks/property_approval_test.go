package tasks_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/ccm-ci/ccm/config"
	"github.com/ccm-ci/ccm/state"
	"github.com/ccm-ci/ccm/tasks"
	"github.com/ccm-ci/ccm/tasks/taskstest"
)

// pendingRequest takes a new analysed failure of testRepo through the real
// gate in approve mode, notifies what it wrote (the request is posted to
// Slack) and returns its pending approval request.
func (h *slackHarness) pendingRequest(t *testing.T, rt *rapid.T, c *propCase, run int64) state.Approval {
	ctx := context.Background()
	rec := taskstest.CleanRecord(testRepo, run)
	rec.Fingerprint = fmt.Sprintf("fp-appr-%d", run)
	c.create(rt, rec, state.ActionAnalysis)
	if err := c.hh.HandleGate(ctx, mustTask(tasks.NewGateTask(rec.ID))); err != nil {
		rt.Fatal(err)
	}
	if errs := h.drainWith(t, c.st, c.hh); len(errs) > 0 {
		rt.Fatalf("notify errors: %v", errs)
	}
	a, err := c.st.ApprovalForFailure(ctx, rec.ID)
	if err != nil {
		rt.Fatal(err)
	}
	if a.Status != state.ApprovalPending || a.SlackTS == "" {
		rt.Fatalf("request %s: status %s, posted %q; want pending and posted", a.ID, a.Status, a.SlackTS)
	}
	return a
}

// approvalEntries are the approval audit entries of a failure with the
// given decision.
func approvalEntries(rt *rapid.T, st *state.Store, failureID, decision string) []state.AuditEntry {
	got, err := st.QueryAudit(context.Background(), state.AuditQuery{FailureID: failureID, ActionType: state.ActionApproval})
	if err != nil {
		rt.Fatal(err)
	}
	var out []state.AuditEntry
	for _, e := range got {
		if e.Details["decision"] == decision {
			out = append(out, e)
		}
	}
	return out
}

// TestProperty26_RejectionHandling: "For any approval request that
// receives a Reject response, the rejection should be logged and a
// notification sent". Any pending request (whatever the approval timeout),
// rejected by any person with any reason through Handlers.Reject (what the
// bot's Reject click calls) is rejected in the store with the person as
// its decider, its failure is rejected, one approval audit entry says
// decision rejected with the person as actor and the reason, and once the
// audit stream is notified the request's Slack message says "Rejected by"
// that person, its buttons gone. A second Reject changes nothing.
func TestProperty26_RejectionHandling(t *testing.T) {
	h := newSlackHarness(t)
	run := int64(26_000_000)
	rapid.Check(t, func(rt *rapid.T) {
		cfg := configWith(time.Minute, testRepo)
		cfg.Mode = config.ModeApprove
		cfg.ApprovalTimeout = time.Duration(rapid.IntRange(1, 48).Draw(rt, "timeout_h")) * time.Hour
		c := h.newCase(rt, cfg)
		run++
		a := h.pendingRequest(t, rt, c, run)
		ctx := context.Background()
		actor := rapid.StringMatching(`U[A-Z0-9]{2,10}`).Draw(rt, "actor")
		reason := rapid.StringMatching(`[a-z <>&]{0,30}`).Draw(rt, "reason")

		got, err := c.hh.Reject(ctx, a.ID, actor, reason)
		if err != nil {
			rt.Fatal(err)
		}
		if got.Status != state.ApprovalRejected || got.DecidedBy != actor {
			rt.Fatalf("Reject returned status %s by %q, want rejected by %s", got.Status, got.DecidedBy, actor)
		}
		stored, err := c.st.GetApproval(ctx, a.ID)
		if err != nil || stored.Status != state.ApprovalRejected || stored.DecidedBy != actor {
			rt.Fatalf("stored request: %+v, %v", stored, err)
		}
		rec, err := c.st.GetFailure(ctx, a.FailureID)
		if err != nil || rec.Status != state.StatusRejected {
			rt.Fatalf("failure after rejection: %s, %v", rec.Status, err)
		}
		// Logged: one approval entry, decision rejected, by the person.
		entries := approvalEntries(rt, c.st, a.FailureID, string(state.ApprovalRejected))
		if len(entries) != 1 {
			rt.Fatalf("%d rejection audit entries, want 1", len(entries))
		}
		e := entries[0]
		if e.Actor != actor || e.RequestID != a.ID || e.Timestamp.IsZero() || e.Outcome == "" {
			rt.Fatalf("rejection entry: actor %q request %q at %v outcome %q", e.Actor, e.RequestID, e.Timestamp, e.Outcome)
		}
		// A second response changes nothing.
		if _, err := c.hh.Reject(ctx, a.ID, "U0OTHER", "again"); err == nil {
			rt.Fatal("a second Reject of a decided request succeeded")
		}
		if n := len(approvalEntries(rt, c.st, a.FailureID, string(state.ApprovalRejected))); n != 1 {
			rt.Fatalf("%d rejection entries after a second Reject", n)
		}
		// Notified: the audit stream updates the request's message.
		if errs := h.drainWith(t, c.st, c.hh); len(errs) > 0 {
			rt.Fatalf("notify errors: %v", errs)
		}
		msg, ok := h.sim.Message(stored.SlackChannel, stored.SlackTS)
		body := texts(t, msg)
		if !ok || !strings.Contains(body, "Rejected by <@"+actor+">") || strings.Contains(string(msg.Blocks), "ccm_approve") {
			rt.Fatalf("the request's message after the rejection:\n%s", body)
		}
	})
}

// TestProperty27_ApprovalTimeoutEscalation: "For any approval request that
// exceeds the configured timeout (default 24 hours), a critical escalation
// alert should be sent". Any pending request (approval_timeout 1-48h, the
// default included) whose expires_at (requested_at + approval_timeout) has
// passed by any amount is, by ccm:expire, expired in the store (decided by
// ccm, its failure expired, an approval audit entry with decision expired)
// and raises exactly one critical alert audit entry naming the failure,
// which the notify path posts to the repository's critical channel. A
// request not yet due is left pending and raises nothing.
func TestProperty27_ApprovalTimeoutEscalation(t *testing.T) {
	h := newSlackHarness(t)
	run := int64(27_000_000)
	rapid.Check(t, func(rt *rapid.T) {
		cfg := configWith(time.Minute, testRepo)
		cfg.Mode = config.ModeApprove
		if rapid.Bool().Draw(rt, "default_timeout") {
			cfg.ApprovalTimeout = config.Default().ApprovalTimeout
		} else {
			cfg.ApprovalTimeout = time.Duration(rapid.IntRange(1, 48).Draw(rt, "timeout_h")) * time.Hour
		}
		if rapid.Bool().Draw(rt, "own_critical") {
			cfg.Repositories[0].Channels.Critical = "#web-critical"
		}
		critical := cfg.For(testRepo).Channels.Critical
		c := h.newCase(rt, cfg)
		run++
		a := h.pendingRequest(t, rt, c, run)
		ctx := context.Background()
		if d := a.ExpiresAt.Sub(a.RequestedAt); d != cfg.ApprovalTimeout {
			rt.Fatalf("expires_at - requested_at = %v, want approval_timeout %v", d, cfg.ApprovalTimeout)
		}
		early := rapid.Bool().Draw(rt, "early")
		offset := time.Duration(rapid.IntRange(0, 7*24*3600).Draw(rt, "late_s")) * time.Second
		at := a.ExpiresAt.Add(offset)
		if early {
			at = a.ExpiresAt.Add(-time.Second - offset%cfg.ApprovalTimeout)
		}
		before := len(h.sim.Messages(critical))
		late := h.deps
		late.Store, late.Config = c.st, func() *config.Config { return cfg }
		late.Now = func() time.Time { return at }
		if err := tasks.NewHandlers(late).HandleExpire(ctx, mustTask(tasks.NewExpireTask(a.ID, a.FailureID, a.ExpiresAt))); err != nil {
			rt.Fatal(err)
		}
		alerts, err := c.st.QueryAudit(ctx, state.AuditQuery{FailureID: a.FailureID, ActionType: state.ActionAlert})
		if err != nil {
			rt.Fatal(err)
		}
		got, _ := c.st.GetApproval(ctx, a.ID)
		if early {
			if got.Status != state.ApprovalPending || len(alerts) != 0 {
				rt.Fatalf("a request not due: status %s, %d alerts", got.Status, len(alerts))
			}
			return
		}
		if got.Status != state.ApprovalExpired || got.DecidedBy != state.ActorCCM {
			rt.Fatalf("request after its timeout: %s by %q", got.Status, got.DecidedBy)
		}
		if rec, err := c.st.GetFailure(ctx, a.FailureID); err != nil || rec.Status != state.StatusExpired {
			rt.Fatalf("failure after the timeout: %s, %v", rec.Status, err)
		}
		if n := len(approvalEntries(rt, c.st, a.FailureID, string(state.ApprovalExpired))); n != 1 {
			rt.Fatalf("%d expiry audit entries, want 1", n)
		}
		if len(alerts) != 1 || alerts[0].Details["severity"] != tasks.SeverityCritical {
			rt.Fatalf("alerts after the timeout: %+v, want one critical", alerts)
		}
		// The escalation reaches the critical channel.
		if errs := h.drainWith(t, c.st, c.hh); len(errs) > 0 {
			rt.Fatalf("notify errors: %v", errs)
		}
		pages := h.sim.Messages(critical)[before:]
		if len(pages) != 1 || !strings.Contains(texts(t, pages[0]), "expired") {
			rt.Fatalf("%d new messages in %s, want the escalation", len(pages), critical)
		}
	})
}
