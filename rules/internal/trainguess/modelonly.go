package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/ccm-ci/ccm/analysis"
	"github.com/ccm-ci/ccm/rules"
	"github.com/ccm-ci/ccm/rules/internal/nb"
)

// The model-only score. The -cv guess score above counts the unknown
// answer as Classify gives it, hints first; the hints were written from
// these very sets, so they look right on every held-out set and the score
// over-rates them (on fresh logs the learned guess was right for about
// half of the unmatched logs it decided, the hints far less than their
// visible-set figures). modelOnlyCV scores the model alone: for every
// held-out log no signature matched (the unknown answer) and every
// no-failure answer, the learned path's own answer, hints ignored: the
// model's category when it decides (as rules' learnedGuess: enough words,
// not code), else that path's default (code; infrastructure for a
// no-failure log), against the label. "decided" counts the logs the model
// named a category for and how many of those were right.

// learner is one way to learn the guess, for comparing variants by the
// same folds: tokens from a text, a model from labelled token lists.
type learner struct {
	name     string
	tokenize func(string) []string
	// extra returns more training texts for a log (its reason alone, ...).
	extra func(e example) []string
	fit   func(docs [][]string, labels []string) predictor
	// context, when not nil, is the failing lines' neighbours read
	// (training and unmatched logs) instead of rules.GuessContext.
	context *int
}

// predictor names a category, its posterior and how many words spoke for
// it (nb.Guess's Words).
type predictor interface {
	predict(toks []string) nb.Guess
}

type nbPredictor struct{ m *nb.Model }

func (p nbPredictor) predict(toks []string) nb.Guess {
	return p.m.Predict(toks, map[string]float64{string(analysis.CategoryCode): rules.DefaultGuessCodeBoost})
}

// committed is the learner the committed model is trained with.
func committed() learner {
	return learner{
		name:     "committed (binary NB, words+pairs)",
		tokenize: func(s string) []string { return nb.Tokenize(s, bigrams, stop) },
		fit: func(docs [][]string, labels []string) predictor {
			return nbPredictor{nb.Train(docs, labels, bigrams, stop, alpha, minDocs)}
		},
	}
}

// decides applies learnedGuess's conditions to a prediction.
func decides(g nb.Guess) bool {
	return g.Posterior >= rules.DefaultGuessMinPosterior && len(g.Words) > 0 && len(g.Words) >= rules.DefaultGuessMinWords && g.Class != string(analysis.CategoryCode)
}

// moScore is one held-out set's model-only and Classify-order figures.
type moScore struct {
	unmatched, nofail     int // logs scored
	modelRight, modelNF   int // model only right, unmatched and no-failure
	decided, decidedRight int // the model named a category (both kinds)
	orderRight            int // unmatched, hints first then the model (the -cv guess score)
	// The unmatched logs a hint decided: the hint right, the model alone
	// right; and model first (its category when it decides, else the
	// hint, else code).
	hinted, hintRight, modelOnHinted, modelFirst int
	// No-failure logs that report success, model only right: Classify
	// keeps the placeholder for them and does not ask the model.
	nfSuccessRight int
}

// moKind says which held-out logs the model-only score reads, and what
// the learned path reads of them.
func moKind(e example) (text string, nofail, ok bool) {
	r := rules.ClassifyGuessing(e.in, rules.GuessConfig{})
	switch {
	case isGuess(r.Reasoning):
		return e.texts[[2]int{rules.GuessContext, rules.GuessLastLines}], false, true
	case strings.HasPrefix(r.Reasoning, analysis.NoFailureReasoning):
		return rules.GuessText(e.in, rules.GuessLastOnly, rules.DefaultNoFailureLines), true, true
	}
	return "", false, false
}

