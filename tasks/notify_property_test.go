package tasks_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/ccm-ci/ccm/analysis"
	"github.com/ccm-ci/ccm/config"
	"github.com/ccm-ci/ccm/state"
	"github.com/ccm-ci/ccm/tasks"
	"github.com/ccm-ci/ccm/tasks/taskstest"
)

var rerunOrCancel = []analysis.Action{{Type: analysis.ActionRerunFailedJobs}, {Type: analysis.ActionCancelRun}}

// propCase is one property case: its own store (a fresh key prefix) and
// handlers on it, sharing the harness's simulators.
type propCase struct {
	st  *state.Store
	hh  *tasks.Handlers
	cfg *config.Config
}

func (h *slackHarness) newCase(t *rapid.T, cfg *config.Config) *propCase {
	c := &propCase{st: h.env.Fresh(state.Options{}), cfg: cfg}
	d := h.deps
	d.Store, d.Config = c.st, func() *config.Config { return c.cfg }
	c.hh = tasks.NewHandlers(d)
	// The group reads what is written from now on, as in production.
	if err := c.st.EnsureAuditGroup(context.Background(), tasks.NotifyGroup); err != nil {
		t.Fatal(err)
	}
	return c
}

func (c *propCase) create(t *rapid.T, rec state.FailureRecord, action string) {
	ev := state.AuditEntry{Timestamp: rec.DetectedAt, Actor: "ccm", ActionType: action, Outcome: state.OutcomeSuccess}
	if created, err := c.st.CreateFailure(context.Background(), rec, ev); err != nil || !created {
		t.Fatalf("create %s: %v, %v", rec.ID, created, err)
	}
}

// newMessages are the messages of ch after the first n.
func (h *slackHarness) newMessages(ch string, n int) []string {
	var out []string
	for _, m := range h.sim.Messages(ch)[n:] {
		out = append(out, m.TS)
	}
	return out
}

// TestProperty29_InitialAlertNotification: "For any detected workflow
// failure, an initial alert notification should be sent to the configured
// Slack channel". Any set of detected failures (of repositories with or
// without their own alerts channel, fingerprints shared or not) gives each
// failure either the root of a new thread in its repository's alerts
// channel or, when its fingerprint already has a thread there, a "seen
// again" reply in it: one root per channel and fingerprint, never none.
func TestProperty29_InitialAlertNotification(t *testing.T) {
	h := newSlackHarness(t)
	run := int64(0)
	rapid.Check(t, func(rt *rapid.T) {
		cfg := configWith(time.Minute, "acme/web", "acme/api")
		if rapid.Bool().Draw(rt, "api_own_channel") {
			cfg.Repositories[1].Channels.Alerts = "#web-alerts"
		}
		c := h.newCase(rt, cfg)
		before := map[string]int{chAlerts: len(h.sim.Messages(chAlerts)), "#web-alerts": len(h.sim.Messages("#web-alerts"))}
		type key struct{ ch, fp string }
		threads := map[key]bool{}
		n := rapid.IntRange(1, 4).Draw(rt, "failures")
		for i := range n {
			run++
			repo := rapid.SampledFrom([]string{"acme/web", "acme/api"}).Draw(rt, "repo")
			rec := taskstest.CleanRecord(repo, run)
			rec.Status, rec.Analysis = state.StatusDetected, nil
			rec.Workflow = rapid.StringMatching(`[A-Za-z <>!@]{1,20}`).Draw(rt, "workflow")
			rec.Fingerprint = fmt.Sprintf("fp%d-%d", run-int64(i), rapid.IntRange(0, 1).Draw(rt, "fp"))
			c.create(rt, rec, state.ActionDetection)
			threads[key{cfg.For(repo).Channels.Alerts, rec.Fingerprint}] = true
		}
		if errs := h.drainWith(t, c.st, c.hh); len(errs) > 0 {
			rt.Fatalf("notify errors: %v", errs)
		}
		roots, seen := 0, 0
		for ch, b := range before {
			for _, m := range h.sim.Messages(ch)[b:] {
				switch {
				case !m.IsReply():
					roots++
				case strings.Contains(texts(t, m), "Seen again"):
					seen++
				}
			}
		}
		if roots != len(threads) || roots+seen != n {
			rt.Fatalf("%d failures in %d threads: %d roots, %d seen-again replies", n, len(threads), roots, seen)
		}
	})
}

