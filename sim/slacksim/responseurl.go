package slacksim

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"
)

// Slack lets a response_url be used five times within thirty minutes.
const (
	responseURLUses = 5
	responseURLTTL  = 30 * time.Minute
)

// ResponsePost is one message posted to a response_url the simulator
// handed out, with where that URL points.
type ResponsePost struct {
	URL       string
	Channel   string // channel of the interaction
	User      string // the user who interacted
	MessageTS string // the message a button was on; "" for slash commands
	// What the body asked for. ResponseType "" is Slack's default,
	// ephemeral.
	ResponseType    string
	ReplaceOriginal bool
	DeleteOriginal  bool
	ThreadTS        string
	Text            string
	Blocks          json.RawMessage
	Time            time.Time
	Status          int    // HTTP status answered
	Error           string // error answered (plain text), "" when applied
}

// responseTarget is what a response URL was handed out for.
type responseTarget struct {
	url       string
	channel   string
	user      string
	messageTS string
	ephemeral bool // the original is an ephemeral message
	issued    time.Time
	uses      int
}

// issueResponseURLLocked hands out a response_url for an interaction.
func (s *Server) issueResponseURLLocked(channel, user, messageTS string, ephemeral bool) string {
	id := s.cfg.TeamID + "/" + s.newIDLocked("R") + "/" + randomHex(12)
	t := &responseTarget{
		url: s.base + "/actions/" + id, channel: channel, user: user,
		messageTS: messageTS, ephemeral: ephemeral, issued: time.Now(),
	}
	s.responses[id] = t
	return t.url
}

// responseBody is the JSON a client posts to a response_url.
type responseBody struct {
	Text            string          `json:"text"`
	Blocks          json.RawMessage `json:"blocks"`
	ResponseType    string          `json:"response_type"`
	ReplaceOriginal bool            `json:"replace_original"`
	DeleteOriginal  bool            `json:"delete_original"`
	ThreadTS        string          `json:"thread_ts"`
}

func (s *Server) serveResponseURL(w http.ResponseWriter, r *http.Request, id string) {
	raw, err := io.ReadAll(io.LimitReader(r.Body, maxBody))
	var body responseBody
	if err == nil {
		err = json.Unmarshal(raw, &body)
	}
	post := ResponsePost{Time: time.Now(), URL: s.base + r.URL.Path}
	var rep reply
	if err != nil || r.Method != http.MethodPost {
		s.addUnexpected("response_url %s: undecodable %s body: %v", id, r.Method, err)
		rep = textErr(http.StatusBadRequest, "invalid_payload")
	} else {
		rep = s.applyResponse(id, body, &post)
	}
	post.Status, post.Error = rep.status, rep.text
	s.mu.Lock()
	s.respPosts = append(s.respPosts, post)
	s.notifyLocked()
	s.mu.Unlock()
	rep.write(w)
}

// applyResponse does what Slack does with a response_url message: replace
// or delete the original, or post a new message, ephemeral by default.
func (s *Server) applyResponse(id string, b responseBody, post *ResponsePost) reply {
	post.ResponseType, post.ReplaceOriginal, post.DeleteOriginal = b.ResponseType, b.ReplaceOriginal, b.DeleteOriginal
	if string(b.Blocks) == "null" {
		b.Blocks = nil
	}
	post.ThreadTS, post.Text, post.Blocks = b.ThreadTS, b.Text, b.Blocks
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.responses[id]
	if t == nil {
		return textErr(http.StatusNotFound, "no_active_hooks")
	}
	post.Channel, post.User, post.MessageTS = t.channel, t.user, t.messageTS
	if t.uses >= responseURLUses || time.Since(t.issued) > responseURLTTL {
		return textErr(http.StatusNotFound, "used_url")
	}
	t.uses++
	var blocks json.RawMessage
	if len(b.Blocks) > 0 {
		var code string
		if blocks, code = checkBlocks(string(b.Blocks), maxBlocks); code != "" {
			return textErr(http.StatusBadRequest, code)
		}
	}
	ok := reply{status: http.StatusOK, body: map[string]any{"ok": true}}
	switch {
	case b.DeleteOriginal && t.messageTS != "":
		s.deleteOriginalLocked(t)
		return ok
	case b.ReplaceOriginal && t.messageTS != "":
		if code := s.replaceOriginalLocked(t, b.Text, blocks); code != "" {
			return textErr(http.StatusNotFound, code)
		}
		return ok
	}
	if code := checkText(b.Text, blocks); code != "" {
		return textErr(http.StatusBadRequest, code)
	}
	s.respondLocked(t.channel, t.user, b.ResponseType, b.ThreadTS, b.Text, blocks)
	return ok
}

