package slacksim_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/slack-go/slack"

	"github.com/ccm-ci/ccm/sim/slacksim"
)

func TestResponseURL(t *testing.T) {
	post := func(url string, msg *slack.WebhookMessage) error {
		return slack.PostWebhookCustomHTTPContext(context.Background(), url, http.DefaultClient, msg)
	}
	tests := []struct {
		name    string
		msg     *slack.WebhookMessage
		onMsg   bool // the URL belongs to a message (a click), not a command
		wantErr int  // HTTP status of the refusal, 0 = accepted
		check   func(t *testing.T, sim *slacksim.Server, ts string)
	}{
		{"ephemeral by default", &slack.WebhookMessage{Text: "only you"}, false, 0, func(t *testing.T, sim *slacksim.Server, _ string) {
			if e := sim.Ephemerals("U1ALICE"); len(e) != 1 || e[0].Text != "only you" {
				t.Errorf("ephemerals = %+v", e)
			}
		}},
		{"in_channel", &slack.WebhookMessage{Text: "for all", ResponseType: slack.ResponseTypeInChannel}, false, 0, func(t *testing.T, sim *slacksim.Server, _ string) {
			if m := sim.Messages("#ci-alerts"); len(m) != 2 || m[1].Text != "for all" {
				t.Errorf("messages = %+v", m)
			}
		}},
		{"replace_original", &slack.WebhookMessage{Text: "decided", ReplaceOriginal: true}, true, 0, func(t *testing.T, sim *slacksim.Server, ts string) {
			if m, _ := sim.Message("#ci-alerts", ts); m.Text != "decided" || m.Edits != 1 {
				t.Errorf("message = %+v", m)
			}
		}},
		{"delete_original", &slack.WebhookMessage{DeleteOriginal: true}, true, 0, func(t *testing.T, sim *slacksim.Server, ts string) {
			if _, ok := sim.Message("#ci-alerts", ts); ok {
				t.Error("message still there")
			}
		}},
		{"no text", &slack.WebhookMessage{}, false, http.StatusBadRequest, nil},
		{"invalid blocks", &slack.WebhookMessage{Blocks: &slack.Blocks{BlockSet: []slack.Block{
			slack.NewHeaderBlock(slack.NewTextBlockObject(slack.MarkdownType, "header must be plain", false, false)),
		}}}, false, http.StatusBadRequest, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sim, api := newSim(t)
			_, ts, err := api.PostMessage("#ci-alerts", slack.MsgOptionText("original", false))
			if err != nil {
				t.Fatal(err)
			}
			msgTS := ""
			if tt.onMsg {
				msgTS = ts
			}
			err = post(sim.IssueResponseURL("#ci-alerts", "U1ALICE", msgTS), tt.msg)
			var sc slack.StatusCodeError
			switch {
			case tt.wantErr == 0 && err != nil:
				t.Fatalf("post: %v", err)
			case tt.wantErr != 0 && (!errors.As(err, &sc) || sc.Code != tt.wantErr):
				t.Fatalf("post = %v, want status %d", err, tt.wantErr)
			}
			if tt.check != nil {
				tt.check(t, sim, ts)
			}
			if p := sim.ResponsePosts(); len(p) != 1 || p[0].User != "U1ALICE" || (p[0].Error == "") != (tt.wantErr == 0) {
				t.Errorf("posts = %+v", p)
			}
		})
	}
}

func TestResponseURLUses(t *testing.T) {
	sim, api := newSim(t)
	url := sim.IssueResponseURL("#ci-alerts", "U1ALICE", "")
	for i := range 5 {
		if _, _, err := api.PostMessage("", slack.MsgOptionResponseURL(url, slack.ResponseTypeEphemeral), slack.MsgOptionText("n", false)); err != nil {
			t.Fatalf("use %d: %v", i+1, err)
		}
	}
	var sc slack.StatusCodeError
	if _, _, err := api.PostMessage("", slack.MsgOptionResponseURL(url, slack.ResponseTypeEphemeral), slack.MsgOptionText("n", false)); !errors.As(err, &sc) || sc.Code != http.StatusNotFound {
		t.Errorf("sixth use = %v, want 404", err)
	}
	if err := slack.PostWebhook(strings.TrimSuffix(sim.URL(), "/api/")+"/actions/T0/unknown/x", &slack.WebhookMessage{Text: "x"}); !errors.As(err, &sc) || sc.Code != http.StatusNotFound {
		t.Errorf("unknown URL = %v, want 404", err)
	}
	if p := sim.ResponsePosts(); len(p) != 7 || p[5].Error != "used_url" {
		t.Errorf("posts = %+v", p)
	}
}
