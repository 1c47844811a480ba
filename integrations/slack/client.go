// Package slack is how ccm tells people in Slack: a small client over
// slack-go (post, update, auth.test) that turns Slack's answers into errors
// ccm can act on, and pure Block Kit builders for every message ccm sends,
// with untrusted text escaped and everything cut to Block Kit's limits.
//
// It holds no state: which message to post or update is decided by the
// ccm:notify task (tasks/notify.go), which keeps each message's channel and
// ts in Redis.
package slack

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	goslack "github.com/slack-go/slack"
)

// Errors callers check with errors.Is / errors.As.
var (
	// ErrAuth: Slack refused the token (revoked, expired, mistyped). No
	// retry helps until an operator fixes SLACK_BOT_TOKEN.
	ErrAuth = errors.New("slack refused the bot token")
	// ErrRejected: Slack refused this message for good (unknown channel,
	// bot not in it, invalid blocks, message gone). Retrying the same call
	// changes nothing.
	ErrRejected = errors.New("slack rejected the message")
)

// authErrors are Slack's error codes meaning the token is no good.
var authErrors = []string{"invalid_auth", "not_authed", "account_inactive", "token_revoked", "token_expired", "no_permission", "missing_scope"}

// rejectErrors are codes where the same call can never succeed.
var rejectErrors = []string{
	"channel_not_found", "not_in_channel", "is_archived", "msg_too_long", "invalid_blocks", "invalid_blocks_format",
	"no_text", "invalid_arguments", "cant_update_message", "message_not_found", "edit_window_closed",
	"too_many_attachments", "restricted_action", "invalid_ts_latest", "thread_not_found",
}

// RateLimitError is Slack's 429: try again after RetryAfter.
type RateLimitError struct {
	Method     string
	RetryAfter time.Duration
}

func (e *RateLimitError) Error() string {
	return fmt.Sprintf("slack %s: rate limited, retry after %s", e.Method, e.RetryAfter)
}

// RetryIn is when the call may be made again (tasks.RetryDelay reads it).
func (e *RateLimitError) RetryIn() time.Duration { return e.RetryAfter }

// Ref says where a message is: the channel ID Slack answered with (never
// a name: chat.update needs the ID) and the message's ts.
type Ref struct {
	Channel string `json:"channel"`
	TS      string `json:"ts"`
}

// IsZero reports whether r points at no message.
func (r Ref) IsZero() bool { return r.Channel == "" || r.TS == "" }

// Message is one message: its blocks and the fallback text Slack shows in
// notifications and where blocks cannot be shown.
type Message struct {
	Text   string
	Blocks []goslack.Block
}

// Options configure a Client.
type Options struct {
	// Token is the bot token (SLACK_BOT_TOKEN, xoxb-…). Required.
	Token string
	// APIURL is the Web API base (SLACK_API_URL); "" = Slack's own.
	APIURL string
	// HTTPClient; nil = one with a 30 s timeout.
	HTTPClient *http.Client
}

// Client calls Slack's Web API. Safe for concurrent use.
type Client struct {
	api *goslack.Client
}

// New builds a client; it makes no call.
func New(opt Options) (*Client, error) {
	if opt.Token == "" {
		return nil, errors.New("slack: no bot token (SLACK_BOT_TOKEN)")
	}
	hc := opt.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	opts := []goslack.Option{goslack.OptionHTTPClient(hc)}
	if opt.APIURL != "" {
		// slack-go appends method names to the base as is: without the
		// trailing slash "…/apichat.postMessage" would be called.
		u := opt.APIURL
		if !strings.HasSuffix(u, "/") {
			u += "/"
		}
		opts = append(opts, goslack.OptionAPIURL(u))
	}
	return &Client{api: goslack.New(opt.Token, opts...)}, nil
}

// AuthInfo is what auth.test says about the token.
type AuthInfo struct {
	// URL is the workspace's address (https://acme.slack.com/), from which
	// message permalinks are built without a call per message.
	URL    string
	Team   string
	UserID string
	BotID  string
}

// AuthTest checks the token once; a refused one gives ErrAuth.
func (c *Client) AuthTest(ctx context.Context) (AuthInfo, error) {
	r, err := c.api.AuthTestContext(ctx)
	if err != nil {
		return AuthInfo{}, classify("auth.test", err)
	}
	return AuthInfo{URL: r.URL, Team: r.Team, UserID: r.UserID, BotID: r.BotID}, nil
}

// Post sends m to channel (a name like #ci-alerts or an ID), as a reply in
// the thread threadTS when that is set, and says where it landed.
func (c *Client) Post(ctx context.Context, channel, threadTS string, m Message) (Ref, error) {
	opts := msgOptions(m)
	if threadTS != "" {
		opts = append(opts, goslack.MsgOptionTS(threadTS))
	}
	ch, ts, err := c.api.PostMessageContext(ctx, channel, opts...)
	if err != nil {
		return Ref{}, classify("chat.postMessage", err)
	}
	return Ref{Channel: ch, TS: ts}, nil
}

// Update replaces the message at ref with m.
func (c *Client) Update(ctx context.Context, ref Ref, m Message) error {
	if _, _, _, err := c.api.UpdateMessageContext(ctx, ref.Channel, ref.TS, msgOptions(m)...); err != nil {
		return classify("chat.update", err)
	}
	return nil
}

func msgOptions(m Message) []goslack.MsgOption {
	m = m.Fit()
	// Links in ccm's messages point at GitHub runs; an unfurled preview of
	// each would bury the thread.
	return []goslack.MsgOption{
		goslack.MsgOptionText(m.Text, false), goslack.MsgOptionBlocks(m.Blocks...),
		goslack.MsgOptionDisableLinkUnfurl(), goslack.MsgOptionDisableMediaUnfurl(),
	}
}

// classify turns slack-go's errors into ccm's: a 429 into *RateLimitError,
// a refused token into ErrAuth, a refused message into ErrRejected; the
// rest (network, 5xx) stay as they are and are worth retrying.
func classify(method string, err error) error {
	var rl *goslack.RateLimitedError
	if errors.As(err, &rl) {
		return &RateLimitError{Method: method, RetryAfter: rl.RetryAfter}
	}
	var se goslack.SlackErrorResponse
	if errors.As(err, &se) {
		switch {
		case slices.Contains(authErrors, se.Err):
			return fmt.Errorf("slack %s: %s: %w", method, se.Err, ErrAuth)
		case slices.Contains(rejectErrors, se.Err):
			return fmt.Errorf("slack %s: %s: %w", method, se.Err, ErrRejected)
		}
	}
	return fmt.Errorf("slack %s: %w", method, err)
}

// Permalink is the address of the message at ref in the workspace at
// teamURL (auth.test's URL), built as Slack builds its own; "" when the
// workspace is not known.
func Permalink(teamURL string, ref Ref) string {
	if teamURL == "" || ref.IsZero() {
		return ""
	}
	return strings.TrimSuffix(teamURL, "/") + "/archives/" + ref.Channel + "/p" + strings.ReplaceAll(ref.TS, ".", "")
}
