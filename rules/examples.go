package rules

import (
	"fmt"
	"io/fs"

	"github.com/ccm-ci/ccm/rules/internal/sigfile"
)

// ExampleLine is one signature's example line and the category of the
// signature it illustrates.
type ExampleLine struct {
	Line, Category string
}

// ExampleLines returns every example line of the embedded signatures, in
// table order: for trainguess, which may learn from them.
func ExampleLines() ([]ExampleLine, error) {
	var out []ExampleLine
	for _, fam := range families {
		file := "signatures/" + fam + ".yaml"
		data, err := fs.ReadFile(signatureFiles, file)
		if err != nil {
			return nil, fmt.Errorf("rules: %w", err)
		}
		sigs, err := sigfile.Parse(data)
		if err != nil {
			return nil, fmt.Errorf("rules: %s: %w", file, err)
		}
		for _, s := range sigs {
			for _, p := range s.Patterns {
				for _, e := range p.Examples {
					out = append(out, ExampleLine{Line: e.Line, Category: s.Category})
				}
			}
		}
	}
	return out, nil
}