// textErr is how response URLs (like incoming webhooks) refuse a post:
// a 4xx status with the error code as plain text.
func textErr(status int, code string) reply { return reply{status: status, text: code} }

// respondLocked posts a new message for an interaction: in the channel
// for response_type in_channel, else ephemeral to the user.
func (s *Server) respondLocked(chID, user, responseType, threadTS, text string, blocks json.RawMessage) {
	ch := s.channels[chID]
	if responseType == "in_channel" && ch != nil {
		ch.msgs = append(ch.msgs, &Message{
			Channel: ch.id, TS: s.nextTSLocked(), At: time.Now(), ThreadTS: threadTS,
			User: s.cfg.BotUserID, BotID: s.cfg.BotID, Text: text, Blocks: blocks,
		})
	} else {
		s.ephemerals = append(s.ephemerals, Ephemeral{
			Channel: chID, User: user, TS: s.nextTSLocked(), At: time.Now(), ThreadTS: threadTS, Text: text, Blocks: blocks,
		})
	}
	s.notifyLocked()
}

func (s *Server) replaceOriginalLocked(t *responseTarget, text string, blocks json.RawMessage) string {
	if t.ephemeral {
		for i := range s.ephemerals {
			if e := &s.ephemerals[i]; e.TS == t.messageTS && e.User == t.user {
				e.Text, e.Blocks = text, blocks
				e.Edits++
				s.notifyLocked()
				return ""
			}
		}
		return "message_not_found"
	}
	m := s.messageLocked(t.channel, t.messageTS)
	if m == nil {
		return "message_not_found"
	}
	// A replacement is a whole new message: blocks not sent are gone.
	m.Text, m.Blocks = text, blocks
	m.Edits++
	s.notifyLocked()
	return ""
}

func (s *Server) deleteOriginalLocked(t *responseTarget) {
	if t.ephemeral {
		kept := s.ephemerals[:0]
		for _, e := range s.ephemerals {
			if e.TS != t.messageTS || e.User != t.user {
				kept = append(kept, e)
			}
		}
		s.ephemerals = kept
	} else if m := s.messageLocked(t.channel, t.messageTS); m != nil {
		m.Deleted = true
	}
	s.notifyLocked()
}

// ResponsePosts returns what was posted to response URLs, oldest first.
func (s *Server) ResponsePosts() []ResponsePost {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]ResponsePost(nil), s.respPosts...)
}

// WaitForResponsePosts waits until at least n response_url posts arrived.
func (s *Server) WaitForResponsePosts(n int, timeout time.Duration) ([]ResponsePost, error) {
	if !s.waitFor(timeout, func() bool { return len(s.respPosts) >= n }) {
		return s.ResponsePosts(), fmt.Errorf("waiting for %d response_url posts: %w", n, ErrTimeout)
	}
	return s.ResponsePosts(), nil
}

// IssueResponseURL hands out a response_url as an interaction on the
// message messageTS ("" = a slash command) by user in channel would, for
// tests that post to one without simulating the interaction.
func (s *Server) IssueResponseURL(channel, user, messageTS string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := channel
	if ch := s.resolveLocked(channel); ch != nil {
		id = ch.id
	}
	return s.issueResponseURLLocked(id, user, messageTS, false)
}
