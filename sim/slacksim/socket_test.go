package slacksim_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
	"github.com/slack-go/slack/socketmode"

	"github.com/ccm-ci/ccm/sim/slacksim"
)

const wait = 10 * time.Second

// startClient runs slack-go's Socket Mode client against sim until the
// test ends, and waits for its first connection.
func startClient(t *testing.T, sim *slacksim.Server) (*socketmode.Client, *slack.Client) {
	t.Helper()
	cfg := sim.Config()
	api := slack.New(cfg.BotToken, slack.OptionAppLevelToken(cfg.AppToken), slack.OptionAPIURL(sim.URL()))
	sm := socketmode.New(api)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = sm.RunContext(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(wait):
			t.Error("socketmode client did not stop")
		}
	})
	if err := sim.WaitConnected(1, wait); err != nil {
		t.Fatal(err)
	}
	return sm, api
}

// nextEvent returns the next event of type typ, skipping the client's own
// connection events.
func nextEvent(t *testing.T, sm *socketmode.Client, typ socketmode.EventType) socketmode.Event {
	t.Helper()
	timeout := time.After(wait)
	for {
		select {
		case ev := <-sm.Events:
			if ev.Type == typ {
				return ev
			}
			switch ev.Type {
			case socketmode.EventTypeConnecting, socketmode.EventTypeConnected, socketmode.EventTypeHello,
				socketmode.EventTypeIncomingError, socketmode.EventTypeConnectionError:
			default:
				t.Fatalf("got event %s (%+v), want %s", ev.Type, ev.Data, typ)
			}
		case <-timeout:
			t.Fatalf("no %s event within %v", typ, wait)
		}
	}
}

