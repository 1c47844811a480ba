package rules

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strings"

	"github.com/ccm-ci/ccm/analysis"
	"github.com/ccm-ci/ccm/rules/internal/sigfile"
)

// The signatures are data: one YAML file per family under signatures/,
// compiled once at start. A malformed file is a bug in the build, so the
// process stops at start with an error naming the file, the signature and
// the pattern; the tests load the same files first.
//
//go:embed signatures/*.yaml
var signatureFiles embed.FS

// families are the signature files in tie-break order: the first listed
// wins between two signatures of the same tier.
var families = []string{
	"platform", "config-ci", "config-toolchain", "config-project", "service",
	"dependency", "dependency-artifacts", "registry",
	"code", "test-timeout", "flaky", "assertion", "generic",
}

// table is every signature, in tie-break order within a tier.
var table = mustLoadTable()

func mustLoadTable() []signature {
	t, err := loadTable(signatureFiles, families)
	if err != nil {
		panic(err)
	}
	return t
}

// loadTable compiles the files signatures/<family>.yaml of fsys, in order.
// A file in signatures/ that is not listed is an error too: it would
// otherwise be silently left out.
func loadTable(fsys fs.FS, fams []string) ([]signature, error) {
	files, err := fs.Glob(fsys, "signatures/*.yaml")
	if err != nil {
		return nil, fmt.Errorf("rules: list signature files: %w", err)
	}
	for _, f := range files {
		if !slices.Contains(fams, strings.TrimSuffix(path.Base(f), ".yaml")) {
			return nil, fmt.Errorf("rules: %s is not a listed signature family", f)
		}
	}
	var all []signature
	seen := map[string]string{}
	for _, fam := range fams {
		file := "signatures/" + fam + ".yaml"
		data, err := fs.ReadFile(fsys, file)
		if err != nil {
			return nil, fmt.Errorf("rules: %w", err)
		}
		sigs, err := sigfile.Parse(data)
		if err != nil {
			return nil, fmt.Errorf("rules: %s: %w", file, err)
		}
		if len(sigs) == 0 {
			return nil, fmt.Errorf("rules: %s: no signatures", file)
		}
		for i, fsig := range sigs {
			s, err := compileSignature(fsig)
			if err != nil {
				return nil, fmt.Errorf("rules: %s: signature %d %q: %w", file, i+1, fsig.Name, err)
			}
			if prev, dup := seen[s.name]; dup {
				return nil, fmt.Errorf("rules: %s: signature %q is also in %s", file, s.name, prev)
			}
			seen[s.name] = file
			all = append(all, s)
		}
	}
	return all, nil
}

// compileSignature checks one signature against the closed lists and the
// limits Validate enforces on every answer, and compiles its expressions.
func compileSignature(f sigfile.Signature) (signature, error) {
	tier, ok := tierNames[f.Tier]
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if f.Name == "" {
		bad("no name")
	}
	if !ok {
		bad("tier %q is not one of the named tiers (rules/signatures.go)", f.Tier)
	}
	cat, effort := analysis.Category(f.Category), analysis.Effort(f.Effort)
	if !cat.Valid() {
		bad("category %q is not one of %v", f.Category, analysis.Categories)
	}
	if !effort.Valid() {
		bad("effort %q is not one of %v", f.Effort, analysis.Efforts)
	}
	if f.Risk < 0 || f.Risk > 10 {
		bad("risk %d is outside 0-10", f.Risk)
	}
	if f.Confidence < 0 || f.Confidence > 100 {
		bad("confidence %d is outside 0-100", f.Confidence)
	}
	if len(f.Fix) == 0 {
		bad("no fix steps")
	}
	if len(f.Patterns) == 0 {
		bad("no patterns")
	}
	s := signature{
		name: f.Name, category: cat, tier: tier, risk: f.Risk, effort: effort, confidence: f.Confidence,
		transient: f.Transient, fix: steps(f.Fix...), component: f.Component, tests: f.Tests,
		assertion: f.Assertion, flakyEvidence: f.Flaky, weak: f.Weak,
	}
	for _, a := range f.Actions {
		if t := analysis.ActionType(a); t.Valid() {
			s.actions = append(s.actions, t)
		} else {
			bad("action %q is not one of %v", a, analysis.ActionTypes)
		}
	}
	if f.Extract != "" {
		re, err := regexp.Compile("(?m)" + f.Extract)
		if err != nil {
			bad("extract: %w", err)
		} else if re.NumSubexp() < 1 {
			bad("extract %q has no capture group for the component", f.Extract)
		}
		s.extract = re
	}
	for j, p := range f.Patterns {
		cp, err := compilePattern(p.Match, p.Not)
		if err != nil {
			bad("pattern %d %q: %w", j+1, p.Match, err)
			continue
		}
		s.patterns = append(s.patterns, cp)
	}
	return s, errors.Join(errs...)
}

// compilePattern compiles an expression written for lowercased text in
// multi-line mode (^ and $ anchor at line breaks), with its prefilter
// literal; not is applied to the matched line as written.
func compilePattern(expr, not string) (pattern, error) {
	if expr == "" {
		return pattern{}, errors.New("empty expression")
	}
	re, err := regexp.Compile("(?m)" + expr)
	if err != nil {
		return pattern{}, err
	}
	p := pattern{re: re, lit: requiredLiteral(expr)}
	p.tris = trigramHashes(p.lit)
	if not != "" {
		if p.not, err = regexp.Compile(not); err != nil {
			return pattern{}, fmt.Errorf("not: %w", err)
		}
	}
	return p, nil
}
