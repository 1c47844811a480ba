package rules

import (
	"strings"
	"testing"

	"github.com/ccm-ci/ccm/analysis"
	"github.com/ccm-ci/ccm/rules/internal/nb"
)

// TestLoadGuess: a model loads only when it is readable and every class it
// may answer is a category (its answer becomes the result's category).
func TestLoadGuess(t *testing.T) {
	model := func(labels ...string) []byte {
		var toks [][]string
		for range labels {
			toks = append(toks, nb.Tokenize("runner lost communication", true, true))
		}
		return nb.Train(toks, labels, true, true, 1, 1).Marshal()
	}
	tests := []struct {
		name    string
		data    []byte
		wantErr string
	}{
		{name: "committed", data: guessModelJSON},
		{name: "categories", data: model("infrastructure", "code")},
		{name: "not JSON", data: []byte("{"), wantErr: "guessmodel.json"},
		{name: "a class that is no category", data: model("infrastructure", "banana"), wantErr: `class "banana"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g, err := loadGuess(tc.data)
			switch {
			case tc.wantErr == "" && (err != nil || g.Model == nil):
				t.Fatalf("loadGuess: %v, model %v; want a model", err, g.Model != nil)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Fatalf("loadGuess error %v, want one naming %s", err, tc.wantErr)
			case tc.wantErr != "" && g.Model != nil:
				t.Fatalf("loadGuess failed but returned a model")
			}
		})
	}
	if defaultGuess().Model == nil {
		t.Error("the committed model did not load: Classify runs without the learned guess")
	}
}

// TestClassifyGuessFaultIsRecovered: a fault while the learned guess is
// loaded is inside Classify's recovered scope; the answer is the unknown
// one, valid, below the gate's confidence.
func TestClassifyGuessFaultIsRecovered(t *testing.T) {
	got := classify(Input{Text: "error: boom"}, func() GuessConfig { panic("model broken") })
	if err := got.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	if got.Category != analysis.CategoryCode || got.Confidence >= gateMinConfidence || !strings.Contains(got.Reasoning, "model broken") {
		t.Errorf("got %s %d %q; want the unknown answer naming the fault", got.Category, got.Confidence, got.Reasoning)
	}
}
