package tasks_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/sashabaranov/go-openai"

	"github.com/ccm-ci/ccm/analysis"
	"github.com/ccm-ci/ccm/integrations/llm"
	"github.com/ccm-ci/ccm/redact"
	"github.com/ccm-ci/ccm/sim/openaisim"
	"github.com/ccm-ci/ccm/state"
	"github.com/ccm-ci/ccm/tasks"
)

// recordFailure stores a detected failure directly, as ingest would.
func recordFailure(t *testing.T, h *harness, runID int64, fingerprint string) string {
	t.Helper()
	return recordFailureIn(t, h, testRepo, runID, fingerprint)
}

func recordFailureIn(t *testing.T, h *harness, repo string, runID int64, fingerprint string) string {
	t.Helper()
	id := tasks.FailureID(repo, runID, 1)
	now := time.Now().UTC()
	rec := state.FailureRecord{
		ID: id, Repo: repo, RunID: runID, RunAttempt: 1, RunURL: "https://github.com/" + repo + "/actions/runs/1",
		Workflow: "CI", Branch: "main", CommitSHA: "abc", Actor: "octocat", Status: state.StatusDetected,
		FailedJobs:    []state.FailedJob{{ID: 1, Name: "test", Conclusion: "failure", FailedSteps: []string{"Run npm ci"}}},
		FailureReason: "npm error code ECONNRESET", Fingerprint: fingerprint,
		LogExcerpt: "Run npm ci\nnpm error code ECONNRESET\nnpm error network aborted\n", DetectedAt: now, UpdatedAt: now,
	}
	ev := state.AuditEntry{Timestamp: now, Actor: "test", ActionType: state.ActionDetection, FailureID: id, Repo: repo, Outcome: state.OutcomeSuccess}
	if _, err := h.store.CreateFailure(context.Background(), rec, ev); err != nil {
		t.Fatal(err)
	}
	return id
}

func analyzeTask(t *testing.T, id string) *asynq.Task {
	t.Helper()
	task, err := tasks.NewAnalyzeTask(id)
	if err != nil {
		t.Fatal(err)
	}
	return task
}

const validAnswer = `{"category":"infrastructure","risk_score":2,"confidence":85,"effort":"low",
"proposed_fix":"Re-run the failed jobs; the registry connection was reset.",
"actions":[{"type":"rerun_failed_jobs","key":"","title":"","body":"","files":[]}],
"affected_components":["npm registry"],"involves_application_code":false,
"evidence":["npm error code ECONNRESET"],"reasoning":"A reset connection to the registry is transient."}`

func newLLMChain(t *testing.T, ai *openaisim.Server) llm.Chain {
	t.Helper()
	a, err := llm.New(llm.Options{
		APIKey: "sk-test", BaseURL: ai.URL, Redact: redact.Redact, MaxAttempts: 2,
		Sleep: func(ctx context.Context, d time.Duration) error { return ctx.Err() },
	})
	if err != nil {
		t.Fatal(err)
	}
	return llm.Chain{LLM: a}
}

