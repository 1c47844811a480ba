package slackui

import (
	"encoding/json"
	"hash/fnv"
	"html/template"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/ccm-ci/ccm/sim/slacksim"
)

// pageView is what the template draws.
type pageView struct {
	Team     string
	Channels []channelLink
	Current  *channelLink // nil: the workspace has no channels yet
	Messages []msgView
	Rev      string
	PollMS   int64
	Nonce    string
	Viewer   string // the viewer's name, "" for everyone
	HasIM    bool   // some channel is a direct message
	Follow   bool   // no channel was asked for: the latest activity's shows
}

type channelLink struct {
	ID, Label string
	IM        bool
	Count     int
	Selected  bool
}

type msgView struct {
	TS, Author, Initial, Color, Time, Stamp string
	Bot, Edited, Deleted                    bool
	Ephemeral                               bool
	EphemeralTo                             string // the reader, when the page shows everyone's
	Body                                    template.HTML
	Replies                                 []msgView
}

// item is a message or an ephemeral as the channel places it.
type item struct {
	ts, threadTS, user, to string
	text                   string
	blocks                 json.RawMessage
	edited, deleted, eph   bool
	bot                    bool
	at                     time.Time
}

// build lays out the workspace with channel ID sel open as viewer sees it
// ("" for everyone's ephemerals). With sel "" (or unknown) the page
// follows the activity: the channel that last got a message opens, so a
// person watching the sandbox sees each scenario as it plays.
func build(ws slacksim.Workspace, sel, viewer string) pageView {
	n := names{users: ws.Users, channels: map[string]string{}}
	for _, c := range ws.Channels {
		n.channels[c.ID] = c.Name
	}
	items := map[string][]item{}
	for _, c := range ws.Channels {
		for _, m := range c.Messages {
			items[c.ID] = append(items[c.ID], item{ts: m.TS, threadTS: m.ThreadTS, at: m.At, user: m.User, text: m.Text, blocks: m.Blocks,
				edited: m.Edits > 0, deleted: m.Deleted, bot: m.BotID != "" || m.User == ws.BotUserID})
		}
	}
	for _, e := range ws.Ephemerals {
		if viewer == "" || e.User == viewer {
			items[e.Channel] = append(items[e.Channel], item{ts: e.TS, threadTS: e.ThreadTS, at: e.At, user: ws.BotUserID, to: e.User,
				text: e.Text, blocks: e.Blocks, edited: e.Edits > 0, eph: true, bot: true})
		}
	}
	v := pageView{Team: ws.TeamName}
	if viewer != "" {
		v.Viewer = name(ws.Users, viewer)
	}
	for _, c := range ws.Channels {
		l := channelLink{ID: c.ID, Label: c.Name, IM: c.IM}
		if c.IM {
			l.Label = name(ws.Users, c.User)
			v.HasIM = true
		}
		for _, it := range items[c.ID] {
			if !it.deleted {
				l.Count++
			}
		}
		v.Channels = append(v.Channels, l)
	}
	pick := -1
	for i, l := range v.Channels {
		if l.ID == sel {
			pick = i
		}
	}
	if pick < 0 {
		v.Follow = true
		latest := ""
		for i, l := range v.Channels {
			for _, it := range items[l.ID] {
				// ts order is posting order: every ts has 6 decimals.
				if !it.deleted && it.ts > latest {
					latest, pick = it.ts, i
				}
			}
		}
	}
	if pick < 0 && len(v.Channels) > 0 {
		pick = 0
	}
	if pick < 0 {
		return v
	}
	v.Channels[pick].Selected = true
	v.Current = &v.Channels[pick]
	v.Messages = n.thread(ws, items[v.Current.ID], viewer == "")
	return v
}

// thread orders a channel's items as Slack shows them: roots by time,
// each root's replies under it. A deleted root stays (as "This message
// was deleted.") only while it has replies; a reply whose root is gone
// shows at the root level rather than not at all.
func (n names) thread(ws slacksim.Workspace, its []item, everyone bool) []msgView {
	sort.SliceStable(its, func(i, j int) bool { return its[i].ts < its[j].ts })
	roots := map[string]bool{}
	for _, it := range its {
		if it.threadTS == "" || it.threadTS == it.ts {
			roots[it.ts] = true
		}
	}
	replies := map[string][]msgView{}
	var order []item
	for _, it := range its {
		if it.threadTS != "" && it.threadTS != it.ts && roots[it.threadTS] {
			if !it.deleted {
				replies[it.threadTS] = append(replies[it.threadTS], n.msg(ws, it, everyone))
			}
			continue
		}
		order = append(order, it)
	}
	var out []msgView
	for _, it := range order {
		rs := replies[it.ts]
		if it.deleted && len(rs) == 0 {
			continue
		}
		m := n.msg(ws, it, everyone)
		m.Replies = rs
		out = append(out, m)
	}
	return out
}

func (n names) msg(ws slacksim.Workspace, it item, everyone bool) msgView {
	author := name(ws.Users, it.user)
	m := msgView{TS: it.ts, Author: author, Initial: initial(author), Color: color(it.user),
		Bot: it.bot, Edited: it.edited, Deleted: it.deleted, Ephemeral: it.eph}
	t, ok := it.at, !it.at.IsZero()
	if !ok {
		t, ok = tsTime(it.ts)
	}
	if ok {
		m.Time, m.Stamp = t.Format("15:04:05"), t.Format(time.RFC1123)
	}
	if it.eph && everyone {
		m.EphemeralTo = name(ws.Users, it.to)
	}
	if it.deleted {
		m.Body = `<div class="text deleted">This message was deleted.</div>`
	} else {
		m.Body = template.HTML(n.contentHTML(it.text, it.blocks, it.edited)) //nolint:gosec // escaped by contentHTML, which the tests hold to it
	}
	return m
}

func name(users map[string]string, id string) string {
	if n, ok := users[id]; ok && n != "" {
		return n
	}
	return id
}

func initial(s string) string {
	for _, r := range s {
		return strings.ToUpper(string(r))
	}
	return "?"
}

// color gives each author their own avatar colour, the same on every load.
func color(id string) string {
	palette := []string{"#4a154b", "#1264a3", "#2bac76", "#e8912d", "#cd2553", "#36c5f0", "#7c3085", "#0b4c8c"}
	f := fnv.New32a()
	_, _ = f.Write([]byte(id)) // a hash never fails to write
	return palette[f.Sum32()%uint32(len(palette))]
}

// tsTime reads a Slack ts ("1796491784.000123").
func tsTime(ts string) (time.Time, bool) {
	sec, frac, _ := strings.Cut(ts, ".")
	s, err := strconv.ParseInt(sec, 10, 64)
	if err != nil {
		return time.Time{}, false
	}
	us, _ := strconv.ParseInt((frac + "000000")[:6], 10, 64)
	return time.Unix(s, us*1000), true
}
