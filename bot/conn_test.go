package bot_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"

	"github.com/ccm-ci/ccm/bot"
	"github.com/ccm-ci/ccm/config"
	"github.com/ccm-ci/ccm/sim/slacksim"
	"github.com/ccm-ci/ccm/state/statetest"
	"github.com/ccm-ci/ccm/tasks"
	"github.com/ccm-ci/ccm/tasks/taskstest"
)

// A token Slack refuses is a *TokenError naming its variable.
func TestCheckNamesTheRejectedToken(t *testing.T) {
	sim := slacksim.New(t, slacksim.Config{})
	for _, tc := range []struct{ name, app, botTok, env string }{
		{"bot token", sim.Config().AppToken, "xoxb-revoked", "SLACK_BOT_TOKEN"},
		{"app token", "xapp-1-revoked", sim.Config().BotToken, "SLACK_APP_TOKEN"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q := taskstest.New(t)
			h := tasks.NewHandlers(tasks.Deps{Store: statetest.New(t), Queue: q.Client, Config: config.Default})
			b, err := bot.New(bot.Options{AppToken: tc.app, BotToken: tc.botTok, APIURL: sim.URL(),
				Store: statetest.New(t), Pipeline: h, Config: config.Default})
			if err != nil {
				t.Fatal(err)
			}
			err = b.Check(context.Background())
			var te *bot.TokenError
			if !errors.As(err, &te) || te.Env != tc.env || !strings.Contains(err.Error(), tc.env) {
				t.Fatalf("Check: %v, want a *TokenError naming %s", err, tc.env)
			}
			// Run says the same rather than retrying forever.
			if err := b.Run(context.Background()); !errors.As(err, &te) || te.Env != tc.env {
				t.Fatalf("Run: %v, want a *TokenError naming %s", err, tc.env)
			}
		})
	}
}

// The bot reconnects on its own after a dropped socket and after Slack's
// `disconnect`, and answers on the new connection.
func TestReconnects(t *testing.T) {
	h := newHarness(t, harnessOpt{})
	h.slash(alice, "mode", "*Modes*")
	if n := h.sim.DropConnection(); n != 1 {
		t.Fatalf("dropped %d connections, want 1", n)
	}
	if err := h.sim.WaitConnected(2, waitFor); err != nil {
		t.Fatalf("no reconnect after a drop: %v", err)
	}
	h.slash(alice, "approvals", "No approval is pending")
	if err := h.sim.SendDisconnect("refresh_requested"); err != nil {
		t.Fatal(err)
	}
	if err := h.sim.WaitConnected(3, waitFor); err != nil {
		t.Fatalf("no reconnect after disconnect: %v", err)
	}
	h.slash(alice, "threshold", "*Risk thresholds*")
	a, ts := h.pending(1)
	h.click(alice, ts, "ccm_approve")
	h.answer(alice, "Approved")
	if st := h.approval(a.ID).Status; st != "approved" {
		t.Errorf("status %s after reconnecting twice", st)
	}
}

// A redelivered envelope (retry_attempt > 0, same envelope and event) is
// acked again and does nothing twice.
func TestRedeliveryDoesNothingTwice(t *testing.T) {
	h := newHarness(t, harnessOpt{workers: 1}) // one worker: envelopes are handled in order
	sent := h.mentionSent(alice, "status")
	h.reply(sent.TS, "*ccm status*")
	a, ts := h.pending(1)
	click, err := h.sim.ClickButton(alice, approvCh, ts, "ccm_approve")
	if err != nil {
		t.Fatal(err)
	}
	h.ack(click)
	h.answer(alice, "Approved")
	for _, id := range []string{sent.EnvelopeID, click.EnvelopeID} {
		if err := h.sim.Redeliver(id, "timeout"); err != nil {
			t.Fatal(err)
		}
	}
	// Handled in order after the redeliveries: once this is answered,
	// they were handled (or dropped).
	h.mention(alice, "help", "*Ask me*")
	if acks := h.sim.Acks(); countAcks(acks, sent.EnvelopeID) < 2 || countAcks(acks, click.EnvelopeID) < 2 {
		t.Errorf("redeliveries not acked again: %d, %d acks", countAcks(acks, sent.EnvelopeID), countAcks(acks, click.EnvelopeID))
	}
	replies := 0
	for _, m := range h.sim.Thread(chatCh, sent.TS) {
		if m.User == h.sim.Config().BotUserID {
			replies++
		}
	}
	if replies != 1 {
		t.Errorf("%d replies to one mention delivered twice, want 1", replies)
	}
	if n := len(h.private(alice)); n != 1 {
		t.Errorf("%d answers to one click delivered twice, want 1: %q", n, h.private(alice))
	}
	if n := remediations(h); n != 1 || h.approval(a.ID).DecidedBy != alice {
		t.Errorf("%d remediations, want 1", n)
	}
	if !strings.Contains(h.logs.String(), "Slack redelivery ignored") {
		t.Error("the redelivery was not recognised as one")
	}
}

