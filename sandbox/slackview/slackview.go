// Package slackview renders what the simulated Slack workspace shows,
// channel by channel, as text: each thread as it reads in the channel,
// buttons as [Approve] [Reject]. `ccm sandbox` prints it; a web view of
// the workspace can reuse it (it depends only on the simulator).
package slackview

import (
	"regexp"
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

// linkRE matches Slack's <…> markup: links, mentions, channels.
var linkRE = regexp.MustCompile(`<([^<>]*)>`)

// unescape undoes Slack's three escapes, after the markup is read: a
// literal "<" arrives as "&lt;" and Slack clients show it as "<".
var unescape = strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&")

// Text renders one message's text as a Slack client shows it, for a line
// on the terminal (an ephemeral answer, a reply): <URL|label> is label,
// <@U…> the user's name, and &lt; &gt; &amp; are < > &.
func Text(sim *slacksim.Server, text string) string {
	users := sim.Config().Users
	text = linkRE.ReplaceAllStringFunc(text, func(m string) string {
		target, label, hasLabel := strings.Cut(m[1:len(m)-1], "|")
		switch {
		case strings.HasPrefix(target, "@"):
			if name, ok := users[target[1:]]; ok {
				return "@" + name
			}
			if hasLabel {
				return "@" + label
			}
			return target
		case strings.HasPrefix(target, "#") && hasLabel:
			return "#" + label
		case strings.HasPrefix(target, "!") && !hasLabel:
			return "@" + target[1:]
		case hasLabel:
			return label
		}
		return target
	})
	return unescape.Replace(text)
}
