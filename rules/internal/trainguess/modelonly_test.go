package main

import (
	"slices"
	"strings"
	"testing"

	"github.com/ccm-ci/ccm/analysis"
	"github.com/ccm-ci/ccm/rules"
	"github.com/ccm-ci/ccm/rules/internal/nb"
)

// TestModelOnlyMatchesClassify: the model-only score reimplements when
// the learned guess decides (decides) and which held-out logs it reads;
// its hints-first count must be what Classify itself answers with the
// same fold's model, set by set, and its no-failure count what the
// no-failure answer gives. A drift in either would make the model-only
// figures score a model rules does not run. The four newest sets' folds
// are checked: a drift shows in any fold, and all thirteen cost CI a
// minute under -race.
func TestModelOnlyMatchesClassify(t *testing.T) {
	exs, err := trainingExamples()
	if err != nil {
		t.Fatal(err)
	}
	sets := setsOf(exs)
	sets = sets[max(0, len(sets)-4):]
	got := scoreLearner(exs, sets, committed())
	weighted := committed()
	weighted.fit = fitWNB(wnbOpts{})
	plain := scoreLearner(exs, sets, weighted)
	for _, s := range sets {
		trainOn := withoutSet(exs, s)
		g := rules.GuessConfig{Model: train(trainOn, rules.GuessContext, rules.GuessLastLines, bigrams, stop, alpha), Context: rules.GuessContext, LastLines: rules.GuessLastLines,
			Order: rules.DefaultGuessOrder, MinPosterior: rules.DefaultGuessMinPosterior, CodeBoost: rules.DefaultGuessCodeBoost, MinWords: rules.DefaultGuessMinWords, NoFailureLines: rules.DefaultNoFailureLines}
		var unmatched, nofail int
		for _, e := range exs {
			if e.set != s {
				continue
			}
			base := rules.ClassifyGuessing(e.in, rules.GuessConfig{}).Reasoning
			r := rules.ClassifyGuessing(e.in, g)
			right := r.Category == analysis.Category(e.category)
			switch {
			case isGuess(base) && right:
				unmatched++
			case strings.HasPrefix(base, analysis.NoFailureReasoning) && right && !strings.Contains(r.Reasoning, successSays):
				nofail++
			}
		}
		if got[s].orderRight != unmatched {
			t.Errorf("%s: model-only's hints-first count %d, Classify %d", s, got[s].orderRight, unmatched)
		}
		if got[s].modelNF-got[s].nfSuccessRight != nofail {
			t.Errorf("%s: model-only's no-failure count %d, Classify %d", s, got[s].modelNF, nofail)
		}
		// The same model in float arithmetic: a log or two may fall the
		// other way where words tie (the signatures' thousand one-line
		// documents tie many counts), no more.
		if d := plain[s].modelRight - got[s].modelRight; d < -1 || d > 1 || plain[s].unmatched != got[s].unmatched || plain[s].nofail != got[s].nofail {
			t.Errorf("%s: the weighted NB with no weights scores %+v, nb %+v", s, plain[s], got[s])
		}
	}
}

// TestTokenizeVPlain: with no option the variant tokenizer is nb's, so a
// variant's figures differ from the committed ones by its option alone.
func TestTokenizeVPlain(t *testing.T) {
	for _, text := range []string{
		"",
		"Error: Cannot find module 'left-pad' at /home/runner/work/x/y.go:12",
		"FAILED tests/test_x.py::test_y - AssertionError: assert 1 == 2\nsha256:9f3cdeadbeef not found",
		"npm ERR! code ELIFECYCLE\nProcess exited with 137 (SIGKILL)",
		"Fehler: Datei nicht gefunden — 找不到文件 ÄÖÜ",
		"NullPointerException in getUserName_for_id",
	} {
		if got, want := tokenizeV(text, tokOpts{}), nb.Tokenize(text, bigrams, stop); !slices.Equal(got, want) {
			t.Errorf("tokenizeV(%q) = %q, nb.Tokenize %q", text, got, want)
		}
	}
}
