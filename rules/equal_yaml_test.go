package rules

// Throwaway: the table loaded from rules/signatures/*.yaml equals the Go
// table field by field, and classifies every real log the same.

import (
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"

	"github.com/ccm-ci/ccm/cilogs"
)

func TestLoadedTableEqualsGoTable(t *testing.T) {
	if len(table) != len(goTable) {
		t.Fatalf("%d loaded, %d in Go", len(table), len(goTable))
	}
	str := func(r interface{ String() string }) string {
		if reflect.ValueOf(r).IsNil() {
			return ""
		}
		return r.String()
	}
	for i := range goTable {
		g, l := goTable[i], table[i]
		type flat struct {
			name, cat, effort, fix, component, extract string
			tier, risk, conf                           int
			transient, tests, assertion, flaky, weak   bool
			actions                                    []string
			lits, res, nots                            []string
			tris                                       [][]uint32
		}
		f := func(s signature) flat {
			x := flat{name: s.name, cat: string(s.category), effort: string(s.effort), fix: s.fix, component: s.component,
				tier: s.tier, risk: s.risk, conf: s.confidence, transient: s.transient, tests: s.tests, assertion: s.assertion,
				flaky: s.flakyEvidence, weak: s.weak}
			if s.extract != nil {
				x.extract = s.extract.String()
			}
			for _, a := range s.actions {
				x.actions = append(x.actions, string(a))
			}
			for _, p := range s.patterns {
				x.lits = append(x.lits, p.lit)
				x.res = append(x.res, p.re.String())
				x.nots = append(x.nots, str(p.not))
				x.tris = append(x.tris, p.tris)
			}
			return x
		}
		if fg, fl := f(g), f(l); !reflect.DeepEqual(fg, fl) {
			t.Errorf("signature %d differs:\n go   %+v\n yaml %+v", i, fg, fl)
		}
	}
}

func TestLoadedTableClassifiesTheSame(t *testing.T) {
	var logs []string
	for _, l := range cilogs.All() {
		logs = append(logs, l.Log)
	}
	files, _ := filepath.Glob("../testdata/logs/*.log")
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		logs = append(logs, string(b))
	}
	loaded := table
	defer func() { table = loaded }()
	run := func(tab []signature) []any {
		table = tab
		var out []any
		for _, l := range logs {
			for _, in := range []Input{{Text: l}, {Text: l, ChangedFiles: []string{"src/app.test.ts"}, FailingStep: "Run npm test"}} {
				out = append(out, Classify(in), Explain(in))
			}
		}
		return out
	}
	a, b := run(goTable), run(slices.Clone(loaded))
	if len(logs) < 50 {
		t.Fatalf("only %d logs", len(logs))
	}
	for i := range a {
		if !reflect.DeepEqual(a[i], b[i]) {
			t.Errorf("result %d differs:\n go   %+v\n yaml %+v", i, a[i], b[i])
		}
	}
	t.Logf("%d logs, %d results compared", len(logs), len(a))
}
