package slacksim

import (
	"encoding/json"
	"fmt"
	"time"
)

// BlockAction is a user clicking a button.
type BlockAction struct {
	User      string
	Channel   string // "#name" or ID
	MessageTS string
	// Ephemeral says the button is on an ephemeral message shown to User.
	Ephemeral bool
	ActionID  string
	// Value, BlockID and Text are taken from the message's button when
	// empty. A button the message no longer has (a stale or forged click)
	// can still be sent by giving Value.
	Value   string
	BlockID string
	Text    string
}

// ClickButton clicks the button with actionID on a message.
func (s *Server) ClickButton(user, channel, messageTS, actionID string) (Sent, error) {
	return s.SendBlockAction(BlockAction{User: user, Channel: channel, MessageTS: messageTS, ActionID: actionID})
}

// SendBlockAction delivers an interactive block_actions envelope for a
// button click, with a trigger_id and a response_url bound to the message.
func (s *Server) SendBlockAction(a BlockAction) (Sent, error) {
	s.mu.Lock()
	ch := s.resolveLocked(a.Channel)
	if ch == nil {
		s.mu.Unlock()
		return Sent{}, fmt.Errorf("block action in %s: channel_not_found", a.Channel)
	}
	s.ensureUserLocked(a.User)
	var blocks json.RawMessage
	var msgObj map[string]any
	if a.Ephemeral {
		for _, e := range s.ephemerals {
			if e.TS == a.MessageTS && e.User == a.User {
				blocks = e.Blocks
			}
		}
	} else if m := s.messageLocked(ch.id, a.MessageTS); m != nil {
		blocks = m.Blocks
		msgObj = s.messageJSON(m)
	}
	btn, ok := findButton(blocks, a.ActionID)
	if !ok && a.Value == "" {
		s.mu.Unlock()
		return Sent{}, fmt.Errorf("block action: no button %q on message %s in %s", a.ActionID, a.MessageTS, a.Channel)
	}
	fill := func(dst *string, v string) {
		if *dst == "" {
			*dst = v
		}
	}
	fill(&a.Value, btn.Value)
	fill(&a.BlockID, btn.blockID)
	fill(&a.Text, btn.text())
	trigger := s.issueTriggerLocked()
	respURL := s.issueResponseURLLocked(ch.id, a.User, a.MessageTS, a.Ephemeral)
	action := map[string]any{
		"type": "button", "action_id": a.ActionID, "block_id": a.BlockID, "value": a.Value,
		"text":      map[string]any{"type": "plain_text", "text": a.Text, "emoji": true},
		"action_ts": s.nextTSLocked(),
	}
	if btn.Style != "" {
		action["style"] = btn.Style
	}
	payload := map[string]any{
		"type": "block_actions", "user": s.userObjLocked(a.User), "api_app_id": s.cfg.AppID,
		"token": verificationToken, "trigger_id": trigger, "team": s.teamObj(),
		"enterprise": nil, "is_enterprise_install": false,
		"container": map[string]any{
			"type": "message", "message_ts": a.MessageTS, "channel_id": ch.id, "is_ephemeral": a.Ephemeral,
		},
		"channel":      map[string]any{"id": ch.id, "name": s.channelNameLocked(ch)},
		"state":        map[string]any{"values": map[string]any{}},
		"response_url": respURL,
		"actions":      []any{action},
	}
	if msgObj != nil {
		payload["message"] = msgObj
	}
	s.mu.Unlock()
	b, err := json.Marshal(payload)
	if err != nil {
		return Sent{}, fmt.Errorf("encoding block action: %w", err)
	}
	return s.deliver(&envelope{
		sent:    Sent{Type: TypeInteractive, TriggerID: trigger, ResponseURL: respURL},
		payload: b, channel: ch.id, user: a.User,
	})
}

// button is an interactive element found in a message's blocks.
type button struct {
	element
	blockID string
}

func (b button) text() string {
	if b.Text == nil {
		return ""
	}
	return b.Text.Text
}

