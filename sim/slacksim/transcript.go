package slacksim

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// Transcript renders a channel ("#name" or ID) as a reader sees it in
// Slack, as plain text: each root message and under it its thread replies
// (indented, marked "↳"), block text instead of the fallback text, buttons
// as [Approve] [Reject], edited messages in their latest form marked
// "(edited)", mentions and links resolved. Deterministic, so tests can
// compare it with a golden string.
func (s *Server) Transcript(channel string) string {
	return s.TranscriptAs(channel, "")
}

// TranscriptAs is Transcript as user sees the channel: their ephemeral
// messages are included, marked "(only visible to you)".
func (s *Server) TranscriptAs(channel, user string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch := s.resolveLocked(channel)
	if ch == nil {
		return ""
	}
	return s.renderChannelLocked(ch, user)
}

// TranscriptAll renders every channel that has messages, in the order the
// channels were created, separated by blank lines.
func (s *Server) TranscriptAll() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var parts []string
	for _, id := range s.order {
		ch := s.channels[id]
		if len(ch.msgs) > 0 {
			parts = append(parts, s.renderChannelLocked(ch, ""))
		}
	}
	return strings.Join(parts, "\n")
}

// item is a message or ephemeral message as the transcript places it.
type item struct {
	ts, threadTS, author string
	text                 string
	blocks               json.RawMessage
	edited, ephemeral    bool
}

func (s *Server) renderChannelLocked(ch *channel, user string) string {
	var items []item
	for _, m := range ch.msgs {
		if !m.Deleted {
			items = append(items, item{ts: m.TS, threadTS: m.ThreadTS, author: s.users[m.User], text: m.Text, blocks: m.Blocks, edited: m.Edits > 0})
		}
	}
	for _, e := range s.ephemerals {
		if user != "" && e.User == user && e.Channel == ch.id {
			items = append(items, item{ts: e.TS, threadTS: e.ThreadTS, author: s.cfg.BotName, text: e.Text, blocks: e.Blocks, edited: e.Edits > 0, ephemeral: true})
		}
	}
	sort.SliceStable(items, func(i, j int) bool { return items[i].ts < items[j].ts })
	replies := map[string][]item{}
	var roots []item
	for _, it := range items {
		if it.threadTS != "" && it.threadTS != it.ts {
			replies[it.threadTS] = append(replies[it.threadTS], it)
		} else {
			roots = append(roots, it)
		}
	}
	var b strings.Builder
	if ch.isIM {
		fmt.Fprintf(&b, "@%s (direct message)\n", s.users[ch.user])
	} else {
		fmt.Fprintf(&b, "#%s\n", ch.name)
	}
	for _, r := range roots {
		s.writeItemLocked(&b, r, "", "  ")
		for _, rep := range replies[r.ts] {
			s.writeItemLocked(&b, rep, "  ↳ ", "    ")
		}
	}
	return b.String()
}

func (s *Server) writeItemLocked(b *strings.Builder, it item, first, rest string) {
	author := it.author
	if it.edited {
		author += " (edited)"
	}
	if it.ephemeral {
		author += " (only visible to you)"
	}
	lines := s.renderContentLocked(it.text, it.blocks)
	if len(lines) == 0 {
		lines = []string{""}
	}
	fmt.Fprintf(b, "%s%s: %s\n", first, author, lines[0])
	for _, l := range lines[1:] {
		fmt.Fprintf(b, "%s%s\n", rest, l)
	}
}

// renderContentLocked turns a message into display lines: the blocks when
// there are any (Slack then shows the text only in notifications), else
// the text.
func (s *Server) renderContentLocked(text string, raw json.RawMessage) []string {
	var blocks []struct {
		Type      string    `json:"type"`
		Text      *textObj  `json:"text"`
		Fields    []textObj `json:"fields"`
		Elements  []element `json:"elements"`
		Accessory *element  `json:"accessory"`
		AltText   string    `json:"alt_text"`
		Label     *textObj  `json:"label"`
	}
	if len(raw) == 0 || json.Unmarshal(raw, &blocks) != nil || len(blocks) == 0 {
		return s.splitLocked(text)
	}
	var out []string
	for _, bl := range blocks {
		switch bl.Type {
		case "header", "section":
			if bl.Text != nil {
				out = append(out, s.splitLocked(bl.Text.Text)...)
			}
			for _, f := range bl.Fields {
				out = append(out, s.splitLocked(f.Text)...)
			}
			if bl.Accessory != nil {
				out = append(out, renderElement(*bl.Accessory))
			}
		case "context":
			var parts []string
			for _, e := range bl.Elements {
				if e.Type == "image" {
					continue
				}
				parts = append(parts, strings.Join(s.splitLocked(e.textOf()), " "))
			}
			out = append(out, strings.Join(parts, " | "))
		case "actions":
			var parts []string
			for _, e := range bl.Elements {
				parts = append(parts, renderElement(e))
			}
			out = append(out, strings.Join(parts, " "))
		case "divider":
			out = append(out, "---")
		case "image":
			out = append(out, "[image: "+bl.AltText+"]")
		case "input":
			if bl.Label != nil {
				out = append(out, bl.Label.Text+": ____")
			}
		default:
			out = append(out, "["+bl.Type+"]")
		}
	}
	return out
}

func renderElement(e element) string {
	if e.Type == "button" && e.Text != nil {
		return "[" + e.Text.Text + "]"
	}
	return "[" + e.Type + "]"
}

// textOf reads a context element: a text object's text, or an
// interactive element's label.
func (e element) textOf() string {
	if e.Text != nil {
		return e.Text.Text
	}
	return e.Str
}

var linkRE = regexp.MustCompile(`<([^<>]*)>`)

// splitLocked formats Slack mrkdwn for reading and splits it into lines.
func (s *Server) splitLocked(text string) []string {
	text = linkRE.ReplaceAllStringFunc(text, func(m string) string {
		inner := m[1 : len(m)-1]
		target, label, hasLabel := strings.Cut(inner, "|")
		switch {
		case strings.HasPrefix(target, "@"):
			if name, ok := s.users[target[1:]]; ok {
				return "@" + name
			}
			return "@" + target[1:]
		case strings.HasPrefix(target, "#"):
			if hasLabel {
				return "#" + label
			}
			if ch, ok := s.channels[target[1:]]; ok {
				return "#" + ch.name
			}
			return target
		case strings.HasPrefix(target, "!subteam^"):
			if hasLabel {
				return label
			}
			return "@" + strings.TrimPrefix(target, "!subteam^")
		case strings.HasPrefix(target, "!date^") && hasLabel:
			// <!date^unix^format|fallback>: the fallback is what a client
			// that cannot format dates shows, and reads the same.
			return label
		case strings.HasPrefix(target, "!"):
			return "@" + strings.TrimPrefix(target, "!")
		case hasLabel:
			return label
		}
		return target
	})
	text = strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&").Replace(text)
	return strings.Split(text, "\n")
}
