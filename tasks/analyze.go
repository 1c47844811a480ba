package tasks

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/hibiken/asynq"

	"github.com/ccm-ci/ccm/analysis"
	"github.com/ccm-ci/ccm/integrations/llm"
	"github.com/ccm-ci/ccm/state"
)

// HandleAnalyze explains a recorded failure: a cached analysis of the same
// fingerprint when there is one, else the analyzer (LLM, rules as fallback).
// The fingerprint's history in the repository (state.Store.History) goes
// into the model's prompt, and history.Apply adjusts whichever analysis
// came back with it, noting it in the evidence, the reasoning and the
// audit details (history, history_note, history_changed_from).
// It stores the result and moves the failure to analyzed in one step with
// its audit event, then enqueues the safety gate (ccm:gate).
func (h *Handlers) HandleAnalyze(ctx context.Context, t *asynq.Task) error {
	var p AnalyzePayload
	if err := decode(t, &p); err != nil {
		return err
	}
	id := p.FailureID
	rec, err := h.d.Store.GetFailure(ctx, id)
	if errors.Is(err, state.ErrNotFound) {
		return fmt.Errorf("analyze %s: %w: %w", id, err, errFinal)
	}
	if err != nil {
		return fmt.Errorf("analyze %s: %w", id, err)
	}
	log := h.d.log().With("failure_id", id, "repo", rec.Repo, "task_type", TypeAnalyze)
	if rec.Status != state.StatusDetected {
		log.Debug("already analyzed", "status", rec.Status)
		if rec.Status == state.StatusAnalyzed && rec.Gate == nil {
			// Analyzed but never gated: the enqueue below failed or was
			// lost. The gate's task ID keeps it single.
			return h.enqueueGate(ctx, id)
		}
		return nil
	}

	start := h.d.now()
	req := RequestFor(rec)
	req.History = h.historyFacts(ctx, rec, log)
	// One analysis per cache key at a time, across workers and replicas,
	// so a burst of identical failures costs one LLM call and the rest hit
	// the cache.
	key, ttl := cacheKey(rec), h.d.Config().LLM.CacheTTL
	release := h.cacheLease(ctx, rec, key, ttl)
	a, fallback, err := h.analysis(ctx, rec, req, key, ttl)
	release()
	if err != nil {
		return fmt.Errorf("analyze %s: %w", id, err)
	}
	// After the cache, fresh or reused alike, and never into it: the
	// cached analysis explains the fingerprint, the history this failure.
	a, hist := applyHistory(a, req, rec.ChangedFilesUnavailable)
	a.FailureID = id
	a.CreatedAt = h.d.now()
	latency := a.CreatedAt.Sub(start)

	ev := state.AuditEntry{
		Timestamp: a.CreatedAt, Actor: "ccm/" + string(a.Source), ActionType: state.ActionAnalysis,
		FailureID: id, Repo: rec.Repo, Category: string(a.Category), Outcome: state.OutcomeSuccess,
		Details: map[string]any{
			"category": a.Category, "risk_score": a.RiskScore, "confidence": a.Confidence,
			"effort": a.Effort, "source": a.Source, "model": a.Model, "actions": actionTypes(a.Actions),
			"involves_application_code": a.InvolvesApplicationCode, "reasoning": a.Reasoning,
			"latency_ms": latency.Milliseconds(),
		},
	}
	if fallback != "" {
		ev.Details["fallback_reason"] = fallback
	}
	if req.History != nil && req.History.Known() {
		ev.Details["history"] = req.History.Sentence()
		ev.Details["history_note"] = hist.Note
		if hist.From != "" {
			ev.Details["history_changed_from"] = hist.From
		}
	}
	err = h.d.Store.SaveAnalysis(ctx, id, a, ev)
	if errors.Is(err, state.ErrConflict) {
		log.Debug("analyzed concurrently by another worker")
		return nil // that worker enqueues the gate
	}
	if err != nil {
		return fmt.Errorf("analyze %s: %w", id, err)
	}
	if fallback != "" && fallback != llm.ErrNoAPIKey.Error() {
		if h.d.Metrics != nil {
			h.d.Metrics.LLMFallbacks.Inc()
		}
		// The fallback is its own audit event: operators watch for a
		// broken or misbehaving model separately from analyses. During an
		// outage every analysis falls back; the throttle (keyed by
		// severity, repository and this fixed summary) turns that into
		// one alert per repository per window, while the audit trail
		// still has an error event for each.
		sev, summary := SeverityWarning, "LLM analysis unavailable; rule-based analyzer used"
		if strings.Contains(fallback, llm.ErrUnauthorized.Error()) {
			// A refused key does not heal by itself: a person must change
			// OPENAI_API_KEY, so it pages (Property 43). The reason is the
			// chain's text of the error, which wraps ErrUnauthorized.
			sev, summary = SeverityCritical, "the LLM server rejected OPENAI_API_KEY; rule-based analyzer used"
		}
		h.d.raise(ctx, &h.throttle, Alert{Severity: sev, Repo: rec.Repo, FailureID: id,
			Summary: summary, Details: map[string]any{"fallback_reason": fallback}})
	}
	h.recordAnalysis(ctx, rec, a, latency)
	log.Info("failure analyzed", "category", a.Category, "risk_score", a.RiskScore, "source", a.Source,
		"history_changed_from", hist.From)
	// The safety gate picks up from analyzed. If the enqueue fails, the
	// retry of this task finds the failure analyzed without a decision and
	// enqueues it then (above).
	if err := h.enqueueGate(ctx, id); err != nil {
		return fmt.Errorf("analyze %s: %w", id, err)
	}
	return nil
}

// analysisReserve is the part of the task's deadline kept for storing the
// result: the analyzer must give up (and the rules answer) before it.
const analysisReserve = 30 * time.Second