// findButton looks for the element with actionID in actions blocks and
// section accessories. Blocks sent without a block_id get the one Slack
// would make up, stable per position.
func findButton(raw json.RawMessage, actionID string) (button, bool) {
	var blocks []struct {
		Type      string    `json:"type"`
		BlockID   string    `json:"block_id"`
		Elements  []element `json:"elements"`
		Accessory *element  `json:"accessory"`
	}
	if len(raw) == 0 || json.Unmarshal(raw, &blocks) != nil {
		return button{}, false
	}
	for i, b := range blocks {
		id := b.BlockID
		if id == "" {
			id = fmt.Sprintf("sim%d", i)
		}
		els := b.Elements
		if b.Accessory != nil {
			els = append(els, *b.Accessory)
		}
		for _, e := range els {
			if e.ActionID == actionID {
				return button{element: e, blockID: id}, true
			}
		}
	}
	return button{}, false
}

// ViewSubmission is a user submitting a modal opened with views.open.
type ViewSubmission struct {
	User   string
	ViewID string
	// Values are the input blocks' state: block_id -> action_id -> value.
	// A string is a plain_text_input's value; anything else is sent as
	// the element state as given ({"type":"static_select",...}).
	Values map[string]map[string]any
}

// SendViewSubmission delivers an interactive view_submission envelope.
// The ack's response_action is applied as Slack does: "update" replaces
// the view, "errors" keeps it open with the errors, otherwise it closes.
func (s *Server) SendViewSubmission(v ViewSubmission) (Sent, error) {
	s.mu.Lock()
	view, ok := s.views[v.ViewID]
	if !ok || view.Type != "modal" {
		s.mu.Unlock()
		return Sent{}, fmt.Errorf("view_submission: no modal %s", v.ViewID)
	}
	s.ensureUserLocked(v.User)
	values := map[string]any{}
	for block, actions := range v.Values {
		m := map[string]any{}
		for action, val := range actions {
			if str, ok := val.(string); ok {
				m[action] = map[string]any{"type": "plain_text_input", "value": str}
			} else {
				m[action] = val
			}
		}
		values[block] = m
	}
	vj := s.viewJSON(view)
	vj["state"] = map[string]any{"values": values}
	trigger := s.issueTriggerLocked()
	payload := map[string]any{
		"type": "view_submission", "team": s.teamObj(), "user": s.userObjLocked(v.User),
		"api_app_id": s.cfg.AppID, "token": verificationToken, "trigger_id": trigger,
		"view": vj, "response_urls": []any{}, "is_enterprise_install": false, "enterprise": nil,
	}
	s.mu.Unlock()
	b, err := json.Marshal(payload)
	if err != nil {
		return Sent{}, fmt.Errorf("encoding view submission: %w", err)
	}
	return s.deliver(&envelope{
		sent:    Sent{Type: TypeInteractive, TriggerID: trigger},
		payload: b, accepts: true, user: v.User, viewID: v.ViewID,
	})
}

// applyViewResponseLocked applies a view_submission ack.
func (s *Server) applyViewResponseLocked(e *envelope, payload json.RawMessage) {
	v := s.views[e.viewID]
	if v == nil {
		return
	}
	var resp struct {
		ResponseAction string            `json:"response_action"`
		View           json.RawMessage   `json:"view"`
		Errors         map[string]string `json:"errors"`
	}
	if len(payload) > 0 && json.Unmarshal(payload, &resp) != nil {
		s.unexpected = append(s.unexpected, fmt.Sprintf("view_submission ack %s: undecodable payload", e.sent.EnvelopeID))
		return
	}
	switch resp.ResponseAction {
	case "update", "push":
		req, blocks, code := parseView(string(resp.View), "modal")
		if code != "" {
			s.unexpected = append(s.unexpected, fmt.Sprintf("view_submission ack %s: %s", e.sent.EnvelopeID, code))
			return
		}
		s.applyViewLocked(v, req, blocks)
		v.Updates++
	case "errors":
		v.Errors = resp.Errors
	default:
		v.Closed, v.ClosedAt = true, time.Now()
	}
}
