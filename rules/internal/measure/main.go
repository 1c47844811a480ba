// Command measure scores the rules on labelled logs the way ccm runs them
// (`ccm analyze --rules-only`): the excerpt ccm builds, its reason line,
// then the rules' category. It reads files in cilogs' JSON Lines format
// and prints, per file, category accuracy (overall, per labelled
// category, and the confusions), and how often the reason carries the
// labelled key line. A new set of logs is measured with it before any
// rule changes for it: that first figure is the honest estimate.
//
// From the repository root:
//
//	go run ./rules/internal/measure [-v] new-logs.jsonl…
//	go run ./rules/internal/measure -sets      # the embedded sets
//	go run ./rules/internal/measure -sealed    # the sealed sets: totals only
//	OPENAI_API_KEY=… go run ./rules/internal/measure -model -sealed -sets
//
// -model measures the analyzer ccm is configured with from the environment
// instead of the rules alone (model.go): the same record, request and
// fallback chain as `ccm analyze`.
//
// -v lists every miss with what the rules answered, never the sealed
// set's: its figure stays honest only while nobody reads its misses.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/ccm-ci/ccm/analysis"
	"github.com/ccm-ci/ccm/cilogs"
	"github.com/ccm-ci/ccm/excerpt"
	"github.com/ccm-ci/ccm/excerpt/keyline"
	"github.com/ccm-ci/ccm/rules"
)

func main() {
	verbose := flag.Bool("v", false, "list every miss of the visible sets and files, with what was answered")
	sets := flag.Bool("sets", false, "also measure the embedded visible sets (labelled, extra, corpus, corpus2…)")
	sealed := flag.Bool("sealed", false, "also measure the sealed sets, totals only")
	bySig := flag.Bool("signatures", false, "with -sets or files, rules only: how often each deciding signature's category was right")
	model := flag.Bool("model", false, "measure the model configured by OPENAI_API_KEY, OPENAI_BASE_URL and OPENAI_MODEL, as ccm analyze runs it")
	parallel := flag.Int("parallel", 4, "with -model: how many logs are analysed at once")
	configPath := flag.String("config", "", "with -model: the config `file` ccm analyze would read (default $CCM_CONFIG; unset: the defaults)")
	flag.Usage = func() {
		fmt.Fprint(flag.CommandLine.Output(), `measure scores ccm's analysis on labelled logs (cilogs' JSON Lines format):
how often the category is right, and how often failure_reason carries the
line a maintainer pointed at. Rules only (as ccm analyze --rules-only),
unless -model.

Usage: go run ./rules/internal/measure [flags] [file.jsonl…]

`)
		flag.PrintDefaults()
	}
	flag.Parse()
	if err := checkFlags(*bySig, *model, *sets || flag.NArg() > 0); err != nil {
		fmt.Fprintln(os.Stderr, "measure:", err)
		os.Exit(2)
	}
	ans := rulesAnswer
	if *model {
		var err error
		if ans, err = modelFromEnv(*configPath, *parallel); err != nil {
			fmt.Fprintln(os.Stderr, "measure:", err)
			os.Exit(2)
		}
		fmt.Printf("analyzer: %s\n", ans.name)
	}
	if *sealed {
		for _, s := range namedSets(cilogs.SealedSets()) {
			r, err := measure(s.logs, ans)
			if err != nil {
				fmt.Fprintln(os.Stderr, "measure:", err)
				os.Exit(1)
			}
			r.printTotals(os.Stdout, s.name)
		}
		if !*sets && flag.NArg() == 0 {
			return
		}
	}
	if err := run(flag.Args(), *sets, *verbose, *bySig, ans, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "measure:", err)
		if errors.Is(err, errNothing) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}

// checkFlags refuses what would print nothing or the wrong thing: the
// signature table reads the rules' verdicts, and only on logs whose
// misses may be read (never the sealed sets alone).
func checkFlags(bySig, model, visible bool) error {
	switch {
	case bySig && model:
		return fmt.Errorf("-signatures tallies the rules' deciding signatures: not with -model")
	case bySig && !visible:
		return fmt.Errorf("-signatures needs -sets or files (the sealed sets are measured in aggregate only)")
	}
	return nil
}