// cacheKey is where a failure's analysis may be cached: per repository
// (another repository's changes and context differ) and per fingerprint.
// A failure without a log has a generic reason that would match unrelated
// failures, so it is never cached.
func cacheKey(rec state.FailureRecord) string {
	if rec.Fingerprint == "" || rec.LogUnavailable || rec.LogExcerpt == "" {
		return ""
	}
	return rec.Repo + ":" + rec.Fingerprint
}

// analysis returns the cached or fresh analysis and, when the rules stood
// in for the LLM, why.
func (h *Handlers) analysis(ctx context.Context, rec state.FailureRecord, req llm.Request, key string, ttl time.Duration) (analysis.AnalysisResult, string, error) {
	if key != "" && ttl > 0 {
		cached, ok, err := h.d.Store.CachedAnalysis(ctx, key)
		if err != nil {
			return analysis.AnalysisResult{}, "", err
		}
		if ok && cached.Validate() != nil {
			ok = false // cached under older, looser rules: ask again
		}
		if ok && !fits(cached, rec) {
			// Same fingerprint, different log: a generic reason ("exit code
			// 1") shared by unrelated failures. The cached answer's
			// evidence is not in this log, so it does not explain it.
			h.d.log().Info("cached analysis does not fit this log; analyzing afresh",
				"failure_id", rec.ID, "repo", rec.Repo, "cached_from", cached.FailureID)
			ok = false
		}
		if ok {
			if h.d.Metrics != nil {
				h.d.Metrics.AnalysisCacheHits.Inc()
			}
			// This failure's own deterministic signals (changed files, the
			// rules' verdict on its log) still bound the reused answer.
			cached, _, _ = llm.ApplyFloor(cached, llm.Classify(req), llm.DefaultFloorConfidence)
			cached.CachedFrom, cached.Source = cached.FailureID, analysis.SourceCache
			cached.PromptTokens, cached.CompletionTokens = 0, 0
			return cached, "", nil
		}
		if h.d.Metrics != nil {
			h.d.Metrics.AnalysisCacheMiss.Inc()
		}
	}
	actx := ctx
	if dl, ok := ctx.Deadline(); ok {
		var cancel context.CancelFunc
		actx, cancel = context.WithDeadline(ctx, dl.Add(-analysisReserve))
		defer cancel()
	}
	out := h.d.Analyzer.Analyze(actx, req)
	a := out.Analysis
	// Only a model's answer is worth caching: the rules are cheaper to run
	// again than to look up, and a fallback must not mask a recovered LLM.
	if a.Source == analysis.SourceLLM && key != "" && ttl > 0 {
		a.FailureID = rec.ID
		if err := h.d.Store.CacheAnalysis(ctx, key, a, ttl); err != nil {
			h.d.log().Error("cache analysis", "failure_id", rec.ID, "repo", rec.Repo, "err", err)
		}
	}
	return a, out.FallbackReason, nil
}

// genericLine matches what every failed job prints: lines that prove a
// job failed, not why.
var genericLine = regexp.MustCompile(`(?i)(process completed with exit code|exited with (exit )?code|exit status \d|failed with exit code|^(##\[error\])?error: process completed)`)

// fits reports whether a cached analysis explains this failure's log: its
// evidence, minus the generic lines any failure has, must be non-empty and
// in this log.
func fits(cached analysis.AnalysisResult, rec state.FailureRecord) bool {
	var specific []string
	for _, e := range cached.Evidence {
		if !genericLine.MatchString(e) {
			specific = append(specific, e)
		}
	}
	return len(specific) > 0 && llm.EvidenceInLog(specific, rec.LogExcerpt, rec.FailureReason)
}

// RequestFor is the analysis request for a recorded failure.
func RequestFor(rec state.FailureRecord) llm.Request {
	req := llm.Request{
		FailureID: rec.ID, Repo: rec.Repo, Workflow: rec.Workflow, Branch: rec.Branch,
		Reason: rec.FailureReason, Excerpt: rec.LogExcerpt, ChangedFiles: rec.ChangedFiles,
	}
	if len(rec.FailedJobs) > 0 {
		req.Job = rec.FailedJobs[0].Name
		if len(rec.FailedJobs[0].FailedSteps) > 0 {
			req.FailingStep = rec.FailedJobs[0].FailedSteps[0]
		}
	}
	return req
}

func (h *Handlers) recordAnalysis(ctx context.Context, rec state.FailureRecord, a analysis.AnalysisResult, latency time.Duration) {
	if m := h.d.Metrics; m != nil {
		m.Analyses.WithLabelValues(string(a.Source), string(a.Category)).Inc()
		m.AnalysisLatency.WithLabelValues(string(a.Source)).Observe(latency.Seconds())
		m.LLMTokens.WithLabelValues("prompt").Add(float64(a.PromptTokens))
		m.LLMTokens.WithLabelValues("completion").Add(float64(a.CompletionTokens))
	}
	risk := a.RiskScore
	mr := state.MetricsRecord{
		FailureID: rec.ID, Repo: rec.Repo, Category: string(a.Category), RiskScore: &risk,
		AnalysisLatencyMS: latency.Milliseconds(), PromptTokens: a.PromptTokens,
		CompletionTokens: a.CompletionTokens, RecordedAt: a.CreatedAt,
	}
	if err := h.d.Store.RecordMetrics(ctx, mr); err != nil {
		h.d.log().Error("record analysis metrics", "failure_id", rec.ID, "repo", rec.Repo, "err", err)
	}
}

func actionTypes(as []analysis.Action) []string {
	out := make([]string, 0, len(as))
	for _, a := range as {
		out = append(out, string(a.Type))
	}
	return out
}