func ack(t *testing.T, sim *slacksim.Server, sm *socketmode.Client, ev socketmode.Event, payload ...any) slacksim.Ack {
	t.Helper()
	if err := sm.Ack(*ev.Request, payload...); err != nil {
		t.Fatalf("Ack: %v", err)
	}
	a, err := sim.WaitAck(ev.Request.EnvelopeID, wait)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestSocketModeEvents(t *testing.T) {
	sim, _ := newSim(t)
	sm, _ := startClient(t, sim)
	nextEvent(t, sm, socketmode.EventTypeHello)

	sent, err := sim.SendAppMention(slacksim.AppMention{User: "U1ALICE", Channel: "#ci-alerts", Text: "status"})
	if err != nil {
		t.Fatal(err)
	}
	ev := nextEvent(t, sm, socketmode.EventTypeEventsAPI)
	outer := ev.Data.(slackevents.EventsAPIEvent)
	mention, ok := outer.InnerEvent.Data.(*slackevents.AppMentionEvent)
	if !ok || mention.User != "U1ALICE" || mention.Channel != sim.ChannelID("#ci-alerts") ||
		mention.Text != "<@"+slacksim.DefaultBotUserID+"> status" || mention.TimeStamp != sent.TS {
		t.Errorf("app_mention = %+v", outer.InnerEvent.Data)
	}
	if ev.Request.EnvelopeID != sent.EnvelopeID || ev.Request.AcceptsResponsePayload || outer.TeamID != slacksim.DefaultTeamID || outer.APIAppID != slacksim.DefaultAppID {
		t.Errorf("envelope = %+v, outer = %+v", ev.Request, outer)
	}
	if a := ack(t, sim, sm, ev); a.Payload != nil || a.Type != slacksim.TypeEventsAPI || a.Latency <= 0 {
		t.Errorf("ack = %+v", a)
	}

	if _, err := sim.SendAppHomeOpened("U2BOB"); err != nil {
		t.Fatal(err)
	}
	ev = nextEvent(t, sm, socketmode.EventTypeEventsAPI)
	if home, ok := ev.Data.(slackevents.EventsAPIEvent).InnerEvent.Data.(*slackevents.AppHomeOpenedEvent); !ok || home.User != "U2BOB" || home.Tab != "home" {
		t.Errorf("app_home_opened = %+v", ev.Data)
	}
	ack(t, sim, sm, ev)

	sent, err = sim.SendSlashCommand(slacksim.SlashCommand{User: "U1ALICE", Channel: "#ci-alerts", Text: "approve f-1"})
	if err != nil {
		t.Fatal(err)
	}
	ev = nextEvent(t, sm, socketmode.EventTypeSlashCommand)
	cmd := ev.Data.(slack.SlashCommand)
	if cmd.Command != "/ccm" || cmd.Text != "approve f-1" || cmd.UserID != "U1ALICE" || cmd.UserName != "alice" ||
		cmd.ResponseURL != sent.ResponseURL || cmd.TriggerID != sent.TriggerID || cmd.ChannelName != "ci-alerts" ||
		cmd.TeamID != slacksim.DefaultTeamID || cmd.APIAppID != slacksim.DefaultAppID || !ev.Request.AcceptsResponsePayload {
		t.Errorf("slash command = %+v", cmd)
	}
	ack(t, sim, sm, ev, map[string]any{"text": "Queued."})
	if eph := sim.Ephemerals("U1ALICE"); len(eph) != 1 || eph[0].Text != "Queued." {
		t.Errorf("ack payload shown as %+v, want an ephemeral", eph)
	}
}

func TestSocketModeInteractions(t *testing.T) {
	sim, web := newSim(t)
	sm, _ := startClient(t, sim)
	ch, ts, err := web.PostMessage("#ci-approvals", slack.MsgOptionText("Approval needed", false), slack.MsgOptionBlocks(approvalBlocks()...))
	if err != nil {
		t.Fatal(err)
	}

	sent, err := sim.ClickButton("U1ALICE", "#ci-approvals", ts, "approve")
	if err != nil {
		t.Fatal(err)
	}
	ev := nextEvent(t, sm, socketmode.EventTypeInteractive)
	cb := ev.Data.(slack.InteractionCallback)
	if cb.Type != slack.InteractionTypeBlockActions || len(cb.ActionCallback.BlockActions) != 1 {
		t.Fatalf("callback = %+v", cb)
	}
	act := cb.ActionCallback.BlockActions[0]
	if act.ActionID != "approve" || act.Value != "f-1" || act.BlockID != "act" || cb.User.ID != "U1ALICE" ||
		cb.Team.ID != slacksim.DefaultTeamID || cb.APIAppID != slacksim.DefaultAppID || cb.Channel.ID != ch ||
		cb.Container.MessageTs != ts || cb.Message.Timestamp != ts || cb.ResponseURL != sent.ResponseURL || cb.TriggerID == "" {
		t.Errorf("block action = %+v, callback = %+v", act, cb)
	}
	ack(t, sim, sm, ev)

	// The bot answers through the response URL, replacing the message.
	if _, _, err := web.PostMessage("", slack.MsgOptionReplaceOriginal(cb.ResponseURL), slack.MsgOptionText("Approved by <@U1ALICE>", false)); err != nil {
		t.Fatalf("response_url: %v", err)
	}
	if m, _ := sim.Message(ch, ts); m.Text != "Approved by <@U1ALICE>" || m.Blocks != nil || m.Edits != 1 {
		t.Errorf("replaced message = %+v", m)
	}
	if posts := sim.ResponsePosts(); len(posts) != 1 || !posts[0].ReplaceOriginal || posts[0].User != "U1ALICE" || posts[0].MessageTS != ts {
		t.Errorf("response posts = %+v", posts)
	}

	// A modal opened from the click's trigger, then submitted.
	modal := slack.ModalViewRequest{
		Type: slack.VTModal, Title: slack.NewTextBlockObject(slack.PlainTextType, "Reject", false, false),
		CallbackID: "reject", PrivateMetadata: "f-1",
		Blocks: slack.Blocks{BlockSet: []slack.Block{slack.NewInputBlock("reason", slack.NewTextBlockObject(slack.PlainTextType, "Reason", false, false), nil,
			slack.NewPlainTextInputBlockElement(nil, "reason_input"))}},
	}
	view, err := web.OpenView(cb.TriggerID, modal)
	if err != nil {
		t.Fatalf("OpenView: %v", err)
	}
	if _, err := sim.SendViewSubmission(slacksim.ViewSubmission{User: "U1ALICE", ViewID: view.ID,
		Values: map[string]map[string]any{"reason": {"reason_input": "too risky"}}}); err != nil {
		t.Fatal(err)
	}
	ev = nextEvent(t, sm, socketmode.EventTypeInteractive)
	cb = ev.Data.(slack.InteractionCallback)
	if cb.Type != slack.InteractionTypeViewSubmission || cb.View.CallbackID != "reject" || cb.View.PrivateMetadata != "f-1" ||
		cb.View.State.Values["reason"]["reason_input"].Value != "too risky" || !ev.Request.AcceptsResponsePayload {
		t.Errorf("view submission = %+v", cb)
	}
	ack(t, sim, sm, ev, map[string]any{"response_action": "errors", "errors": map[string]string{"reason": "too short"}})
	if v, _ := sim.View(view.ID); v.Errors["reason"] != "too short" || v.Closed {
		t.Errorf("view after errors ack = %+v", v)
	}
}

func TestRedeliver(t *testing.T) {
	sim, _ := newSim(t)
	sm, _ := startClient(t, sim)
	sent, err := sim.SendAppMention(slacksim.AppMention{User: "U1ALICE", Channel: "#ci-alerts", Text: "help"})
	if err != nil {
		t.Fatal(err)
	}
	first := nextEvent(t, sm, socketmode.EventTypeEventsAPI)
	if first.Request.RetryAttempt != 0 {
		t.Errorf("first delivery retry_attempt = %d", first.Request.RetryAttempt)
	}
	if err := sim.Redeliver(sent.EnvelopeID, ""); err != nil {
		t.Fatal(err)
	}
	again := nextEvent(t, sm, socketmode.EventTypeEventsAPI)
	if again.Request.EnvelopeID != sent.EnvelopeID || again.Request.RetryAttempt != 1 || again.Request.RetryReason != "timeout" ||
		again.Data.(slackevents.EventsAPIEvent).Data.(*slackevents.EventsAPICallbackEvent).EventID != sent.EventID {
		t.Errorf("redelivery = %+v", again.Request)
	}
	ack(t, sim, sm, again)
}

func TestReconnect(t *testing.T) {
	sim, _ := newSim(t)
	sm, _ := startClient(t, sim)
	tests := []struct {
		name string
		cut  func() error
	}{
		{"dropped", func() error {
			if sim.DropConnection() != 1 {
				t.Error("DropConnection cut no connection")
			}
			return nil
		}},
		{"refresh_requested", func() error { return sim.SendDisconnect("refresh_requested") }},
		{"warning", func() error { return sim.SendDisconnect("warning") }},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.cut(); err != nil {
				t.Fatal(err)
			}
			if err := sim.WaitConnected(i+2, wait); err != nil {
				t.Fatal(err)
			}
			if n := len(sim.CallsTo("apps.connections.open")); n != i+2 {
				t.Errorf("apps.connections.open called %d times, want %d", n, i+2)
			}
			// The new connection carries envelopes.
			if _, err := sim.SendAppMention(slacksim.AppMention{User: "U1ALICE", Channel: "#ci-alerts", Text: tt.name}); err != nil {
				t.Fatal(err)
			}
			ack(t, sim, sm, nextEvent(t, sm, socketmode.EventTypeEventsAPI))
		})
	}
	if sim.RejectedDials() != 0 {
		t.Errorf("%d dials reused a ticket", sim.RejectedDials())
	}
}