// TestProperty32_RemediationResultNotification: "For any executed
// remediation, a notification should be sent confirming the action and
// result". Whatever the steps did and however it ended, the failure's
// thread has one remediation reply naming each action and its outcome.
func TestProperty32_RemediationResultNotification(t *testing.T) {
	h := newSlackHarness(t)
	run := int64(1000)
	rapid.Check(t, func(rt *rapid.T) {
		c := h.newCase(rt, configWith(time.Minute, testRepo))
		run++
		rec := taskstest.CleanRecord(testRepo, run)
		rec.Fingerprint = fmt.Sprintf("fp-rem-%d", run)
		acts := rapid.SliceOfN(rapid.SampledFrom(rerunOrCancel), 1, 3).Draw(rt, "actions")
		rec.Gate = &state.GateDecision{Decision: "auto", Mode: "auto", Actions: acts}
		ok := rapid.Bool().Draw(rt, "succeeded")
		rem := &state.Remediation{StartedAt: time.Now().UTC(), ActedAt: time.Now().UTC()}
		for i, a := range acts {
			st := "done"
			if !ok && i == len(acts)-1 {
				st = "failed"
			}
			rem.Steps = append(rem.Steps, state.RemediationStep{Action: string(a.Type), State: st})
		}
		rec.Status, rem.Outcome = state.StatusRemediated, state.OutcomeSuccess
		if !ok {
			rec.Status, rem.Outcome, rem.Reason = state.StatusFailed, state.OutcomeFailure, "GitHub said no"
		}
		rec.Remediation = rem
		c.create(rt, rec, state.ActionRemediation)
		n := len(h.sim.Messages(chAlerts))
		if errs := h.drainWith(t, c.st, c.hh); len(errs) > 0 {
			rt.Fatalf("notify errors: %v", errs)
		}
		var reply string
		for _, ts := range h.newMessages(chAlerts, n) {
			m, _ := h.sim.Message(chAlerts, ts)
			if strings.Contains(texts(t, m), "*Remediation*") {
				reply = texts(t, m)
			}
		}
		var want []string
		for _, a := range acts {
			want = append(want, map[string]string{"rerun_failed_jobs": "re-run the failed jobs", "cancel_run": "cancel the run"}[string(a.Type)])
		}
		if ok {
			want = append(want, "the action succeeded")
		} else {
			want = append(want, "failed: GitHub said no")
		}
		for _, w := range want {
			if !strings.Contains(reply, w) {
				rt.Fatalf("remediation reply lacks %q:\n%s", w, reply)
			}
		}
	})
}

