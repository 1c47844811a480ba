package sandbox

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ccm-ci/ccm/analysis"
	"github.com/ccm-ci/ccm/cilogs"
	"github.com/ccm-ci/ccm/state"
)

func TestRunDefaultSet(t *testing.T) {
	res, err := Run(context.Background(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Failures) != DefaultLogs {
		t.Fatalf("%d failures, want %d", len(res.Failures), DefaultLogs)
	}
	reruns := 0
	ids := map[string]bool{}
	for _, f := range res.Failures {
		ids[f.ID] = true
		if f.Status != state.StatusAnalyzed || f.Analysis == nil {
			t.Errorf("%s: status %s, analysis %v: want analyzed", f.ID, f.Status, f.Analysis)
			continue
		}
		if err := f.Analysis.Validate(); err != nil {
			t.Errorf("%s: invalid analysis: %v", f.ID, err)
		}
		if f.Analysis.Source != analysis.SourceRules {
			t.Errorf("%s: source %s, want rules", f.ID, f.Analysis.Source)
		}
		if diff := cmp.Diff([]string{state.ActionDetection, state.ActionAnalysis, state.ActionValidation}, f.AuditTrail); diff != "" {
			t.Errorf("%s: audit trail (-want +got):\n%s", f.ID, diff)
		}
		if f.Gate == nil || !f.Shadow {
			t.Errorf("%s: gate %+v, shadow %v: want a decision made in shadow mode", f.ID, f.Gate, f.Shadow)
		}
		if f.LogSource == "" || f.Label == "" {
			t.Errorf("%s: log source %q, label %q: want both", f.ID, f.LogSource, f.Label)
		}
		if f.RerunPassed {
			reruns++
			if f.RunAttempt != 1 {
				t.Errorf("%s: re-run run recorded attempt %d, want the failed attempt 1", f.ID, f.RunAttempt)
			}
		}
	}
	if reruns != 1 {
		t.Errorf("%d runs that passed on a re-run, want 1", reruns)
	}
	if len(ids) != DefaultLogs || res.Recorded != DefaultLogs || res.Polls != 2 {
		t.Errorf("%d distinct failures, %d recorded after %d polls: want %d, nothing twice", len(ids), res.Recorded, res.Polls, DefaultLogs)
	}
	want := map[string]int{state.ActionDetection: DefaultLogs, state.ActionAnalysis: DefaultLogs, state.ActionValidation: DefaultLogs}
	if diff := cmp.Diff(want, res.Audit); diff != "" {
		t.Errorf("audit counts (-want +got):\n%s", diff)
	}
	if res.LLM || res.LLMCalls != 0 || res.Elapsed <= 0 {
		t.Errorf("llm %v, %d calls, elapsed %s: want rules only and a duration", res.LLM, res.LLMCalls, res.Elapsed)
	}
}

// With --llm every analysis goes through the real LLM path (prompt,
// schema, validation, evidence check) against the fake, with no fallback.
func TestRunLLM(t *testing.T) {
	res, err := Run(context.Background(), Options{Logs: 4, LLM: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range res.Failures {
		if f.Analysis == nil || (f.Analysis.Source != analysis.SourceLLM && f.Analysis.Source != analysis.SourceCache) || f.FallbackReason != "" {
			t.Errorf("%s: analysis %+v, fallback %q: want the model's", f.ID, f.Analysis, f.FallbackReason)
		}
	}
	if res.LLMCalls < 1 || res.LLMCalls > len(res.Failures) {
		t.Errorf("%d LLM calls for %d failures: want one each at most (no repairs)", res.LLMCalls, len(res.Failures))
	}
	if res.Audit[state.ActionAlert] != 0 || res.Audit[state.ActionError] != 0 {
		t.Errorf("audit %v: want no alerts or errors", res.Audit)
	}
}

func TestSelect(t *testing.T) {
	total := len(cilogs.All())
	tests := []struct {
		name string
		n    int
		want int
	}{
		{name: "default", n: 0, want: DefaultLogs},
		{name: "one", n: 1, want: 1},
		{name: "more than the default", n: 20, want: 20},
		{name: "capped at the fixtures", n: total + 50, want: total},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Select(tt.n)
			if len(got) != tt.want {
				t.Fatalf("Select(%d) gave %d logs, want %d", tt.n, len(got), tt.want)
			}
			seen := map[string]bool{}
			for _, l := range got {
				if seen[l.ID] {
					t.Errorf("log %s picked twice", l.ID)
				}
				seen[l.ID] = true
			}
			if diff := cmp.Diff(ids(got), ids(Select(tt.n))); diff != "" {
				t.Errorf("not deterministic (-first +second):\n%s", diff)
			}
		})
	}
	// The default set covers every category, from GitHub Actions logs.
	cats := map[string]bool{}
	for _, l := range Select(0) {
		cats[l.Category] = true
		if l.CI != "github-actions" {
			t.Errorf("default set holds %s from %s, want GitHub Actions logs", l.ID, l.CI)
		}
	}
	for _, c := range analysis.Categories {
		if !cats[string(c)] {
			t.Errorf("default set has no %s log", c)
		}
	}
}

func ids(logs []cilogs.Log) []string {
	out := make([]string, len(logs))
	for i, l := range logs {
		out[i] = l.ID
	}
	return out
}

func TestWaitAnalyzedTimesOutClearly(t *testing.T) {
	ctx := context.Background()
	store, _, closeStore, err := state.Open(ctx, "", state.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = closeStore() }()
	err = waitAnalyzed(ctx, store, []seeded{{id: "sandbox/demo#1.1"}}, 50*time.Millisecond)
	if err == nil || !strings.Contains(err.Error(), "failures not analyzed within 50ms: 1 of 1: sandbox/demo#1.1 (not recorded)") {
		t.Errorf("err = %v, want which failure was not analyzed", err)
	}
}

func TestWriteText(t *testing.T) {
	a := analysis.AnalysisResult{
		Category: analysis.CategoryInfrastructure, Confidence: 90, RiskScore: 2, Effort: analysis.EffortLow,
		ProposedFix: "1. Re-run the failed jobs.\n2. Add retries.", Source: analysis.SourceLLM, Model: "gpt-4o",
		Actions: []analysis.Action{{Type: analysis.ActionRerunFailedJobs}, {Type: analysis.ActionCancelRun}},
	}
	r := Result{
		Failures: []Failure{{
			FailureRecord: state.FailureRecord{ID: "sandbox/demo#9.1", FailureReason: "npm error code ECONNRESET", Status: state.StatusAnalyzed, Analysis: &a},
			LogID:         "npm-reset", LogSource: "https://example.com/1", Label: "infrastructure", RerunPassed: true,
		}},
		Audit:    map[string]int{"analysis": 1, "detection": 1},
		Recorded: 1, Polls: 2, LLM: true, LLMCalls: 1, Elapsed: 1500 * time.Millisecond,
	}
	var b strings.Builder
	words := map[analysis.ActionType]string{analysis.ActionRerunFailedJobs: "re-run the failed jobs"}
	if err := WriteText(&b, r, words); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"ccm sandbox: 1 real failed run from public projects, GitHub, Redis and the OpenAI API simulated locally; nothing leaves this machine",
		"--- sandbox/demo#9.1",
		"ccm still recorded the failed attempt 1",
		"Real log:  npm-reset  https://example.com/1",
		"Category:  infrastructure (confidence 90%); the project's own thread says infrastructure",
		"Risk:      2/10, effort low",
		"Fix:       Re-run the failed jobs.\n",
		"Would do:  re-run the failed jobs; cancel_run\n", // no words: the type itself
		"Analyzer:  llm (gpt-4o)\n",
		"Audit:     detection 1, analysis 1\n",
		"LLM calls: 1",
		"Took:      1.5s",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestCountsOrder(t *testing.T) {
	got := counts(map[string]int{"zzz": 1, state.ActionAnalysis: 3, state.ActionDetection: 3, state.ActionAlert: 1})
	if want := "detection 3, analysis 3, alert 1, zzz 1"; got != want {
		t.Errorf("counts = %q, want %q", got, want)
	}
}
