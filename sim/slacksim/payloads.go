package slacksim

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// verificationToken is the legacy token Slack still puts in payloads;
// Socket Mode clients must not rely on it.
const verificationToken = "simVerificationToken"

// AppMention is a user mentioning the bot in a channel.
type AppMention struct {
	User     string
	Channel  string // "#name" or ID
	Text     string // "<@BOTID>" is prepended when it does not mention the bot
	ThreadTS string // set to mention the bot inside a thread
}

// SendAppMention posts the user's message into the channel and delivers
// the app_mention event for it.
func (s *Server) SendAppMention(m AppMention) (Sent, error) {
	text := m.Text
	mention := "<@" + s.cfg.BotUserID + ">"
	if !strings.Contains(text, mention) {
		text = mention + " " + text
	}
	s.mu.Lock()
	ch := s.resolveLocked(m.Channel)
	if ch == nil {
		s.mu.Unlock()
		return Sent{}, fmt.Errorf("app_mention in %s: channel_not_found", m.Channel)
	}
	s.ensureUserLocked(m.User)
	msg := &Message{Channel: ch.id, TS: s.nextTSLocked(), At: time.Now(), ThreadTS: m.ThreadTS, User: m.User, Text: text}
	ch.msgs = append(ch.msgs, msg)
	s.notifyLocked()
	s.mu.Unlock()
	ev := map[string]any{
		"type": "app_mention", "user": m.User, "text": text, "ts": msg.TS,
		"channel": ch.id, "event_ts": msg.TS, "team": s.cfg.TeamID,
	}
	if m.ThreadTS != "" {
		ev["thread_ts"] = m.ThreadTS
	}
	sent, err := s.sendEvent(ev)
	sent.TS = msg.TS
	return sent, err
}

// SendAppHomeOpened delivers app_home_opened for user's Home tab, with the
// view last published for them, if any.
func (s *Server) SendAppHomeOpened(user string) (Sent, error) {
	s.mu.Lock()
	s.ensureUserLocked(user)
	im := s.imLocked(user)
	ev := map[string]any{
		"type": "app_home_opened", "user": user, "channel": im.id, "tab": "home",
		"event_ts": s.nextTSLocked(),
	}
	if v, ok := s.views[s.homes[user]]; ok {
		ev["view"] = s.viewJSON(v)
	}
	s.mu.Unlock()
	return s.sendEvent(ev)
}

// sendEvent wraps an event in an event_callback and delivers it.
func (s *Server) sendEvent(ev map[string]any) (Sent, error) {
	eventID := "Ev" + strings.ToUpper(randomHex(5))
	payload := map[string]any{
		"token": verificationToken, "team_id": s.cfg.TeamID, "api_app_id": s.cfg.AppID,
		"event": ev, "type": "event_callback", "event_id": eventID,
		"event_time": time.Now().Unix(),
		"authorizations": []map[string]any{{
			"enterprise_id": nil, "team_id": s.cfg.TeamID, "user_id": s.cfg.BotUserID,
			"is_bot": true, "is_enterprise_install": false,
		}},
		"is_ext_shared_channel": false,
		"event_context":         "4-" + randomHex(12),
	}
	b, err := json.Marshal(payload)
	if err != nil {
		return Sent{}, fmt.Errorf("encoding %s event: %w", ev["type"], err)
	}
	return s.deliver(&envelope{sent: Sent{Type: TypeEventsAPI, EventID: eventID}, payload: b})
}

// SlashCommand is a user running a slash command.
type SlashCommand struct {
	User    string
	Channel string // "#name" or ID
	Command string // "" = "/ccm"
	Text    string
}

// SendSlashCommand delivers a slash_commands envelope, with a trigger_id
// and a response_url. A payload in the ack is shown like a response_url
// post: ephemeral unless response_type is in_channel.
func (s *Server) SendSlashCommand(c SlashCommand) (Sent, error) {
	if c.Command == "" {
		c.Command = "/ccm"
	}
	s.mu.Lock()
	ch := s.resolveLocked(c.Channel)
	if ch == nil {
		s.mu.Unlock()
		return Sent{}, fmt.Errorf("%s in %s: channel_not_found", c.Command, c.Channel)
	}
	s.ensureUserLocked(c.User)
	trigger := s.issueTriggerLocked()
	respURL := s.issueResponseURLLocked(ch.id, c.User, "", false)
	// Slack sends a slash command as it would post the form: all strings.
	payload := map[string]string{
		"token": verificationToken, "team_id": s.cfg.TeamID, "team_domain": s.cfg.TeamName,
		"channel_id": ch.id, "channel_name": s.channelNameLocked(ch), "user_id": c.User,
		"user_name": s.users[c.User], "command": c.Command, "text": c.Text,
		"api_app_id": s.cfg.AppID, "is_enterprise_install": "false",
		"response_url": respURL, "trigger_id": trigger,
	}
	s.mu.Unlock()
	b, err := json.Marshal(payload)
	if err != nil {
		return Sent{}, fmt.Errorf("encoding slash command: %w", err)
	}
	return s.deliver(&envelope{
		sent:    Sent{Type: TypeSlashCommands, TriggerID: trigger, ResponseURL: respURL},
		payload: b, accepts: true, channel: ch.id, user: c.User,
	})
}

func (s *Server) channelNameLocked(ch *channel) string {
	if ch.isIM {
		return "directmessage"
	}
	return ch.name
}

// ensureUserLocked makes a user known (name = ID) so payloads can carry a
// user name and users.info answers for them.
func (s *Server) ensureUserLocked(id string) {
	if _, ok := s.users[id]; !ok {
		s.users[id] = id
	}
}

func (s *Server) userObjLocked(id string) map[string]any {
	return map[string]any{"id": id, "username": s.users[id], "name": s.users[id], "team_id": s.cfg.TeamID}
}

func (s *Server) teamObj() map[string]any {
	return map[string]any{"id": s.cfg.TeamID, "domain": s.cfg.TeamName}
}
