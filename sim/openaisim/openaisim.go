// Package openaisim is ccm's stand-in for an OpenAI-compatible Chat
// Completions server. It speaks the real wire format (POST
// /v1/chat/completions, OpenAI error bodies, usage counts), answers with
// scripted replies, and records every request decoded, so tests and
// `ccm sandbox` drive the real go-openai client against it.
package openaisim

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	openai "github.com/sashabaranov/go-openai"
)

// chatPath is where go-openai posts when BaseURL is Server.URL: the client
// appends "/chat/completions" to a BaseURL that already ends in "/v1".
const chatPath = "/v1/chat/completions"

// maxBody bounds what the fake reads from one request; a prompt larger than
// this is a bug in the caller's budget, reported as 413.
const maxBody = 8 << 20

// Reply is one scripted answer.
//
// A Status of 0 means 200. For a status >= 400, Content becomes the message
// of an OpenAI error body ({"error":{"message":...}}); otherwise it is the
// assistant message content. RawBody, when set, is written verbatim instead
// (garbage, truncated JSON, HTML from a proxy...). Delay holds the answer
// back, and is cut short when the client gives up on the request.
type Reply struct {
	Status           int
	Headers          map[string]string
	Content          string
	Delay            time.Duration
	PromptTokens     int
	CompletionTokens int
	RawBody          string
	// ErrorCode fills error.code in an error body, e.g. "insufficient_quota".
	ErrorCode string
	// Model is the "model" a completion reports; "" echoes the request's.
	Model string
	// Refusal fills message.refusal of a completion (content stays
	// Content), the way OpenAI reports a safety refusal.
	Refusal string
}

// Server is a running fake. Pass URL as the client's BaseURL.
type Server struct {
	// URL ends in "/v1", the way OpenAI's own base URL does.
	URL string

	srv *httptest.Server
	t   testing.TB

	mu         sync.Mutex
	queue      []Reply
	defaultFn  func(openai.ChatCompletionRequest) Reply
	requests   []openai.ChatCompletionRequest
	headers    []http.Header
	unexpected []string
}

// New starts a fake whose unexpected traffic (unknown routes, undecodable
// bodies, requests with nothing scripted) fails t, and which is closed when
// the test ends.
func New(t testing.TB) *Server {
	t.Helper()
	s := start(t)
	t.Cleanup(s.Close)
	return s
}

// NewServer starts a fake outside a test (for `ccm sandbox`). Unexpected
// traffic gets an OpenAI-shaped error and is kept for Unexpected. Call Close.
func NewServer() *Server { return start(nil) }

func start(t testing.TB) *Server {
	s := &Server{t: t}
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+chatPath, s.chat)
	mux.HandleFunc("/", s.unknown)
	s.srv = httptest.NewServer(mux)
	s.URL = s.srv.URL + "/v1"
	return s
}

// Close stops the server; safe to call twice.
func (s *Server) Close() {
	// httptest.Server.Close is idempotent, but it blocks on handlers still
	// sleeping in Delay; they return as soon as their client hangs up.
	s.srv.Close()
}

// Enqueue scripts the next replies, answered in order.
func (s *Server) Enqueue(r ...Reply) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.queue = append(s.queue, r...)
}

// Default answers whenever the queue is empty.
func (s *Server) Default(fn func(req openai.ChatCompletionRequest) Reply) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.defaultFn = fn
}

// Requests returns every chat request received so far, decoded, in order.
func (s *Server) Requests() []openai.ChatCompletionRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]openai.ChatCompletionRequest(nil), s.requests...)
}

// Headers returns the HTTP headers of each recorded request, in order.
func (s *Server) Headers() []http.Header {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]http.Header(nil), s.headers...)
}

// Pending is how many scripted replies have not been used yet.
func (s *Server) Pending() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.queue)
}

// Unexpected lists what the fake could not serve (outside a test).
func (s *Server) Unexpected() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.unexpected...)
}

func (s *Server) complain(w http.ResponseWriter, status int, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	s.mu.Lock()
	s.unexpected = append(s.unexpected, msg)
	s.mu.Unlock()
	if s.t != nil {
		// Errorf, not Fatalf: this runs on the server's goroutine.
		s.t.Errorf("openaisim: %s", msg)
	}
	writeError(w, status, "openaisim: "+msg, "invalid_request_error", "")
}

