package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/redis/go-redis/v9"

	"github.com/ccm-ci/ccm/analysis"
	"github.com/ccm-ci/ccm/state"
)

// judgedShadow stores one failure of repo decided in shadow mode and its
// outcome, as ccm:gate and ccm:shadow-check leave them.
func judgedShadow(t *testing.T, st *state.Store, repo string, run int64, decision string, o state.ShadowOutcome) {
	t.Helper()
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Second)
	rec := state.FailureRecord{ID: fmt.Sprintf("%s#%d.1", repo, run), Repo: repo, RunID: run, RunAttempt: 1,
		Branch: "main", RunUpdatedAt: now.Add(-3 * time.Hour), DetectedAt: now.Add(-3 * time.Hour)}
	ev := state.AuditEntry{Actor: "ccm", Outcome: state.OutcomeSuccess}
	if _, err := st.CreateFailure(ctx, rec, state.AuditEntry{Actor: "ccm", ActionType: state.ActionDetection, Outcome: state.OutcomeSuccess}); err != nil {
		t.Fatal(err)
	}
	a := analysis.AnalysisResult{Category: analysis.CategoryInfrastructure, RiskScore: 2, Confidence: 90, Effort: analysis.EffortLow,
		ProposedFix: "Re-run.", Actions: []analysis.Action{{Type: analysis.ActionRerunFailedJobs}}, Reasoning: "network",
		AffectedComponents: []string{"npm registry"},
		Source:             analysis.SourceRules, CreatedAt: now}
	if err := st.SaveAnalysis(ctx, rec.ID, a, state.AuditEntry{Actor: "ccm", ActionType: state.ActionAnalysis, Outcome: state.OutcomeSuccess}); err != nil {
		t.Fatal(err)
	}
	g := state.GateDecision{Decision: decision, Reasons: []string{"test"}, Mode: "shadow", Actions: a.Actions}
	if _, err := st.SaveGate(ctx, rec.ID, state.StatusAnalyzed, g, ev, nil); err != nil {
		t.Fatal(err)
	}
	if o.ResolvedAt.IsZero() && o.Outcome == state.ShadowRerunPassed {
		o.ResolvedAt = rec.RunUpdatedAt.Add(2 * time.Hour)
	}
	if _, err := st.RecordShadowOutcome(ctx, rec.ID, o, ev); err != nil {
		t.Fatal(err)
	}
}

func TestStatsCommand(t *testing.T) {
	offline(t)
	redisURL := cliRedisURL(t)
	opt, err := redis.ParseURL(redisURL)
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(opt)
	ctx := context.Background()
	t.Cleanup(func() { _ = rdb.Close() })
	st := state.New(rdb, state.Options{})
	judgedShadow(t, st, "acme/web", 1, "auto", state.ShadowOutcome{Outcome: state.ShadowRerunPassed, WouldHaveFixed: true})
	judgedShadow(t, st, "acme/web", 2, "approval", state.ShadowOutcome{Outcome: state.ShadowRerunPassed, WouldHaveFixed: true})
	judgedShadow(t, st, "acme/web", 3, "auto", state.ShadowOutcome{Outcome: state.ShadowRerunFailed})
	judgedShadow(t, st, "acme/web", 4, "none", state.ShadowOutcome{Outcome: state.ShadowNothingHelped})
	judgedShadow(t, st, "acme/api", 5, "approval", state.ShadowOutcome{Outcome: state.ShadowNothingHelped})
	ok := true
	if err := st.RecordMetrics(ctx, state.MetricsRecord{FailureID: "acme/api#9.1", Repo: "acme/api",
		TotalLatencyMS: 90_000, RemediationSuccess: &ok}); err != nil {
		t.Fatal(err)
	}
	t.Setenv("REDIS_URL", redisURL)

	stdout, stderr, code := runCLI(t, nil, "stats")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	want := `acme/api (shadow): would have fixed 0 of 1, asked for 1, left 0 alone, never touched code
  outcomes: nothing_helped 1
  remediations: 1, success rate 100%, mean time to resolution 1m30s

acme/web (shadow): would have fixed 2 of 3, asked for 1, left 1 alone, never touched code
  outcomes: rerun_passed 2, rerun_failed 1, nothing_helped 1
  passed again without ccm: 2 of 4, after 2h0m0s on average
  remediations: none yet

all repositories: remediations: 1, success rate 100%, mean time to resolution 1m30s
`
	if diff := cmp.Diff(want, stdout); diff != "" {
		t.Errorf("stats (-want +got):\n%s", diff)
	}

	stdout, stderr, code = runCLI(t, nil, "stats", "--json", "--repo", "ACME/Web")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var got struct {
		Repositories []map[string]any `json:"repositories"`
	}
	if err := json.Unmarshal([]byte(stdout), &got); err != nil || len(got.Repositories) != 1 {
		t.Fatalf("--json --repo ACME/Web = %s (%v), want one repository", stdout, err)
	}
	r := got.Repositories[0]
	for field, want := range map[string]any{
		"repo": "acme/web", "judged": 4.0, "auto": 2.0, "approval": 1.0, "none": 1.0, "would_have_fixed": 2.0,
		"touched_code": 0.0, "resolved": 2.0, "mean_time_to_resolution_seconds": 7200.0, "remediations": 0.0,
		"success_rate": nil, "remediation_mean_time_to_resolution_seconds": 0.0,
		"sentence": "acme/web (shadow): would have fixed 2 of 3, asked for 1, left 1 alone, never touched code",
	} {
		if r[field] != want {
			t.Errorf("JSON %s = %v, want %v", field, r[field], want)
		}
	}
	// No remediation: success_rate is there, null, not a 0 that reads as 0%.
	if rate, ok := r["success_rate"]; !ok || rate != nil {
		t.Errorf("JSON success_rate = %v (present %v) with 0 remediations, want null", rate, ok)
	}
	if diff := cmp.Diff(map[string]any{"rerun_passed": 2.0, "rerun_failed": 1.0, "nothing_helped": 1.0}, r["outcomes"]); diff != "" {
		t.Errorf("JSON outcomes (-want +got):\n%s", diff)
	}

	stdout, _, code = runCLI(t, nil, "stats", "--repo", "acme/new")
	if code != 0 || !strings.HasPrefix(stdout, "acme/new: no shadow decision with an outcome") || strings.Contains(stdout, "(shadow)") {
		t.Errorf("a repository with no outcome yet: exit %d:\n%s", code, stdout)
	}
}

// TestStatsUsage: bad flags and arguments exit 2 before Redis is needed.
func TestStatsUsage(t *testing.T) {
	offline(t)
	for _, args := range [][]string{
		{"stats", "--bogus"},
		{"stats", "acme/web"},
		{"stats", "--repo", "acme"},
		{"stats", "--repo", "acme/web/x"},
		{"stats", "--repo", "/web"},
		{"stats"}, // REDIS_URL unset
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			_, stderr, code := runCLI(t, nil, args...)
			if code != 2 || !strings.Contains(stderr, "stats") {
				t.Errorf("exit %d, want 2 with a message naming stats: %s", code, stderr)
			}
		})
	}
}
