package openaisim_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ccm-ci/ccm/sim/openaisim"
	"github.com/google/go-cmp/cmp"
	openai "github.com/sashabaranov/go-openai"
)

func client(t *testing.T, baseURL string) *openai.Client {
	t.Helper()
	cfg := openai.DefaultConfig("sk-test")
	cfg.BaseURL = baseURL
	return openai.NewClientWithConfig(cfg)
}

func chatRequest() openai.ChatCompletionRequest {
	return openai.ChatCompletionRequest{
		Model: "gpt-4o",
		Messages: []openai.ChatCompletionMessage{
			{Role: openai.ChatMessageRoleSystem, Content: "be brief"},
			{Role: openai.ChatMessageRoleUser, Content: "hello"},
		},
		ResponseFormat: &openai.ChatCompletionResponseFormat{
			Type: openai.ChatCompletionResponseFormatTypeJSONSchema,
			JSONSchema: &openai.ChatCompletionResponseFormatJSONSchema{
				Name:   "answer",
				Schema: json.RawMessage(`{"type":"object","properties":{"a":{"type":"string"}},"required":["a"],"additionalProperties":false}`),
				Strict: true,
			},
		},
	}
}

func TestReplies(t *testing.T) {
	tests := []struct {
		name       string
		reply      openaisim.Reply
		wantText   string
		wantStatus int // 0: success
		wantUsage  openai.Usage
	}{
		{
			name:      "content with usage",
			reply:     openaisim.Reply{Content: `{"a":"b"}`, PromptTokens: 11, CompletionTokens: 3},
			wantText:  `{"a":"b"}`,
			wantUsage: openai.Usage{PromptTokens: 11, CompletionTokens: 3, TotalTokens: 14},
		},
		{
			name:       "rate limited",
			reply:      openaisim.Reply{Status: 429, Content: "slow down", Headers: map[string]string{"Retry-After": "2"}},
			wantStatus: 429,
		},
		{
			name:       "unauthorized",
			reply:      openaisim.Reply{Status: 401, Content: "Incorrect API key provided"},
			wantStatus: 401,
		},
		{
			name:       "garbage body",
			reply:      openaisim.Reply{Status: 502, RawBody: "<html>bad gateway</html>"},
			wantStatus: 502,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := openaisim.New(t)
			s.Enqueue(tt.reply)
			resp, err := client(t, s.URL).CreateChatCompletion(context.Background(), chatRequest())
			if tt.wantStatus != 0 {
				if got := statusOf(err); got != tt.wantStatus {
					t.Fatalf("status = %d (err %v), want %d", got, err, tt.wantStatus)
				}
				return
			}
			if err != nil {
				t.Fatalf("CreateChatCompletion: %v", err)
			}
			if got := resp.Choices[0].Message.Content; got != tt.wantText {
				t.Errorf("content = %q, want %q", got, tt.wantText)
			}
			if diff := cmp.Diff(tt.wantUsage, resp.Usage); diff != "" {
				t.Errorf("usage (-want +got):\n%s", diff)
			}
		})
	}
}

func TestModelAndRefusal(t *testing.T) {
	tests := []struct {
		name        string
		reply       openaisim.Reply
		wantModel   string
		wantRefusal string
	}{
		{name: "echoes the requested model", reply: openaisim.Reply{Content: "{}"}, wantModel: "gpt-4o"},
		{name: "reports a scripted model", reply: openaisim.Reply{Content: "{}", Model: "gpt-4o-2024-08-06"}, wantModel: "gpt-4o-2024-08-06"},
		{name: "refusal", reply: openaisim.Reply{Refusal: "I can't help with that."}, wantModel: "gpt-4o", wantRefusal: "I can't help with that."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := openaisim.New(t)
			s.Enqueue(tt.reply)
			resp, err := client(t, s.URL).CreateChatCompletion(context.Background(), chatRequest())
			if err != nil {
				t.Fatalf("CreateChatCompletion: %v", err)
			}
			if resp.Model != tt.wantModel || resp.Choices[0].Message.Refusal != tt.wantRefusal {
				t.Errorf("model %q refusal %q, want %q %q", resp.Model, resp.Choices[0].Message.Refusal, tt.wantModel, tt.wantRefusal)
			}
		})
	}
}

func statusOf(err error) int {
	var apiErr *openai.APIError
	if errors.As(err, &apiErr) {
		return apiErr.HTTPStatusCode
	}
	var reqErr *openai.RequestError
	if errors.As(err, &reqErr) {
		return reqErr.HTTPStatusCode
	}
	return 0
}