func countAcks(acks []slacksim.Ack, id string) int {
	n := 0
	for _, a := range acks {
		if a.EnvelopeID == id {
			n++
		}
	}
	return n
}

// App Home shows open failures, pending approvals, open incidents and the
// numbers, with text from logs escaped.
func TestAppHome(t *testing.T) {
	h := newHarness(t, harnessOpt{})
	a, _ := h.pending(1)
	sent, err := h.sim.SendAppHomeOpened(bob)
	if err != nil {
		t.Fatal(err)
	}
	h.ack(sent)
	var view slacksim.View
	if !eventually(func() bool { var ok bool; view, ok = h.sim.HomeView(bob); return ok }) {
		t.Fatal("no Home view published")
	}
	blocks := string(view.Blocks)
	for _, want := range []string{"Open failures* (1)", "Pending approvals* (1)", a.ID, "Open incidents* (0)",
		"Top fingerprints", "fp-npm", "failure(s) measured"} {
		if !strings.Contains(blocks, want) {
			t.Errorf("Home lacks %q:\n%s", want, blocks)
		}
	}
	if strings.Contains(blocks, "<!channel>") {
		t.Errorf("Home holds an unescaped broadcast:\n%s", blocks)
	}
}

// The manifest declares what the bot handles: Socket Mode, the scopes it
// calls with, the two events, interactivity, /ccm and the Home tab.
func TestManifest(t *testing.T) {
	var m struct {
		Features struct {
			AppHome struct {
				HomeTab bool `yaml:"home_tab_enabled"`
			} `yaml:"app_home"`
			Slash []struct {
				Command string `yaml:"command"`
			} `yaml:"slash_commands"`
		} `yaml:"features"`
		OAuth struct {
			Scopes struct {
				Bot []string `yaml:"bot"`
			} `yaml:"scopes"`
		} `yaml:"oauth_config"`
		Settings struct {
			Events struct {
				Bot []string `yaml:"bot_events"`
			} `yaml:"event_subscriptions"`
			Interactivity struct {
				Enabled bool `yaml:"is_enabled"`
			} `yaml:"interactivity"`
			SocketMode bool `yaml:"socket_mode_enabled"`
		} `yaml:"settings"`
	}
	if err := yaml.Unmarshal(bot.Manifest, &m); err != nil {
		t.Fatal(err)
	}
	if !m.Settings.SocketMode || !m.Settings.Interactivity.Enabled || !m.Features.AppHome.HomeTab {
		t.Errorf("socket mode %v, interactivity %v, home tab %v: want all on", m.Settings.SocketMode,
			m.Settings.Interactivity.Enabled, m.Features.AppHome.HomeTab)
	}
	if len(m.Features.Slash) != 1 || m.Features.Slash[0].Command != "/ccm" {
		t.Errorf("slash commands %+v, want /ccm", m.Features.Slash)
	}
	for _, s := range []string{"app_mentions:read", "chat:write", "commands", "usergroups:read", "channels:read"} {
		if !contains(m.OAuth.Scopes.Bot, s) {
			t.Errorf("scope %s missing from %v", s, m.OAuth.Scopes.Bot)
		}
	}
	if len(m.Settings.Events.Bot) != 2 || !contains(m.Settings.Events.Bot, "app_mention") || !contains(m.Settings.Events.Bot, "app_home_opened") {
		t.Errorf("events %v, want app_mention and app_home_opened", m.Settings.Events.Bot)
	}
}

func contains(list []string, s string) bool { return slices.Contains(list, s) }
