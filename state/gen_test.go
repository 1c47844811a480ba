package state_test

import (
	"fmt"
	"math"
	"time"

	"github.com/ccm-ci/ccm/analysis"
	"github.com/ccm-ci/ccm/state"
	"pgregory.net/rapid"
)

// Generators for the property tests. Times cluster in a few seconds around
// t0 with nanosecond parts, so many values share a millisecond: that is
// where a store indexing by ms could get a bound wrong.

var (
	genRepo   = rapid.SampledFrom([]string{"acme/api", "acme/web", "acme/infra"})
	genAction = rapid.SampledFrom([]string{
		state.ActionDetection, state.ActionAnalysis, state.ActionValidation, state.ActionApproval,
		state.ActionRemediation, state.ActionConfig, state.ActionError, state.ActionAlert,
	})
	genOutcome  = rapid.SampledFrom([]string{state.OutcomeSuccess, state.OutcomeFailure, state.OutcomePending})
	genCategory = rapid.SampledFrom(analysis.Categories)
	genStatus   = rapid.SampledFrom([]state.Status{
		state.StatusDetected, state.StatusAnalyzed, state.StatusAwaitingApproval, state.StatusApproved,
		state.StatusRejected, state.StatusExpired, state.StatusRemediating, state.StatusRemediated, state.StatusFailed,
	})
	genText = rapid.StringN(0, 40, -1)
)

// genTime is t0 plus up to 3 s, on a 10 ms grid plus a few nanoseconds.
func genTime(t *rapid.T, label string) time.Time {
	ms := rapid.IntRange(0, 300).Draw(t, label+"_10ms")
	ns := rapid.SampledFrom([]int{0, 1, 999_999, 500_000}).Draw(t, label+"_ns")
	return t0.Add(time.Duration(ms)*10*time.Millisecond + time.Duration(ns))
}

// genBound is a zero (open) bound or a time near the generated ones.
func genBound(t *rapid.T, label string) time.Time {
	if rapid.Bool().Draw(t, label+"_open") {
		return time.Time{}
	}
	return genTime(t, label)
}

func genZone(t *rapid.T, label string) *time.Location {
	return rapid.SampledFrom([]*time.Location{time.UTC, time.FixedZone("CET", 3600), time.FixedZone("X", -7*3600-1800)}).Draw(t, label)
}

func genAnalysis(t *rapid.T) analysis.AnalysisResult {
	category := genCategory.Draw(t, "category")
	// Validate's cross-field rules: "none" stands alone, category code is
	// never re-run, keys and fix-PR paths are plain.
	types := []analysis.ActionType{analysis.ActionDeleteCache, analysis.ActionCancelRun, analysis.ActionOpenFixPR}
	if category != analysis.CategoryCode {
		types = append(types, analysis.ActionRerunFailedJobs, analysis.ActionRerunWorkflow)
	}
	actions := []analysis.Action{{Type: analysis.ActionNone}}
	if rapid.IntRange(0, 3).Draw(t, "only_none") > 0 {
		actions = rapid.SliceOfN(rapid.Custom(func(t *rapid.T) analysis.Action {
			a := analysis.Action{Type: rapid.SampledFrom(types).Draw(t, "type")}
			if a.Type == analysis.ActionDeleteCache {
				a.Key = rapid.StringMatching(`[A-Za-z0-9._/:+=-]{0,40}`).Draw(t, "key")
			}
			if a.Type == analysis.ActionOpenFixPR {
				a.Title, a.Body = genText.Draw(t, "title"), genText.Draw(t, "body")
				a.Files = rapid.SliceOfN(rapid.Custom(func(t *rapid.T) analysis.FileChange {
					return analysis.FileChange{
						Path:    rapid.StringMatching(`[a-z]{1,8}(/[a-z]{1,8}){0,2}\.(go|json|yml)`).Draw(t, "path"),
						Content: genText.Draw(t, "content"),
					}
				}), 0, 2).Draw(t, "files")
			}
			return a
		}), 1, 3).Draw(t, "actions")
	}
	var created time.Time
	if rapid.Bool().Draw(t, "has_created") {
		created = genTime(t, "created").In(genZone(t, "created_zone"))
	}
	return analysis.AnalysisResult{
		FailureID:               genText.Draw(t, "failure_id"),
		Category:                category,
		RiskScore:               rapid.IntRange(0, 10).Draw(t, "risk"),
		Confidence:              rapid.IntRange(0, 100).Draw(t, "confidence"),
		Effort:                  rapid.SampledFrom(analysis.Efforts).Draw(t, "effort"),
		ProposedFix:             "Fix: " + genText.Draw(t, "fix"),
		Actions:                 actions,
		AffectedComponents:      rapid.SliceOfN(rapid.StringMatching(`[a-z][a-z0-9/. -]{0,20}`), 1, 3).Draw(t, "components"),
		InvolvesApplicationCode: rapid.Bool().Draw(t, "app_code"),
		Evidence:                rapid.SliceOfN(genText, 0, 3).Draw(t, "evidence"),
		Reasoning:               genText.Draw(t, "reasoning"),
		Source:                  rapid.SampledFrom([]analysis.Source{analysis.SourceLLM, analysis.SourceRules, analysis.SourceCache}).Draw(t, "source"),
		Model:                   genText.Draw(t, "model"),
		PromptTokens:            rapid.IntRange(0, 1e6).Draw(t, "prompt_tokens"),
		CompletionTokens:        rapid.IntRange(0, 1e6).Draw(t, "completion_tokens"),
		CreatedAt:               created,
	}
}

