package slacksim

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"
)

// Message is one message in a channel as Slack holds it: the latest form
// after any chat.update.
type Message struct {
	Channel  string // channel ID
	TS       string
	ThreadTS string // "" for a root message; the root's ts for a reply
	// At is when it was posted, by the clock: a ts counts microseconds
	// from the simulator's start, one per message, so reads as that start.
	At      time.Time
	User    string // author user ID (the bot's user ID for bot posts)
	BotID   string // set on bot posts
	Text    string
	Blocks  json.RawMessage // as sent; nil when none
	Edits   int             // chat.update / replace_original count
	Deleted bool
}

// IsReply reports whether m is a thread reply.
func (m Message) IsReply() bool { return m.ThreadTS != "" && m.ThreadTS != m.TS }

// Ephemeral is a message only one user sees.
type Ephemeral struct {
	Channel  string
	User     string
	TS       string
	ThreadTS string
	At       time.Time // when it was posted (see Message.At)
	Text     string
	Blocks   json.RawMessage
	Edits    int
}

type channel struct {
	id, name string
	isIM     bool
	user     string // the other party of an IM
	msgs     []*Message
}

// AddChannel creates a public channel (name with or without '#') and
// returns its ID; an existing channel's ID is returned unchanged.
func (s *Server) AddChannel(name string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addChannelLocked(name, "")
}

// AddChannelWithID is AddChannel with a fixed ID ("C0123ABCD").
func (s *Server) AddChannelWithID(name, id string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addChannelLocked(name, id)
}

func (s *Server) addChannelLocked(name, id string) string {
	name = strings.TrimPrefix(name, "#")
	if ch := s.channelByNameLocked(name); ch != nil {
		return ch.id
	}
	if id == "" {
		id = s.newIDLocked("C")
	}
	s.channels[id] = &channel{id: id, name: name}
	s.order = append(s.order, id)
	return id
}

// ChannelID resolves "#name", "name" or an ID to a channel ID; "" if none.
func (s *Server) ChannelID(ref string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if ch := s.resolveLocked(ref); ch != nil {
		return ch.id
	}
	return ""
}

func (s *Server) channelByNameLocked(name string) *channel {
	for _, id := range s.order {
		if ch := s.channels[id]; ch.name == name && !ch.isIM {
			return ch
		}
	}
	return nil
}

// resolveLocked finds a channel the way chat.postMessage does: by ID, by
// name with or without '#', or by a user ID, which opens the bot's IM with
// that user.
func (s *Server) resolveLocked(ref string) *channel {
	if ch, ok := s.channels[ref]; ok {
		return ch
	}
	if ch := s.channelByNameLocked(strings.TrimPrefix(ref, "#")); ch != nil {
		return ch
	}
	if _, ok := s.users[ref]; ok && strings.HasPrefix(ref, "U") {
		return s.imLocked(ref)
	}
	return nil
}

// imLocked returns the bot's direct-message channel with user.
func (s *Server) imLocked(user string) *channel {
	for _, id := range s.order {
		if ch := s.channels[id]; ch.isIM && ch.user == user {
			return ch
		}
	}
	id := s.newIDLocked("D")
	s.channels[id] = &channel{id: id, name: user, isIM: true, user: user}
	s.order = append(s.order, id)
	return s.channels[id]
}

// AddUser adds (or renames) a workspace member.
func (s *Server) AddUser(id, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.users[id] = name
}

// SetUserGroup sets a user group's members (IDs like "S0123"); users
// not yet known are added under their ID.
func (s *Server) SetUserGroup(id string, members ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.groups[id] = append([]string(nil), members...)
	for _, m := range members {
		if _, ok := s.users[m]; !ok {
			s.users[m] = m
		}
	}
}

// Messages returns every message of a channel ("#name" or ID), roots and
// replies, in ts order; deleted messages are left out.
func (s *Server) Messages(ref string) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch := s.resolveLocked(ref)
	if ch == nil {
		return nil
	}
	var out []Message
	for _, m := range ch.msgs {
		if !m.Deleted {
			out = append(out, *m)
		}
	}
	return out
}

