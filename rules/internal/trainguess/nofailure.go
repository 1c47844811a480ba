package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/ccm-ci/ccm/analysis"
	"github.com/ccm-ci/ccm/rules"
)

// noFailureLines is the grid for the no-failure answer's guess: how many
// of a log's last lines the model reads when no line of it reads as a
// failure (0: the infrastructure placeholder, no guess).
var noFailureLines = []int{0, 3, 5, 10, 20, 40}

// noFailureCV scores, leave one set out, the no-failure answer's
// category with the model reading the log's last lines: the labelled logs
// all failed, so a log ccm found no failure line in is one whose failure
// line it missed, and its category is worth a guess.
func noFailureCV(exs []example, sets []string, w io.Writer) {
	fmt.Fprintln(w, "\nleave-one-set-out, no-failure answers (no failure line found), category right by last lines read:")
	total := make([]int, len(noFailureLines))
	n := 0
	for _, s := range sets {
		trainOn := withoutSet(exs, s)
		m := train(trainOn, rules.GuessContext, rules.GuessLastLines, bigrams, stop, alpha)
		right := make([]int, len(noFailureLines))
		sn := 0
		for _, e := range exs {
			if e.set != s {
				continue
			}
			if !strings.HasPrefix(rules.ClassifyGuessing(e.in, rules.GuessConfig{}).Reasoning, analysis.NoFailureReasoning) {
				continue
			}
			sn++
			for i, k := range noFailureLines {
				g := rules.GuessConfig{Model: m, Context: rules.GuessContext, LastLines: rules.GuessLastLines, Order: rules.DefaultGuessOrder,
					MinPosterior: rules.DefaultGuessMinPosterior, CodeBoost: rules.DefaultGuessCodeBoost, MinWords: rules.DefaultGuessMinWords, NoFailureLines: k}
				if rules.ClassifyGuessing(e.in, g).Category == analysis.Category(e.category) {
					right[i]++
				}
			}
		}
		n += sn
		fmt.Fprintf(w, "  %-9s %3d logs:", s, sn)
		for i, k := range noFailureLines {
			fmt.Fprintf(w, "  last %-2d %3d", k, right[i])
			total[i] += right[i]
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "  %-9s %3d logs:", "all", n)
	for i, k := range noFailureLines {
		fmt.Fprintf(w, "  last %-2d %3d", k, total[i])
	}
	fmt.Fprintln(w)
}
