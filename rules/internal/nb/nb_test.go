package nb

import (
	"bytes"
	"slices"
	"testing"
)

func TestTokenize(t *testing.T) {
	tests := []struct {
		name    string
		text    string
		bigrams bool
		stop    bool
		want    []string
	}{
		{name: "lowercase words", text: "Error: Version NOT found", want: []string{"error", "version", "not", "found"}},
		{name: "numbers and line numbers vanish", text: "main.go:12:3: exit 127", want: []string{"main", "go", "exit"}},
		{name: "paths split into words", text: "/home/runner/work/x/y.sh: denied", want: []string{"home", "runner", "work", "sh", "denied"}},
		{name: "hashes dropped", text: "sha256:9f3cdeadbeefcafe01 layer abcdefabc", want: []string{"sha", "layer"}},
		{name: "one letter and huge runs dropped", text: "a b " + string(bytes.Repeat([]byte("q"), 30)) + " ok", want: []string{"ok"}},
		{name: "bigrams on a line", text: "version not found", bigrams: true, want: []string{"version", "not", "version_not", "found", "not_found"}},
		{name: "no bigram across lines", text: "version\nnot", bigrams: true, want: []string{"version", "not"}},
		{name: "numbers do not break a pair", text: "exit 1 code", bigrams: true, want: []string{"exit", "code", "exit_code"}},
		{name: "a hash breaks a pair", text: "layer deadbeefcafe pulled", bigrams: true, want: []string{"layer", "pulled"}},
		{name: "stopwords dropped, negations kept", text: "the module was not found in the cache", bigrams: true, stop: true, want: []string{"module", "not", "module_not", "found", "not_found", "cache", "found_cache"}},
		{name: "empty", text: "", want: nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Tokenize(tc.text, tc.bigrams, tc.stop); !slices.Equal(got, tc.want) {
				t.Errorf("Tokenize(%q) = %q, want %q", tc.text, got, tc.want)
			}
		})
	}
}

func tiny() *Model {
	docs := [][]string{
		{"yaml", "invalid", "workflow"}, {"yaml", "schema", "workflow"}, {"invalid", "key", "yaml"},
		{"connection", "reset", "network"}, {"network", "unreachable"}, {"connection", "refused", "network"},
		{"assert", "expected", "got"}, {"expected", "panic"},
	}
	labels := []string{"config", "config", "config", "infrastructure", "infrastructure", "infrastructure", "code", "code"}
	return Train(docs, labels, false, false, 1, 2)
}

func TestPredict(t *testing.T) {
	m := tiny()
	tests := []struct {
		name      string
		toks      []string
		boost     map[string]float64
		wantClass string
		wantWords []string
	}{
		{name: "config words", toks: []string{"yaml", "workflow", "invalid"}, wantClass: "config", wantWords: []string{"yaml", "invalid", "workflow"}},
		{name: "network words", toks: []string{"network", "connection"}, wantClass: "infrastructure", wantWords: []string{"network", "connection"}},
		{name: "unknown words: the prior, no words", toks: []string{"zebra"}, wantClass: "config", wantWords: nil},
		{name: "a boost moves a close call", toks: []string{"expected", "yaml"}, boost: map[string]float64{"code": 8}, wantClass: "code", wantWords: []string{"expected"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g := m.Predict(tc.toks, tc.boost)
			if g.Class != tc.wantClass || !slices.Equal(g.Words, tc.wantWords) {
				t.Errorf("Predict = %s %q (%.2f), want %s %q", g.Class, g.Words, g.Posterior, tc.wantClass, tc.wantWords)
			}
			if g.Posterior <= 0 || g.Posterior > 1 {
				t.Errorf("posterior %v out of (0, 1]", g.Posterior)
			}
		})
	}
}

// TestPruned: a token in fewer than minDocs documents is not kept.
func TestPruned(t *testing.T) {
	m := tiny()
	if _, ok := m.counts["schema"]; ok {
		t.Error("schema (one document) kept")
	}
	if _, ok := m.counts["yaml"]; !ok {
		t.Error("yaml (three documents) dropped")
	}
}

func TestMarshalLoad(t *testing.T) {
	m := tiny()
	data := m.Marshal()
	l, err := Load(data)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(l.Marshal(), data) {
		t.Errorf("Load(Marshal) differs:\n%s\n%s", l.Marshal(), data)
	}
	toks := []string{"yaml", "network", "expected"}
	if a, b := m.Predict(toks, nil), l.Predict(toks, nil); a.Class != b.Class || a.Posterior != b.Posterior {
		t.Errorf("loaded model predicts %v, trained %v", b, a)
	}
	for _, bad := range []string{`{`, `{"classes":["a"],"docs":[1],"totals":[1],"alpha":0}`, `{"classes":["a"],"docs":[1],"totals":[1],"alpha":1,"tokens":[["x","1","2"]]}`} {
		if _, err := Load([]byte(bad)); err == nil {
			t.Errorf("Load(%s) accepted", bad)
		}
	}
}
