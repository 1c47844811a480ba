package llm

import (
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/ccm-ci/ccm/analysis"
	"github.com/ccm-ci/ccm/sim/openaisim"
)

func TestChain(t *testing.T) {
	lowRisk := validAnswer()
	lowRisk.RiskScore = 2
	lowRisk.InvolvesApplicationCode = false
	badAnswer := validAnswer()
	badAnswer.Evidence = []string{"made up line"}

	tests := []struct {
		name         string
		noLLM        bool
		emptyLog     bool
		replies      []openaisim.Reply
		rules        func(Request) analysis.AnalysisResult
		wantSource   analysis.Source
		wantFallback string // prefix; "" = the model answered
		wantRisk     int
		wantFloor    int
		wantRaised   bool
		wantAppCode  bool
		wantCalls    int
	}{
		{
			name:         "no API key",
			noLLM:        true,
			rules:        rulesStub(8, 90, true),
			wantSource:   analysis.SourceRules,
			wantFallback: "no API key",
			wantRisk:     8,
			wantAppCode:  true,
		},
		{
			name:       "model answers, no strong signature",
			replies:    []openaisim.Reply{reply(t, lowRisk)},
			rules:      rulesStub(8, 30, true),
			wantSource: analysis.SourceLLM,
			wantRisk:   2,
			wantCalls:  1,
		},
		{
			name:        "strong signature floors the model's risk",
			replies:     []openaisim.Reply{reply(t, lowRisk)},
			rules:       rulesStub(8, 90, true),
			wantSource:  analysis.SourceLLM,
			wantRisk:    8,
			wantFloor:   8,
			wantRaised:  true,
			wantAppCode: true,
			wantCalls:   1,
		},
		{
			name:        "the model may raise risk above the floor",
			replies:     []openaisim.Reply{reply(t, validAnswer())},
			rules:       rulesStub(3, 90, false),
			wantSource:  analysis.SourceLLM,
			wantRisk:    7,
			wantFloor:   3,
			wantAppCode: true,
			wantCalls:   1,
		},
		{
			name:         "invalid twice falls back to rules",
			replies:      []openaisim.Reply{reply(t, badAnswer), reply(t, badAnswer)},
			rules:        rulesStub(6, 90, true),
			wantSource:   analysis.SourceRules,
			wantFallback: "llm: analyze octo/widgets#101.1: invalid answer after one repair",
			wantRisk:     6,
			wantAppCode:  true,
			wantCalls:    2,
		},
		{
			name:         "unauthorized falls back to rules",
			replies:      []openaisim.Reply{{Status: 401, Content: "bad key"}},
			rules:        rulesStub(6, 90, true),
			wantSource:   analysis.SourceRules,
			wantFallback: "llm: analyze octo/widgets#101.1: attempt 1 of 3: unauthorized",
			wantRisk:     6,
			wantAppCode:  true,
			wantCalls:    1,
		},
		{
			name:         "no log text skips the model",
			replies:      nil,
			rules:        rulesStub(6, 90, true),
			emptyLog:     true,
			wantSource:   analysis.SourceRules,
			wantFallback: "llm: analyze octo/widgets#101.1: no log text to analyse",
			wantRisk:     6,
			wantAppCode:  true,
		},
		{
			// nil Rules means the rules package's analyzer: the base request's log
			// has a compile error, which is code, risk 8, a person's job.
			name:         "no rules set uses the rules analyzer",
			noLLM:        true,
			wantSource:   analysis.SourceRules,
			wantFallback: "no API key",
			wantRisk:     8,
			wantAppCode:  true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Chain{Rules: tt.rules, Logger: slog.New(slog.NewTextHandler(t.Output(), nil))}
			if !tt.noLLM {
				srv := openaisim.New(t)
				srv.Enqueue(tt.replies...)
				c.LLM, _ = newTestAnalyzer(t, srv, nil)
			}
			req := baseRequest()
			if tt.emptyLog {
				req.Excerpt, req.Reason = "\n  \n", ""
			}
			out := c.Analyze(context.Background(), req)
			got := out.Analysis
			if got.Source != tt.wantSource || got.RiskScore != tt.wantRisk || got.InvolvesApplicationCode != tt.wantAppCode {
				t.Errorf("analysis source %q risk %d app code %v; want %q %d %v",
					got.Source, got.RiskScore, got.InvolvesApplicationCode, tt.wantSource, tt.wantRisk, tt.wantAppCode)
			}
			if !strings.HasPrefix(out.FallbackReason, tt.wantFallback) || (tt.wantFallback == "") != (out.FallbackReason == "") {
				t.Errorf("FallbackReason = %q, want prefix %q", out.FallbackReason, tt.wantFallback)
			}
			if out.RiskFloor != tt.wantFloor || out.FloorRaised != tt.wantRaised || out.Calls != tt.wantCalls {
				t.Errorf("floor %d raised %v calls %d; want %d %v %d", out.RiskFloor, out.FloorRaised, out.Calls, tt.wantFloor, tt.wantRaised, tt.wantCalls)
			}
			if err := got.Validate(); err != nil {
				t.Errorf("Chain returned an invalid analysis: %v", err)
			}
			if got.FailureID != "octo/widgets#101.1" || out.Rules.Source != analysis.SourceRules {
				t.Errorf("failure ID %q, rules source %q", got.FailureID, out.Rules.Source)
			}
		})
	}
}