// errNothing is a usage error: no set was named.
var errNothing = errors.New("nothing to measure: name JSON Lines files or pass -sets or -sealed")

type named struct {
	name string
	logs []cilogs.Log
}

// namedSets names each set by its logs' Set (every set has logs:
// cilogs.TestCounts).
func namedSets(sets [][]cilogs.Log) []named {
	var out []named
	for i, logs := range sets {
		n := named{fmt.Sprintf("set %d", i+1), logs}
		if len(logs) > 0 {
			n.name = logs[0].Set
		}
		out = append(out, n)
	}
	return out
}

func run(files []string, sets, verbose, bySig bool, ans answerer, out io.Writer) error {
	var all []named
	if sets {
		all = namedSets(cilogs.Visible())
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		logs, err := cilogs.Parse(filepath.Base(f), data)
		if err != nil {
			return fmt.Errorf("%s: %w", f, err)
		}
		all = append(all, named{f, logs})
	}
	if len(all) == 0 {
		return errNothing
	}
	for _, s := range all {
		r, err := measure(s.logs, ans)
		if err != nil {
			return fmt.Errorf("%s: %w", s.name, err)
		}
		r.print(out, s.name, verbose)
	}
	if bySig {
		var logs []cilogs.Log
		for _, s := range all {
			logs = append(logs, s.logs...)
		}
		return printBySignature(out, logs)
	}
	return nil
}

// miss is one log the rules got wrong (category or reason).
type miss struct {
	id, want, got, reason, keyLine string
	confidence                     int
	catOK, reasonOK                bool
}

type result struct {
	n, catRight, reasonRight int
	// guesses counts the unknown and no-failure answers (no signature
	// matched), guessRight those whose category guess was right: totals
	// that say whether the gap is coverage or wrong verdicts.
	guesses, guessRight int
	right, total        map[string]int
	// bySource splits the guesses by what decided them (a hint, the
	// learned model, the code default, the no-failure answer): which of
	// them carries over to fresh logs. Printed for visible sets only.
	bySource, sourceRight map[string]int
	confusions            map[string]int // "want→got"
	// fellBack counts the logs the model was asked about and the rules
	// answered (an error, a rejected answer): with -model, a figure
	// that is partly the rules'.
	fellBack int
	// firstFallback is why the model did not answer the first log it
	// did not: what to fix before measuring again.
	firstFallback string
	// model says a model answered (-model): the guess counts are then
	// only its fallbacks', and are not printed.
	model  bool
	misses []miss
}

// answerer answers every log of a set, in order: the rules (rulesAnswer)
// or the configured model (modelAnswerer).
type answerer struct {
	name  string
	model bool
	all   func([]cilogs.Log) ([]answer, error)
}

// answer is what ccm shows for one log: the reason line and the analysis.
type answer struct {
	reason string
	got    analysis.AnalysisResult
	// fellBack is why the rules answered when the model was asked ("" when
	// it answered).
	fellBack string
}

// rulesAnswer classifies each log as ccm feeds the rules: the excerpt's
// text, reason and failing step, the same input `ccm analyze --rules-only`
// builds.
var rulesAnswer = answerer{name: "rules", all: func(logs []cilogs.Log) ([]answer, error) {
	out := make([]answer, len(logs))
	for i, l := range logs {
		ex, err := excerpt.Extract(strings.NewReader(l.Log), excerpt.Options{})
		if err != nil {
			return nil, fmt.Errorf("%s: %w", l.ID, err)
		}
		// ccm shows rules.Reason and hands it to the analyzer as the reason
		// (tasks.LogRecord, tasks.RequestFor), as InputFromExcerpt does:
		// score and classify the same.
		in := rules.InputFromExcerpt(ex)
		out[i] = answer{reason: in.Reason, got: rules.Classify(in)}
	}
	return out, nil
}}

