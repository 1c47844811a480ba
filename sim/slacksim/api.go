package slacksim

import (
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// maxBody bounds one request body; Slack's own limit for a message is far
// below it, so anything larger is a client bug.
const maxBody = 4 << 20

// maxRecorded bounds the call log so a long sandbox session does not grow
// without limit.
const maxRecorded = 20000

// TokenKind says which credential a call carried.
type TokenKind string

// Token kinds recorded on a Call.
const (
	TokenNone  TokenKind = "none"
	TokenBot   TokenKind = "bot"
	TokenApp   TokenKind = "app"
	TokenWrong TokenKind = "wrong"
)

// Call is one Web API request as the simulator decoded it.
type Call struct {
	Method string    // "chat.postMessage"
	Token  TokenKind // which token it carried
	// Params holds every parameter as a string: form values as sent, and
	// for a JSON body each top-level field, strings unquoted and anything
	// else (views, blocks) as its JSON text. "token" is removed.
	Params map[string]string
	Time   time.Time
	// Status and Error are what the simulator answered: the HTTP status
	// and Slack's error code ("" when ok).
	Status int
	Error  string
}

// handler serves one method; it returns the response fields to merge into
// {"ok":true}, or a Slack error code.
type handler func(c *Call) (map[string]any, string)

func (s *Server) handlers() map[string]handler {
	return map[string]handler{
		"auth.test":             s.authTest,
		"apps.connections.open": s.appsConnectionsOpen,
		"chat.postMessage":      s.chatPostMessage,
		"chat.update":           s.chatUpdate,
		"chat.delete":           s.chatDelete,
		"chat.postEphemeral":    s.chatPostEphemeral,
		"chat.getPermalink":     s.chatGetPermalink,
		"views.open":            s.viewsOpen,
		"views.update":          s.viewsUpdate,
		"views.push":            s.viewsPush,
		"views.publish":         s.viewsPublish,
		"usergroups.users.list": s.usergroupsUsersList,
		"conversations.info":    s.conversationsInfo,
		"conversations.list":    s.conversationsList,
		"conversations.open":    s.conversationsOpen,
		"users.info":            s.usersInfo,
	}
}

func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request, method string) {
	c := &Call{Method: method, Time: time.Now()}
	params, token, err := decodeParams(r)
	c.Params = params
	c.Token = s.tokenKind(token)
	rep := s.answer(r, c, err)
	c.Status = rep.status
	if e, ok := rep.body["error"].(string); ok {
		c.Error = e
	}
	s.mu.Lock()
	if len(s.calls) >= maxRecorded {
		s.calls = s.calls[1:]
	}
	s.calls = append(s.calls, *c)
	s.notifyLocked()
	s.mu.Unlock()
	rep.write(w)
}

// reply is one answer: a JSON body, a plain-text error (text, as
// response URLs answer), or, with neither, an HTML error page.
type reply struct {
	status     int
	body       map[string]any
	text       string
	retryAfter int // seconds, sent as Retry-After when > 0
}

func errReply(code string) reply { return reply{status: http.StatusOK, body: slackErr(code)} }

// answer applies latency, faults and token checks, then the method.
func (s *Server) answer(r *http.Request, c *Call, decodeErr error) reply {
	if d := s.latencyFor(c.Method); d > 0 {
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
		}
	}
	if f := s.takeFault(c.Method); f != nil {
		return f.reply()
	}
	if decodeErr != nil {
		s.addUnexpected("%s: %v", c.Method, decodeErr)
		return errReply("invalid_form_data")
	}
	h, ok := s.methods[c.Method]
	if !ok {
		s.addUnexpected("unknown method %s", c.Method)
		return errReply("unknown_method")
	}
	switch c.Token {
	case TokenNone:
		return errReply("not_authed")
	case TokenWrong:
		return errReply("invalid_auth")
	case TokenApp:
		if c.Method != "apps.connections.open" {
			return errReply("not_allowed_token_type")
		}
	case TokenBot:
		if c.Method == "apps.connections.open" {
			return errReply("not_allowed_token_type")
		}
	}
	fields, code := h(c)
	if wait, ok := strings.CutPrefix(code, codeChannelLimited); ok {
		n, _ := strconv.Atoi(wait)
		return channelLimitedReply(n)
	}
	if code != "" {
		return errReply(code)
	}
	out := map[string]any{"ok": true}
	for k, v := range fields {
		out[k] = v
	}
	return reply{status: http.StatusOK, body: out}
}

func slackErr(code string) map[string]any {
	return map[string]any{"ok": false, "error": code}
}

func (rep reply) write(w http.ResponseWriter) {
	status, resp := rep.status, rep.body
	if rep.retryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(rep.retryAfter))
	}
	if rep.text != "" {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, rep.text)
		return
	}
	if resp == nil {
		// Slack answers 5xx with an HTML page that clients must not parse.
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, "<html><body>Slack is having trouble</body></html>")
		return
	}
	body, err := json.Marshal(resp)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

func (s *Server) tokenKind(token string) TokenKind {
	switch token {
	case "":
		return TokenNone
	case s.cfg.BotToken:
		return TokenBot
	case s.cfg.AppToken:
		return TokenApp
	}
	return TokenWrong
}

// decodeParams reads the parameters the way Slack does: the query string,
// then a form or JSON body; the token comes from "Authorization: Bearer"
// or a "token" parameter.
func decodeParams(r *http.Request) (map[string]string, string, error) {
	params := map[string]string{}
	for k, v := range r.URL.Query() {
		params[k] = v[0]
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody))
	if err != nil {
		return params, bearer(r), fmt.Errorf("reading body: %w", err)
	}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch {
	case len(body) == 0:
	case ct == "application/json":
		var m map[string]json.RawMessage
		if err := json.Unmarshal(body, &m); err != nil {
			return params, bearer(r), fmt.Errorf("decoding JSON body: %w", err)
		}
		for k, raw := range m {
			var str string
			if json.Unmarshal(raw, &str) == nil {
				params[k] = str
			} else {
				params[k] = string(raw)
			}
		}
	default:
		vals, err := url.ParseQuery(string(body))
		if err != nil {
			return params, bearer(r), fmt.Errorf("decoding form body: %w", err)
		}
		for k, v := range vals {
			params[k] = v[0]
		}
	}
	token := bearer(r)
	if t, ok := params["token"]; ok {
		if token == "" {
			token = t
		}
		delete(params, "token")
	}
	return params, token, nil
}

func bearer(r *http.Request) string {
	h := r.Header.Get("Authorization")
	if t, ok := strings.CutPrefix(h, "Bearer "); ok {
		return t
	}
	return ""
}

// Calls returns every Web API call received, oldest first.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Call(nil), s.calls...)
}

// CallsTo returns the calls to one method, oldest first.
func (s *Server) CallsTo(method string) []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.callsToLocked(method)
}

func (s *Server) callsToLocked(method string) []Call {
	var out []Call
	for _, c := range s.calls {
		if c.Method == method {
			out = append(out, c)
		}
	}
	return out
}

// ResetCalls forgets the recorded calls (the workspace is kept).
func (s *Server) ResetCalls() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = nil
}

// WaitForCalls waits until at least n calls to method have been received
// and returns them all.
func (s *Server) WaitForCalls(method string, n int, timeout time.Duration) ([]Call, error) {
	var out []Call
	if !s.waitFor(timeout, func() bool {
		out = s.callsToLocked(method)
		return len(out) >= n
	}) {
		return out, fmt.Errorf("waiting for %d calls to %s, got %d: %w", n, method, len(out), ErrTimeout)
	}
	return out, nil
}