func TestRecordsDecodedRequests(t *testing.T) {
	s := openaisim.New(t)
	s.Enqueue(openaisim.Reply{Content: "{}"})
	if _, err := client(t, s.URL).CreateChatCompletion(context.Background(), chatRequest()); err != nil {
		t.Fatalf("CreateChatCompletion: %v", err)
	}
	reqs := s.Requests()
	if len(reqs) != 1 {
		t.Fatalf("recorded %d requests, want 1", len(reqs))
	}
	got := reqs[0]
	if got.Model != "gpt-4o" || got.Messages[1].Content != "hello" {
		t.Errorf("recorded %+v", got)
	}
	if got.ResponseFormat == nil || got.ResponseFormat.JSONSchema == nil || !got.ResponseFormat.JSONSchema.Strict {
		t.Fatalf("response_format not recorded: %+v", got.ResponseFormat)
	}
	schema, err := got.ResponseFormat.JSONSchema.Schema.MarshalJSON()
	if err != nil || !strings.Contains(string(schema), `"additionalProperties":false`) {
		t.Errorf("schema = %s (%v)", schema, err)
	}
	if auth := s.Headers()[0].Get("Authorization"); auth != "Bearer sk-test" {
		t.Errorf("Authorization = %q", auth)
	}
}

func TestDefaultAnswersWhenQueueEmpty(t *testing.T) {
	s := openaisim.New(t)
	s.Enqueue(openaisim.Reply{Content: "first"})
	s.Default(func(req openai.ChatCompletionRequest) openaisim.Reply {
		return openaisim.Reply{Content: "default for " + req.Messages[1].Content}
	})
	c := client(t, s.URL)
	var got []string
	for range 2 {
		resp, err := c.CreateChatCompletion(context.Background(), chatRequest())
		if err != nil {
			t.Fatalf("CreateChatCompletion: %v", err)
		}
		got = append(got, resp.Choices[0].Message.Content)
	}
	if diff := cmp.Diff([]string{"first", "default for hello"}, got); diff != "" {
		t.Errorf("contents (-want +got):\n%s", diff)
	}
	if s.Pending() != 0 {
		t.Errorf("Pending = %d, want 0", s.Pending())
	}
}

func TestDelayEndsWhenClientGivesUp(t *testing.T) {
	s := openaisim.New(t)
	s.Enqueue(openaisim.Reply{Content: "late", Delay: time.Minute})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := client(t, s.URL).CreateChatCompletion(ctx, chatRequest())
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want deadline exceeded", err)
	}
	// Close must not wait out the minute-long delay.
	done := make(chan struct{})
	go func() { s.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Close blocked on a delayed reply")
	}
}

func TestUnexpectedTrafficIsReported(t *testing.T) {
	s := openaisim.NewServer()
	defer s.Close()
	tests := []struct {
		name   string
		do     func() (*http.Response, error)
		status int
	}{
		{
			name:   "unknown route",
			do:     func() (*http.Response, error) { return http.Get(s.URL + "/models") },
			status: http.StatusNotFound,
		},
		{
			name: "undecodable body",
			do: func() (*http.Response, error) {
				return http.Post(s.URL+"/chat/completions", "application/json", strings.NewReader("{nope"))
			},
			status: http.StatusBadRequest,
		},
		{
			name: "nothing scripted",
			do: func() (*http.Response, error) {
				return http.Post(s.URL+"/chat/completions", "application/json", strings.NewReader(`{"model":"m","messages":[]}`))
			},
			status: http.StatusInternalServerError,
		},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := tt.do()
			if err != nil {
				t.Fatalf("request: %v", err)
			}
			defer resp.Body.Close()
			var body struct {
				Error struct{ Message string } `json:"error"`
			}
			if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
				t.Fatalf("decode error body: %v", err)
			}
			if resp.StatusCode != tt.status || !strings.HasPrefix(body.Error.Message, "openaisim:") {
				t.Errorf("got %d %q, want %d with an openaisim error", resp.StatusCode, body.Error.Message, tt.status)
			}
			if n := len(s.Unexpected()); n != i+1 {
				t.Errorf("Unexpected has %d entries, want %d", n, i+1)
			}
		})
	}
}

func TestCloseTwice(t *testing.T) {
	s := openaisim.NewServer()
	s.Close()
	s.Close()
}
