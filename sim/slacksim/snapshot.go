package slacksim

// Workspace is a copy of the simulated workspace at one moment, for views
// that draw it (sim/slacksim/slackui renders it as a web page). Taking it
// holds the simulator's lock once, so a view never shows half a change.
type Workspace struct {
	TeamName  string
	BotUserID string
	BotName   string
	// Users maps user IDs (the bot's included) to display names.
	Users map[string]string
	// Channels are in creation order, public channels before direct
	// messages, as the sidebar lists them.
	Channels []ChannelSnapshot
	// Ephemerals are every user's, oldest first.
	Ephemerals []Ephemeral
}

// ChannelSnapshot is one channel and its messages, roots and replies in ts
// order. Deleted messages are kept (Deleted set): a view shows a deleted
// root that has replies as Slack does, "This message was deleted."
type ChannelSnapshot struct {
	ID   string
	Name string // without '#'; the other party's user ID for an IM
	IM   bool
	User string // the other party of an IM
	// Messages are copies; their Blocks share the recorded bytes, which the
	// simulator never changes in place (chat.update swaps the slice).
	Messages []Message
}

// Snapshot copies the workspace: channels, messages, ephemerals, names.
func (s *Server) Snapshot() Workspace {
	s.mu.Lock()
	defer s.mu.Unlock()
	w := Workspace{
		TeamName:   s.cfg.TeamName,
		BotUserID:  s.cfg.BotUserID,
		BotName:    s.cfg.BotName,
		Users:      make(map[string]string, len(s.users)),
		Ephemerals: append([]Ephemeral(nil), s.ephemerals...),
	}
	for id, name := range s.users {
		w.Users[id] = name
	}
	for _, ch := range s.sortedChannelsLocked() {
		c := ChannelSnapshot{ID: ch.id, Name: ch.name, IM: ch.isIM, User: ch.user, Messages: make([]Message, 0, len(ch.msgs))}
		for _, m := range ch.msgs {
			c.Messages = append(c.Messages, *m)
		}
		w.Channels = append(w.Channels, c)
	}
	return w
}
