package slacksim

import (
	"encoding/json"
	"fmt"
	"time"
	"unicode/utf8"
)

// View is a modal or App Home view as Slack holds it after views.open,
// views.push, views.update or views.publish.
type View struct {
	ID              string
	Type            string // "modal" or "home"
	User            string // the Home tab's owner; "" for modals
	TriggerID       string // the trigger that opened a modal
	CallbackID      string
	PrivateMetadata string
	ExternalID      string
	Hash            string
	Title           string
	Blocks          json.RawMessage
	Updates         int
	// Set by the ack of a view_submission: Errors for response_action
	// "errors", Closed when the modal closed.
	Errors   map[string]string
	Closed   bool
	ClosedAt time.Time
}

// viewReq is the part of a view payload the simulator reads.
type viewReq struct {
	Type            string          `json:"type"`
	Title           *textObj        `json:"title"`
	Blocks          json.RawMessage `json:"blocks"`
	CallbackID      string          `json:"callback_id"`
	PrivateMetadata string          `json:"private_metadata"`
	ExternalID      string          `json:"external_id"`
}

// issueTriggerLocked hands out a trigger_id for a payload.
func (s *Server) issueTriggerLocked() string {
	s.nextID++
	id := fmt.Sprintf("%d.%d.%s", time.Now().Unix(), s.nextID, randomHex(16))
	s.triggers[id] = time.Now()
	return id
}

func (s *Server) checkTriggerLocked(id string) string {
	issued, ok := s.triggers[id]
	switch {
	case id == "" || !ok:
		return "invalid_trigger_id"
	case s.cfg.TriggerTTL > 0 && time.Since(issued) > s.cfg.TriggerTTL:
		return "expired_trigger_id"
	}
	return ""
}

func parseView(raw string, wantType string) (viewReq, json.RawMessage, string) {
	var v viewReq
	if raw == "" || json.Unmarshal([]byte(raw), &v) != nil {
		return v, nil, "invalid_arguments"
	}
	if v.Type != wantType {
		return v, nil, "invalid_arguments"
	}
	if wantType == "modal" && (v.Title == nil || v.Title.Text == "" || utf8.RuneCountInString(v.Title.Text) > 24) {
		return v, nil, "invalid_arguments"
	}
	if len(v.PrivateMetadata) > 3000 || len(v.CallbackID) > 255 {
		return v, nil, "invalid_arguments"
	}
	blocks, code := checkBlocks(string(v.Blocks), 100)
	if code != "" {
		return v, nil, code
	}
	return v, blocks, ""
}

func (s *Server) viewsOpen(c *Call) (map[string]any, string) {
	return s.openView(c, "views.open")
}

func (s *Server) viewsPush(c *Call) (map[string]any, string) {
	return s.openView(c, "views.push")
}

func (s *Server) openView(c *Call, _ string) (map[string]any, string) {
	req, blocks, code := parseView(c.Params["view"], "modal")
	if code != "" {
		return nil, code
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if code := s.checkTriggerLocked(c.Params["trigger_id"]); code != "" {
		return nil, code
	}
	v := &View{ID: s.newIDLocked("V"), Type: "modal", TriggerID: c.Params["trigger_id"]}
	s.applyViewLocked(v, req, blocks)
	s.views[v.ID] = v
	s.notifyLocked()
	return map[string]any{"view": s.viewJSON(v)}, ""
}

func (s *Server) viewsUpdate(c *Call) (map[string]any, string) {
	p := c.Params
	s.mu.Lock()
	defer s.mu.Unlock()
	var v *View
	if id := p["view_id"]; id != "" {
		v = s.views[id]
	} else if ext := p["external_id"]; ext != "" {
		for _, cand := range s.views {
			if cand.ExternalID == ext {
				v = cand
			}
		}
	}
	if v == nil {
		return nil, "not_found"
	}
	if h := p["hash"]; h != "" && h != v.Hash {
		return nil, "hash_conflict"
	}
	req, blocks, code := parseView(p["view"], v.Type)
	if code != "" {
		return nil, code
	}
	s.applyViewLocked(v, req, blocks)
	v.Updates++
	s.notifyLocked()
	return map[string]any{"view": s.viewJSON(v)}, ""
}

func (s *Server) viewsPublish(c *Call) (map[string]any, string) {
	p := c.Params
	if p["user_id"] == "" {
		return nil, "invalid_arguments"
	}
	req, blocks, code := parseView(p["view"], "home")
	if code != "" {
		return nil, code
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	v := s.views[s.homes[p["user_id"]]]
	if v == nil {
		v = &View{ID: s.newIDLocked("V"), Type: "home", User: p["user_id"]}
		s.views[v.ID] = v
		s.homes[v.User] = v.ID
	} else {
		if h := p["hash"]; h != "" && h != v.Hash {
			return nil, "hash_conflict"
		}
		v.Updates++
	}
	s.applyViewLocked(v, req, blocks)
	s.notifyLocked()
	return map[string]any{"view": s.viewJSON(v)}, ""
}

func (s *Server) applyViewLocked(v *View, req viewReq, blocks json.RawMessage) {
	v.CallbackID, v.PrivateMetadata, v.ExternalID = req.CallbackID, req.PrivateMetadata, req.ExternalID
	v.Blocks = blocks
	if req.Title != nil {
		v.Title = req.Title.Text
	}
	v.Hash = fmt.Sprintf("%d.%s", time.Now().Unix(), randomHex(6))
}

// viewJSON is a view object as the views.* methods return it.
func (s *Server) viewJSON(v *View) map[string]any {
	blocks := v.Blocks
	if blocks == nil {
		blocks = json.RawMessage("[]")
	}
	out := map[string]any{
		"id": v.ID, "team_id": s.cfg.TeamID, "type": v.Type, "blocks": blocks,
		"private_metadata": v.PrivateMetadata, "callback_id": v.CallbackID,
		"external_id": v.ExternalID, "hash": v.Hash, "state": map[string]any{"values": map[string]any{}},
		"app_id": s.cfg.AppID, "bot_id": s.cfg.BotID, "app_installed_team_id": s.cfg.TeamID,
		"root_view_id": v.ID, "previous_view_id": nil, "clear_on_close": false, "notify_on_close": false,
	}
	if v.Title != "" {
		out["title"] = map[string]any{"type": "plain_text", "text": v.Title}
	}
	return out
}

// Views returns every modal and Home view, in no particular order.
func (s *Server) Views() []View {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]View, 0, len(s.views))
	for _, v := range s.views {
		out = append(out, *v)
	}
	return out
}

// View returns one view by ID.
func (s *Server) View(id string) (View, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if v, ok := s.views[id]; ok {
		return *v, true
	}
	return View{}, false
}

// HomeView returns the App Home last published for user.
func (s *Server) HomeView(user string) (View, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if v, ok := s.views[s.homes[user]]; ok {
		return *v, true
	}
	return View{}, false
}

// IssueTriggerID hands out a trigger_id as an interaction payload would,
// for tests that call views.open without simulating the click first.
func (s *Server) IssueTriggerID() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.issueTriggerLocked()
}