func TestAnalyzeStoresAnalysisAndAdvances(t *testing.T) {
	h := newHarness(t, nil)
	ctx := context.Background()
	id := recordFailure(t, h, 7, "fp-rules")
	if err := h.h.HandleAnalyze(ctx, analyzeTask(t, id)); err != nil {
		t.Fatal(err)
	}
	rec, err := h.store.GetFailure(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if rec.Status != state.StatusAnalyzed || rec.Analysis == nil {
		t.Fatalf("status %s, analysis %v: want analyzed with an analysis", rec.Status, rec.Analysis)
	}
	if err := rec.Analysis.Validate(); err != nil || rec.Analysis.Source != analysis.SourceRules {
		t.Errorf("analysis %+v: %v", rec.Analysis, err)
	}
	evs := h.audit(t, state.AuditQuery{FailureID: id, ActionType: state.ActionAnalysis})
	if len(evs) != 1 || evs[0].Category != string(rec.Analysis.Category) {
		t.Fatalf("analysis audit events = %+v", evs)
	}
	// At-least-once delivery: a second run of the task changes nothing.
	if err := h.h.HandleAnalyze(ctx, analyzeTask(t, id)); err != nil {
		t.Fatal(err)
	}
	if evs := h.audit(t, state.AuditQuery{FailureID: id, ActionType: state.ActionAnalysis}); len(evs) != 1 {
		t.Errorf("analysis events after a duplicate = %d, want 1", len(evs))
	}
}

// Issue 3's cache measurement: 100 failures sharing 10 fingerprints,
// analyzed by 10 concurrent workers in two replicas (two handler sets on
// one Redis), cost 10 LLM calls.
func TestAnalyzeCacheAvoidsLLMCalls(t *testing.T) {
	ai := openaisim.New(t)
	ai.Default(func(openai.ChatCompletionRequest) openaisim.Reply {
		return openaisim.Reply{Content: validAnswer, PromptTokens: 900, CompletionTokens: 120}
	})
	h := newHarness(t, newLLMChain(t, ai))
	ctx := context.Background()
	ids := make(chan string, 100)
	for i := range 100 {
		ids <- recordFailure(t, h, int64(1000+i), fmt.Sprintf("fp-%d", i%10))
	}
	close(ids)
	replicas := []*tasks.Handlers{h.h, tasks.NewHandlers(h.deps)}
	var wg sync.WaitGroup
	for i := range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for id := range ids {
				if err := replicas[i%2].HandleAnalyze(ctx, analyzeTask(t, id)); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	calls := len(ai.Requests())
	t.Logf("100 failures, 10 fingerprints: %d LLM calls (%d avoided by the cache)", calls, 100-calls)
	if calls != 10 {
		t.Fatalf("LLM calls = %d, want 10", calls)
	}
	cached := 0
	for i := range 100 {
		rec, err := h.store.GetFailure(ctx, tasks.FailureID(testRepo, int64(1000+i), 1))
		if err != nil || rec.Analysis == nil {
			t.Fatalf("failure %d not analyzed: %v", i, err)
		}
		if rec.Analysis.Source == analysis.SourceCache {
			cached++
		}
	}
	if cached != 90 {
		t.Errorf("analyses from the cache = %d, want 90", cached)
	}
}

// A key the LLM server refuses does not heal by itself: its fallback pages
// (critical), where an outage only warns.
func TestAnalyzeRefusedKeyIsCritical(t *testing.T) {
	for _, tc := range []struct {
		status int
		want   string
	}{{401, "critical"}, {403, "critical"}, {503, "warning"}} {
		t.Run(fmt.Sprint(tc.status), func(t *testing.T) {
			ai := openaisim.New(t)
			ai.Default(func(openai.ChatCompletionRequest) openaisim.Reply {
				return openaisim.Reply{Status: tc.status, Content: "no"}
			})
			h := newHarness(t, newLLMChain(t, ai))
			id := recordFailure(t, h, 9, "fp-key")
			if err := h.h.HandleAnalyze(context.Background(), analyzeTask(t, id)); err != nil {
				t.Fatal(err)
			}
			evs := h.audit(t, state.AuditQuery{FailureID: id, ActionType: state.ActionAlert})
			if len(evs) != 1 || evs[0].Details["severity"] != tc.want {
				t.Errorf("alert = %+v, want one %s", evs, tc.want)
			}
		})
	}
}

func TestAnalyzeFallbackIsAudited(t *testing.T) {
	ai := openaisim.New(t)
	ai.Default(func(openai.ChatCompletionRequest) openaisim.Reply {
		return openaisim.Reply{Status: 500, Content: "upstream exploded"}
	})
	h := newHarness(t, newLLMChain(t, ai))
	ctx := context.Background()
	id := recordFailure(t, h, 8, "fp-down")
	if err := h.h.HandleAnalyze(ctx, analyzeTask(t, id)); err != nil {
		t.Fatal(err)
	}
	rec, _ := h.store.GetFailure(ctx, id)
	if rec.Analysis == nil || rec.Analysis.Source != analysis.SourceRules {
		t.Fatalf("analysis = %+v, want the rules' answer", rec.Analysis)
	}
	evs := h.audit(t, state.AuditQuery{FailureID: id, ActionType: state.ActionAnalysis})
	if len(evs) != 1 || evs[0].Details["fallback_reason"] == nil {
		t.Fatalf("analysis event = %+v, want a fallback_reason", evs)
	}
	if evs := h.audit(t, state.AuditQuery{FailureID: id, ActionType: state.ActionAlert}); len(evs) != 1 || evs[0].Details["severity"] != "warning" {
		t.Errorf("fallback alert = %+v, want one warning", evs)
	}
	// A rules answer is not cached: the next failure tries the LLM again.
	if _, ok, _ := h.store.CachedAnalysis(ctx, "fp-down"); ok {
		t.Error("a fallback analysis was cached")
	}
}

func TestAnalyzeUnknownFailureIsNotRetried(t *testing.T) {
	h := newHarness(t, nil)
	err := h.h.HandleAnalyze(context.Background(), analyzeTask(t, "acme/web#404.1"))
	if !errors.Is(err, state.ErrNotFound) || !errors.Is(err, asynq.SkipRetry) {
		t.Fatalf("err = %v, want it to wrap state.ErrNotFound and asynq.SkipRetry", err)
	}
}

// A model slower than the task's deadline does not lose the analysis: the
// LLM gives up before the deadline, the rules answer, and there is still
// time to store it.
func TestAnalyzeSlowModelFallsBackBeforeTheDeadline(t *testing.T) {
	ai := openaisim.New(t)
	ai.Default(func(openai.ChatCompletionRequest) openaisim.Reply {
		return openaisim.Reply{Content: validAnswer, Delay: 30 * time.Second}
	})
	h := newHarness(t, newLLMChain(t, ai))
	id := recordFailure(t, h, 12, "fp-slow")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second+500*time.Millisecond) // = analysisReserve + 0.5 s
	defer cancel()
	if err := h.h.HandleAnalyze(ctx, analyzeTask(t, id)); err != nil {
		t.Fatal(err)
	}
	rec, _ := h.store.GetFailure(context.Background(), id)
	if rec.Status != state.StatusAnalyzed || rec.Analysis.Source != analysis.SourceRules {
		t.Fatalf("status %s, analysis %+v: want analyzed by the rules", rec.Status, rec.Analysis)
	}
}

// The cache is per repository, and a hit is still bounded by the rules'
// verdict on this failure's own log.
func TestAnalyzeCacheIsPerRepositoryAndKeepsTheFloor(t *testing.T) {
	ai := openaisim.New(t)
	ai.Default(func(openai.ChatCompletionRequest) openaisim.Reply {
		return openaisim.Reply{Content: validAnswer}
	})
	h := newHarness(t, newLLMChain(t, ai))
	ctx := context.Background()
	// A cached low-risk answer for this repository and fingerprint...
	cached := analysis.AnalysisResult{
		FailureID: "acme/web#1.1", Category: analysis.CategoryInfrastructure, RiskScore: 1, Confidence: 90,
		Effort: analysis.EffortLow, ProposedFix: "Re-run the failed jobs.", Actions: []analysis.Action{{Type: analysis.ActionRerunFailedJobs}},
		AffectedComponents: []string{"runner"}, Reasoning: "cached", Source: analysis.SourceLLM,
		Evidence: []string{"error TS2322: Type 'string' is not assignable to type 'number'."},
	}
	if err := h.store.CacheAnalysis(ctx, testRepo+":fp-code", cached, time.Hour); err != nil {
		t.Fatal(err)
	}
	// ...meets a failure whose own log is a compile error.
	id := tasks.FailureID(testRepo, 13, 1)
	now := time.Now().UTC()
	rec := state.FailureRecord{ID: id, Repo: testRepo, RunID: 13, RunAttempt: 1, Status: state.StatusDetected,
		FailureReason: "src/app.ts(3,7): error TS2322: Type 'string' is not assignable to type 'number'.",
		LogExcerpt:    "Run npm run build\nsrc/app.ts(3,7): error TS2322: Type 'string' is not assignable to type 'number'.\n",
		Fingerprint:   "fp-code", DetectedAt: now, UpdatedAt: now}
	if _, err := h.store.CreateFailure(ctx, rec, state.AuditEntry{Timestamp: now, Actor: "test", ActionType: state.ActionDetection, Outcome: state.OutcomeSuccess}); err != nil {
		t.Fatal(err)
	}
	if err := h.h.HandleAnalyze(ctx, analyzeTask(t, id)); err != nil {
		t.Fatal(err)
	}
	got, _ := h.store.GetFailure(ctx, id)
	a := got.Analysis
	if a.Source != analysis.SourceCache || a.CachedFrom != "acme/web#1.1" {
		t.Fatalf("analysis source %s from %q, want the cache's", a.Source, a.CachedFrom)
	}
	if a.RiskScore < 7 || !a.InvolvesApplicationCode {
		t.Errorf("cached answer kept risk %d, app code %v; the rules' floor for a compile error must apply", a.RiskScore, a.InvolvesApplicationCode)
	}
	if n := len(ai.Requests()); n != 0 {
		t.Errorf("LLM calls = %d, want 0", n)
	}
	// Another repository with the same fingerprint does not reuse it.
	other := recordFailureIn(t, h, "acme/api", 14, "fp-code")
	if err := h.h.HandleAnalyze(ctx, analyzeTask(t, other)); err != nil {
		t.Fatal(err)
	}
	if n := len(ai.Requests()); n != 1 {
		t.Errorf("LLM calls for another repository = %d, want 1", n)
	}
}

// Two failures may share a fingerprint (a generic reason) without sharing
// a cause: a cached answer whose evidence is not in this failure's log is
// not reused.
func TestAnalyzeCacheIgnoresAnswerWhoseEvidenceIsNotInTheLog(t *testing.T) {
	ai := openaisim.New(t)
	ai.Default(func(openai.ChatCompletionRequest) openaisim.Reply {
		return openaisim.Reply{Content: validAnswer}
	})
	h := newHarness(t, newLLMChain(t, ai))
	ctx := context.Background()
	other := analysis.AnalysisResult{
		FailureID: "acme/web#2.1", Category: analysis.CategoryCode, RiskScore: 8, Confidence: 70,
		Effort: analysis.EffortMedium, ProposedFix: "Fix the null check in module alpha.", Actions: []analysis.Action{{Type: analysis.ActionNone}},
		AffectedComponents: []string{"alpha"}, Reasoning: "cached", Source: analysis.SourceLLM,
		Evidence: []string{"something weird happened in module alpha"},
	}
	if err := h.store.CacheAnalysis(ctx, testRepo+":fp-generic", other, time.Hour); err != nil {
		t.Fatal(err)
	}
	id := recordFailure(t, h, 15, "fp-generic") // its log is the npm ECONNRESET one
	if err := h.h.HandleAnalyze(ctx, analyzeTask(t, id)); err != nil {
		t.Fatal(err)
	}
	rec, _ := h.store.GetFailure(ctx, id)
	if rec.Analysis.Source != analysis.SourceLLM || rec.Analysis.CachedFrom != "" {
		t.Fatalf("analysis source %s (cached from %q), want a fresh LLM answer", rec.Analysis.Source, rec.Analysis.CachedFrom)
	}
	if n := len(ai.Requests()); n != 1 {
		t.Errorf("LLM calls = %d, want 1", n)
	}
}

func TestAnalyzeCacheNeedsSpecificEvidence(t *testing.T) {
	ai := openaisim.New(t)
	ai.Default(func(openai.ChatCompletionRequest) openaisim.Reply { return openaisim.Reply{Content: validAnswer} })
	h := newHarness(t, newLLMChain(t, ai))
	ctx := context.Background()
	generic := analysis.AnalysisResult{
		FailureID: "acme/web#3.1", Category: analysis.CategoryInfrastructure, RiskScore: 1, Confidence: 90,
		Effort: analysis.EffortLow, ProposedFix: "Re-run the failed jobs.", Actions: []analysis.Action{{Type: analysis.ActionRerunFailedJobs}},
		AffectedComponents: []string{"runner"}, Reasoning: "cached", Source: analysis.SourceLLM,
		Evidence: []string{"##[error]Process completed with exit code 1."},
	}
	if err := h.store.CacheAnalysis(ctx, testRepo+":fp-exit", generic, time.Hour); err != nil {
		t.Fatal(err)
	}
	id := recordFailure(t, h, 16, "fp-exit")
	if err := h.h.HandleAnalyze(ctx, analyzeTask(t, id)); err != nil {
		t.Fatal(err)
	}
	if rec, _ := h.store.GetFailure(ctx, id); rec.Analysis.Source == analysis.SourceCache {
		t.Fatal("an answer resting only on 'exit code 1' was reused for another failure")
	}
}

// An LLM outage makes every analysis fall back. Each fallback stays in the
// audit trail as an error event, but it pages once per repository per
// throttle window, not once per analysis.
func TestAnalyzeLLMOutageAlertsOncePerRepository(t *testing.T) {
	ai := openaisim.New(t)
	ai.Default(func(openai.ChatCompletionRequest) openaisim.Reply {
		return openaisim.Reply{Status: 503, Content: "overloaded"}
	})
	h := newHarness(t, newLLMChain(t, ai))
	ctx := context.Background()
	repos := []string{testRepo, "acme/api"}
	for i := range 6 {
		repo := repos[i%2]
		id := recordFailureIn(t, h, repo, int64(100+i), fmt.Sprintf("fp-outage-%d", i))
		if err := h.h.HandleAnalyze(ctx, analyzeTask(t, id)); err != nil {
			t.Fatal(err)
		}
	}
	for _, repo := range repos {
		if evs := h.audit(t, state.AuditQuery{Repo: repo, ActionType: state.ActionError}); len(evs) != 3 {
			t.Errorf("%s: error events = %d, want one per fallback (3)", repo, len(evs))
		}
		if evs := h.audit(t, state.AuditQuery{Repo: repo, ActionType: state.ActionAlert}); len(evs) != 1 {
			t.Errorf("%s: alerts = %d, want 1 for the whole outage", repo, len(evs))
		}
	}
}
