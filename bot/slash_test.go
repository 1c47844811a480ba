package bot_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ccm-ci/ccm/bot"
	"github.com/ccm-ci/ccm/config"
	"github.com/ccm-ci/ccm/state"
	"github.com/ccm-ci/ccm/tasks"
)

// Every /ccm form, good and malformed, answers only its author with what
// it asked for; a malformed one shows the right form.
func TestSlashCommands(t *testing.T) {
	seven := 7
	h := newHarness(t, harnessOpt{mutate: func(c *config.Config) {
		c.Repositories = []config.Repo{{Name: testRepo}, {Name: "acme/api", RiskThreshold: &seven, Mode: config.ModeShadow}}
	}})
	a, _ := h.pending(1)
	for _, tc := range []struct {
		user, text string
		want       []string
	}{
		{alice, "", []string{"`/ccm` commands", bot.FormAudit}},
		{alice, "help", []string{"`/ccm` commands"}},
		{mallory, "threshold", []string{"global, config file: 5", "every repository: none",
			"acme/web: *5* — the global risk_threshold", "acme/api: *7* — the repository's own"}},
		{alice, "threshold 11", []string{"is not a threshold from 0 to 10", bot.FormThreshold}},
		{alice, "threshold 3 nope", []string{"is not owner/repo", bot.FormThreshold}},
		{alice, "audit action=bogus", []string{`action "bogus"`, bot.FormAudit}},
		{alice, "audit limit=0", []string{"limit", bot.FormAudit}},
		{alice, "audit action=approval", []string{"*Audit*", "approval pending by ccm acme/web#1.1 — decision=requested"}},
		{alice, "approvals", []string{"1 pending approval(s)", a.ID, "rerun_failed_jobs"}},
		{alice, "approvals now", []string{"takes no arguments", bot.FormApprovals}},
		{alice, "stats", []string{"failure(s) measured", "Top fingerprints", "`fp-npm` ×1"}},
		{alice, "stats 9", []string{bot.FormStats}},
		{alice, "mode", []string{"global: approve", "acme/web: *approve* (the global one)", "acme/api: *shadow* (its own)"}},
		{alice, "mode auto", []string{bot.FormMode}},
		{alice, "deploy", []string{"unknown command", bot.FormHelp}},
	} {
		t.Run(tc.user+" "+tc.text, func(t *testing.T) {
			got := h.on(t).slash(tc.user, tc.text, tc.want[0])
			for _, w := range tc.want[1:] {
				if !strings.Contains(got, w) {
					t.Errorf("/ccm %s: answer lacks %q:\n%s", tc.text, w, got)
				}
			}
		})
	}
}

// /ccm threshold N [repo]: admins only; stored, audited as config with the
// admin as actor, pending approvals re-evaluated; anyone else is refused
// and audited, and nothing changes.
func TestSlashThresholdSet(t *testing.T) {
	h := newHarness(t, harnessOpt{mutate: func(c *config.Config) { c.Mode = config.ModeAuto }})
	ctx := context.Background()
	// Risk 2 against the threshold 0 set below: approval, pending.
	if _, err := h.h.SetRiskThreshold(ctx, "", 0, "test"); err != nil {
		t.Fatal(err)
	}
	a, _ := h.pending(1)

	h.slash(mallory, "threshold 9", "You cannot set a threshold: only the admins")
	if v, _, _ := h.store.Setting(ctx, tasks.SettingRiskThreshold); v != "0" {
		t.Fatalf("setting %q after a refused change, want 0", v)
	}
	refused := h.audit(state.AuditQuery{ActionType: state.ActionConfig})
	if len(refused) == 0 || refused[0].Actor != mallory || refused[0].Outcome != state.OutcomeFailure {
		t.Fatalf("newest config entry %+v: want mallory's refusal", refused)
	}

	got := h.slash(alice, "threshold 6 acme/web", "Risk threshold for acme/web set to *6*")
	if !strings.Contains(got, "1 decision(s) changed") || !strings.Contains(got, a.FailureID) {
		t.Errorf("answer does not report the re-evaluation:\n%s", got)
	}
	if v, ok, _ := h.store.Setting(ctx, tasks.RiskThresholdSetting(testRepo)); !ok || v != "6" {
		t.Errorf("setting %q %v, want 6", v, ok)
	}
	es := h.audit(state.AuditQuery{ActionType: state.ActionConfig, Repo: testRepo})
	if len(es) == 0 || es[0].Actor != alice || es[0].Outcome != state.OutcomeSuccess {
		t.Errorf("config audit %+v: want alice's change", es)
	}
	rec, err := h.store.GetFailure(ctx, a.FailureID)
	if err != nil || rec.Gate.Decision != "auto" || rec.Status != state.StatusAwaitingApproval {
		t.Errorf("record %s gate %+v, %v: want re-evaluated to auto, still awaiting a person", rec.Status, rec.Gate, err)
	}
	h.slash(alice, "threshold", "acme/web: *6* — set from Slack")
	h.slash(alice, "threshold 4 other/repo", "is not a watched repository")
}

// /ccm audit pages: each page holds limit entries and the command for
// the older ones; following them shows every entry once, even entries of
// the same instant split across a page edge.
func TestSlashAuditPages(t *testing.T) {
	h := newHarness(t, harnessOpt{})
	at := time.Now().UTC().Truncate(time.Millisecond)
	for i := range 5 {
		e := state.AuditEntry{Timestamp: at, Actor: "test", ActionType: state.ActionConfig, Repo: testRepo,
			Outcome: state.OutcomeSuccess, Details: map[string]any{"setting": fmt.Sprintf("key-%d", i)}}
		if _, err := h.store.Audit(context.Background(), e); err != nil {
			t.Fatal(err)
		}
	}
	cmd := "audit action=config limit=2"
	seen := map[string]int{}
	for page := 1; ; page++ {
		if page > 3 {
			t.Fatalf("more than 3 pages of 2 for 5 entries")
		}
		got := h.slash(alice, cmd, "*Audit*")
		for _, line := range strings.Split(got, "\n") {
			if _, key, ok := strings.Cut(line, "setting="); ok {
				seen[key]++
			}
		}
		i := strings.Index(got, "Older: `/ccm ")
		if i < 0 {
			break
		}
		cmd = strings.TrimSuffix(got[i+len("Older: `/ccm "):], "`")
	}
	for i := range 5 {
		if n := seen[fmt.Sprintf("key-%d", i)]; n != 1 {
			t.Errorf("key-%d shown %d times over the pages, want once", i, n)
		}
	}
	h.slash(alice, "audit before=12", bot.FormAudit)
}

// /ccm stats ends with the shadow scorecard, read from state: what shadow
// mode would have done against what happened.
func TestSlashStatsShowsTheShadowScorecard(t *testing.T) {
	h := newHarness(t, harnessOpt{})
	ctx := context.Background()
	rec := h.record("acme/api", 7)
	g := state.GateDecision{Decision: "auto", Reasons: []string{"a registry reset: re-run"}, Mode: "shadow"}
	ev := state.AuditEntry{Actor: state.ActorCCM, Outcome: state.OutcomeSuccess}
	if _, err := h.store.SaveGate(ctx, rec.ID, rec.Status, g, ev, nil); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	o := state.ShadowOutcome{Outcome: "rerun_passed", At: now, ResolvedAt: now, WouldHaveFixed: true}
	if _, err := h.store.RecordShadowOutcome(ctx, rec.ID, o, ev); err != nil {
		t.Fatal(err)
	}
	h.slash(alice, "stats", "acme/api (shadow): would have fixed 1 of 1, asked for 0, left 0 alone, never touched code")
}
