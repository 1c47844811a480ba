package slacksim_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"go.uber.org/goleak"

	"github.com/ccm-ci/ccm/sim/slacksim"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var testChannels = []string{"#ci-alerts", "#ci-approvals", "#ops-critical"}

func newSim(t *testing.T) (*slacksim.Server, *slack.Client) {
	t.Helper()
	sim := slacksim.New(t, slacksim.Config{Channels: testChannels, Users: map[string]string{"U1ALICE": "alice", "U2BOB": "bob"}})
	return sim, slack.New(sim.Config().BotToken, slack.OptionAPIURL(sim.URL()))
}

func approvalBlocks() []slack.Block {
	return []slack.Block{
		slack.NewHeaderBlock(slack.NewTextBlockObject(slack.PlainTextType, "Approval needed", false, false)),
		slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, "*acme/api* `build` failed &lt;flaky&gt;", false, false), nil, nil),
		slack.NewContextBlock("ctx", slack.NewTextBlockObject(slack.MarkdownType, "run 42", false, false)),
		slack.NewActionBlock("act",
			slack.NewButtonBlockElement("approve", "f-1", slack.NewTextBlockObject(slack.PlainTextType, "Approve", false, false)).WithStyle(slack.StylePrimary),
			slack.NewButtonBlockElement("reject", "f-1", slack.NewTextBlockObject(slack.PlainTextType, "Reject", false, false)).WithStyle(slack.StyleDanger),
		),
	}
}

func TestAuthTest(t *testing.T) {
	sim, api := newSim(t)
	resp, err := api.AuthTest()
	if err != nil {
		t.Fatalf("AuthTest: %v", err)
	}
	cfg := sim.Config()
	if resp.TeamID != cfg.TeamID || resp.UserID != cfg.BotUserID || resp.BotID != cfg.BotID ||
		resp.Team != cfg.TeamName || resp.URL != "https://ccm-sim.slack.com/" {
		t.Errorf("AuthTest = %+v", resp)
	}
	calls := sim.CallsTo("auth.test")
	if len(calls) != 1 || calls[0].Token != slacksim.TokenBot {
		t.Errorf("calls = %+v", calls)
	}
}

func TestPostThreadUpdatePermalink(t *testing.T) {
	sim, api := newSim(t)
	ch, ts, err := api.PostMessage("#ci-approvals", slack.MsgOptionText("Approval needed", false), slack.MsgOptionBlocks(approvalBlocks()...))
	if err != nil {
		t.Fatalf("PostMessage: %v", err)
	}
	if ch != sim.ChannelID("#ci-approvals") || !strings.HasPrefix(ch, "C") {
		t.Errorf("channel = %q", ch)
	}
	_, replyTS, err := api.PostMessage(ch, slack.MsgOptionText("analysis: flaky test", false), slack.MsgOptionTS(ts))
	if err != nil {
		t.Fatalf("reply: %v", err)
	}
	if replyTS <= ts {
		t.Errorf("reply ts %s not after %s", replyTS, ts)
	}
	if _, _, _, err := api.UpdateMessage(ch, ts, slack.MsgOptionText("Approved by alice", false)); err != nil {
		t.Fatalf("UpdateMessage: %v", err)
	}
	m, ok := sim.Message("#ci-approvals", ts)
	if !ok || m.Text != "Approved by alice" || m.Edits != 1 || len(m.Blocks) == 0 {
		t.Errorf("updated message = %+v (blocks kept when not sent)", m)
	}
	if th := sim.Thread(ch, ts); len(th) != 1 || th[0].Text != "analysis: flaky test" {
		t.Errorf("thread = %+v", th)
	}
	link, err := api.GetPermalink(&slack.PermalinkParameters{Channel: ch, Ts: replyTS})
	if err != nil || !strings.Contains(link, "/archives/"+ch+"/p") || !strings.Contains(link, "thread_ts="+ts) {
		t.Errorf("permalink = %q, %v", link, err)
	}
	post := sim.CallsTo("chat.postMessage")[0]
	if post.Params["channel"] != "#ci-approvals" || !strings.Contains(post.Params["blocks"], `"action_id":"approve"`) {
		t.Errorf("recorded params = %v", post.Params)
	}
}

