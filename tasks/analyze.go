package tasks

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/hibiken/asynq"

	"github.com/ccm-ci/ccm/integrations/llm"
	"github.com/ccm-ci/ccm/state"
	"github.com/ccm-ci/ccm/triage"
)

// HandleAnalyze explains a recorded failure: a cached analysis of the same
// fingerprint when there is one, else the analyzer (LLM, rules as fallback).
// It stores the result and moves the failure to analyzed in one step with
// its audit event. The safety gate picks up from analyzed.
func (h *Handlers) HandleAnalyze(ctx context.Context, t *asynq.Task) error {
	var p AnalyzePayload
	if err := decode(t, &p); err != nil {
		return err
	}
	id := p.FailureID
	rec, err := h.d.Store.GetFailure(ctx, id)
	if errors.Is(err, state.ErrNotFound) {
		return fmt.Errorf("analyze %s: %v: %w", id, err, asynq.SkipRetry)
	}
	if err != nil {
		return fmt.Errorf("analyze %s: %w", id, err)
	}
	log := h.d.log().With("failure_id", id, "repo", rec.Repo, "task_type", TypeAnalyze)
	if rec.Status != state.StatusDetected {
		log.Debug("already analyzed", "status", rec.Status)
		return nil
	}

	start := h.d.now()
	// One analysis per fingerprint at a time, in this process and across
	// replicas, so a burst of identical failures costs one LLM call and the
	// rest hit the cache.
	unlock := h.fpLocks.lock(rec.Fingerprint)
	release := h.fingerprintLease(ctx, rec)
	a, fallback, err := h.analysis(ctx, rec)
	release()
	unlock()
	if err != nil {
		return fmt.Errorf("analyze %s: %w", id, err)
	}
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
	err = h.d.Store.SaveAnalysis(ctx, id, a, ev)
	if errors.Is(err, state.ErrConflict) {
		log.Debug("analyzed concurrently by another worker")
		return nil
	}
	if err != nil {
		return fmt.Errorf("analyze %s: %w", id, err)
	}
	if fallback != "" && fallback != llm.ErrNoAPIKey.Error() {
		if h.d.Metrics != nil {
			h.d.Metrics.LLMFallbacks.Inc()
		}
		// The fallback is its own audit event: operators watch for a
		// broken or misbehaving model separately from analyses.
		h.d.raise(ctx, nil, Alert{Severity: SeverityWarning, Repo: rec.Repo, FailureID: id,
			Summary: "LLM analysis unavailable; rule-based analyzer used", Details: map[string]any{"fallback_reason": fallback}})
	}
	h.recordAnalysis(ctx, rec, a, latency)
	log.Info("failure analyzed", "category", a.Category, "risk_score", a.RiskScore, "source", a.Source)
	return nil
}

const (
	// leaseTTL outlives the slowest analysis (the analyze task timeout), so
	// a lease never lapses under a live holder; a crashed holder's lease
	// lapses on its own.
	leaseTTL = 10 * time.Minute
	// leaseWait bounds how long a worker waits for another replica's
	// analysis of the same fingerprint before asking the LLM itself.
	leaseWait = 2 * time.Minute
	leasePoll = 250 * time.Millisecond
)

// fingerprintLease holds the cross-replica lease on a fingerprint while
// this worker analyzes it. If another replica holds it, it waits until that
// analysis is cached (then the cache answers) or the wait runs out (then a
// duplicate LLM call is the lesser evil). It returns the release function.
func (h *Handlers) fingerprintLease(ctx context.Context, rec state.FailureRecord) func() {
	noop := func() {}
	if h.d.CacheTTL <= 0 || rec.Fingerprint == "" {
		return noop
	}
	log := h.d.log().With("failure_id", rec.ID, "repo", rec.Repo, "fingerprint", rec.Fingerprint)
	deadline := h.d.now().Add(leaseWait)
	for {
		release, ok, err := h.d.Store.Lease(ctx, "analyze:"+rec.Fingerprint, leaseTTL)
		if err != nil {
			log.Warn("fingerprint lease unavailable; analyzing without it", "err", err)
			return noop
		}
		if ok {
			return func() {
				// A fresh context: the lease must go even if the task's
				// context ended, or the next replica waits out its TTL.
				ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
				defer cancel()
				if err := release(ctx); err != nil {
					log.Warn("release fingerprint lease", "err", err)
				}
			}
		}
		if _, cached, err := h.d.Store.CachedAnalysis(ctx, rec.Fingerprint); err == nil && cached {
			return noop
		}
		if h.d.now().After(deadline) {
			log.Warn("another replica is still analyzing this fingerprint; analyzing it here too")
			return noop
		}
		select {
		case <-ctx.Done():
			return noop
		case <-time.After(leasePoll):
		}
	}
}

// analysis returns the cached or fresh analysis and, when the rules stood
// in for the LLM, why.
func (h *Handlers) analysis(ctx context.Context, rec state.FailureRecord) (triage.AnalysisResult, string, error) {
	if h.d.CacheTTL > 0 && rec.Fingerprint != "" {
		cached, ok, err := h.d.Store.CachedAnalysis(ctx, rec.Fingerprint)
		if err != nil {
			return triage.AnalysisResult{}, "", err
		}
		if ok {
			if h.d.Metrics != nil {
				h.d.Metrics.AnalysisCacheHits.Inc()
			}
			cached.Source = triage.SourceCache
			cached.PromptTokens, cached.CompletionTokens = 0, 0
			return cached, "", nil
		}
		if h.d.Metrics != nil {
			h.d.Metrics.AnalysisCacheMiss.Inc()
		}
	}
	out := h.d.Analyzer.Analyze(ctx, RequestFor(rec))
	a := out.Analysis
	// Only a model's answer is worth caching: the rules are cheaper to run
	// again than to look up, and a fallback must not mask a recovered LLM.
	if a.Source == triage.SourceLLM && h.d.CacheTTL > 0 && rec.Fingerprint != "" {
		if err := h.d.Store.CacheAnalysis(ctx, rec.Fingerprint, a, h.d.CacheTTL); err != nil {
			h.d.log().Error("cache analysis", "failure_id", rec.ID, "repo", rec.Repo, "err", err)
		}
	}
	return a, out.FallbackReason, nil
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

func (h *Handlers) recordAnalysis(ctx context.Context, rec state.FailureRecord, a triage.AnalysisResult, latency time.Duration) {
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

func actionTypes(as []triage.Action) []string {
	out := make([]string, 0, len(as))
	for _, a := range as {
		out = append(out, string(a.Type))
	}
	return out
}

// keyedLocks serializes work per key (here: per fingerprint).
type keyedLocks struct {
	mu    sync.Mutex
	locks map[string]*refMutex
}

type refMutex struct {
	sync.Mutex
	refs int
}

func (k *keyedLocks) lock(key string) (unlock func()) {
	if key == "" {
		return func() {}
	}
	k.mu.Lock()
	if k.locks == nil {
		k.locks = map[string]*refMutex{}
	}
	m := k.locks[key]
	if m == nil {
		m = &refMutex{}
		k.locks[key] = m
	}
	m.refs++
	k.mu.Unlock()
	m.Lock()
	return func() {
		m.Unlock()
		k.mu.Lock()
		if m.refs--; m.refs == 0 {
			delete(k.locks, key)
		}
		k.mu.Unlock()
	}
}
