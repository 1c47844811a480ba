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