// genFailure draws a record; run numbers are unique per n so IDs differ.
func genFailure(t *rapid.T, n int) state.FailureRecord {
	repo := genRepo.Draw(t, "repo")
	run := rapid.Int64Range(1, math.MaxInt64/2).Draw(t, "run")
	attempt := rapid.IntRange(1, 5).Draw(t, "attempt")
	zone := genZone(t, "zone")
	rec := state.FailureRecord{
		ID:         fmt.Sprintf("%s#%d.%d", repo, run, n),
		Repo:       repo,
		RunID:      run,
		RunAttempt: attempt,
		RunURL:     genText.Draw(t, "run_url"),
		Workflow:   genText.Draw(t, "workflow"),
		Event:      genText.Draw(t, "event"),
		Branch:     genText.Draw(t, "branch"),
		CommitSHA:  rapid.StringMatching(`[0-9a-f]{40}`).Draw(t, "sha"),
		Actor:      genText.Draw(t, "actor"),
		FromFork:   rapid.Bool().Draw(t, "fork"),
		FailedJobs: rapid.SliceOfN(rapid.Custom(func(t *rapid.T) state.FailedJob {
			return state.FailedJob{
				ID: rapid.Int64().Draw(t, "id"), Name: genText.Draw(t, "name"), URL: genText.Draw(t, "url"),
				Conclusion: genText.Draw(t, "conclusion"), FailedSteps: rapid.SliceOfN(genText, 0, 3).Draw(t, "steps"),
				RunnerName: genText.Draw(t, "runner"),
			}
		}), 0, 3).Draw(t, "jobs"),
		FailureReason:  genText.Draw(t, "reason"),
		LogExcerpt:     rapid.StringN(0, 2000, -1).Draw(t, "log"),
		LogUnavailable: rapid.Bool().Draw(t, "log_unavailable"),
		Fingerprint:    genText.Draw(t, "fingerprint"),
		Status:         genStatus.Draw(t, "status"),
		DetectedAt:     genTime(t, "detected").In(zone),
	}
	rec.UpdatedAt = rec.DetectedAt.Add(time.Duration(rapid.IntRange(0, 1e9).Draw(t, "updated_after")))
	if rapid.Bool().Draw(t, "has_run_times") {
		rec.RunStartedAt = rec.DetectedAt.Add(-time.Hour)
		rec.RunUpdatedAt = rec.DetectedAt.Add(-time.Minute)
	}
	if rapid.Bool().Draw(t, "has_analysis") {
		a := genAnalysis(t)
		rec.Analysis = &a
	}
	return rec
}

// genDetails draws JSON-native details: what survives a JSON round trip
// unchanged (numbers are float64, as encoding/json decodes them).
func genDetails(t *rapid.T) map[string]any {
	scalar := rapid.OneOf(
		rapid.Map(genText, func(s string) any { return s }),
		rapid.Map(rapid.Float64Range(-1e9, 1e9), func(f float64) any { return f }),
		rapid.Map(rapid.Bool(), func(b bool) any { return b }),
		rapid.Just[any](nil),
	)
	value := rapid.OneOf(scalar,
		rapid.Map(rapid.SliceOfN(scalar, 0, 3), func(v []any) any { return v }),
		rapid.Map(rapid.MapOfN(rapid.StringN(1, 8, -1), scalar, 0, 3), func(m map[string]any) any { return m }))
	return rapid.MapOfN(rapid.StringN(1, 12, -1), value, 0, 4).Draw(t, "details")
}

// genAudit draws an entry; failure IDs come from ids (or none).
func genAudit(t *rapid.T, ids []string) state.AuditEntry {
	e := state.AuditEntry{
		Timestamp:  genTime(t, "ts").In(genZone(t, "ts_zone")),
		Actor:      rapid.StringN(1, 20, -1).Draw(t, "actor"),
		ActionType: genAction.Draw(t, "action"),
		RequestID:  genText.Draw(t, "request_id"),
		Details:    genDetails(t),
		Outcome:    genOutcome.Draw(t, "outcome"),
		Error:      genText.Draw(t, "error"),
	}
	if len(ids) > 0 && rapid.Bool().Draw(t, "has_failure") {
		e.FailureID = rapid.SampledFrom(ids).Draw(t, "failure_id")
	}
	if rapid.Bool().Draw(t, "has_repo") {
		e.Repo = genRepo.Draw(t, "entry_repo")
	}
	if rapid.Bool().Draw(t, "has_category") {
		e.Category = string(genCategory.Draw(t, "entry_category"))
	}
	return e
}

// genMetrics draws a record whose set fields are non-zero (zero means
// "not recorded", see RecordMetrics).
func genMetrics(t *rapid.T, id string) state.MetricsRecord {
	ms := func(label string) int64 {
		if rapid.Bool().Draw(t, "has_"+label) {
			return rapid.Int64Range(1, 1e7).Draw(t, label)
		}
		return 0
	}
	m := state.MetricsRecord{
		FailureID:            id,
		Repo:                 genRepo.Draw(t, "repo"),
		DetectionLatencyMS:   ms("detection"),
		AnalysisLatencyMS:    ms("analysis"),
		RemediationLatencyMS: ms("remediation"),
		TotalLatencyMS:       ms("total"),
		PromptTokens:         int(ms("prompt")),
		CompletionTokens:     int(ms("completion")),
		RecordedAt:           genTime(t, "recorded").In(genZone(t, "recorded_zone")),
	}
	if rapid.Bool().Draw(t, "has_category") {
		m.Category = string(genCategory.Draw(t, "category"))
	}
	if rapid.Bool().Draw(t, "has_risk") {
		m.RiskScore = ptr(rapid.IntRange(0, 10).Draw(t, "risk"))
	}
	if rapid.Bool().Draw(t, "has_result") {
		m.RemediationSuccess = ptr(rapid.Bool().Draw(t, "success"))
	}
	return m
}