// TestProperty35_ChannelConfigurationSupport: "For any notification type,
// the system should use the configured Slack channel for that type" — the
// repository's own channel when it sets one, else the global one: the
// alert in alerts, the request in approvals, a page in critical.
func TestProperty35_ChannelConfigurationSupport(t *testing.T) {
	h := newSlackHarness(t)
	run := int64(2000)
	all := []string{chAlerts, chApprovals, chCritical, "#web-alerts", "#web-approvals", "#web-critical"}
	rapid.Check(t, func(rt *rapid.T) {
		cfg := configWith(time.Minute, testRepo)
		cfg.Mode = config.ModeApprove
		own := &cfg.Repositories[0].Channels
		if rapid.Bool().Draw(rt, "own_alerts") {
			own.Alerts = "#web-alerts"
		}
		if rapid.Bool().Draw(rt, "own_approvals") {
			own.Approvals = "#web-approvals"
		}
		if rapid.Bool().Draw(rt, "own_critical") {
			own.Critical = "#web-critical"
		}
		want := cfg.For(testRepo).Channels
		c := h.newCase(rt, cfg)
		before := map[string]int{}
		for _, ch := range all {
			before[ch] = len(h.sim.Messages(ch))
		}
		run++
		rec := taskstest.CleanRecord(testRepo, run)
		rec.Fingerprint = fmt.Sprintf("fp-ch-%d", run)
		kind := rapid.SampledFrom([]string{"alert", "approval", "critical"}).Draw(rt, "kind")
		ctx := context.Background()
		switch kind {
		case "alert":
			rec.Status, rec.Analysis = state.StatusDetected, nil
			c.create(rt, rec, state.ActionDetection)
		case "approval":
			c.create(rt, rec, state.ActionAnalysis)
			if err := c.hh.HandleGate(ctx, mustTask(tasks.NewGateTask(rec.ID))); err != nil {
				rt.Fatal(err)
			}
		case "critical":
			c.create(rt, rec, state.ActionAnalysis)
			if _, err := c.st.Audit(ctx, state.AuditEntry{Actor: "ccm", ActionType: state.ActionAlert, FailureID: rec.ID, Repo: testRepo,
				Outcome: state.OutcomeFailure, Details: map[string]any{"severity": "critical", "summary": "remediation of x failed"}}); err != nil {
				rt.Fatal(err)
			}
		}
		if errs := h.drainWith(t, c.st, c.hh); len(errs) > 0 {
			rt.Fatalf("notify errors: %v", errs)
		}
		got := map[string]int{}
		for _, ch := range all {
			for _, m := range h.sim.Messages(ch)[before[ch]:] {
				if !m.IsReply() {
					got[ch]++
				}
			}
		}
		expect := map[string]int{want.Alerts: 1}
		switch kind {
		case "approval":
			expect[want.Approvals] = 1
		case "critical":
			expect[want.Critical]++
		}
		if fmt.Sprint(got) != fmt.Sprint(expect) {
			rt.Fatalf("%s with channels %+v: new top-level messages %v, want %v", kind, want, got, expect)
		}
	})
}

// TestProperty33_CriticalAlertOnRemediationFailure: "For any failed
// remediation, a critical alert notification should be sent". Failed
// verifications (the re-run's attempt is gone) of failures with shared or
// distinct fingerprints: each fingerprint gets one page in the critical
// channel, and every further failure of it within the window is counted
// on that page ("and N more"), so an outage pages once, not once per
// failure — but no failure goes unreported.
func TestProperty33_CriticalAlertOnRemediationFailure(t *testing.T) {
	h := newSlackHarness(t)
	run := int64(3_000_000)
	rapid.Check(t, func(rt *rapid.T) {
		c := h.newCase(rt, configWith(time.Minute, testRepo))
		before := len(h.sim.Messages(chCritical))
		perFP := map[string]int{}
		for range rapid.IntRange(1, 4).Draw(rt, "failures") {
			run++
			rec := taskstest.CleanRecord(testRepo, run) // no such run on GitHub: its re-run is gone
			rec.Fingerprint = fmt.Sprintf("fp-crit-%d-%d", before, rapid.IntRange(0, 1).Draw(rt, "fp"))
			now := time.Now().UTC()
			rec.Status = state.StatusRemediating
			rec.Gate = &state.GateDecision{Decision: "auto", Mode: "auto", Actions: []analysis.Action{rerunFailed}}
			rec.Remediation = &state.Remediation{Steps: []state.RemediationStep{{Action: "rerun_failed_jobs", State: "done"}},
				StartedAt: now, ActedAt: now, VerifyAttempt: 2, VerifyDeadline: now.Add(time.Hour)}
			c.create(rt, rec, state.ActionRemediation)
			if err := c.hh.HandleVerify(context.Background(), verifyTask(t, rec.ID, 0)); err != nil {
				rt.Fatal(err)
			}
			perFP[rec.Fingerprint]++
		}
		if errs := h.drainWith(t, c.st, c.hh); len(errs) > 0 {
			rt.Fatalf("notify errors: %v", errs)
		}
		pages := h.sim.Messages(chCritical)[before:]
		if len(pages) != len(perFP) {
			rt.Fatalf("%d pages for %d fingerprints (%v)", len(pages), len(perFP), perFP)
		}
		for _, p := range pages {
			body := texts(t, p)
			if !strings.Contains(body, "failed verification") {
				rt.Fatalf("page does not say the remediation failed:\n%s", body)
			}
			found := false
			for _, n := range perFP {
				more := strings.Contains(body, fmt.Sprintf("and %d more", n-1))
				found = found || (n == 1 && !strings.Contains(body, "more like it")) || (n > 1 && more)
			}
			if !found {
				rt.Fatalf("page does not count its failures %v:\n%s", perFP, body)
			}
		}
	})
}