func (s *Server) unknown(w http.ResponseWriter, r *http.Request) {
	s.complain(w, http.StatusNotFound, "unexpected %s %s", r.Method, r.URL.Path)
}

func (s *Server) chat(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		s.complain(w, http.StatusBadRequest, "read body: %v", err)
		return
	}
	if len(body) > maxBody {
		s.complain(w, http.StatusRequestEntityTooLarge, "request body over %d bytes", maxBody)
		return
	}
	var req openai.ChatCompletionRequest
	if err := json.Unmarshal(body, &req); err != nil {
		s.complain(w, http.StatusBadRequest, "decode chat request: %v", err)
		return
	}

	s.mu.Lock()
	s.requests = append(s.requests, req)
	s.headers = append(s.headers, r.Header.Clone())
	var (
		reply Reply
		ok    = true
	)
	switch {
	case len(s.queue) > 0:
		reply, s.queue = s.queue[0], s.queue[1:]
	case s.defaultFn != nil:
		fn := s.defaultFn
		s.mu.Unlock()
		reply = fn(req)
		s.mu.Lock()
	default:
		ok = false
	}
	s.mu.Unlock()
	if !ok {
		s.complain(w, http.StatusInternalServerError, "no reply scripted for request %d", len(s.Requests()))
		return
	}

	if reply.Delay > 0 {
		timer := time.NewTimer(reply.Delay)
		select {
		case <-timer.C:
		case <-r.Context().Done():
			timer.Stop()
			return
		}
	}
	for k, v := range reply.Headers {
		w.Header().Set(k, v)
	}
	status := reply.Status
	if status == 0 {
		status = http.StatusOK
	}
	switch {
	case reply.RawBody != "":
		w.WriteHeader(status)
		_, _ = io.WriteString(w, reply.RawBody)
	case status >= http.StatusBadRequest:
		writeError(w, status, reply.Content, errorType(status), reply.ErrorCode)
	default:
		writeCompletion(w, status, req, reply)
	}
}

func writeCompletion(w http.ResponseWriter, status int, req openai.ChatCompletionRequest, reply Reply) {
	prompt := reply.PromptTokens
	if prompt == 0 {
		prompt = estimatePrompt(req)
	}
	completion := reply.CompletionTokens
	if completion == 0 {
		completion = (len(reply.Content) + 3) / 4
	}
	model := reply.Model
	if model == "" {
		model = req.Model
	}
	resp := openai.ChatCompletionResponse{
		ID:      "chatcmpl-sim-" + strconv.FormatInt(time.Now().UnixNano(), 36),
		Object:  "chat.completion",
		Created: time.Now().Unix(),
		Model:   model,
		Choices: []openai.ChatCompletionChoice{{
			Index:        0,
			Message:      openai.ChatCompletionMessage{Role: openai.ChatMessageRoleAssistant, Content: reply.Content, Refusal: reply.Refusal},
			FinishReason: openai.FinishReasonStop,
		}},
		Usage: openai.Usage{
			PromptTokens:     prompt,
			CompletionTokens: completion,
			TotalTokens:      prompt + completion,
		},
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(resp)
}

// estimatePrompt gives sandbox output plausible usage numbers when a reply
// does not script them (about four bytes a token).
func estimatePrompt(req openai.ChatCompletionRequest) int {
	n := 0
	for _, m := range req.Messages {
		n += len(m.Content) + 16
	}
	return (n + 3) / 4
}

func errorType(status int) string {
	switch {
	case status == http.StatusUnauthorized:
		return "invalid_api_key"
	case status == http.StatusTooManyRequests:
		return "rate_limit_exceeded"
	case status >= http.StatusInternalServerError:
		return "server_error"
	default:
		return "invalid_request_error"
	}
}

func writeError(w http.ResponseWriter, status int, msg, typ, code string) {
	body := map[string]any{"error": map[string]any{
		"message": msg,
		"type":    typ,
		"param":   nil,
		"code":    nilIfEmpty(code),
	}}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}
