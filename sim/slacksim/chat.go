package slacksim

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Slack's documented limits, enforced so a client that breaks them fails
// here as it would in Slack.
const (
	maxBlocks        = 50
	maxSectionText   = 3000
	maxHeaderText    = 150
	maxButtonText    = 75
	maxButtonValue   = 2000
	maxMessageText   = 40000
	maxActionIDChars = 255
)

func (s *Server) chatPostMessage(c *Call) (map[string]any, string) {
	p := c.Params
	blocks, code := checkBlocks(p["blocks"], maxBlocks)
	if code != "" {
		return nil, code
	}
	if code := checkText(p["text"], blocks); code != "" {
		return nil, code
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ch := s.resolveLocked(p["channel"])
	if ch == nil {
		return nil, "channel_not_found"
	}
	if wait := s.takePostLocked(ch.id); wait > 0 {
		return nil, codeChannelLimited + strconv.Itoa(wait)
	}
	threadTS := p["thread_ts"]
	if threadTS != "" {
		root := s.messageLocked(ch.id, threadTS)
		if root == nil {
			return nil, "thread_not_found"
		}
		if root.IsReply() {
			// A reply to a reply lands in the root's thread, as in Slack.
			threadTS = root.ThreadTS
		}
	}
	m := &Message{
		Channel: ch.id, TS: s.nextTSLocked(), At: time.Now(), ThreadTS: threadTS,
		User: s.cfg.BotUserID, BotID: s.cfg.BotID, Text: p["text"], Blocks: blocks,
	}
	ch.msgs = append(ch.msgs, m)
	s.notifyLocked()
	return map[string]any{"channel": ch.id, "ts": m.TS, "message": s.messageJSON(m)}, ""
}

func (s *Server) chatUpdate(c *Call) (map[string]any, string) {
	p := c.Params
	blocks, code := checkBlocks(p["blocks"], maxBlocks)
	if code != "" {
		return nil, code
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	// chat.update wants the channel ID it got back from chat.postMessage,
	// not a name.
	ch := s.channels[p["channel"]]
	if ch == nil {
		return nil, "channel_not_found"
	}
	m := s.messageLocked(ch.id, p["ts"])
	if m == nil {
		return nil, "message_not_found"
	}
	if m.BotID != s.cfg.BotID {
		return nil, "cant_update_message"
	}
	_, hasBlocks := p["blocks"]
	_, hasText := p["text"]
	if !hasBlocks && !hasText {
		return nil, "no_text"
	}
	if hasText {
		m.Text = p["text"]
	}
	// Blocks left out keep the message's blocks; "[]" removes them.
	if hasBlocks {
		m.Blocks = blocks
	}
	m.Edits++
	s.notifyLocked()
	return map[string]any{"channel": ch.id, "ts": m.TS, "text": m.Text, "message": s.messageJSON(m)}, ""
}

// channelMessageLocked finds the message of c's channel (by ID, as Slack
// wants for these methods) whose ts is in c's param tsParam, or the error
// code Slack answers.
func (s *Server) channelMessageLocked(c *Call, tsParam string) (*channel, *Message, string) {
	ch := s.channels[c.Params["channel"]]
	if ch == nil {
		return nil, nil, "channel_not_found"
	}
	m := s.messageLocked(ch.id, c.Params[tsParam])
	if m == nil {
		return nil, nil, "message_not_found"
	}
	return ch, m, ""
}

func (s *Server) chatDelete(c *Call) (map[string]any, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch, m, code := s.channelMessageLocked(c, "ts")
	if code != "" {
		return nil, code
	}
	if m.BotID != s.cfg.BotID {
		return nil, "cant_delete_message"
	}
	m.Deleted = true
	s.notifyLocked()
	return map[string]any{"channel": ch.id, "ts": m.TS}, ""
}

func (s *Server) chatPostEphemeral(c *Call) (map[string]any, string) {
	p := c.Params
	blocks, code := checkBlocks(p["blocks"], maxBlocks)
	if code != "" {
		return nil, code
	}
	if code := checkText(p["text"], blocks); code != "" {
		return nil, code
	}
	if p["user"] == "" {
		return nil, "user_not_found"
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ch := s.resolveLocked(p["channel"])
	if ch == nil {
		return nil, "channel_not_found"
	}
	e := Ephemeral{
		Channel: ch.id, User: p["user"], TS: s.nextTSLocked(), At: time.Now(), ThreadTS: p["thread_ts"],
		Text: p["text"], Blocks: blocks,
	}
	s.ephemerals = append(s.ephemerals, e)
	s.notifyLocked()
	return map[string]any{"message_ts": e.TS}, ""
}

func (s *Server) chatGetPermalink(c *Call) (map[string]any, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch, m, code := s.channelMessageLocked(c, "message_ts")
	if code != "" {
		return nil, code
	}
	return map[string]any{"channel": ch.id, "permalink": s.permalink(m)}, ""
}

// permalink is Slack's archive link: the ts without its dot after "p",
// and thread_ts for replies.
func (s *Server) permalink(m *Message) string {
	link := fmt.Sprintf("https://%s.slack.com/archives/%s/p%s", s.cfg.TeamName, m.Channel, strings.ReplaceAll(m.TS, ".", ""))
	if m.IsReply() {
		link += fmt.Sprintf("?thread_ts=%s&cid=%s", m.ThreadTS, m.Channel)
	}
	return link
}

// messageJSON is a message object as chat.postMessage returns it.
func (s *Server) messageJSON(m *Message) map[string]any {
	out := map[string]any{
		"type": "message", "user": m.User, "text": m.Text, "ts": m.TS, "team": s.cfg.TeamID,
	}
	if m.BotID != "" {
		out["bot_id"], out["app_id"] = m.BotID, s.cfg.AppID
	}
	if m.ThreadTS != "" {
		out["thread_ts"] = m.ThreadTS
	}
	if len(m.Blocks) > 0 {
		out["blocks"] = m.Blocks
	}
	if m.Edits > 0 {
		out["edited"] = map[string]any{"user": m.User, "ts": m.TS}
	}
	return out
}

func checkText(text string, blocks json.RawMessage) string {
	if text == "" && len(blocks) == 0 {
		return "no_text"
	}
	if utf8.RuneCountInString(text) > maxMessageText {
		return "msg_too_long"
	}
	return ""
}

// checkBlocks validates a blocks parameter the way Slack does for the
// limits ccm can hit (max blocks: 50 in a message, 100 in a view); ""
// means no blocks. It returns the blocks as sent.
func checkBlocks(raw string, max int) (json.RawMessage, string) {
	if raw == "" {
		return nil, ""
	}
	var blocks []map[string]json.RawMessage
	if err := json.Unmarshal([]byte(raw), &blocks); err != nil {
		return nil, "invalid_blocks_format"
	}
	if len(blocks) > max {
		return nil, "invalid_blocks"
	}
	actionIDs := map[string]bool{}
	for _, b := range blocks {
		if code := checkBlock(b, actionIDs); code != "" {
			return nil, code
		}
	}
	return json.RawMessage(raw), ""
}

// textObj is a Block Kit composition text object.
type textObj struct {
	Type string `json:"type"`
	Text string `json:"text"`
}

// element is the part of a block element the checks and the transcript
// read. Interactive elements carry a text object in "text"; the text
// objects of a context block carry a string there, kept in Str.
type element struct {
	Type     string   `json:"type"`
	Text     *textObj `json:"-"`
	Str      string   `json:"-"`
	ActionID string   `json:"action_id"`
	Value    string   `json:"value"`
	Style    string   `json:"style"`
	URL      string   `json:"url"`
	AltText  string   `json:"alt_text"`
}

func (e *element) UnmarshalJSON(b []byte) error {
	type fields element // drops this method
	var aux struct {
		fields
		Text json.RawMessage `json:"text"`
	}
	if err := json.Unmarshal(b, &aux); err != nil {
		return fmt.Errorf("decoding block element: %w", err)
	}
	*e = element(aux.fields)
	if len(aux.Text) == 0 || string(aux.Text) == "null" {
		return nil
	}
	if aux.Text[0] == '"' {
		return json.Unmarshal(aux.Text, &e.Str)
	}
	e.Text = new(textObj)
	return json.Unmarshal(aux.Text, e.Text)
}

func checkBlock(b map[string]json.RawMessage, actionIDs map[string]bool) string {
	var typ string
	if json.Unmarshal(b["type"], &typ) != nil || typ == "" {
		return "invalid_blocks"
	}
	var text textObj
	if raw, ok := b["text"]; ok && json.Unmarshal(raw, &text) != nil {
		return "invalid_blocks"
	}
	switch typ {
	case "section":
		if utf8.RuneCountInString(text.Text) > maxSectionText {
			return "invalid_blocks"
		}
		var fields []textObj
		if raw, ok := b["fields"]; ok {
			if json.Unmarshal(raw, &fields) != nil || len(fields) > 10 {
				return "invalid_blocks"
			}
			for _, f := range fields {
				if utf8.RuneCountInString(f.Text) > 2000 {
					return "invalid_blocks"
				}
			}
		}
	case "header":
		if text.Type != "plain_text" || utf8.RuneCountInString(text.Text) > maxHeaderText {
			return "invalid_blocks"
		}
	case "actions":
		var els []element
		if json.Unmarshal(b["elements"], &els) != nil || len(els) == 0 || len(els) > 25 {
			return "invalid_blocks"
		}
		for _, e := range els {
			if code := checkElement(e, actionIDs); code != "" {
				return code
			}
		}
	}
	return ""
}

func checkElement(e element, actionIDs map[string]bool) string {
	if e.ActionID != "" {
		// action_id must be unique within a message or view.
		if actionIDs[e.ActionID] || len(e.ActionID) > maxActionIDChars {
			return "invalid_blocks"
		}
		actionIDs[e.ActionID] = true
	}
	if e.Type == "button" {
		if e.Text == nil || e.Text.Type != "plain_text" || e.Text.Text == "" ||
			utf8.RuneCountInString(e.Text.Text) > maxButtonText ||
			utf8.RuneCountInString(e.Value) > maxButtonValue {
			return "invalid_blocks"
		}
		if e.Style != "" && e.Style != "primary" && e.Style != "danger" {
			return "invalid_blocks"
		}
	}
	return ""
}
