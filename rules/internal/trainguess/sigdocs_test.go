package main

import (
	"strings"
	"testing"

	"github.com/ccm-ci/ccm/cilogs"
	"github.com/ccm-ci/ccm/rules"
)

// TestExampleDocs: every signature example line is a training document
// unless a sealed log holds it; a fold leaves out the lines its held-out
// set's logs hold, and only those.
func TestExampleDocs(t *testing.T) {
	lines, err := rules.ExampleLines()
	if err != nil {
		t.Fatal(err)
	}
	all, err := exampleDocs()
	if err != nil {
		t.Fatal(err)
	}
	if len(all) < len(lines)*9/10 || len(all) > len(lines) {
		t.Errorf("%d example documents of %d example lines", len(all), len(lines))
	}
	sealed := setKeys(cilogs.SealedSets())
	for _, d := range all {
		for _, s := range sealed {
			if strings.Contains(s, d.key) {
				t.Fatalf("example document found in a sealed log (not printed)")
			}
		}
	}
	exs, err := examples(visibleSets())
	if err != nil {
		t.Fatal(err)
	}
	if got := docsFor(exs); len(got) != len(all) {
		t.Errorf("training on every visible set: %d example documents, want all %d", len(got), len(all))
	}
	// corpus held out: its logs' lines leave, and nothing else does.
	var trainOn []example
	for _, e := range exs {
		if e.set != cilogs.SetCorpus {
			trainOn = append(trainOn, e)
		}
	}
	fold := docsFor(trainOn)
	held := visibleKeys()[cilogs.SetCorpus]
	kept := map[string]bool{}
	for _, d := range fold {
		kept[d.key] = true
		if strings.Contains(held, d.key) {
			t.Errorf("fold without corpus trains on %q, a line of a corpus log", d.text)
		}
	}
	left := 0
	for _, d := range all {
		if !kept[d.key] {
			left++
			if !strings.Contains(held, d.key) {
				t.Errorf("fold without corpus leaves out %q, which no corpus log holds", d.text)
			}
		}
	}
	if left == 0 {
		t.Errorf("no example line of a corpus log: the test checks nothing")
	}
}
