package main

import (
	"bytes"
	"os"
	"sync"
	"testing"

	"github.com/ccm-ci/ccm/cilogs"
	"github.com/ccm-ci/ccm/rules"
)

// trainingExamples is examples(visibleSets()) once for the package's
// tests: extracting every visible log is the slow part of each of them.
var trainingExamples = sync.OnceValues(func() ([]example, error) { return examples(visibleSets()) })

// TestModelInSync retrains the model from the visible sets and compares it
// with the committed rules/guessmodel.json: a change to the logs, the
// tokenizer, the text the guess reads or the settings needs
// `go generate ./rules/`.
func TestModelInSync(t *testing.T) {
	exs, err := trainingExamples()
	if err != nil {
		t.Fatal(err)
	}
	got := build(exs, rules.GuessContext, rules.GuessLastLines, bigrams, stop, alpha)
	want, err := os.ReadFile("../../guessmodel.json")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("rules/guessmodel.json is out of date (%d bytes, retrained %d): run go generate ./rules/", len(want), len(got))
	}
	// The model grows with the visible sets (about 15 KB a hundred logs,
	// 308 KB with 2,242 logs): a cap that catches a runaway vocabulary (a
	// pruning bug, a set of huge logs), not one more set.
	if len(want) > 512<<10 {
		t.Errorf("rules/guessmodel.json is %d bytes, keep it under 512 KiB", len(want))
	}
}

// TestNoSealed: nothing the model learns from may come from a sealed set;
// their figures are the honest estimate only while nothing was fitted to
// them.
func TestNoSealed(t *testing.T) {
	exs, err := trainingExamples()
	if err != nil {
		t.Fatal(err)
	}
	visible := map[string]bool{cilogs.SetLabelled: true, cilogs.SetExtra: true, cilogs.SetCorpus: true, cilogs.SetCorpus2: true, cilogs.SetCorpus3: true, cilogs.SetCorpus4: true, cilogs.SetCorpus5: true, cilogs.SetCorpus6: true, cilogs.SetCorpus7: true, cilogs.SetCorpus8: true, cilogs.SetCorpus9: true, cilogs.SetCorpus10: true, cilogs.SetCorpus11: true, cilogs.SetCorpus12: true, cilogs.SetCorpus13: true, cilogs.SetCorpus14: true, cilogs.SetCorpus15: true, cilogs.SetCorpus16: true}
	n := 0
	for _, set := range visibleSets() {
		n += len(set)
	}
	if len(exs) != n || n == 0 {
		t.Errorf("%d examples from %d logs", len(exs), n)
	}
	sealed, sealedSet := map[string]bool{}, map[string]bool{}
	for _, set := range cilogs.SealedSets() {
		for _, l := range set {
			sealed[l.ID], sealedSet[l.Set] = true, true
		}
	}
	if len(sealedSet) != len(cilogs.SealedSets()) {
		t.Errorf("sealed sets %v, want %d", sealedSet, len(cilogs.SealedSets()))
	}
	for _, e := range exs {
		if sealedSet[e.set] || !visible[e.set] {
			t.Errorf("training example from set %q", e.set)
		}
	}
	for _, set := range visibleSets() {
		for _, l := range set {
			if sealed[l.ID] {
				t.Errorf("training log %s (set %s) is also a sealed log", l.ID, l.Set)
			}
		}
	}
}