// scoreLearner runs the folds for one learner.
func scoreLearner(exs []example, sets []string, l learner) map[string]moScore {
	type prep struct {
		text      string
		nofail    bool
		hint      bool // a hint decided Classify's unknown answer
		hintRight bool
		success   bool // a no-failure log that reports success
		// rerun: a no-failure log whose tests passed only when run again,
		// which the no-failure answer calls flaky_test whatever the model
		// says (nofailure.go).
		rerun bool
	}
	preps := make([]*prep, len(exs))
	for i, e := range exs {
		if t, nf, ok := moKind(e); ok {
			if !nf {
				t = l.text(e)
			}
			r := rules.ClassifyGuessing(e.in, rules.GuessConfig{})
			preps[i] = &prep{text: t, nofail: nf, hint: strings.Contains(r.Reasoning, ", from a hint: "), hintRight: r.Category == analysis.Category(e.category),
				success: strings.Contains(r.Reasoning, successSays), rerun: nf && r.Category == analysis.CategoryFlakyTest}
		}
	}
	out := map[string]moScore{}
	for _, s := range sets {
		var docs [][]string
		var labels []string
		var trainOn []example
		for _, e := range exs {
			if e.set == s {
				continue
			}
			trainOn = append(trainOn, e)
			docs = append(docs, l.tokenize(l.text(e)))
			labels = append(labels, e.category)
			if l.extra != nil {
				for _, t := range l.extra(e) {
					docs = append(docs, l.tokenize(t))
					labels = append(labels, e.category)
				}
			}
		}
		// As the committed trainer does (sigdocs.go): the signatures'
		// example lines, less those of the held-out set's logs.
		for _, d := range docsFor(trainOn) {
			docs = append(docs, l.tokenize(d.text))
			labels = append(labels, d.category)
		}
		p := l.fit(docs, labels)
		var sc moScore
		for i, e := range exs {
			if e.set != s || preps[i] == nil {
				continue
			}
			pr := preps[i]
			g := p.predict(l.tokenize(pr.text))
			ans := analysis.CategoryCode
			if pr.nofail {
				ans = analysis.CategoryInfrastructure
			}
			switch {
			case pr.rerun:
				ans = analysis.CategoryFlakyTest
			case decides(g):
				ans = analysis.Category(g.Class)
				sc.decided++
				if ans == analysis.Category(e.category) {
					sc.decidedRight++
				}
			}
			right := ans == analysis.Category(e.category)
			if pr.nofail {
				sc.nofail++
				if right {
					sc.modelNF++
					if pr.success {
						sc.nfSuccessRight++
					}
				}
				continue
			}
			sc.unmatched++
			if right {
				sc.modelRight++
			}
			if pr.hint && pr.hintRight || !pr.hint && right {
				sc.orderRight++
			}
			if pr.hint {
				sc.hinted++
				if pr.hintRight {
					sc.hintRight++
				}
				if right {
					sc.modelOnHinted++
				}
			}
			if decides(g) && right || !decides(g) && (pr.hint && pr.hintRight || !pr.hint && right) {
				sc.modelFirst++
			}
		}
		out[s] = sc
	}
	return out
}

// modelOnlyCV prints the model-only score per held-out set and in total
// for each learner, with the hints-first score for the same learner.
func modelOnlyCV(exs []example, sets []string, w io.Writer, ls []learner) {
	fmt.Fprintln(w, "\nleave-one-set-out, model only (hints ignored): unmatched right, no-failure right, total; decided right/decided; hints first then model (the guess score above):")
	for _, l := range ls {
		per := scoreLearner(exs, sets, l)
		fmt.Fprintf(w, "  %s\n", l.name)
		var t moScore
		for _, s := range append(sets, "all") {
			sc := per[s]
			if s == "all" {
				sc = t
			}
			fmt.Fprintf(w, "    %-9s unmatched %3d/%-3d  no-failure %3d/%-3d  model only %3d/%-3d  decided %3d/%-3d  hints+model %3d/%-3d  hinted: hint %3d model %3d of %3d  model first %3d\n", s,
				sc.modelRight, sc.unmatched, sc.modelNF, sc.nofail, sc.modelRight+sc.modelNF, sc.unmatched+sc.nofail, sc.decidedRight, sc.decided, sc.orderRight, sc.unmatched,
				sc.hintRight, sc.modelOnHinted, sc.hinted, sc.modelFirst)
			t.unmatched += sc.unmatched
			t.nofail += sc.nofail
			t.modelRight += sc.modelRight
			t.modelNF += sc.modelNF
			t.decided += sc.decided
			t.decidedRight += sc.decidedRight
			t.orderRight += sc.orderRight
			t.hinted += sc.hinted
			t.hintRight += sc.hintRight
			t.modelOnHinted += sc.modelOnHinted
			t.modelFirst += sc.modelFirst
		}
	}
}

// text is what l trains on and reads of an unmatched log.
func (l learner) text(e example) string {
	if l.context == nil {
		return e.texts[[2]int{rules.GuessContext, rules.GuessLastLines}]
	}
	return rules.GuessText(e.in, *l.context, rules.GuessLastLines)
}

// successSays is in the no-failure answer of a log that reports success
// or passing tests (nofailure.go), which keeps its placeholder.
const successSays = "The log reports "
