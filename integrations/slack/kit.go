package slack

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	goslack "github.com/slack-go/slack"
)

// The action IDs of the approval buttons. The bot matches a click on them;
// each button's value is only the approval request's ID (random, 22
// characters), never anything a click could use to name another request.
const (
	ActionApprove = "ccm_approve"
	ActionReject  = "ccm_reject"
	// BlockApproval is the block_id of the actions block holding them.
	BlockApproval = "ccm_approval"
)

// section is a mrkdwn section; text must already be escaped where it is
// untrusted. It is cut to the section limit.
func section(text string) goslack.Block {
	return goslack.NewSectionBlock(mrkdwn(Truncate(text, MaxSectionText)), nil, nil)
}

// fieldsSection is a section of up to MaxFields mrkdwn fields.
func fieldsSection(fields ...string) goslack.Block {
	var objs []*goslack.TextBlockObject
	for _, f := range fields {
		if f == "" || len(objs) == MaxFields {
			continue
		}
		objs = append(objs, mrkdwn(Truncate(f, MaxFieldText)))
	}
	return goslack.NewSectionBlock(nil, objs, nil)
}

// header is a plain_text header. Slack does not parse markup in plain
// text, but whether it decodes entities there is not promised; so the
// markup characters become look-alikes (‹ ›) instead of entities, and the
// header reads right either way.
func header(text string) goslack.Block {
	text = broadcasts.Replace(plainMarkup.Replace(strings.ToValidUTF8(oneLine(text), "\uFFFD")))
	return goslack.NewHeaderBlock(goslack.NewTextBlockObject(goslack.PlainTextType, Truncate(text, MaxHeaderText), true, false))
}

var plainMarkup = strings.NewReplacer("<", "‹", ">", "›")

// contextLine is a small grey line of mrkdwn.
func contextLine(text string) goslack.Block {
	return goslack.NewContextBlock("", mrkdwn(Truncate(text, MaxSectionText)))
}

func mrkdwn(text string) *goslack.TextBlockObject {
	return goslack.NewTextBlockObject(goslack.MarkdownType, text, false, false)
}

// Fit cuts m to Block Kit's per-message limits: at most MaxBlocks blocks
// (the last kept one says how many were left out) and MaxMessageText
// characters of fallback text.
func (m Message) Fit() Message {
	m.Text = Truncate(m.Text, MaxMessageText)
	if strings.TrimSpace(m.Text) == "" {
		// Slack shows the text in notifications: never leave it blank.
		m.Text = "ccm"
	}
	if len(m.Blocks) > MaxBlocks {
		left := len(m.Blocks) - (MaxBlocks - 1)
		blocks := append([]goslack.Block(nil), m.Blocks[:MaxBlocks-1]...)
		m.Blocks = append(blocks, contextLine(fmt.Sprintf("_%d more blocks left out (Slack shows at most %d)_", left, MaxBlocks)))
	}
	return m
}

// link is a mrkdwn link to url with an escaped label. url must be one ccm
// built or got from GitHub's API: a '|' or '>' in it would end it, so such
// a url is shown as text instead.
func link(url, label string) string {
	if url == "" || !safeURL.MatchString(url) {
		return Escape(label)
	}
	return "<" + url + "|" + Escape(label) + ">"
}

// safeURL accepts an http(s) URL with nothing in it that ends a mrkdwn link.
var safeURL = regexp.MustCompile(`^https?://[^\s<>|]+$`)

// slackUser is a mention of a Slack user ID; anything that is not one is
// shown escaped, so no decided_by value can become a broadcast.
func slackUser(id string) string {
	if userID.MatchString(id) {
		return "<@" + id + ">"
	}
	return Escape(id)
}

var userID = regexp.MustCompile(`^[UW][A-Z0-9]{2,}$`)

// channelRef is a link to a channel ID, or the escaped name.
func channelRef(ch string) string {
	if channelID.MatchString(ch) {
		return "<#" + ch + ">"
	}
	return Escape(ch)
}

var channelID = regexp.MustCompile(`^[CGD][A-Z0-9]{2,}$`)

// when is a time Slack shows in each reader's own time zone, with a UTC
// fallback for clients that cannot.
func when(t time.Time) string {
	if t.IsZero() {
		return "unknown time"
	}
	t = t.UTC()
	return fmt.Sprintf("<!date^%d^{date_short_pretty} at {time}|%s>", t.Unix(), t.Format("2006-01-02 15:04 UTC"))
}
