package slacksim_test

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/slack-go/slack"

	"github.com/ccm-ci/ccm/sim/slacksim"
)

func TestTranscript(t *testing.T) {
	sim, api := newSim(t)
	ch, root, err := api.PostMessage("#ci-approvals", slack.MsgOptionText("Approval needed", false), slack.MsgOptionBlocks(approvalBlocks()...))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := api.PostMessage(ch, slack.MsgOptionText("Analysis for <@U1ALICE>: see <https://ci.example/run/42|run 42> in <#"+ch+"> at <!date^1796491784^{date_short_pretty} {time}|2026-12-05 17:29 UTC>", false), slack.MsgOptionTS(root)); err != nil {
		t.Fatal(err)
	}
	if _, err := sim.PostUserMessage(ch, "U2BOB", "<!subteam^S0OPS|@ops> looking", root); err != nil {
		t.Fatal(err)
	}
	if _, _, err := api.PostMessage(ch, slack.MsgOptionText("plain *text* &amp; no blocks", false)); err != nil {
		t.Fatal(err)
	}
	done := []slack.Block{
		slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, "Approved by <@U1ALICE>", false, false), nil, nil),
		slack.NewDividerBlock(),
	}
	if _, _, _, err := api.UpdateMessage(ch, root, slack.MsgOptionText("Approved", false), slack.MsgOptionBlocks(done...)); err != nil {
		t.Fatal(err)
	}
	if _, err := api.PostEphemeral(ch, "U2BOB", slack.MsgOptionText("You may not approve acme/api", false)); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name string
		got  string
		want string
	}{
		{"channel", sim.Transcript("#ci-approvals"), `#ci-approvals
ccm (edited): Approved by @alice
  ---
  ↳ ccm: Analysis for @alice: see run 42 in #ci-approvals at 2026-12-05 17:29 UTC
  ↳ bob: @ops looking
ccm: plain *text* & no blocks
`},
		{"as bob", sim.TranscriptAs(ch, "U2BOB"), `#ci-approvals
ccm (edited): Approved by @alice
  ---
  ↳ ccm: Analysis for @alice: see run 42 in #ci-approvals at 2026-12-05 17:29 UTC
  ↳ bob: @ops looking
ccm: plain *text* & no blocks
ccm (only visible to you): You may not approve acme/api
`},
		{"empty channel", sim.Transcript("#ops-critical"), "#ops-critical\n"},
		{"unknown channel", sim.Transcript("#nope"), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, tt.got); diff != "" {
				t.Errorf("transcript (-want +got):\n%s", diff)
			}
		})
	}
}

func TestTranscriptBlocks(t *testing.T) {
	sim, api := newSim(t)
	if _, _, err := api.PostMessage("#ci-alerts", slack.MsgOptionText("fallback", false), slack.MsgOptionBlocks(approvalBlocks()...)); err != nil {
		t.Fatal(err)
	}
	want := `#ci-alerts
ccm: Approval needed
  *acme/api* ` + "`build`" + ` failed <flaky>
  run 42
  [Approve] [Reject]
`
	if diff := cmp.Diff(want, sim.Transcript("#ci-alerts")); diff != "" {
		t.Errorf("transcript (-want +got):\n%s", diff)
	}
	if all := sim.TranscriptAll(); all != want {
		t.Errorf("TranscriptAll = %q", all)
	}
	if err := sim.WaitUntil(time.Second, func() bool { return len(sim.Messages("#ci-alerts")) == 1 }); err != nil {
		t.Error(err)
	}
	if err := sim.WaitUntil(10*time.Millisecond, func() bool { return false }); !errors.Is(err, slacksim.ErrTimeout) {
		t.Errorf("WaitUntil on a false condition = %v", err)
	}
}
