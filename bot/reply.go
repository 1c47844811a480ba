package bot

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"github.com/slack-go/slack"

	slackmsg "github.com/ccm-ci/ccm/integrations/slack"
)

// maxText keeps a message well inside Slack's limits (40,000 characters
// of text; a section 3,000) once the escapes have grown it.
const maxText = 12000

// clipText cuts s to maxText without splitting an escape (&lt;): the text
// is escaped already.
func clipText(s string) string { return slackmsg.Truncate(s, maxText) }

// say posts text in a channel, in the thread of threadTS when set.
func (b *Bot) say(ctx context.Context, channel, threadTS, text string) error {
	opts := []slack.MsgOption{slack.MsgOptionText(clipText(text), false)}
	if threadTS != "" {
		opts = append(opts, slack.MsgOptionTS(threadTS))
	}
	if _, _, err := b.api.PostMessageContext(ctx, channel, opts...); err != nil {
		return fmt.Errorf("chat.postMessage to %s: %w", channel, err)
	}
	return nil
}

// whisper posts an ephemeral message only user sees.
func (b *Bot) whisper(ctx context.Context, channel, user, threadTS, text string) error {
	opts := []slack.MsgOption{slack.MsgOptionText(clipText(text), false)}
	if threadTS != "" {
		opts = append(opts, slack.MsgOptionTS(threadTS))
	}
	if _, err := b.api.PostEphemeralContext(ctx, channel, user, opts...); err != nil {
		return fmt.Errorf("chat.postEphemeral to %s in %s: %w", user, channel, err)
	}
	return nil
}

// respond answers a command or click only its author sees: by its
// response_url, which works in any channel (the bot need not be a
// member), else by chat.postEphemeral.
func (b *Bot) respond(ctx context.Context, responseURL, channel, user, text string) error {
	if responseURL != "" && b.trustedResponseURL(responseURL) {
		msg := &slack.WebhookMessage{Text: clipText(text), ResponseType: slack.ResponseTypeEphemeral}
		err := slack.PostWebhookCustomHTTPContext(ctx, responseURL, b.http, msg)
		if err == nil {
			return nil
		}
		b.log.Warn("response_url failed; answering with chat.postEphemeral", "err", err)
	}
	return b.whisper(ctx, channel, user, "", text)
}

// trustedResponseURL keeps the bot from posting wherever an envelope
// says: Slack's response URLs are on hooks.slack.com (or, against a
// simulator, on SLACK_API_URL's host).
func (b *Bot) trustedResponseURL(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") {
		return false
	}
	if u.Scheme == "https" && strings.EqualFold(u.Hostname(), "hooks.slack.com") {
		return true
	}
	api, err := url.Parse(b.opt.APIURL)
	return b.opt.APIURL != "" && err == nil && strings.EqualFold(api.Host, u.Host)
}
