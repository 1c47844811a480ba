package llm

import (
	"bufio"
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"
)

// fixture is one labelled real CI log (copied from shared/fixtures).
type fixture struct {
	ID       string `json:"id"`
	Category string `json:"category"`
	KeyLine  string `json:"key_line"`
	Log      string `json:"log"`
}

func loadFixtures(t testing.TB) []fixture {
	t.Helper()
	f, err := os.Open("testdata/labelled.jsonl")
	if err != nil {
		t.Fatalf("open fixtures: %v", err)
	}
	defer f.Close()
	var out []fixture
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 1<<20), 16<<20)
	for sc.Scan() {
		var fx fixture
		if err := json.Unmarshal(sc.Bytes(), &fx); err != nil {
			t.Fatalf("decode fixture: %v", err)
		}
		out = append(out, fx)
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("read fixtures: %v", err)
	}
	return out
}

func fixtureRequest(fx fixture) Request {
	return Request{
		FailureID: "fixtures/" + fx.ID + "#1.1", Repo: "fixtures/" + fx.ID, Workflow: "CI",
		Job: "build", FailingStep: "Run build", Branch: "main", Excerpt: fx.Log,
	}
}

// TestPromptTokensOverFixtures measures what the real logs cost against the
// budget, and how often the labelled root-cause line survives a squeeze.
func TestPromptTokensOverFixtures(t *testing.T) {
	fxs := loadFixtures(t)
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