// measure scores ans's answers against the labels.
func measure(logs []cilogs.Log, ans answerer) (result, error) {
	r := result{right: map[string]int{}, total: map[string]int{}, bySource: map[string]int{}, sourceRight: map[string]int{}, confusions: map[string]int{}}
	r.model = ans.model
	answers, err := ans.all(logs)
	if err != nil {
		return r, err
	}
	for i, l := range logs {
		reason, got := answers[i].reason, answers[i].got
		if answers[i].fellBack != "" {
			if r.fellBack == 0 {
				r.firstFallback = answers[i].fellBack
			}
			r.fellBack++
		}
		m := miss{id: l.ID, want: l.Category, got: string(got.Category), reason: reason, keyLine: l.KeyLine, confidence: got.Confidence}
		m.catOK = got.Category == analysis.Category(l.Category)
		m.reasonOK = keyline.Hit(reason, l.KeyLine)
		r.n++
		r.total[l.Category]++
		guess := got.Guessed() || got.NoFailureFound()
		if guess {
			r.guesses++
			r.bySource[guessSource(got.Reasoning)]++
		}
		if m.catOK {
			if guess {
				r.guessRight++
				r.sourceRight[guessSource(got.Reasoning)]++
			}
			r.catRight++
			r.right[l.Category]++
		} else {
			r.confusions[l.Category+"→"+m.got]++
		}
		if m.reasonOK {
			r.reasonRight++
		}
		if !m.catOK || !m.reasonOK {
			r.misses = append(r.misses, m)
		}
	}
	return r, nil
}

// printTotals prints the two figures and nothing a rule could be fitted to.
func (r result) printTotals(w io.Writer, name string) {
	fmt.Fprintf(w, "%s: %d logs\n", name, r.n)
	fmt.Fprintf(w, "  category  %3d/%-3d %.2f\n", r.catRight, r.n, ratio(r.catRight, r.n))
	fmt.Fprintf(w, "  reason    %3d/%-3d %.2f\n", r.reasonRight, r.n, ratio(r.reasonRight, r.n))
	if !r.model {
		fmt.Fprintf(w, "  no signature matched %d, of which the guess was right %d\n", r.guesses, r.guessRight)
	}
	if r.fellBack > 0 {
		fmt.Fprintf(w, "  the model did not answer %d: the rules did (the first: %s)\n", r.fellBack, r.firstFallback)
	}
}

func (r result) print(w io.Writer, name string, verbose bool) {
	r.printTotals(w, name)
	for _, s := range guessSources {
		if n := r.bySource[s]; n > 0 {
			fmt.Fprintf(w, "    guessed by %-12s %3d/%-3d\n", s, r.sourceRight[s], n)
		}
	}
	for _, c := range analysis.Categories {
		if n := r.total[string(c)]; n > 0 {
			fmt.Fprintf(w, "    %-15s %3d/%-3d\n", c, r.right[string(c)], n)
		}
	}
	keys := make([]string, 0, len(r.confusions))
	for k := range r.confusions {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if r.confusions[keys[i]] != r.confusions[keys[j]] {
			return r.confusions[keys[i]] > r.confusions[keys[j]]
		}
		return keys[i] < keys[j]
	})
	for _, k := range keys {
		fmt.Fprintf(w, "    confused %-32s %d\n", k, r.confusions[k])
	}
	if !verbose {
		return
	}
	for _, m := range r.misses {
		fmt.Fprintf(w, "  MISS %s", m.id)
		if !m.catOK {
			fmt.Fprintf(w, "  category want %s got %s (confidence %d)", m.want, m.got, m.confidence)
		}
		fmt.Fprintln(w)
		if !m.reasonOK {
			fmt.Fprintf(w, "       reason got:  %q\n       reason want: %q\n", keyline.Normalize(m.reason), keyline.Normalize(m.keyLine))
		}
	}
}

// guessSources name what decided an answer no signature matched, in the
// words its reasoning starts with (rules/unknown.go, rules/guess.go).
var guessSources = []string{"no-failure", "hint", "model", "default"}

func guessSource(reasoning string) string {
	switch {
	case strings.HasPrefix(reasoning, analysis.NoFailureReasoning):
		return "no-failure"
	case strings.Contains(reasoning, "a guess, not a verdict: ") && strings.Contains(reasoning, ", from a hint: "):
		return "hint"
	case strings.Contains(reasoning, "words are most like"):
		return "model"
	}
	return "default"
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}
