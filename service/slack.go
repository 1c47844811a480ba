package service

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ccm-ci/ccm/integrations/slack"
	"github.com/ccm-ci/ccm/tasks"
)

// setupSlack builds the Slack client when SLACK_BOT_TOKEN is set and
// checks the token once (auth.test): a token Slack refuses stops ccm with
// an error naming SLACK_BOT_TOKEN, as a refused GITHUB_TOKEN does; Slack
// being unreachable only warns, since every notification is retried.
// Without a token Slack is off, said once.
func (s *Service) setupSlack(ctx context.Context) error {
	env := s.opt.Env
	if env.SlackBotToken == "" {
		s.log.Info("Slack is off: SLACK_BOT_TOKEN is not set; alerts and approval requests stay in the audit stream")
		return nil
	}
	c, err := slack.New(slack.Options{Token: env.SlackBotToken, APIURL: env.SlackAPIURL})
	if err != nil {
		return &SetupError{Err: fmt.Errorf("slack: %w", err)}
	}
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	info, err := c.AuthTest(ctx)
	switch {
	case errors.Is(err, slack.ErrAuth):
		return &SetupError{Err: fmt.Errorf("SLACK_BOT_TOKEN was rejected by Slack (revoked, expired or mistyped): %w", err)}
	case err != nil:
		s.log.Warn("could not reach Slack at start; notifications will retry", "err", err)
	default:
		s.SlackURL = info.URL
		s.log.Info("Slack token accepted", "team", info.Team, "bot_user", info.UserID)
	}
	s.Slack = c
	return nil
}

// slackDeps fills the task dependencies Slack needs (none when it is off:
// a nil *slack.Client in the interface would not read as off).
func (s *Service) slackDeps(d *tasks.Deps) {
	if s.Slack != nil {
		// Slack allows about one post a second per channel.
		spacing := s.opt.SlackPostSpacing
		switch {
		case spacing == 0:
			spacing = time.Second
		case spacing < 0:
			spacing = 0
		}
		d.Slack, d.SlackURL, d.SlackPostSpacing = s.Slack, s.SlackURL, spacing
	}
}

// startNotifications runs the audit tail that turns audit entries into
// ccm:notify tasks, in the worker role when Slack is on.
func (s *Service) startNotifications(goRun func(string, func(context.Context) error)) {
	if s.Slack == nil || !s.HasRole(RoleWorker) {
		return
	}
	tail := &tasks.NotifyTail{Store: s.Store, Queue: s.Queue, Logger: s.log}
	goRun("slack notifications", tail.Run)
}
