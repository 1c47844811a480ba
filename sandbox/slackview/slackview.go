// Package slackview renders what the simulated Slack workspace shows,
// channel by channel, as text: each thread as it reads in the channel,
// buttons as [Approve] [Reject]. `ccm sandbox` prints it; a web view of
// the workspace can reuse it (it depends only on the simulator).
package slackview

import (
	"strings"

	"github.com/ccm-ci/ccm/sim/slacksim"
)

// Channels renders each channel that has messages, in the order given,
// as viewer sees it (their private messages included, marked; "" for
// nobody's), each line indented by two spaces, channels apart by a blank
// line. Channels without messages are left out; none at all renders "".
func Channels(sim *slacksim.Server, viewer string, channels ...string) string {
	var parts []string
	for _, ch := range channels {
		if len(sim.Messages(ch)) == 0 && !hasPrivate(sim, viewer, ch) {
			continue
		}
		parts = append(parts, indent(sim.TranscriptAs(ch, viewer), "  "))
	}
	return strings.Join(parts, "\n")
}

func hasPrivate(sim *slacksim.Server, viewer, ch string) bool {
	if viewer == "" {
		return false
	}
	id := sim.ChannelID(ch)
	for _, e := range sim.Ephemerals(viewer) {
		if e.Channel == id {
			return true
		}
	}
	return false
}

func indent(s, by string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i, l := range lines {
		if l != "" {
			lines[i] = by + l
		}
	}
	return strings.Join(lines, "\n") + "\n"
}