// TestProperty34_TimeoutEscalationNotification: "For any approval request
// that times out, an escalation alert should be sent to the critical
// alerts channel" — and the request's own message says it expired, its
// buttons gone.
func TestProperty34_TimeoutEscalationNotification(t *testing.T) {
	h := newSlackHarness(t)
	run := int64(4_000_000)
	rapid.Check(t, func(rt *rapid.T) {
		cfg := configWith(time.Minute, testRepo)
		cfg.Mode = config.ModeApprove
		cfg.ApprovalTimeout = time.Duration(rapid.IntRange(1, 48).Draw(rt, "timeout_h")) * time.Hour
		if rapid.Bool().Draw(rt, "own_critical") {
			cfg.Repositories[0].Channels.Critical = "#web-critical"
		}
		critical := cfg.For(testRepo).Channels.Critical
		c := h.newCase(rt, cfg)
		run++
		rec := taskstest.CleanRecord(testRepo, run)
		rec.Fingerprint = fmt.Sprintf("fp-exp-%d", run)
		c.create(rt, rec, state.ActionAnalysis)
		ctx := context.Background()
		if err := c.hh.HandleGate(ctx, mustTask(tasks.NewGateTask(rec.ID))); err != nil {
			rt.Fatal(err)
		}
		h.drainWith(t, c.st, c.hh)
		a, err := c.st.ApprovalForFailure(ctx, rec.ID)
		if err != nil {
			rt.Fatal(err)
		}
		before := len(h.sim.Messages(critical))
		late := h.deps
		late.Store, late.Config = c.st, func() *config.Config { return cfg }
		late.Now = func() time.Time {
			return a.ExpiresAt.Add(time.Duration(rapid.IntRange(0, 3600).Draw(rt, "late_s")) * time.Second)
		}
		if err := tasks.NewHandlers(late).HandleExpire(ctx, mustTask(tasks.NewExpireTask(a.ID, a.FailureID, a.ExpiresAt))); err != nil {
			rt.Fatal(err)
		}
		if errs := h.drainWith(t, c.st, c.hh); len(errs) > 0 {
			rt.Fatalf("notify errors: %v", errs)
		}
		pages := h.sim.Messages(critical)[before:]
		if len(pages) != 1 || !strings.Contains(texts(t, pages[0]), "expired") {
			rt.Fatalf("%d new messages in %s, want the escalation", len(pages), critical)
		}
		got, _ := c.st.GetApproval(ctx, a.ID)
		msg, ok := h.sim.Message(got.SlackChannel, got.SlackTS)
		if !ok || !strings.Contains(texts(t, msg), "Expired") || strings.Contains(string(msg.Blocks), "ccm_approve") {
			rt.Fatalf("the request's message after expiry:\n%s", texts(t, msg))
		}
	})
}
