package main

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/ccm-ci/ccm/cilogs"
	"github.com/ccm-ci/ccm/excerpt"
	"github.com/ccm-ci/ccm/rules"
)

// sigTally is how one deciding signature fared: the logs it decided and
// their labelled categories.
type sigTally struct {
	name     string
	n, right int
	labels   map[string]int
	answers  map[string]int // the categories answered (a signature's may be reclassified)
}

// printBySignature lists, for the signatures that decided a log wrongly,
// how often they decide and what the logs they decide are labelled: the
// signatures whose verdicts fresh logs contradict. Visible sets only.
func printBySignature(w io.Writer, logs []cilogs.Log) error {
	tallies := map[string]*sigTally{}
	for _, l := range logs {
		ex, err := excerpt.Extract(strings.NewReader(l.Log), excerpt.Options{})
		if err != nil {
			return fmt.Errorf("%s: %w", l.ID, err)
		}
		in := rules.InputFromExcerpt(ex)
		name, _, ok := rules.Winner(in)
		if !ok {
			name = "(no signature)"
		}
		got := string(rules.Classify(in).Category)
		t := tallies[name]
		if t == nil {
			t = &sigTally{name: name, labels: map[string]int{}, answers: map[string]int{}}
			tallies[name] = t
		}
		t.n++
		t.labels[l.Category]++
		t.answers[got]++
		if got == l.Category {
			t.right++
		}
	}
	var list []*sigTally
	for _, t := range tallies {
		if t.right < t.n {
			list = append(list, t)
		}
	}
	sort.Slice(list, func(i, j int) bool {
		if wi, wj := list[i].n-list[i].right, list[j].n-list[j].right; wi != wj {
			return wi > wj
		}
		return list[i].name < list[j].name
	})
	fmt.Fprintln(w, "signatures whose verdicts were wrong (answers; decided, right; labels):")
	for _, t := range list {
		fmt.Fprintf(w, "  %-40s %-28s %3d %3d  %s\n", t.name, labelList(t.answers), t.n, t.right, labelList(t.labels))
	}
	return nil
}

func labelList(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return m[keys[i]] > m[keys[j]] || m[keys[i]] == m[keys[j]] && keys[i] < keys[j] })
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %d", k, m[k])
	}
	return strings.Join(parts, ", ")
}
