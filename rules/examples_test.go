package rules

import (
	"testing"

	"github.com/ccm-ci/ccm/rules/internal/sigfile"
)

// TestSignatureExamples walks every signature file and every pattern in
// it: each example line, ASCII-lowercased as a log is, matches the
// compiled pattern and not its exclusion, and was published at an http(s)
// address; and every pattern has at least one. A pattern keeps its place
// only with a real line from a public log (attach them with
// `go run ./rules/internal/attach rows.jsonl`); one without is deleted, not
// excused.
func TestSignatureExamples(t *testing.T) {
	k, missing := 0, 0
	for _, fam := range families {
		file := "signatures/" + fam + ".yaml"
		data, err := signatureFiles.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		sigs, err := sigfile.Parse(data)
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		for _, fs := range sigs {
			s := &table[k]
			k++
			if s.name != fs.Name || len(s.patterns) != len(fs.Patterns) {
				t.Fatalf("%s: %q does not line up with the loaded table (%q)", file, fs.Name, s.name)
			}
			for j, fp := range fs.Patterns {
				if len(fp.Examples) == 0 {
					missing++
					t.Errorf("%s: %s: pattern %d %q has no example", file, fs.Name, j+1, fp.Match)
				}
				for _, ex := range fp.Examples {
					if err := sigfile.CheckExample(s.patterns[j].re, s.patterns[j].not, ex); err != nil {
						t.Errorf("%s: %s: pattern %d %q: %v", file, fs.Name, j+1, fp.Match, err)
					}
				}
			}
		}
	}
	if k != len(table) {
		t.Fatalf("walked %d signatures, the table has %d", k, len(table))
	}
	if missing > 0 {
		t.Errorf("%d patterns have no example", missing)
	}
}