// TestConcurrentAcks is the shape of the bot's ack-latency benchmark: 200
// clicks in flight at once, each acked as it arrives.
func TestConcurrentAcks(t *testing.T) {
	sim, web := newSim(t)
	sm, _ := startClient(t, sim)
	_, ts, err := web.PostMessage("#ci-approvals", slack.MsgOptionBlocks(approvalBlocks()...))
	if err != nil {
		t.Fatal(err)
	}
	const n = 200
	stop, stopped := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(stopped)
		for {
			select {
			case ev := <-sm.Events:
				if ev.Type == socketmode.EventTypeInteractive {
					_ = sm.Ack(*ev.Request)
				}
			case <-stop:
				return
			}
		}
	}()
	defer func() { close(stop); <-stopped }()
	ids := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			sent, err := sim.ClickButton("U1ALICE", "#ci-approvals", ts, "approve")
			if err != nil {
				t.Error(err)
			}
			ids[i] = sent.EnvelopeID
		})
	}
	wg.Wait()
	acks, err := sim.WaitAcks(ids, 30*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	p50, p99 := slacksim.Percentile(acks, 50), slacksim.Percentile(acks, 99)
	if p50 <= 0 || p99 < p50 {
		t.Errorf("p50 %v, p99 %v", p50, p99)
	}
	t.Logf("ack latency over %d concurrent clicks: p50 %v p99 %v", n, p50, p99)
}

func TestSendWithoutClient(t *testing.T) {
	sim, _ := newSim(t)
	if _, err := sim.SendRaw("interactive", map[string]any{"type": "block_actions"}, false); !errors.Is(err, slacksim.ErrNotConnected) {
		t.Errorf("SendRaw without a client = %v, want ErrNotConnected", err)
	}
	if err := sim.SendDisconnect("warning"); !errors.Is(err, slacksim.ErrNotConnected) {
		t.Errorf("SendDisconnect without a client = %v, want ErrNotConnected", err)
	}
}

func TestAutoRedeliver(t *testing.T) {
	sim := slacksim.New(t, slacksim.Config{Channels: testChannels, RedeliverAfter: 200 * time.Millisecond})
	sm, _ := startClient(t, sim)
	sent, err := sim.SendAppMention(slacksim.AppMention{User: "U1ALICE", Channel: "#ci-alerts", Text: "status"})
	if err != nil {
		t.Fatal(err)
	}
	// Not acked: Slack tries again, with the same event.
	nextEvent(t, sm, socketmode.EventTypeEventsAPI)
	again := nextEvent(t, sm, socketmode.EventTypeEventsAPI)
	if again.Request.EnvelopeID != sent.EnvelopeID || again.Request.RetryAttempt != 1 || again.Request.RetryReason != "timeout" {
		t.Errorf("redelivery = %+v", again.Request)
	}
	ack(t, sim, sm, again)
	// Acked: no further attempt (one may have gone out before the ack).
	n := sim.Deliveries(sent.EnvelopeID)
	time.Sleep(500 * time.Millisecond)
	if got := sim.Deliveries(sent.EnvelopeID); got != n || n > 4 {
		t.Errorf("%d deliveries after the ack, %d before", got, n)
	}
}
