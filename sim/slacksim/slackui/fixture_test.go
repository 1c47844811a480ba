package slackui_test

import (
	"testing"

	"github.com/slack-go/slack"

	"github.com/ccm-ci/ccm/sim/slacksim"
)

// hostile is log text that would retitle the page were it ever run.
const hostile = `<script>document.title="pwned"</script>`

// slackEscaped is hostile as ccm sends it (Slack's three entities).
const slackEscaped = `&lt;script&gt;document.title="pwned"&lt;/script&gt;`

func mrkdwn(s string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.MarkdownType, s, false, false)
}

func plain(s string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.PlainTextType, s, false, false)
}

func alertBlocks(title, run string) []slack.Block {
	return []slack.Block{
		slack.NewHeaderBlock(plain(":rotating_light: CI failed: " + title)),
		slack.NewSectionBlock(mrkdwn("*<https://github.com/acme/api/actions/runs/"+run+"|Run #"+run+">* failed on `main` at <!date^1796491784^{date_short_pretty} at {time}|2026-12-05 17:29 UTC>"), nil, nil),
		slack.NewSectionBlock(nil, []*slack.TextBlockObject{
			mrkdwn("*Repository*\nacme/api"), mrkdwn("*Workflow*\nbuild"),
			mrkdwn("*Branch*\n`main`"), mrkdwn("*Commit*\n<https://github.com/acme/api/commit/a1b2c3d|a1b2c3d> fix cache"),
		}, nil),
		slack.NewContextBlock("", mrkdwn("Fingerprint `go-test-timeout` · seen 3 times this week · <#C0ALERTS>")),
	}
}

func approvalBlocks(run string) []slack.Block {
	return []slack.Block{
		slack.NewSectionBlock(mrkdwn(":raising_hand: *Approval needed*: re-run the failed jobs of run #"+run+"?\nRequested for <@U1ALICE>; expires in 10 minutes."), nil, nil),
		slack.NewActionBlock("ccm_approval",
			slack.NewButtonBlockElement("ccm_approve", "req-"+run, plain("Approve")).WithStyle(slack.StylePrimary),
			slack.NewButtonBlockElement("ccm_reject", "req-"+run, plain("Reject")).WithStyle(slack.StyleDanger),
		),
	}
}

// workspace is a realistic #ci-alerts: a pending failure (alert, analysis
// quoting a hostile log, approval request with buttons, a person's reply
// carrying raw hostile markup) and a decided one (approval updated after
// the decision, the re-run's result), plus a private message to alice.
func workspace(t *testing.T) *slacksim.Server {
	t.Helper()
	sim := slacksim.New(t, slacksim.Config{
		Channels:   []string{"#ci-alerts", "#ci-approvals"},
		ChannelIDs: map[string]string{"ci-alerts": "C0ALERTS"},
		Users:      map[string]string{"U1ALICE": "alice", "U2BOB": "bob"},
	})
	api := slack.New(sim.Config().BotToken, slack.OptionAPIURL(sim.URL()))
	post := func(threadTS, text string, blocks ...slack.Block) string {
		t.Helper()
		opts := []slack.MsgOption{slack.MsgOptionText(text, false), slack.MsgOptionBlocks(blocks...)}
		if threadTS != "" {
			opts = append(opts, slack.MsgOptionTS(threadTS))
		}
		_, ts, err := api.PostMessage("#ci-alerts", opts...)
		if err != nil {
			t.Fatalf("posting %q: %v", text, err)
		}
		return ts
	}

	decided := post("", "CI failed: acme/web", alertBlocks("acme/web · build (main)", "7")...)
	approval := post(decided, "Approval needed", approvalBlocks("7")...)
	if _, _, _, err := api.UpdateMessage("C0ALERTS", approval, slack.MsgOptionText("Approved", false), slack.MsgOptionBlocks(
		slack.NewSectionBlock(mrkdwn(":white_check_mark: *Approved* by <@U2BOB>: re-running the failed jobs of run #7."), nil, nil),
	)); err != nil {
		t.Fatalf("updating the approval: %v", err)
	}
	post(decided, "Re-run passed", slack.NewSectionBlock(mrkdwn(":tada: Re-run <https://github.com/acme/web/actions/runs/8|#8> passed; the failure was flaky."), nil, nil))

	root := post("", "CI failed: acme/api", alertBlocks("acme/api · test (main)", "42")...)
	post(root, "Analysis", slack.NewSectionBlock(mrkdwn(":brain: *Analysis* (confidence 0.82)\n_Flaky test_: `TestCache` timed out waiting for Redis. The log says "+slackEscaped+"\n```--- FAIL: TestCache (30.00s)\n    cache_test.go:88: "+slackEscaped+"```"), nil, nil),
		slack.NewSectionBlock(mrkdwn("Not a link: <javascript:alert(1)|click me> · <https://x.example/\" onmouseover=\"alert(1)|quoted>"), nil, nil))
	post(root, "Approval needed", approvalBlocks("42")...)
	if _, err := sim.PostUserMessage("#ci-alerts", "U2BOB", hostile+" looking at it", root); err != nil {
		t.Fatalf("posting bob's reply: %v", err)
	}
	if _, err := api.PostEphemeral("C0ALERTS", "U1ALICE", slack.MsgOptionText("You may not approve acme/web: only *@ops* may.", false)); err != nil {
		t.Fatalf("posting the ephemeral: %v", err)
	}
	return sim
}
