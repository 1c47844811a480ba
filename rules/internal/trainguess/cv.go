package main

import (
	"fmt"
	"io"
	"sort"

	"github.com/ccm-ci/ccm/analysis"
	"github.com/ccm-ci/ccm/rules"
)

// choice is one point of the cross-validation grid.
type choice struct {
	context int
	last    int
	bigrams bool
	stop    bool
	alpha   float64
	order   rules.GuessOrder
	min     float64
	boost   float64
	words   int
}

func (c choice) String() string {
	order := [...]string{"last", "after-family", "first"}[c.order]
	return fmt.Sprintf("context=%-2d last=%d bigrams=%-5v stop=%-5v alpha=%-2g order=%-12s min=%.2f code-boost=%-2g words=%d", c.context, c.last, c.bigrams, c.stop, c.alpha, order, c.min, c.boost, c.words)
}

// The grid. Earlier, wider runs (contexts 2 and -1, 3 last lines without
// a failing line, order first, thresholds 0.8 to 0.99, boosts 8 and 16)
// never came within two logs of the best and were dropped to keep -cv
// quick. A later round (before corpus5; scored the same way, 82 unmatched held-out logs,
// the committed settings 70 right) found nothing 3 or more logs better,
// and kept the model as it was: the failing step's name as features
// ("step_install"; 70, the visible excerpts rarely name the step), the
// words of the last CI command lines ("Run npm ci", "$ make"; 70, 64 of
// the 483 logs have one), 2 or 3 context lines (69, 68), smoothing 0.5
// with a 0.5 posterior floor (71), equal class priors (71), complement
// naive Bayes (68) and an L2 logistic regression (68).
//
// The model-only round (eight visible sets, after corpus6; modelonly.go,
// `trainguess -model-only`): the score above over-rates the hints, written
// from these sets (on the unmatched logs a hint decided: hint 55 right of
// 59, the model alone 45; on corpus4-6, the least tuned on, hint 16 of 20,
// model 17), so each variant was also scored by the model alone on the
// 156 held-out unmatched logs and 35 no-failure ones (191), its category
// when it decides and else the path's default. A change was to be adopted
// only if that total rose by 4% of the scored logs (8, to 123) with the
// hints-first total (109 of 156) not falling and no set falling by more
// than 2. Nothing came near; the committed model stays. Model only /
// hints first:
//
//	committed (binary NB, words and pairs, alpha 1)        115 / 109  (corpus 20 corpus2 10 corpus3 9 corpus4 23 corpus5 29 corpus6 24)
//	tokens: numbers as <num>                               115 / 109
//	tokens: exit codes 124-143 as tokens (<n137>)          115 / 109
//	tokens: URLs, paths, hex ids as class tokens           116 / 108
//	tokens: camelCase/snake_case split into parts          114 / 111
//	tokens: parts added to the whole word                  117 / 111
//	tokens: letters of any script                          115 / 109
//	  ... and character pairs of non-Latin words           115 / 109  (few such logs)
//	tokens: all of the above                               114 / 106
//	tokens: exits, parts added, any script, char pairs     118 / 111
//	TF-IDF weighted NB                                     117 / 108
//	length-normalized NB                                   116 / 106
//	TF-IDF and length-normalized NB                        120 / 113  (corpus4 +1, corpus5 +2, corpus6 +2; the best, +5)
//	  alpha 0.1, 0.3, 0.6, 2                               114, 117, 116, 114 / 106, 110, 108, 108 (120 is a spike, not a plateau)
//	  with parts added, exits                              118, 119 / 110, 110
//	  with class tokens (and parts)                        114 (109) / 103 (104)
//	  with exits, parts, any script, char pairs            115 / 110
//	  reading 0 or 2 neighbour lines                       107, 119 / 101, 110
//	complement NB                                          106 / 104
//	the reason alone as a second training text             118 / 112  (corpus5 -3, corpus6 +5)
//	  with parts added                                     118 / 111
//	  TF-IDF and length-normalized                         112 / 106
//	reading 0 or 2 neighbour lines                         110, 118 / 102, 111
//	L2 logistic regression, lambda 0.01, 0.001, 0.0001     106, 107, 109 / 101, 106, 106
//	  (softmax, binary tokens, 500 full-batch steps of 2.0 from zero)
//
// The order (d): the model first, then the hints (the model's category
// when it decides, else a hint, else code) scores 101 hints-first against
// 109 for the hints first, and the model right after the family hints
// (GuessAfterFamily, the grid) 107; by the model-only score the order
// does not matter (the hints are not read), so GuessLast stays.
//
// Then the signatures' example lines became training documents
// (sigdocs.go), measured once plain-word failure lines had moved 13
// no-failure logs to the unmatched ones (169 unmatched, 22 no-failure):
// model only 116 → 126 of 191, hints first 116 → 119 of 169 (corpus -1,
// corpus4 +1, corpus5 +2, corpus6 +1), adopted. Re-run with them, the variants above moved
// together: TF-IDF and length-normalized NB 130 (alpha 0.6, 2: 129, 131;
// reading 2 neighbour lines 134), the rest 115 to 127. The weighted NB's
// best is the maximum of some thirty noisy variants and +4 to +8 over the
// committed model; not adopted for that (it would change the model's
// format and the runtime's scoring for a gain inside the noise of the
// selection).
//
// Re-run with thirteen visible sets (after corpus10 and corpus11; 332
// held-out unmatched logs): the defaults' guess right for 210, the grid's
// best 216 (code-boost 1, one word), under the 4% (13 logs) a change
// needs; model only 235 of 374. The defaults stay.
//
// Re-run with fifteen visible sets (after corpus12 and corpus13; 368
// held-out unmatched logs): the defaults' guess right for 241, the grid's
// best 247 (bigrams off, one word), under the 4% (15 logs) a change needs;
// model only 263 of 413. The defaults stay.
var (
	gridBigrams = []bool{false, true}
	gridStop    = []bool{true}
	gridAlpha   = []float64{1, 2, 4, 8}
	gridOrder   = []rules.GuessOrder{rules.GuessLast, rules.GuessAfterFamily}
	gridMin     = []float64{0, 0.5, 0.7}
	gridBoost   = []float64{1, 2, 4}
	gridWords   = []int{1, 2}
)

