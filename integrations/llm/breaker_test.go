package llm

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	openai "github.com/sashabaranov/go-openai"

	"github.com/ccm-ci/ccm/analysis"
	"github.com/ccm-ci/ccm/sim/openaisim"
)

// clock is a settable time source for a Breaker.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func newTestBreaker(failures int, cooldown time.Duration) (*Breaker, *clock) {
	clk := &clock{now: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	b := NewBreaker(failures, cooldown)
	b.now = clk.Now
	return b, clk
}

func TestBreakerStates(t *testing.T) {
	b, clk := newTestBreaker(3, time.Minute)
	step := func(o outcome) pass {
		t.Helper()
		p := b.allow()
		if p.ok {
			b.record(p, o)
		}
		return p
	}
	for i := range 2 {
		if p := step(outcomeFailure); !p.ok {
			t.Fatalf("call %d refused before the threshold", i)
		}
	}
	step(outcomeSuccess) // a success resets the streak
	for range 2 {
		step(outcomeFailure)
	}
	if p := step(outcomeNeutral); !p.ok {
		t.Fatal("a neutral outcome counted as a failure")
	}
	step(outcomeFailure) // third in a row: opens
	p := b.allow()
	if p.ok || p.streak != 3 || !p.until.Equal(clk.Now().Add(time.Minute)) {
		t.Fatalf("after 3 failures: %+v, want refused until +1m", p)
	}
	clk.advance(time.Minute)
	trial := b.allow()
	if !trial.ok || !trial.trial {
		t.Fatalf("after the cooldown: %+v, want one trial", trial)
	}
	if p := b.allow(); p.ok {
		t.Fatal("a second call let through while the trial runs")
	}
	if !b.record(trial, outcomeFailure) {
		t.Error("a failed trial did not reopen the breaker")
	}
	if p := b.allow(); p.ok || !p.until.Equal(clk.Now().Add(time.Minute)) {
		t.Fatalf("after a failed trial: %+v, want another cooldown", p)
	}
	clk.advance(time.Minute)
	trial = b.allow()
	b.record(trial, outcomeSuccess)
	for i := range 3 {
		if p := step(outcomeSuccess); !p.ok {
			t.Fatalf("call %d refused after a successful trial", i)
		}
	}
}

func TestBreakerNeutralTrialFreesTheSlot(t *testing.T) {
	b, clk := newTestBreaker(1, time.Second)
	b.record(b.allow(), outcomeFailure)
	clk.advance(time.Second)
	trial := b.allow()
	b.record(trial, outcomeNeutral)
	if p := b.allow(); !p.ok || !p.trial {
		t.Errorf("after a neutral trial: %+v, want another trial", p)
	}
}

func TestNewBreakerDefaults(t *testing.T) {
	b := NewBreaker(0, -1)
	if b.failures != DefaultBreakerFailures || b.cooldown != DefaultBreakerCooldown {
		t.Errorf("failures %d cooldown %s", b.failures, b.cooldown)
	}
}

// TestChainBreaker: after N failed analyses the Chain answers with the
// rules without calling the model, says why and until when, and tries the
// model again after the cooldown.
func TestChainBreaker(t *testing.T) {
	srv := openaisim.New(t)
	for range 5 {
		srv.Enqueue(openaisim.Reply{Status: 401, Content: "bad key"})
	}
	a, _ := newTestAnalyzer(t, srv, nil)
	b, clk := newTestBreaker(5, time.Minute)
	c := Chain{LLM: a, Rules: rulesStub(6, 90, true), Breaker: b}

	for i := range 5 {
		if out := c.Analyze(context.Background(), baseRequest()); out.Calls != 1 || !strings.Contains(out.FallbackReason, "unauthorized") {
			t.Fatalf("analysis %d: calls %d fallback %q", i, out.Calls, out.FallbackReason)
		}
	}
	out := c.Analyze(context.Background(), baseRequest())
	want := "llm: skipped after 5 consecutive failures (until 12:01:00)"
	if out.FallbackReason != want || out.Calls != 0 || out.Analysis.Source != analysis.SourceRules {
		t.Fatalf("fallback %q calls %d source %q, want %q with no call", out.FallbackReason, out.Calls, out.Analysis.Source, want)
	}
	if n := len(srv.Requests()); n != 5 {
		t.Errorf("requests = %d, want 5", n)
	}

	clk.advance(time.Minute)
	srv.Enqueue(reply(t, validAnswer()))
	if out := c.Analyze(context.Background(), baseRequest()); out.FallbackReason != "" || out.Calls != 1 {
		t.Fatalf("trial after the cooldown: fallback %q calls %d", out.FallbackReason, out.Calls)
	}
	srv.Enqueue(reply(t, validAnswer()))
	if out := c.Analyze(context.Background(), baseRequest()); out.FallbackReason != "" {
		t.Fatalf("after a successful trial: fallback %q", out.FallbackReason)
	}
}

// TestChainBreakerIgnoresAnalysesWithoutACall: no log text means no call,
// which says nothing about the model.
func TestChainBreakerIgnoresAnalysesWithoutACall(t *testing.T) {
	a, _ := newTestAnalyzer(t, openaisim.New(t), nil)
	b, _ := newTestBreaker(1, time.Minute)
	c := Chain{LLM: a, Rules: rulesStub(6, 90, true), Breaker: b}
	req := baseRequest()
	req.Excerpt, req.Reason = "", ""
	for range 3 {
		out := c.Analyze(context.Background(), req)
		if strings.Contains(out.FallbackReason, "skipped") {
			t.Fatalf("fallback %q: an analysis without a call opened the breaker", out.FallbackReason)
		}
	}
}

// TestChainBreakerConcurrent exercises the breaker from many goroutines
// (run with -race). Each makes 5 analyses in a row against a server that
// always fails: by its 4th, its own 3 failures have opened the breaker, so
// at least 2 of each goroutine's analyses are skipped.
func TestChainBreakerConcurrent(t *testing.T) {
	srv := openaisim.New(t)
	srv.Default(func(openai.ChatCompletionRequest) openaisim.Reply {
		return openaisim.Reply{Status: 401, Content: "bad key"}
	})
	a, _ := newTestAnalyzer(t, srv, nil)
	c := Chain{LLM: a, Rules: rulesStub(6, 90, true), Breaker: NewBreaker(3, time.Hour)}
	const workers, each = 20, 5
	var wg sync.WaitGroup
	var mu sync.Mutex
	skipped := 0
	for range workers {
		wg.Go(func() {
			for range each {
				out := c.Analyze(context.Background(), baseRequest())
				if strings.HasPrefix(out.FallbackReason, "llm: skipped after ") {
					mu.Lock()
					skipped++
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	asked := len(srv.Requests())
	if asked+skipped != workers*each || skipped < 2*workers || asked < 3 {
		t.Errorf("asked %d, skipped %d of %d analyses", asked, skipped, workers*each)
	}
}
