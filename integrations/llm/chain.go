package llm

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/ccm-ci/ccm/analysis"
	"github.com/ccm-ci/ccm/rules"
)

// DefaultFloorConfidence is the rules' confidence from which their risk
// becomes a floor the model cannot go below.
const DefaultFloorConfidence = 60

// Chain analyses with the model when there is one and falls back to the
// rule-based analyzer otherwise. The rules always run (they are cheap and
// deterministic) so their verdict can bound the model's.
type Chain struct {
	// LLM is nil when no model is configured: rules only.
	LLM *Analyzer
	// Rules is the rule-based analyzer; nil means Classify. Tests swap it.
	Rules func(Request) analysis.AnalysisResult
	// FloorConfidence: 0 means DefaultFloorConfidence.
	FloorConfidence int
	// Breaker, when set, skips the model after consecutive failures; share
	// one across the Chains that call the same model. nil = no breaker.
	Breaker *Breaker
	Logger  *slog.Logger
}

// Outcome is what the pipeline records about one analysis.
type Outcome struct {
	// Analysis is the answer to act on: the model's (with the risk floor
	// applied) or the rules'.
	Analysis analysis.AnalysisResult
	// Rules is the rule-based verdict, always computed, kept for audit and
	// for the gate's own signals.
	Rules analysis.AnalysisResult
	// FallbackReason is "" when the model answered, otherwise why the rules
	// were used: "no API key", "llm: skipped after N consecutive failures
	// (until HH:MM:SS)" (UTC) or "llm: <error>" (at most 2 KB, no control
	// characters).
	FallbackReason string
	// RiskFloor is the deterministic floor applied to the model's risk
	// (0 when the rules matched no strong signature).
	RiskFloor int
	// FloorRaised is true when the floor raised the model's risk score.
	FloorRaised bool
	// Calls counts HTTP requests sent to the model, retries and the repair
	// included (whether or not they succeeded).
	Calls int
}

// Analyze never fails: whatever happens to the model, the rules answer.
//
// The risk floor (docs/ARCHITECTURE.md §3.2: the model can raise risk, never lower
// it below the deterministic floor): when the rules matched a signature
// with confidence >= FloorConfidence, their RiskScore is a floor for the
// model's, and their InvolvesApplicationCode=true is kept even if the model
// disagrees. A weak rules verdict (a guess, no signature) sets no floor, so
// it cannot override a model that read the log. The model's category and
// text are kept as they are; the gate sees both verdicts in Outcome.
func (c Chain) Analyze(ctx context.Context, req Request) Outcome {
	log := c.Logger
	if log == nil {
		log = slog.Default()
	}
	log = log.With("component", "llm", "failure_id", req.FailureID, "repo", req.Repo)
	rules := c.rules(req)
	out := Outcome{Rules: rules}
	if c.LLM == nil {
		out.Analysis, out.FallbackReason = rules, ErrNoAPIKey.Error()
		return out
	}
	pass := c.Breaker.allow()
	if !pass.ok {
		out.Analysis = rules
		out.FallbackReason = fmt.Sprintf("llm: skipped after %d consecutive failures (until %s)",
			pass.streak, pass.until.UTC().Format(time.TimeOnly))
		log.Info("model skipped by the circuit breaker; using the rule-based analyzer", "failures", pass.streak, "until", pass.until)
		return out
	}
	res, st, err := c.LLM.analyze(ctx, req)
	out.Calls = st.calls
	if c.Breaker.record(pass, breakerOutcome(ctx, st, err)) {
		log.Warn("model failed repeatedly; skipping it for a while", "until", c.Breaker.openUntilTime())
	}
	if err != nil {
		log.Warn("model analysis failed; using the rule-based analyzer", "err", err)
		// Validation errors quote the model's text: redact before it
		// reaches the audit stream or Slack, and bound it.
		out.Analysis, out.FallbackReason = rules, safeText(c.LLM.redact("llm: "+err.Error()), maxErrorBytes)
		return out
	}
	floorConf := c.FloorConfidence
	if floorConf == 0 {
		floorConf = DefaultFloorConfidence
	}
	res, out.RiskFloor, out.FloorRaised = ApplyFloor(res, rules, floorConf)
	if out.FloorRaised {
		log.Info("raised the model's risk to the rules' floor", "floor", out.RiskFloor, "rules_category", rules.Category)
	}
	out.Analysis = res
	return out
}

// breakerOutcome classifies an analysis for the Breaker: only analyses
// that asked the model and were not cut short by the caller count.
func breakerOutcome(ctx context.Context, st stats, err error) outcome {
	switch {
	case err == nil:
		return outcomeSuccess
	case st.calls == 0, ctx.Err() != nil, errors.Is(err, ErrNoLog):
		return outcomeNeutral
	default:
		return outcomeFailure
	}
}

// ApplyFloor bounds an analysis by the rules' deterministic verdict
// (docs/ARCHITECTURE.md §3.2: the model can raise risk, never lower it below the
// floor). When the rules matched with at least minConfidence, their risk is
// a floor and their InvolvesApplicationCode=true is kept; a weaker rules
// guess sets no floor. It returns the floor (0 when none) and whether it
// raised the risk.
func ApplyFloor(a, rules analysis.AnalysisResult, minConfidence int) (res analysis.AnalysisResult, floor int, raised bool) {
	if rules.Confidence < minConfidence {
		return a, 0, false
	}
	if a.RiskScore < rules.RiskScore {
		a.RiskScore, raised = rules.RiskScore, true
	}
	if rules.InvolvesApplicationCode {
		a.InvolvesApplicationCode = true
	}
	return a, rules.RiskScore, raised
}

// Classify is the rule-based analyzer (rules.Classify) on a Request: the
// Rules a Chain uses when none is set.
func Classify(req Request) analysis.AnalysisResult {
	return rules.Classify(rules.Input{
		Reason: req.Reason, Text: req.Excerpt, FailingStep: req.FailingStep, JobName: req.Job,
		Workflow: req.Workflow, Repo: req.Repo, ChangedFiles: req.ChangedFiles,
	})
}

// rules runs the rule-based analyzer and stamps what it may leave out.
func (c Chain) rules(req Request) analysis.AnalysisResult {
	classify := c.Rules
	if classify == nil {
		classify = Classify
	}
	r := classify(req)
	if r.FailureID == "" {
		r.FailureID = req.FailureID
	}
	if r.Source == "" {
		r.Source = analysis.SourceRules
	}
	return r
}
