package llm

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ccm-ci/ccm/cilogs"
)

// BenchmarkPromptFixtures reports what the labelled real logs cost in prompt
// tokens (system + user, CountTokens) at the default budget.
func BenchmarkPromptFixtures(b *testing.B) {
	fxs := cilogs.Labelled()
	var tokens []int
	for b.Loop() {
		tokens = tokens[:0]
		for _, fx := range fxs {
			p, err := buildPrompt(fixtureRequest(fx), testRedact, DefaultPromptTokenBudget, "")
			if err != nil {
				b.Fatal(err)
			}
			tokens = append(tokens, p.tokens())
		}
	}
	slices.Sort(tokens)
	b.ReportMetric(float64(tokens[len(tokens)/2]), "median_prompt_tokens")
	b.ReportMetric(float64(tokens[len(tokens)-1]), "max_prompt_tokens")
	b.ReportMetric(float64(tokens[len(tokens)-1])/DefaultPromptTokenBudget, "max/budget")
}

// BenchmarkPromptHugeLog shrinks a 20,000-line log to the budget and
// reports the cost against a baseline measured in the same run: redacting
// and splitting the same log, which any prompt builder must do.
func BenchmarkPromptHugeLog(b *testing.B) {
	log, _ := hugeLog(20000)
	req := baseRequest()
	req.Excerpt = log
	b.SetBytes(int64(len(log)))
	var base, build time.Duration
	for b.Loop() {
		t0 := time.Now()
		_ = strings.Split(testRedact(log), "\n")
		t1 := time.Now()
		if _, err := buildPrompt(req, testRedact, DefaultPromptTokenBudget, ""); err != nil {
			b.Fatal(err)
		}
		base += t1.Sub(t0)
		build += time.Since(t1)
	}
	b.ReportMetric(float64(build)/float64(base), "x_redact+split")
}
