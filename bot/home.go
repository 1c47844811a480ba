package bot

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/slack-go/slack"

	slackmsg "github.com/ccm-ci/ccm/integrations/slack"
)

// homeWindow is how far back App Home looks.
const homeWindow = 7 * 24 * time.Hour

// maxSection is a section's text limit (Slack allows 3,000 characters).
const maxSection = 2900

// publishHome shows the user ccm at a glance (views.publish): open
// failures, pending approvals, open incidents, success rate, mean time to
// resolution and top fingerprints over the last week.
func (b *Bot) publishHome(ctx context.Context, user string) error {
	s, err := b.summarize(ctx, b.opt.Now().Add(-homeWindow))
	if err != nil {
		return fmt.Errorf("app home for %s: %w", user, err)
	}
	view := slack.HomeTabViewRequest{Type: slack.VTHomeTab, Blocks: slack.Blocks{BlockSet: homeBlocks(s)}}
	if _, err := b.api.PublishViewContext(ctx, slack.PublishViewContextRequest{UserID: user, View: view}); err != nil {
		return fmt.Errorf("views.publish for %s: %w", user, err)
	}
	return nil
}

func homeBlocks(s summary) []slack.Block {
	section := func(text string) slack.Block {
		text = slackmsg.Truncate(text, maxSection)
		return slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, text, false, false), nil, nil)
	}
	header := slack.NewHeaderBlock(slack.NewTextBlockObject(slack.PlainTextType, "ccm — keeps CI green", false, false))
	blocks := []slack.Block{header, section(s.statsText()), slack.NewDividerBlock()}

	open := []string{fmt.Sprintf("*Open failures* (%d)", len(s.open))}
	for _, r := range s.open[:min(len(s.open), 10)] {
		open = append(open, failureLine(r))
	}
	blocks = append(blocks, section(strings.Join(open, "\n")))

	pending := []string{fmt.Sprintf("*Pending approvals* (%d)", len(s.pending))}
	for _, a := range s.pending[:min(len(s.pending), 10)] {
		pending = append(pending, approvalLine(a))
	}
	blocks = append(blocks, section(strings.Join(pending, "\n")))

	inc := []string{fmt.Sprintf("*Open incidents* (%d)", len(s.incidents))}
	for _, fp := range s.incidents[:min(len(s.incidents), 10)] {
		inc = append(inc, "• fingerprint `"+slackmsg.Escape(fp)+"`")
	}
	blocks = append(blocks, section(strings.Join(inc, "\n")),
		slack.NewContextBlock("", slack.NewTextBlockObject(slack.MarkdownType, "Mention me or type `/ccm help` for commands.", false, false)))
	return blocks
}
