package llm

import (
	"slices"
	"strings"
	"testing"

	"github.com/ccm-ci/ccm/cilogs"
)

func fixtureRequest(fx cilogs.Log) Request {
	return Request{
		FailureID: "fixtures/" + fx.ID + "#1.1", Repo: "fixtures/" + fx.ID, Workflow: "CI",
		Job: "build", FailingStep: "Run build", Branch: "main", Excerpt: fx.Log,
	}
}

// TestPromptTokensOverFixtures measures what the real logs cost against the
// budget, and how often the labelled root-cause line survives a squeeze.
func TestPromptTokensOverFixtures(t *testing.T) {
	fxs := cilogs.Labelled()
	var full []int
	for _, fx := range fxs {
		p, err := buildPrompt(fixtureRequest(fx), testRedact, DefaultPromptTokenBudget, "")
		if err != nil {
			t.Fatalf("%s: %v", fx.ID, err)
		}
		if p.tokens() > DefaultPromptTokenBudget {
			t.Errorf("%s: %d tokens over budget %d", fx.ID, p.tokens(), DefaultPromptTokenBudget)
		}
		full = append(full, p.tokens())
	}
	slices.Sort(full)
	t.Logf("budget %d: %d fixtures, prompt tokens median %d, max %d", DefaultPromptTokenBudget, len(full), full[len(full)/2], full[len(full)-1])

	// Squeeze: give each log half of what it needs.
	kept, squeezed := 0, 0
	for _, fx := range fxs {
		whole, err := buildPrompt(fixtureRequest(fx), testRedact, 1<<20, "")
		if err != nil {
			t.Fatal(err)
		}
		logTokens := whole.tokens() - CountTokens(whole.system) - CountTokens(whole.frame(userHeader(fixtureRequest(fx), "", testRedact), nil, 0))
		budget := whole.tokens() - logTokens/2
		p, err := buildPrompt(fixtureRequest(fx), testRedact, budget, "")
		if err != nil {
			t.Fatalf("%s: %v", fx.ID, err)
		}
		if p.tokens() > budget {
			t.Errorf("%s: %d tokens over budget %d", fx.ID, p.tokens(), budget)
		}
		if p.cutLines == 0 {
			continue
		}
		squeezed++
		if strings.Contains(p.user, normalizeKey(fx.KeyLine)) {
			kept++
		} else {
			t.Logf("%s: key line lost at half budget", fx.ID)
		}
	}
	t.Logf("half budget: key line kept in %d of %d squeezed logs", kept, squeezed)
}

func normalizeKey(s string) string { return strings.TrimRight(s, "\r") }
