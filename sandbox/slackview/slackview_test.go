package slackview_test

import (
	"strings"
	"testing"

	"github.com/ccm-ci/ccm/sandbox/slackview"
	"github.com/ccm-ci/ccm/sim/slacksim"
)

func TestChannels(t *testing.T) {
	sim := slacksim.New(t, slacksim.Config{Channels: []string{"#alerts", "#quiet"}, Users: map[string]string{"U0ALICE": "alice"}})
	root, err := sim.PostUserMessage("#alerts", "U0ALICE", "CI failed", "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sim.PostUserMessage("#alerts", "U0ALICE", "re-run passed", root); err != nil {
		t.Fatal(err)
	}
	got := slackview.Channels(sim, "", "#alerts", "#quiet")
	want := "  #alerts\n  alice: CI failed\n    ↳ alice: re-run passed\n"
	if got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
	if strings.Contains(got, "#quiet") {
		t.Error("a channel without messages is shown")
	}
	if got := slackview.Channels(sim, "", "#quiet"); got != "" {
		t.Errorf("no messages anywhere rendered %q, want nothing", got)
	}
}

// A line of Slack text reads as a client shows it: markup read, then
// Slack's escapes undone (so "&lt;b&gt;" inside a label stays literal text).
func TestText(t *testing.T) {
	sim := slacksim.New(t, slacksim.Config{Users: map[string]string{"U0ALICE": "alice"}})
	tests := []struct{ name, in, want string }{
		{"escapes", "try @ccm why &lt;failure id&gt; &amp; more", "try @ccm why <failure id> & more"},
		{"escaped ampersand stays one level", "&amp;lt;", "&lt;"},
		{"link with label", "see <https://x.example/a?b=1&amp;c=2|the run>", "see the run"},
		{"bare link", "<https://x.example/>", "https://x.example/"},
		{"mention", "<@U0ALICE> approved", "@alice approved"},
		{"unknown user", "<@U0BOB>", "@U0BOB"},
		{"channel", "<#C1|alerts>", "#alerts"},
		{"here", "<!here>", "@here"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := slackview.Text(sim, tt.in); got != tt.want {
				t.Errorf("Text(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}
