package slacksim

import (
	"crypto/rand"
	"encoding/hex"
	"strings"
)

func (s *Server) authTest(*Call) (map[string]any, string) {
	return map[string]any{
		"url":                   "https://" + s.cfg.TeamName + ".slack.com/",
		"team":                  s.cfg.TeamName,
		"user":                  s.cfg.BotName,
		"team_id":               s.cfg.TeamID,
		"user_id":               s.cfg.BotUserID,
		"bot_id":                s.cfg.BotID,
		"is_enterprise_install": false,
	}, ""
}

// appsConnectionsOpen hands out a one-time WebSocket URL, as Slack does:
// a client that lost its connection must call this again.
func (s *Server) appsConnectionsOpen(*Call) (map[string]any, string) {
	ticket := randomHex(16)
	s.mu.Lock()
	s.tickets[ticket] = true
	s.mu.Unlock()
	wsURL := "ws" + strings.TrimPrefix(s.base, "http") + "/link/?ticket=" + ticket + "&app_id=" + s.cfg.AppID
	return map[string]any{"url": wsURL}, ""
}

func (s *Server) conversationsInfo(c *Call) (map[string]any, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch := s.channels[c.Params["channel"]]
	if ch == nil {
		return nil, "channel_not_found"
	}
	return map[string]any{"channel": s.channelJSON(ch)}, ""
}

// conversationsList answers in one page: the simulated workspace is small.
func (s *Server) conversationsList(c *Call) (map[string]any, string) {
	types := c.Params["types"]
	if types == "" {
		types = "public_channel"
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	list := []map[string]any{}
	for _, ch := range s.sortedChannelsLocked() {
		if (ch.isIM && strings.Contains(types, "im")) || (!ch.isIM && strings.Contains(types, "public_channel")) {
			list = append(list, s.channelJSON(ch))
		}
	}
	return map[string]any{"channels": list, "response_metadata": map[string]any{"next_cursor": ""}}, ""
}

func (s *Server) conversationsOpen(c *Call) (map[string]any, string) {
	users := c.Params["users"]
	if users == "" || strings.Contains(users, ",") {
		// Group DMs are not modelled.
		return nil, "users_list_not_supplied"
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.users[users]; !ok {
		return nil, "user_not_found"
	}
	return map[string]any{"channel": s.channelJSON(s.imLocked(users))}, ""
}

func (s *Server) usersInfo(c *Call) (map[string]any, string) {
	id := c.Params["user"]
	s.mu.Lock()
	name, ok := s.users[id]
	s.mu.Unlock()
	if !ok {
		return nil, "user_not_found"
	}
	return map[string]any{"user": s.userJSON(id, name)}, ""
}

func (s *Server) userJSON(id, name string) map[string]any {
	return map[string]any{
		"id": id, "team_id": s.cfg.TeamID, "name": name, "real_name": name,
		"is_bot": id == s.cfg.BotUserID, "deleted": false,
		"profile": map[string]any{"display_name": name, "real_name": name},
	}
}

func (s *Server) usergroupsUsersList(c *Call) (map[string]any, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	members, ok := s.groups[c.Params["usergroup"]]
	if !ok {
		return nil, "no_such_subteam"
	}
	return map[string]any{"users": append([]string{}, members...)}, ""
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
