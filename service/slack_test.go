package service_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ccm-ci/ccm/config"
	"github.com/ccm-ci/ccm/service"
	"github.com/ccm-ci/ccm/sim/githubsim"
	"github.com/ccm-ci/ccm/sim/slacksim"
)

// TestSlackNotificationsWiring: with SLACK_BOT_TOKEN the worker checks
// the token at start and sends the alert of a failed run to the alerts
// channel; a token Slack refuses stops New with a SetupError naming
// SLACK_BOT_TOKEN (exit 2); without one Slack is off, said once.
func TestSlackNotificationsWiring(t *testing.T) {
	sim := slacksim.New(t, slacksim.Config{Channels: []string{"#ci-alerts"}})
	for _, tc := range []struct {
		name, token, wantSetup, wantLog string
		alert                           bool
	}{
		{name: "token", token: sim.Config().BotToken, wantLog: "Slack token accepted", alert: true},
		{name: "refused", token: "xoxb-revoked", wantSetup: "SLACK_BOT_TOKEN was rejected by Slack"},
		{name: "off", wantLog: "Slack is off: SLACK_BOT_TOKEN is not set"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			gh := githubsim.New(t)
			gh.AddRepo("acme/web")
			opt, logs := options(t, gh)
			opt.Roles = []service.Role{service.RoleWorker, service.RoleScheduler}
			opt.QueueCheckInterval = 20 * time.Millisecond
			opt.Config.PollInterval = time.Second
			opt.Config.Repositories = []config.Repo{{Name: "acme/web"}}
			opt.Env.SlackBotToken, opt.Env.SlackAPIURL = tc.token, sim.URL()
			svc := started(t, opt, tc.wantSetup)
			if svc == nil {
				return
			}
			if !strings.Contains(logs.String(), tc.wantLog) {
				t.Errorf("logs lack %q:\n%s", tc.wantLog, logs)
			}
			if !tc.alert {
				if svc.Slack != nil {
					t.Error("a Slack client without a token")
				}
				return
			}
			gh.AddRun("acme/web", githubsim.Run{Conclusion: "failure", Name: "CI", HeadBranch: "main",
				Jobs: []githubsim.Job{{Name: "test", Conclusion: "failure", Log: "npm error code ECONNRESET\n"}}})
			m, err := sim.WaitForMessage("#ci-alerts", func(m slacksim.Message) bool { return !m.IsReply() }, 20*time.Second)
			if err != nil {
				t.Fatalf("no alert in #ci-alerts: %v\n%s", err, logs)
			}
			if !strings.Contains(m.Text, "acme/web") {
				t.Errorf("alert text %q", m.Text)
			}
		})
	}
}

// started builds and starts the service, shut down when the test ends.
// With wantSetup it instead expects New to fail with a SetupError saying
// so, and returns nil.
func started(t *testing.T, opt service.Options, wantSetup string) *service.Service {
	t.Helper()
	svc, err := service.New(context.Background(), opt)
	if wantSetup != "" {
		var se *service.SetupError
		if !errors.As(err, &se) || !strings.Contains(err.Error(), wantSetup) {
			t.Fatalf("New: %v, want a SetupError saying %q", err, wantSetup)
		}
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = svc.Shutdown() })
	return svc
}
