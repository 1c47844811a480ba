package slack

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"pgregory.net/rapid"

	"github.com/ccm-ci/ccm/sim/slacksim"
	"github.com/ccm-ci/ccm/state"
)

// postedButton is a button as Slack received it.
type postedButton struct {
	Type     string `json:"type"`
	ActionID string `json:"action_id"`
	Value    string `json:"value"`
	Style    string `json:"style"`
	Text     struct {
		Text string `json:"text"`
	} `json:"text"`
}

// TestProperty31_ApprovalRequestNotificationFormat: "For any approval
// request, the notification should include interactive buttons for
// approval/rejection". Where Property 24 checks the builder's blocks, this
// posts every generated pending request (genRecord, shared with 23/24)
// through the real client to the Slack simulator and reads the message
// Slack stored: one actions block holding exactly an Approve button
// (primary) and a Reject button (danger), both interactive buttons whose
// action IDs are the ones the bot routes and whose value is the request's
// ID, and the message still names the repository, the run and the risk.
func TestProperty31_ApprovalRequestNotificationFormat(t *testing.T) {
	sim := slacksim.New(t, slacksim.Config{Channels: []string{"#ci-approvals"}})
	c, err := New(Options{Token: sim.Config().BotToken, APIURL: sim.URL()})
	if err != nil {
		t.Fatal(err)
	}
	rapid.Check(t, func(rt *rapid.T) {
		rec, a := genRecord(rt)
		a.Status = state.ApprovalPending
		a.ID = rapid.StringMatching(`[A-Z0-9]{22}`).Draw(rt, "request_id")
		ref, err := c.Post(context.Background(), "#ci-approvals", "", ApprovalRequest(rec, a, ""))
		if err != nil {
			rt.Fatalf("post: %v", err)
		}
		m, ok := sim.Message(ref.Channel, ref.TS)
		if !ok {
			rt.Fatalf("the request %v is not in Slack", ref)
		}
		var blocks []struct {
			Type     string          `json:"type"`
			Elements json.RawMessage `json:"elements"`
		}
		if err := json.Unmarshal(m.Blocks, &blocks); err != nil {
			rt.Fatalf("blocks as Slack got them: %v", err)
		}
		var actions [][]postedButton
		for _, b := range blocks {
			if b.Type == "actions" {
				var els []postedButton
				if err := json.Unmarshal(b.Elements, &els); err != nil {
					rt.Fatal(err)
				}
				actions = append(actions, els)
			}
		}
		if len(actions) != 1 || len(actions[0]) != 2 {
			rt.Fatalf("actions blocks %+v: want one with two buttons", actions)
		}
		want := map[string]postedButton{
			ActionApprove: {Type: "button", ActionID: ActionApprove, Value: a.ID, Style: "primary"},
			ActionReject:  {Type: "button", ActionID: ActionReject, Value: a.ID, Style: "danger"},
		}
		label := map[string]string{ActionApprove: "Approve", ActionReject: "Reject"}
		seen := map[string]bool{}
		for _, b := range actions[0] {
			w, ok := want[b.ActionID]
			got := b
			got.Text.Text = ""
			if !ok || got != w || b.Text.Text != label[b.ActionID] {
				rt.Fatalf("button %+v, want %+v labelled %q", b, w, label[b.ActionID])
			}
			seen[b.ActionID] = true
		}
		if len(seen) != 2 {
			rt.Fatalf("buttons %+v: want Approve and Reject", actions[0])
		}
		body := m.Text + "\n" + string(m.Blocks)
		for _, w := range []string{"acme/app", rec.RunURL, fmt.Sprintf("%d/10", a.Risk)} {
			if !strings.Contains(body, w) {
				rt.Fatalf("the posted request lacks %q", w)
			}
		}
	})
}