func TestChatErrors(t *testing.T) {
	sim, api := newSim(t)
	ch, ts, err := api.PostMessage("#ci-alerts", slack.MsgOptionText("x", false))
	if err != nil {
		t.Fatal(err)
	}
	tooMany := make([]slack.Block, 51)
	for i := range tooMany {
		tooMany[i] = slack.NewDividerBlock()
	}
	dup := slack.NewActionBlock("a",
		slack.NewButtonBlockElement("same", "1", slack.NewTextBlockObject(slack.PlainTextType, "A", false, false)),
		slack.NewButtonBlockElement("same", "2", slack.NewTextBlockObject(slack.PlainTextType, "B", false, false)))
	long := slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, strings.Repeat("x", 3001), false, false), nil, nil)
	tests := []struct {
		name string
		call func() error
		want string
	}{
		{"unknown channel", func() error { _, _, err := api.PostMessage("#nope", slack.MsgOptionText("x", false)); return err }, "channel_not_found"},
		{"no text", func() error { _, _, err := api.PostMessage(ch); return err }, "no_text"},
		{"51 blocks", func() error { _, _, err := api.PostMessage(ch, slack.MsgOptionBlocks(tooMany...)); return err }, "invalid_blocks"},
		{"duplicate action_id", func() error { _, _, err := api.PostMessage(ch, slack.MsgOptionBlocks(dup)); return err }, "invalid_blocks"},
		{"section over 3000", func() error { _, _, err := api.PostMessage(ch, slack.MsgOptionBlocks(long)); return err }, "invalid_blocks"},
		{"thread not found", func() error {
			_, _, err := api.PostMessage(ch, slack.MsgOptionText("x", false), slack.MsgOptionTS("1.000001"))
			return err
		}, "thread_not_found"},
		{"update by name", func() error {
			_, _, _, err := api.UpdateMessage("#ci-alerts", ts, slack.MsgOptionText("y", false))
			return err
		}, "channel_not_found"},
		{"update unknown ts", func() error {
			_, _, _, err := api.UpdateMessage(ch, "1.000001", slack.MsgOptionText("y", false))
			return err
		}, "message_not_found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assertSlackError(t, tt.call(), tt.want)
		})
	}
	if n := len(sim.Messages(ch)); n != 1 {
		t.Errorf("%d messages after failed calls, want 1", n)
	}
}

func assertSlackError(t *testing.T, err error, want string) {
	t.Helper()
	var se slack.SlackErrorResponse
	if !errors.As(err, &se) || se.Err != want {
		t.Errorf("error = %v (%T), want slack error %q", err, err, want)
	}
}

func TestTokens(t *testing.T) {
	sim, _ := newSim(t)
	tests := []struct {
		name, token string
		call        func(*slack.Client) error
		want        string
	}{
		{"wrong bot token", "xoxb-wrong", func(c *slack.Client) error { _, err := c.AuthTest(); return err }, "invalid_auth"},
		{"no token", "", func(c *slack.Client) error { _, err := c.AuthTest(); return err }, "not_authed"},
		{"app token on chat", sim.Config().AppToken, func(c *slack.Client) error {
			_, _, err := c.PostMessage("#ci-alerts", slack.MsgOptionText("x", false))
			return err
		}, "not_allowed_token_type"},
		{"bot token opens socket", "", func(c *slack.Client) error {
			_, _, err := slack.New(sim.Config().BotToken, slack.OptionAppLevelToken(sim.Config().BotToken), slack.OptionAPIURL(sim.URL())).StartSocketModeContext(context.Background())
			return err
		}, "not_allowed_token_type"},
		{"wrong app token", "", func(c *slack.Client) error {
			_, _, err := slack.New("", slack.OptionAppLevelToken("xapp-wrong"), slack.OptionAPIURL(sim.URL())).StartSocketModeContext(context.Background())
			return err
		}, "invalid_auth"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assertSlackError(t, tt.call(slack.New(tt.token, slack.OptionAPIURL(sim.URL()))), tt.want)
		})
	}
	_, url, err := slack.New("", slack.OptionAppLevelToken(sim.Config().AppToken), slack.OptionAPIURL(sim.URL())).StartSocketModeContext(context.Background())
	if err != nil || !strings.HasPrefix(url, "ws://127.0.0.1:") {
		t.Errorf("apps.connections.open = %q, %v", url, err)
	}
}

