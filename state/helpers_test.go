package state_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/ccm-ci/ccm/analysis"
	"github.com/ccm-ci/ccm/state"
	"github.com/ccm-ci/ccm/state/statetest"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// backend opens a store on one Redis implementation.
type backend func(t testing.TB, opt state.Options) *statetest.Env

// t0 is the suite's reference time (nanoseconds on purpose: they must survive).
var t0 = time.Date(2025, 3, 14, 9, 26, 53, 589793238, time.UTC)

// cmpOpts compare records and entries by instant, not by location or
// monotonic reading, and treat nil and empty alike.
var cmpOpts = []cmp.Option{cmpopts.EquateApproxTime(0), cmpopts.EquateEmpty()}

// ignoreID skips the stream ID Redis assigns.
var ignoreID = cmpopts.IgnoreFields(state.AuditEntry{}, "ID")

func failure(repo string, run int64, detected time.Time) state.FailureRecord {
	return state.FailureRecord{
		ID:         fmt.Sprintf("%s#%d.1", repo, run),
		Repo:       repo,
		RunID:      run,
		RunAttempt: 1,
		RunURL:     fmt.Sprintf("https://github.com/%s/actions/runs/%d", repo, run),
		Workflow:   "ci",
		Event:      "push",
		Branch:     "main",
		CommitSHA:  "0123456789abcdef0123456789abcdef01234567",
		Actor:      "octocat",
		FailedJobs: []state.FailedJob{{
			ID: run*10 + 1, Name: "test", Conclusion: "failure", FailedSteps: []string{"go test"},
		}},
		FailureReason: "exit status 1",
		LogExcerpt:    "--- FAIL: TestX (0.00s)",
		Fingerprint:   fmt.Sprintf("fp-%d", run%3),
		Status:        state.StatusDetected,
		RunStartedAt:  detected.Add(-5 * time.Minute),
		RunUpdatedAt:  detected.Add(-time.Minute),
		DetectedAt:    detected,
		UpdatedAt:     detected,
	}
}

func newAnalysis(cat analysis.Category, risk int) analysis.AnalysisResult {
	return analysis.AnalysisResult{
		Category:           cat,
		RiskScore:          risk,
		Confidence:         80,
		Effort:             analysis.EffortLow,
		ProposedFix:        "Re-run the failed jobs.",
		Actions:            []analysis.Action{{Type: analysis.ActionRerunFailedJobs}},
		AffectedComponents: []string{"ci/test"},
		Reasoning:          "The test timed out talking to the registry.",
		Source:             analysis.SourceRules,
		CreatedAt:          t0,
	}
}

func event(action string) state.AuditEntry {
	return state.AuditEntry{Actor: "ccm", ActionType: action, Outcome: state.OutcomeSuccess}
}

// tb is what helpers need; both *testing.T and *rapid.T have it.
type tb interface {
	Helper()
	Fatalf(format string, args ...any)
}

// auditAll returns every audit entry, newest first.
func auditAll(t tb, s *state.Store) []state.AuditEntry {
	t.Helper()
	es, err := s.QueryAudit(context.Background(), state.AuditQuery{Limit: state.MaxLimit})
	if err != nil {
		t.Fatalf("QueryAudit: %v", err)
	}
	return es
}

func mustCreate(t tb, s *state.Store, rec state.FailureRecord) {
	t.Helper()
	created, err := s.CreateFailure(context.Background(), rec, event(state.ActionDetection))
	if err != nil || !created {
		t.Fatalf("CreateFailure(%s) = %v, %v; want true, nil", rec.ID, created, err)
	}
}

func ptr[T any](v T) *T { return &v }