// Message returns one message of a channel by ts.
func (s *Server) Message(ref, ts string) (Message, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if m := s.messageLocked(ref, ts); m != nil {
		return *m, true
	}
	return Message{}, false
}

func (s *Server) messageLocked(ref, ts string) *Message {
	ch := s.resolveLocked(ref)
	if ch == nil {
		return nil
	}
	for _, m := range ch.msgs {
		if m.TS == ts && !m.Deleted {
			return m
		}
	}
	return nil
}

// Thread returns the replies to the root message ts, oldest first.
func (s *Server) Thread(ref, ts string) []Message {
	var out []Message
	for _, m := range s.Messages(ref) {
		if m.ThreadTS == ts && m.TS != ts {
			out = append(out, m)
		}
	}
	return out
}

// WaitForMessage waits until a message of the channel satisfies match and
// returns it.
func (s *Server) WaitForMessage(ref string, match func(Message) bool, timeout time.Duration) (Message, error) {
	var found Message
	ok := s.waitFor(timeout, func() bool {
		ch := s.resolveLocked(ref)
		if ch == nil {
			return false
		}
		for _, m := range ch.msgs {
			if !m.Deleted && match(*m) {
				found = *m
				return true
			}
		}
		return false
	})
	if !ok {
		return Message{}, fmt.Errorf("waiting for a message in %s: %w", ref, ErrTimeout)
	}
	return found, nil
}

// PostUserMessage puts a message from a user into a channel (what a human
// types), returning its ts; threadTS "" posts at the root. It does not
// send an event: see [Server.SendAppMention] for that.
func (s *Server) PostUserMessage(ref, user, text, threadTS string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch := s.resolveLocked(ref)
	if ch == nil {
		return "", fmt.Errorf("posting to %s: channel_not_found", ref)
	}
	m := &Message{Channel: ch.id, TS: s.nextTSLocked(), At: time.Now(), ThreadTS: threadTS, User: user, Text: text}
	ch.msgs = append(ch.msgs, m)
	s.notifyLocked()
	return m.TS, nil
}

// Ephemerals returns the ephemeral messages shown to user, oldest first
// ("" = every user's).
func (s *Server) Ephemerals(user string) []Ephemeral {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Ephemeral
	for _, e := range s.ephemerals {
		if user == "" || e.User == user {
			out = append(out, e)
		}
	}
	return out
}

// WaitForEphemeral waits until user has at least n ephemeral messages.
func (s *Server) WaitForEphemeral(user string, n int, timeout time.Duration) ([]Ephemeral, error) {
	if !s.waitFor(timeout, func() bool {
		c := 0
		for _, e := range s.ephemerals {
			if e.User == user {
				c++
			}
		}
		return c >= n
	}) {
		return s.Ephemerals(user), fmt.Errorf("waiting for %d ephemeral messages to %s: %w", n, user, ErrTimeout)
	}
	return s.Ephemerals(user), nil
}

// channelJSON is a conversation object as conversations.info returns it.
func (s *Server) channelJSON(ch *channel) map[string]any {
	m := map[string]any{
		"id": ch.id, "created": s.started.Unix(), "is_archived": false,
		"context_team_id": s.cfg.TeamID,
	}
	if ch.isIM {
		m["is_im"], m["user"] = true, ch.user
		return m
	}
	m["name"], m["name_normalized"] = ch.name, ch.name
	m["is_channel"], m["is_private"], m["is_member"] = true, false, true
	return m
}

// sortedChannels returns the channels in creation order.
func (s *Server) sortedChannelsLocked() []*channel {
	out := make([]*channel, 0, len(s.order))
	for _, id := range s.order {
		out = append(out, s.channels[id])
	}
	sort.SliceStable(out, func(i, j int) bool { return !out[i].isIM && out[j].isIM })
	return out
}
