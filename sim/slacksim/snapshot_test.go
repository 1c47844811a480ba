package slacksim_test

import (
	"testing"
	"time"

	"github.com/slack-go/slack"
)

func TestSnapshot(t *testing.T) {
	sim, api := newSim(t)
	before := time.Now()
	ch, root, err := api.PostMessage("#ci-alerts", slack.MsgOptionText("root", false))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := api.PostMessage(ch, slack.MsgOptionText("reply", false), slack.MsgOptionTS(root)); err != nil {
		t.Fatal(err)
	}
	if _, _, err := api.DeleteMessage(ch, root); err != nil {
		t.Fatal(err)
	}
	if _, _, err := api.PostMessage("U1ALICE", slack.MsgOptionText("a direct message", false)); err != nil {
		t.Fatal(err)
	}
	if _, err := api.PostEphemeral(ch, "U2BOB", slack.MsgOptionText("psst", false)); err != nil {
		t.Fatal(err)
	}

	ws := sim.Snapshot()
	if ws.BotUserID == "" || ws.Users[ws.BotUserID] != ws.BotName || ws.Users["U1ALICE"] != "alice" {
		t.Errorf("names: bot %q %q, users %v", ws.BotUserID, ws.BotName, ws.Users)
	}
	last := ws.Channels[len(ws.Channels)-1]
	if !last.IM || last.User != "U1ALICE" || len(last.Messages) != 1 {
		t.Errorf("the last channel is %+v, want the IM with alice holding one message", last)
	}
	for _, c := range ws.Channels[:len(ws.Channels)-1] {
		if c.IM {
			t.Errorf("IM %s listed before a public channel", c.ID)
		}
	}
	var alerts []string
	for _, c := range ws.Channels {
		if c.ID == ch {
			for _, m := range c.Messages {
				alerts = append(alerts, m.Text)
				if m.At.Before(before) || m.At.After(time.Now()) {
					t.Errorf("message %q posted at %v, want the clock's time", m.Text, m.At)
				}
				if m.Text == "root" && !m.Deleted {
					t.Error("the deleted root is not marked Deleted")
				}
			}
		}
	}
	if len(alerts) != 2 {
		t.Errorf("#ci-alerts holds %q, want the deleted root and its reply", alerts)
	}
	if len(ws.Ephemerals) != 1 || ws.Ephemerals[0].User != "U2BOB" || ws.Ephemerals[0].At.IsZero() {
		t.Errorf("ephemerals %+v, want bob's, stamped", ws.Ephemerals)
	}

	// A copy: what the simulator records next does not reach it.
	if _, _, err := api.PostMessage(ch, slack.MsgOptionText("later", false)); err != nil {
		t.Fatal(err)
	}
	for _, c := range ws.Channels {
		if c.ID == ch && len(c.Messages) != 2 {
			t.Errorf("the snapshot grew to %d messages", len(c.Messages))
		}
	}
}
