package service

import (
	"context"
	"errors"
	"fmt"

	"github.com/ccm-ci/ccm/bot"
)

// setupSlackBot builds the Slack bot (Socket Mode: mentions, /ccm, the
// Approve and Reject buttons, App Home) for the bot role when both
// SLACK_APP_TOKEN and SLACK_BOT_TOKEN are set, and proves both tokens: a
// token Slack refuses stops ccm with an error naming it (exit 2), as a
// refused GITHUB_TOKEN does. Slack being unreachable only warns: the bot
// keeps trying to connect. Without both tokens the bot is off, said once,
// and the webhooks are served as before.
func (s *Service) setupSlackBot(ctx context.Context) error {
	env := s.opt.Env
	switch {
	case !s.HasRole(RoleBot):
		return nil
	case env.SlackAppToken == "" && env.SlackBotToken == "":
		s.log.Info("Slack bot is off: set SLACK_APP_TOKEN (xapp-…) and SLACK_BOT_TOKEN (xoxb-…) to take mentions, /ccm and the Approve / Reject buttons")
		return nil
	case env.SlackAppToken == "":
		s.log.Warn("Slack bot is off: SLACK_APP_TOKEN (xapp-…, Socket Mode) is not set; notifications still go out with SLACK_BOT_TOKEN, but nobody can click Approve")
		return nil
	case env.SlackBotToken == "":
		s.log.Warn("Slack bot is off: SLACK_BOT_TOKEN (xoxb-…) is not set")
		return nil
	}
	opt := bot.Options{
		AppToken: env.SlackAppToken, BotToken: env.SlackBotToken, APIURL: env.SlackAPIURL,
		GitHubAPIURL: env.GitHubAPIURL,
		Store:        s.Store, Pipeline: s.Handlers, Queues: s.Inspector, Config: s.Config, Logger: s.log,
		Latest: func(ctx context.Context, repo string, runID int64) (int, error) {
			run, err := s.GitHub.GetRun(ctx, repo, runID, 0)
			return run.Attempt, err
		},
	}
	b, err := bot.New(opt)
	if err != nil {
		return fmt.Errorf("slack bot: %w", err)
	}
	s.newBot = func() (*bot.Bot, error) { return bot.New(opt) }
	var te *bot.TokenError
	switch err := b.Check(ctx); {
	case errors.As(err, &te):
		return &SetupError{Err: err}
	case err != nil:
		s.log.Warn("could not reach Slack at start; the bot keeps trying", "err", err)
	}
	s.slackBot = b
	return nil
}

// startSlackBot runs the bot's Socket Mode loop. A token refused later
// (revoked while running) stops only the bot, with an error in the log:
// polling, the pipeline and the webhooks go on, and the supervisor starts
// the bot again with backoff, so a Socket Mode connection lost for good or
// a token refused for a while is tried again (a Bot runs once, so each
// restart builds a new one).
func (s *Service) startSlackBot(goRun func(string, func(context.Context) error)) {
	if s.slackBot == nil {
		return
	}
	b := s.slackBot
	goRun("slack bot", func(ctx context.Context) error {
		if b == nil {
			var err error
			if b, err = s.newBot(); err != nil {
				return fmt.Errorf("slack bot: %w", err)
			}
		}
		defer func() { b = nil }()
		return b.Run(ctx)
	})
}
