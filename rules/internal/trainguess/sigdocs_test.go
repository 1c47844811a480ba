package main

import (
	"testing"

	"github.com/ccm-ci/ccm/cilogs"
	"github.com/ccm-ci/ccm/rules"
)

// TestFoundIn: an example line is found in a log whatever its case,
// punctuation or box-drawing prefix, and a multi-line example by any of
// its lines; a short part is never looked for.
func TestFoundIn(t *testing.T) {
	logs := setKeys([][]cilogs.Log{{
		{Log: "step 1\nBad response status code 502, retrying\n│ Error: could not connect to registry.terraform.io: timeout\nExpected: 16\nok"},
	}})
	tests := []struct {
		example string
		want    bool
	}{
		{"bad response status code 502", true},
		{"Error: could not connect to registry.terraform.io", true},
		{"│ Error: could not connect to registry.terraform.io: timeout.", true},
		{"Received: 11\nExpected: 16", false}, // "expected 16" is shorter than minFindRunes
		{"Received: 11\nBad response status code 502", true},
		{"Error: could not connect to registry.npmjs.org", false},
		{"ok", false},
	}
	for _, tc := range tests {
		if got := foundIn(tc.example, logs); got != tc.want {
			t.Errorf("foundIn(%q) = %v, want %v", tc.example, got, tc.want)
		}
	}
}

// TestExampleDocs: every signature example line is a training document
// unless a sealed log holds it (foundIn); a fold leaves out the lines its
// held-out set's logs hold, and only those.
func TestExampleDocs(t *testing.T) {
	lines, err := rules.ExampleLines()
	if err != nil {
		t.Fatal(err)
	}
	all, err := exampleDocs()
	if err != nil {
		t.Fatal(err)
	}
	sealed := setKeys(cilogs.SealedSets())
	kept := 0
	for _, l := range lines {
		if !foundIn(l.Line, sealed) {
			kept++
		}
	}
	if len(all) != kept || kept < len(lines)*9/10 {
		t.Errorf("%d example documents; %d of %d example lines are in no sealed log", len(all), kept, len(lines))
	}
	exs, err := trainingExamples()
	if err != nil {
		t.Fatal(err)
	}
	if got := docsFor(exs); len(got) != len(all) {
		t.Errorf("training on every visible set: %d example documents, want all %d", len(got), len(all))
	}
	// corpus held out: its logs' lines leave, and nothing else does.
	fold := docsFor(withoutSet(exs, cilogs.SetCorpus))
	held := []string{visibleKeys()[cilogs.SetCorpus]}
	in := map[string]bool{}
	for _, d := range fold {
		in[d.text] = true
		if foundIn(d.text, held) {
			t.Errorf("fold without corpus trains on %q, a line of a corpus log", d.text)
		}
	}
	left := 0
	for _, d := range all {
		if !in[d.text] {
			left++
			if !foundIn(d.text, held) {
				t.Errorf("fold without corpus leaves out %q, which no corpus log holds", d.text)
			}
		}
	}
	if left == 0 {
		t.Errorf("no example line of a corpus log: the test checks nothing")
	}
}