func TestFaults(t *testing.T) {
	post := func(api *slack.Client) error {
		_, _, err := api.PostMessage("#ci-alerts", slack.MsgOptionText("x", false))
		return err
	}
	tests := []struct {
		name   string
		method string
		fault  slacksim.Fault
		check  func(t *testing.T, err error)
	}{
		{"429 retry-after", "chat.postMessage", slacksim.RateLimit(7, 2), func(t *testing.T, err error) {
			var rl *slack.RateLimitedError
			if !errors.As(err, &rl) || rl.RetryAfter != 7*time.Second {
				t.Errorf("error = %v, want RateLimitedError 7s", err)
			}
		}},
		{"error code any method", "*", slacksim.ErrorCode("internal_error", 2), func(t *testing.T, err error) {
			assertSlackError(t, err, "internal_error")
		}},
		{"invalid_auth", "chat.postMessage", slacksim.ErrorCode("invalid_auth", 2), func(t *testing.T, err error) {
			assertSlackError(t, err, "invalid_auth")
		}},
		{"503 page", "chat.postMessage", slacksim.Fault{Status: 503, Count: 2}, func(t *testing.T, err error) {
			var sc slack.StatusCodeError
			if !errors.As(err, &sc) || sc.Code != 503 {
				t.Errorf("error = %v, want StatusCodeError 503", err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sim, api := newSim(t)
			sim.FailNext(tt.method, tt.fault)
			for range 2 {
				tt.check(t, post(api))
			}
			if err := post(api); err != nil {
				t.Errorf("third call: %v, want the fault spent", err)
			}
			if n := len(sim.Messages("#ci-alerts")); n != 1 {
				t.Errorf("%d messages, want only the third", n)
			}
			if calls := sim.CallsTo("chat.postMessage"); len(calls) != 3 || (calls[0].Error == "" && calls[0].Status == 200) || calls[2].Error != "" {
				t.Errorf("calls = %+v", calls)
			}
		})
	}
}

func TestLatency(t *testing.T) {
	sim, api := newSim(t)
	sim.SetLatency("auth.test", 300*time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := api.AuthTestContext(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("AuthTest under latency = %v, want deadline exceeded", err)
	}
	start := time.Now()
	if _, err := api.AuthTest(); err != nil || time.Since(start) < 300*time.Millisecond {
		t.Errorf("AuthTest = %v after %v", err, time.Since(start))
	}
	sim.SetLatency("auth.test", 0)
	if _, err := sim.WaitForCalls("auth.test", 2, time.Second); err != nil {
		t.Error(err)
	}
}

func TestEphemeralViewsGroupsConversations(t *testing.T) {
	sim, api := newSim(t)
	if _, err := api.PostEphemeral("#ci-alerts", "U1ALICE", slack.MsgOptionText("only you can approve", false)); err != nil {
		t.Fatalf("PostEphemeral: %v", err)
	}
	if eph := sim.Ephemerals("U1ALICE"); len(eph) != 1 || eph[0].Text != "only you can approve" {
		t.Errorf("ephemerals = %+v", eph)
	}

	modal := slack.ModalViewRequest{
		Type: slack.VTModal, Title: slack.NewTextBlockObject(slack.PlainTextType, "Reject", false, false),
		CallbackID: "reject", PrivateMetadata: "f-1",
		Blocks: slack.Blocks{BlockSet: []slack.Block{slack.NewInputBlock("reason", slack.NewTextBlockObject(slack.PlainTextType, "Reason", false, false), nil,
			slack.NewPlainTextInputBlockElement(nil, "reason_input"))}},
	}
	if _, err := api.OpenView("not-a-trigger", modal); err == nil {
		t.Error("OpenView with a made-up trigger succeeded")
	}
	resp, err := api.OpenView(sim.IssueTriggerID(), modal)
	if err != nil {
		t.Fatalf("OpenView: %v", err)
	}
	modal.Title = slack.NewTextBlockObject(slack.PlainTextType, "Rejected", false, false)
	if _, err := api.UpdateView(modal, "", "stale", resp.ID); err == nil {
		t.Error("UpdateView with a stale hash succeeded")
	}
	if _, err := api.UpdateView(modal, "", resp.Hash, resp.ID); err != nil {
		t.Fatalf("UpdateView: %v", err)
	}
	if v, ok := sim.View(resp.ID); !ok || v.Title != "Rejected" || v.PrivateMetadata != "f-1" || v.Updates != 1 {
		t.Errorf("view = %+v", v)
	}
	home := slack.HomeTabViewRequest{Type: slack.VTHomeTab, Blocks: slack.Blocks{BlockSet: approvalBlocks()[:2]}}
	if _, err := api.PublishView("U1ALICE", home, ""); err != nil {
		t.Fatalf("PublishView: %v", err)
	}
	if v, ok := sim.HomeView("U1ALICE"); !ok || v.Type != "home" {
		t.Errorf("home = %+v", v)
	}

	sim.SetUserGroup("S0APPROVERS", "U1ALICE", "U2BOB")
	members, err := api.GetUserGroupMembers("S0APPROVERS")
	if err != nil || strings.Join(members, ",") != "U1ALICE,U2BOB" {
		t.Errorf("members = %v, %v", members, err)
	}
	_, err = api.GetUserGroupMembers("S0NOPE")
	assertSlackError(t, err, "no_such_subteam")
	sim.FailNext("usergroups.users.list", slacksim.ErrorCode("ratelimited", 1))
	_, err = api.GetUserGroupMembers("S0APPROVERS")
	assertSlackError(t, err, "ratelimited")

	info, err := api.GetConversationInfo(&slack.GetConversationInfoInput{ChannelID: sim.ChannelID("#ops-critical")})
	if err != nil || info.Name != "ops-critical" {
		t.Errorf("conversations.info = %+v, %v", info, err)
	}
	chans, _, err := api.GetConversations(&slack.GetConversationsParameters{})
	if err != nil || len(chans) != 3 || chans[0].Name != "ci-alerts" {
		t.Errorf("conversations.list = %+v, %v", chans, err)
	}
	user, err := api.GetUserInfo("U2BOB")
	if err != nil || user.Name != "bob" {
		t.Errorf("users.info = %+v, %v", user, err)
	}
}

func TestChannelIDs(t *testing.T) {
	sim := slacksim.New(t, slacksim.Config{Channels: []string{"#ci-alerts", "ops"}, ChannelIDs: map[string]string{"ci-alerts": "C0ALERTS"}})
	api := slack.New(sim.Config().BotToken, slack.OptionAPIURL(sim.URL()))
	tests := []struct{ ref, want string }{
		{"#ci-alerts", "C0ALERTS"},
		{"ci-alerts", "C0ALERTS"},
		{"C0ALERTS", "C0ALERTS"},
		{"#ops", sim.ChannelID("ops")},
	}
	for _, tt := range tests {
		ch, _, err := api.PostMessage(tt.ref, slack.MsgOptionText("x", false))
		if err != nil || ch != tt.want || ch == "" {
			t.Errorf("post to %s landed in %q, %v; want %s", tt.ref, ch, err, tt.want)
		}
	}
	if id := sim.AddChannelWithID("#late", "C0LATE"); id != "C0LATE" || sim.ChannelID("#late") != "C0LATE" {
		t.Errorf("AddChannelWithID = %s", id)
	}
}

func TestChannelPostLimit(t *testing.T) {
	sim, api := newSim(t)
	sim.SetChannelPostLimit(1, 2)
	post := func(ch string) error {
		_, _, err := api.PostMessage(ch, slack.MsgOptionText("x", false))
		return err
	}
	for i := range 2 {
		if err := post("#ci-alerts"); err != nil {
			t.Fatalf("post %d within the burst: %v", i, err)
		}
	}
	var rl *slack.RateLimitedError
	if err := post("#ci-alerts"); !errors.As(err, &rl) || rl.RetryAfter < time.Second {
		t.Errorf("post over the burst = %v, want RateLimitedError", err)
	}
	if err := post("#ci-approvals"); err != nil {
		t.Errorf("another channel is limited too: %v", err)
	}
	sim.SetChannelPostLimit(0, 0)
	if err := post("#ci-alerts"); err != nil {
		t.Errorf("limit off: %v", err)
	}
}
