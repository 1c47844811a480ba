package rules

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/ccm-ci/ccm/analysis"
)

// TestSignatureTable checks every entry on its own: sane fields, a prefilter
// literal that can occur in lowercased text, and a result that passes
// Validate.
func TestSignatureTable(t *testing.T) {
	for i := range table {
		s := &table[i]
		t.Run(s.name, func(t *testing.T) {
			if !s.category.Valid() || !s.effort.Valid() {
				t.Errorf("category %q / effort %q invalid", s.category, s.effort)
			}
			if s.risk < 0 || s.risk > 10 || s.confidence < 0 || s.confidence > 100 {
				t.Errorf("risk %d / confidence %d out of range", s.risk, s.confidence)
			}
			if len(s.patterns) == 0 {
				t.Fatal("no patterns")
			}
			for _, p := range s.patterns {
				if len(p.lit) < 3 {
					t.Errorf("pattern %q has no usable prefilter literal (%q)", p.re, p.lit)
				}
				if p.lit != strings.ToLower(p.lit) {
					t.Errorf("pattern %q literal %q has upper case; patterns run on lowercased text", p.re, p.lit)
				}
				if hasUpperOutsideEscape(p.re.String()) {
					t.Errorf("pattern %q has upper-case letters; it can never match lowercased text", p.re)
				}
			}
			if s.category == analysis.CategoryCode && (s.risk < 7 || s.transient) {
				t.Errorf("code signatures must be risk >= 7 and not transient")
			}
			if s.transient && s.risk > 5 {
				t.Errorf("transient signature with risk %d; a safe re-run should be low risk", s.risk)
			}
			sc := scanned{text: "x", low: []byte("x")}
			res := sc.result(Input{}, []hit{{sig: s, lines: []span{{0, 1, 0, 1}}}}, 0)
			if err := res.Validate(); err != nil {
				t.Errorf("result of this signature is invalid: %v", err)
			}
			if res.Source != analysis.SourceRules {
				t.Errorf("source = %q", res.Source)
			}
			if res.Category == analysis.CategoryCode && !res.InvolvesApplicationCode {
				t.Error("code result must involve application code")
			}
		})
	}
}

// hasUpperOutsideEscape finds A-Z that are not part of a \X escape or a
// (?flags) group.
func hasUpperOutsideEscape(expr string) bool {
	for i := 0; i < len(expr); i++ {
		switch c := expr[i]; {
		case c == '\\':
			i++
		case 'A' <= c && c <= 'Z':
			return true
		}
	}
	return false
}

func TestTestNameRulesHavePrefilter(t *testing.T) {
	for _, r := range testNameRules {
		if len(r.p.lit) < 3 {
			t.Errorf("test-name rule %q has no usable prefilter literal (%q)", r.p.re, r.p.lit)
		}
	}
}

func TestRequiredLiteral(t *testing.T) {
	tests := []struct{ expr, want string }{
		{expr: `no space left on device`, want: "no space left on device"},
		{expr: `npm (?:err!|error) code eresolve`, want: " code eresolve"},
		{expr: `(?:a|b)`, want: ""},
		{expr: `\.go:\d+:\d+: undefined: `, want: ": undefined: "},
		{expr: `x(?:abc)+y`, want: "abc"},
	}
	for _, tc := range tests {
		t.Run(tc.expr, func(t *testing.T) {
			if got := requiredLiteral(tc.expr); got != tc.want {
				t.Errorf("requiredLiteral(%q) = %q, want %q", tc.expr, got, tc.want)
			}
		})
	}
}

func TestPrecedenceOrder(t *testing.T) {
	tiers := []int{tierPlatform, tierSetup, tierResource, tierService, tierCache, tierToolchain, tierRegistryNet, tierDepExact,
		tierDepModule, tierCompile, tierTestTimeout, tierE2E, tierFlakyMarker, tierDepWrap, tierCollect, tierRuntimeCrash,
		tierAssertion, tierTestSummary, tierGeneric, tierWeak}
	if !slices.IsSortedFunc(tiers, func(a, b int) int { return b - a }) {
		t.Errorf("tiers are not in descending order: %v", tiers)
	}
}

// TestClassifyHostileInput: empty, garbage, binary, huge and single-line
// inputs all produce a valid result, and scanning is bounded to the head and
// tail of the text.
func TestClassifyHostileInput(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	binary := make([]byte, 64<<10)
	for i := range binary {
		binary[i] = byte(rng.UintN(256))
	}
	filler := strings.Repeat("step output line that says nothing in particular\n", 40000) // ~2 MB
	sig := "npm ERR! code ERESOLVE\n"
	tests := []struct {
		name    string
		in      Input
		wantCat analysis.Category // "" = any
	}{
		{name: "empty", in: Input{}},
		{name: "whitespace", in: Input{Text: " \n\t\r\n  "}},
		{name: "binary", in: Input{Text: string(binary), FailingStep: string(binary[:300]), JobName: "\x00\x01job"}},
		{name: "invalid utf8 components", in: Input{Text: "no space left on device", FailingStep: "\xff\xfe step", JobName: strings.Repeat("é", 200)}, wantCat: analysis.CategoryInfrastructure},
		{name: "signature at the end of a huge log", in: Input{Text: filler + sig}, wantCat: analysis.CategoryDependency},
		{name: "signature at the start of a huge log", in: Input{Text: sig + filler}, wantCat: analysis.CategoryDependency},
		{name: "signature in the unscanned middle", in: Input{Text: filler + sig + filler}, wantCat: analysis.CategoryCode},
		{name: "one giant line", in: Input{Text: strings.Repeat("x", 3<<20) + " no space left on device " + strings.Repeat("y", 1000)}, wantCat: analysis.CategoryInfrastructure},
		{name: "ansi colours", in: Input{Text: "\x1b[31mnpm ERR!\x1b[0m code \x1b[1mERESOLVE\x1b[0m"}, wantCat: analysis.CategoryDependency},
		{name: "crlf", in: Input{Text: "FAILED tests/test_a.py::test_b - AssertionError\r\n1 failed\r\n"}, wantCat: analysis.CategoryFlakyTest},
		{name: "huge reason", in: Input{Reason: strings.Repeat("e", 1<<20)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := Classify(tc.in)
			if err := got.Validate(); err != nil {
				t.Fatalf("Validate: %v", err)
			}
			if tc.wantCat != "" && got.Category != tc.wantCat {
				t.Errorf("category = %s, want %s (%s)", got.Category, tc.wantCat, got.Reasoning)
			}
			for _, e := range got.Evidence {
				if len(e) > maxEvidenceLine || !utf8.ValidString(e) {
					t.Errorf("evidence line of %d bytes or invalid UTF-8: %.80q", len(e), e)
				}
			}
			if len(got.Reasoning) > 8<<10 {
				t.Errorf("reasoning is %d bytes", len(got.Reasoning))
			}
		})
	}
}

func TestStem(t *testing.T) {
	tests := []struct{ in, want string }{
		{in: "traverse_test.go", want: "traverse"},
		{in: "TestTraverse", want: "traverse"},
		{in: "traverse.go", want: "traverse"},
		{in: "BucketTrackerTest", want: "buckettracker"},
		{in: "test_api.py", want: "api"},
		{in: "git.test.ts", want: "git"},
		{in: "latest.go", want: "latest"},
	}
	for _, tc := range tests {
		if got := stem(tc.in); got != tc.want {
			t.Errorf("stem(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
