package service_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ccm-ci/ccm/service"
	"github.com/ccm-ci/ccm/sim/githubsim"
	"github.com/ccm-ci/ccm/sim/slacksim"
)

// The bot role runs the Slack bot when both tokens are set: it connects
// over Socket Mode and answers /ccm; a token Slack refuses stops New with
// a SetupError naming it; without the tokens Slack is off, said once, and
// the service runs.
func TestSlackBotWiring(t *testing.T) {
	sim := slacksim.New(t, slacksim.Config{Channels: []string{"#ci"}})
	for _, tc := range []struct {
		name             string
		app, bot         string
		wantSetup, wants string
	}{
		{name: "both tokens", app: sim.Config().AppToken, bot: sim.Config().BotToken},
		{name: "no tokens", wants: "Slack bot is off: set SLACK_APP_TOKEN"},
		{name: "no app token", bot: sim.Config().BotToken, wants: "SLACK_APP_TOKEN (xapp-…, Socket Mode) is not set"},
		{name: "app token refused", app: "xapp-1-revoked", bot: sim.Config().BotToken, wantSetup: "SLACK_APP_TOKEN was rejected by Slack"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opt, logs := options(t, githubsim.New(t))
			opt.Roles = []service.Role{service.RoleBot}
			opt.Env.SlackAppToken, opt.Env.SlackBotToken, opt.Env.SlackAPIURL = tc.app, tc.bot, sim.URL()
			svc, err := service.New(context.Background(), opt)
			if tc.wantSetup != "" {
				var se *service.SetupError
				if !errors.As(err, &se) || !strings.Contains(err.Error(), tc.wantSetup) {
					t.Fatalf("New: %v, want a SetupError saying %q", err, tc.wantSetup)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			before := sim.ConnectionCount()
			if err := svc.Start(context.Background()); err != nil {
				t.Fatal(err)
			}
			defer func() { _ = svc.Shutdown() }()
			if tc.wants != "" {
				if !strings.Contains(logs.String(), tc.wants) {
					t.Errorf("logs lack %q:\n%s", tc.wants, logs)
				}
				if n := sim.ConnectionCount(); n != before {
					t.Errorf("%d Socket Mode connections opened with the bot off", n-before)
				}
				return
			}
			if err := sim.WaitConnected(before+1, 10*time.Second); err != nil {
				t.Fatal(err)
			}
			sent, err := sim.SendSlashCommand(slacksim.SlashCommand{User: "U1ALICE", Channel: "#ci", Text: "mode"})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := sim.WaitAck(sent.EnvelopeID, 10*time.Second); err != nil {
				t.Fatal(err)
			}
			if _, err := sim.WaitForEphemeral("U1ALICE", 1, 10*time.Second); err != nil {
				t.Fatal(err)
			}
		})
	}
}
