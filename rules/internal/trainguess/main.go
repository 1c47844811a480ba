// Command trainguess trains the rules' learned category guess (the model
// the unknown answer uses when no signature matched, rules/guess.go) and
// writes it as rules/guessmodel.json. It trains on the visible
// labelled sets only, never the sealed ones, on exactly the text ccm
// gives the rules at runtime: excerpt.Extract, rules.InputFromExcerpt,
// then rules.GuessText (the reason and the failing lines). The labeller's
// key_line and label_basis are not features: ccm never has them. The
// signatures' example lines are training documents too (sigdocs.go).
//
// From the repository root:
//
//	go generate ./rules/                  # or: go run ./rules/internal/trainguess -o rules/guessmodel.json
//	go run ./rules/internal/trainguess -cv  # leave-one-set-out cross-validation
//	go run ./rules/internal/trainguess -model-only  # the model-only score of the variants tried (variants.go)
//
// -cv trains on every visible set but one and scores that one, for each set, for
// a grid of choices (context lines, word pairs, where the guess stands
// among the hints, the minimum posterior), and prints the best choices by
// the guess accuracy on the held-out logs no signature matched, then the
// per-set figures, before (hints and the code default) and after, for
// rules' current defaults. The defaults in rules/guess.go are picked from
// this output, and only from it.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/ccm-ci/ccm/analysis"
	"github.com/ccm-ci/ccm/cilogs"
	"github.com/ccm-ci/ccm/excerpt"
	"github.com/ccm-ci/ccm/rules"
	"github.com/ccm-ci/ccm/rules/internal/nb"
)

// Training settings of the committed model. minDocs prunes words seen in
// fewer logs: a word of one log cannot generalize.
const (
	bigrams = true
	stop    = true
	alpha   = 1.0
	minDocs = 2
)

func main() {
	out := flag.String("o", "", "write the model here (rules/guessmodel.json)")
	cv := flag.Bool("cv", false, "print leave-one-set-out cross-validation")
	mo := flag.Bool("model-only", false, "print only the model-only cross-validation of the learners compared")
	flag.Parse()
	if err := run(*out, *cv, *mo, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "trainguess:", err)
		os.Exit(1)
	}
}

func run(out string, cv, modelOnly bool, w io.Writer) error {
	exs, err := examples(visibleSets())
	if err != nil {
		return err
	}
	if _, err := exampleDocs(); err != nil {
		return fmt.Errorf("signature example lines: %w", err)
	}
	if modelOnly {
		modelOnlyCV(exs, setsOf(exs), w, learners())
	}
	if cv {
		crossValidate(exs, w)
	}
	if out != "" {
		if err := os.WriteFile(out, build(exs, rules.GuessContext, rules.GuessLastLines, bigrams, stop, alpha), 0o644); err != nil {
			return fmt.Errorf("write model: %w", err)
		}
	}
	if !cv && !modelOnly && out == "" {
		return fmt.Errorf("nothing to do: pass -o FILE, -cv or -model-only")
	}
	return nil
}

// visibleSets are the training sets. Never the sealed ones: their figures
// are the honest estimate only while nothing was fitted to them
// (TestNoSealed).
func visibleSets() [][]cilogs.Log { return cilogs.Visible() }

// example is one log as the rules see it.
type example struct {
	set, category string
	in            rules.Input
	texts         map[[2]int]string // GuessText by context and last lines
}

var (
	contexts  = []int{0, 1}
	lastLines = []int{0}
)

func examples(sets [][]cilogs.Log) ([]example, error) {
	var out []example
	for _, set := range sets {
		for _, l := range set {
			ex, err := excerpt.Extract(strings.NewReader(l.Log), excerpt.Options{})
			if err != nil {
				return nil, fmt.Errorf("%s: excerpt: %w", l.ID, err)
			}
			e := example{set: l.Set, category: l.Category, in: rules.InputFromExcerpt(ex), texts: map[[2]int]string{}}
			for _, c := range contexts {
				for _, n := range lastLines {
					e.texts[[2]int{c, n}] = rules.GuessText(e.in, c, n)
				}
			}
			out = append(out, e)
		}
	}
	return out, nil
}

// withoutSet is exs less the logs of set: a fold's training data.
func withoutSet(exs []example, set string) []example {
	var out []example
	for _, e := range exs {
		if e.set != set {
			out = append(out, e)
		}
	}
	return out
}

func train(exs []example, context, last int, bi, stop bool, alpha float64) *nb.Model {
	var docs [][]string
	var labels []string
	for _, e := range exs {
		docs = append(docs, nb.Tokenize(e.texts[[2]int{context, last}], bi, stop))
		labels = append(labels, e.category)
	}
	for _, d := range docsFor(exs) {
		docs = append(docs, nb.Tokenize(d.text, bi, stop))
		labels = append(labels, d.category)
	}
	return nb.Train(docs, labels, bi, stop, alpha, minDocs)
}

func build(exs []example, context, last int, bi, stop bool, alpha float64) []byte {
	return train(exs, context, last, bi, stop, alpha).Marshal()
}

// isGuess says a result is the unknown answer (no signature matched).
func isGuess(reasoning string) bool {
	return strings.HasPrefix(reasoning, analysis.UnknownReasoning)
}
