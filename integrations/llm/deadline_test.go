package llm

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	openai "github.com/sashabaranov/go-openai"

	"github.com/ccm-ci/ccm/sim/openaisim"
)

// TestMaxAnalysisTime: slow answers, retries and waits together stop at
// MaxAnalysisTime, however many attempts are left.
func TestMaxAnalysisTime(t *testing.T) {
	srv := openaisim.New(t)
	for range 3 {
		srv.Enqueue(openaisim.Reply{Content: "{}", Delay: 10 * time.Second})
	}
	a, sl := newTestAnalyzer(t, srv, func(o *Options) {
		o.Timeout = 5 * time.Second
		o.MaxAnalysisTime = 150 * time.Millisecond
	})
	_, err := a.Analyze(context.Background(), baseRequest())
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "analysis took longer than its 150ms limit") {
		t.Fatalf("err = %v, want the analysis limit", err)
	}
	if n := len(srv.Requests()); n != 1 || len(sl.got()) != 0 {
		t.Errorf("requests %d waits %v, want one request cut short", n, sl.got())
	}
}

// TestNoWaitPastTheAnalysisLimit: a Retry-After that would end past the
// limit ends the analysis now instead of sleeping into the deadline.
func TestNoWaitPastTheAnalysisLimit(t *testing.T) {
	srv := openaisim.New(t)
	srv.Enqueue(openaisim.Reply{Status: 429, Content: "slow down", Headers: map[string]string{"Retry-After": "30"}})
	a, sl := newTestAnalyzer(t, srv, func(o *Options) { o.MaxAnalysisTime = 10 * time.Second })
	_, err := a.Analyze(context.Background(), baseRequest())
	if err == nil || !strings.Contains(err.Error(), "no time left to wait 30s") {
		t.Fatalf("err = %v, want no time left", err)
	}
	if len(sl.got()) != 0 {
		t.Errorf("waited %v", sl.got())
	}
}

func TestDefaultAnalysisTimeIsThreeTimeouts(t *testing.T) {
	a, err := New(Options{APIKey: "k", Redact: testRedact, Timeout: 7 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if a.maxTime != 21*time.Second {
		t.Errorf("maxTime = %s, want 21s", a.maxTime)
	}
}

// TestSchemaRefusedAtRepairDoesNotRestart: a server that refuses
// json_schema only at the repair ends this analysis (the rules answer) and
// switches the mode for the next ones; it does not start over.
func TestSchemaRefusedAtRepairDoesNotRestart(t *testing.T) {
	bad := validAnswer()
	bad.Category = "bogus"
	srv := openaisim.New(t)
	srv.Enqueue(
		reply(t, bad),
		openaisim.Reply{Status: 400, Content: "response_format json_schema is not supported"},
		reply(t, validAnswer()),
	)
	a, _ := newTestAnalyzer(t, srv, nil)
	_, err := a.Analyze(context.Background(), baseRequest())
	if err == nil || !strings.Contains(err.Error(), "repair: ") {
		t.Fatalf("err = %v, want the repair's refusal", err)
	}
	if n := len(srv.Requests()); n != 2 {
		t.Fatalf("requests = %d, want 2: question and repair, no restart", n)
	}
	if _, err := a.Analyze(context.Background(), baseRequest()); err != nil {
		t.Fatalf("next Analyze: %v", err)
	}
	reqs := srv.Requests()
	if got := reqs[2].ResponseFormat.Type; got != openai.ChatCompletionResponseFormatTypeJSONObject {
		t.Errorf("next analysis asked for %q, want json_object", got)
	}
}