// setScore is one held-out set's figures.
type setScore struct {
	n, right                 int // all logs, category right
	unmatched, guessRight    int // logs no signature matched, their guess right
	beforeRight, beforeGuess int // the same without the learned guess
}

// heldOut is one held-out log's answers without the learned guess:
// whether it is the unknown answer, and whether the category was right.
type heldOut struct {
	unmatched, right bool
}

// setsOf lists the sets of exs in order.
func setsOf(exs []example) []string {
	var sets []string
	seen := map[string]bool{}
	for _, e := range exs {
		if !seen[e.set] {
			seen[e.set] = true
			sets = append(sets, e.set)
		}
	}
	return sets
}

func crossValidate(exs []example, w io.Writer) {
	sets := setsOf(exs)
	// Without the learned guess, once: matched logs' answers do not
	// depend on it.
	base := make([]heldOut, len(exs))
	for i, e := range exs {
		r := rules.ClassifyGuessing(e.in, rules.GuessConfig{})
		base[i] = heldOut{unmatched: isGuess(r.Reasoning), right: r.Category == analysis.Category(e.category)}
	}
	var grid []choice
	for _, ctx := range contexts {
		for _, last := range lastLines {
			for _, bi := range gridBigrams {
				for _, st := range gridStop {
					for _, a := range gridAlpha {
						for _, o := range gridOrder {
							for _, m := range gridMin {
								for _, b := range gridBoost {
									for _, k := range gridWords {
										grid = append(grid, choice{ctx, last, bi, st, a, o, m, b, k})
									}
								}
							}
						}
					}
				}
			}
		}
	}
	type scored struct {
		c      choice
		per    map[string]setScore
		guessR int
	}
	var all []scored
	type key struct {
		set           string
		context, last int
		bi, st        bool
		alpha         float64
	}
	models := map[key]rules.GuessConfig{}
	for _, s := range sets {
		trainOn := withoutSet(exs, s)
		for _, c := range grid {
			k := key{s, c.context, c.last, c.bigrams, c.stop, c.alpha}
			if _, ok := models[k]; !ok {
				models[k] = rules.GuessConfig{Model: train(trainOn, c.context, c.last, c.bigrams, c.stop, c.alpha), Context: c.context, LastLines: c.last}
			}
		}
	}
	for _, c := range grid {
		sc := scored{c: c, per: map[string]setScore{}}
		for _, s := range sets {
			g := models[key{s, c.context, c.last, c.bigrams, c.stop, c.alpha}]
			g.Order, g.MinPosterior, g.CodeBoost, g.MinWords = c.order, c.min, c.boost, c.words
			var ss setScore
			for i, e := range exs {
				if e.set != s {
					continue
				}
				ss.n++
				if base[i].right {
					ss.beforeRight++
				}
				if !base[i].unmatched {
					if base[i].right {
						ss.right++
					}
					continue
				}
				ss.unmatched++
				if base[i].right {
					ss.beforeGuess++
				}
				if rules.ClassifyGuessing(e.in, g).Category == analysis.Category(e.category) {
					ss.guessRight++
					ss.right++
				}
			}
			sc.per[s] = ss
			sc.guessR += ss.guessRight
		}
		all = append(all, sc)
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].guessR > all[j].guessR })
	fmt.Fprintln(w, "leave-one-set-out, guess right on held-out unmatched logs (all sets):")
	for _, sc := range all {
		fmt.Fprintf(w, "  %s  %3d  (", sc.c, sc.guessR)
		for _, s := range sets {
			fmt.Fprintf(w, " %s %d", s, sc.per[s].guessRight)
		}
		fmt.Fprintln(w, " )")
	}
	def := choice{rules.GuessContext, rules.GuessLastLines, bigrams, stop, alpha, rules.DefaultGuessOrder, rules.DefaultGuessMinPosterior, rules.DefaultGuessCodeBoost, rules.DefaultGuessMinWords}
	for _, sc := range all {
		if sc.c != def {
			continue
		}
		fmt.Fprintf(w, "\nrules' defaults (%s), per held-out set, before → after:\n", def)
		var t setScore
		for _, s := range sets {
			ss := sc.per[s]
			fmt.Fprintf(w, "  %-9s unmatched guess %3d/%-3d → %3d/%-3d   category %3d/%-3d → %3d/%-3d\n", s, ss.beforeGuess, ss.unmatched, ss.guessRight, ss.unmatched, ss.beforeRight, ss.n, ss.right, ss.n)
			t.n += ss.n
			t.right += ss.right
			t.unmatched += ss.unmatched
			t.guessRight += ss.guessRight
			t.beforeRight += ss.beforeRight
			t.beforeGuess += ss.beforeGuess
		}
		fmt.Fprintf(w, "  %-9s unmatched guess %3d/%-3d → %3d/%-3d   category %3d/%-3d → %3d/%-3d\n", "all", t.beforeGuess, t.unmatched, t.guessRight, t.unmatched, t.beforeRight, t.n, t.right, t.n)
	}
	modelOnlyCV(exs, sets, w, []learner{committed()})
	overrideCV(exs, sets, w)
	noFailureCV(exs, sets, w)
}
