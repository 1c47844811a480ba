package tasks

import (
	"testing"

	"github.com/ccm-ci/ccm/analysis"
	"github.com/ccm-ci/ccm/history"
	"github.com/ccm-ci/ccm/integrations/llm"
)

// TestApplyHistoryNeedsATestFailure: history moves a low-confidence code
// answer to flaky_test only on a log a rule signature read as a test
// failure. A guess from words (no known signature) is not one, nor a log
// with no failure line whose placeholder category the learned guess made
// flaky_test (rules/nofailure.go).
func TestApplyHistoryNeedsATestFailure(t *testing.T) {
	facts := history.Facts{Sightings: 4, OtherCommits: 3, OtherBranches: 3, PassedOnRerun: 1}
	tests := []struct {
		name, excerpt string
		wantCat       analysis.Category
	}{
		{name: "a failing Go test", wantCat: analysis.CategoryFlakyTest,
			excerpt: "--- FAIL: TestCheckoutTotal (0.02s)\n    checkout_test.go:42: total = 99, want 100\nFAIL\nFAIL\tacme/web/checkout\t0.031s\n"},
		{name: "no known signature, a flaky_test guess from words", wantCat: analysis.CategoryCode,
			excerpt: "Run yarn test:e2e\nError: browser session closed while cypress ran checkout.cy.ts\n##[error]Process completed with exit code 1.\n"},
		{name: "no failure line, a flaky_test guess", wantCat: analysis.CategoryCode,
			excerpt: "Run yarn test:e2e\ncypress run --browser chrome\nRunning: checkout.cy.ts (3 of 9)\n  checkout flow\n    adds an item to the cart\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req := llm.Request{Excerpt: tc.excerpt, History: &facts}
			if r := llm.Classify(req); r.Category != analysis.CategoryFlakyTest {
				t.Fatalf("precondition: the rules answer %s (%.120s), want flaky_test", r.Category, r.Reasoning)
			}
			model := analysis.AnalysisResult{Category: analysis.CategoryCode, Confidence: 40, RiskScore: 6, Effort: analysis.EffortMedium,
				Actions: []analysis.Action{{Type: analysis.ActionNone}}, Reasoning: "Looks like a regression.", Source: analysis.SourceLLM}
			got, _ := applyHistory(model, req, false)
			if got.Category != tc.wantCat {
				t.Errorf("after history: %s (%.200s), want %s", got.Category, got.Reasoning, tc.wantCat)
			}
		})
	}
}
