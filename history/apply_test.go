package history_test

import (
	"strings"
	"testing"

	"github.com/ccm-ci/ccm/analysis"
	"github.com/ccm-ci/ccm/history"
)

// base is an analysis as the model or the rules leave it.
func base(cat analysis.Category, confidence int) analysis.AnalysisResult {
	a := analysis.AnalysisResult{
		Category: cat, RiskScore: 5, Confidence: confidence, Effort: analysis.EffortMedium,
		ProposedFix: "Fix it.", Actions: []analysis.Action{{Type: analysis.ActionNone}},
		AffectedComponents: []string{"pkg/parser", "go test"},
		Evidence:           []string{"--- FAIL: TestParse (0.01s)", "    parser_test.go:42: got 1, want 2"},
		Reasoning:          "The test failed.", Source: analysis.SourceLLM,
	}
	if cat == analysis.CategoryFlakyTest {
		a.RiskScore, a.Actions = 2, []analysis.Action{{Type: analysis.ActionRerunFailedJobs}}
	}
	return a
}

var (
	flakyFacts   = history.Facts{Sightings: 5, OtherCommits: 4, OtherBranches: 2, PassedOnRerun: 3}
	rerunOnly    = history.Facts{Sightings: 1, PassedOnRerun: 1, FirstSeenHere: true}
	firstHere    = history.Facts{Sightings: 1, FirstSeenHere: true}
	brokenMain   = history.Facts{Sightings: 4, OtherCommits: 3, FailedOnRerun: 2}
	oneOther     = history.Facts{Sightings: 2, OtherCommits: 1}
	touchesTest  = []string{"pkg/parser/parser_test.go", "README.md"}
	touchesOther = []string{"docs/index.md"}
)

func TestApply(t *testing.T) {
	tests := []struct {
		name     string
		a        analysis.AnalysisResult
		in       history.Input
		wantCat  analysis.Category
		wantConf int
		wantNote string // a piece of the reasoning's history note
		wantFrom analysis.Category
	}{
		{"no history: untouched", base(analysis.CategoryCode, 50), history.Input{TestFailure: true},
			analysis.CategoryCode, 50, "", ""},
		{"flaky history moves a low-confidence code test failure", base(analysis.CategoryCode, 55),
			history.Input{Facts: flakyFacts, TestFailure: true, ChangedFiles: touchesOther},
			analysis.CategoryFlakyTest, 65, "code (55% sure) became flaky_test", analysis.CategoryCode},
		{"one passing re-run is enough", base(analysis.CategoryCode, 60),
			history.Input{Facts: rerunOnly, TestFailure: true},
			analysis.CategoryFlakyTest, 65, "became flaky_test", analysis.CategoryCode},
		{"a compile error is never flaky", base(analysis.CategoryCode, 50),
			history.Input{Facts: flakyFacts, TestFailure: false},
			analysis.CategoryCode, 50, "not a plain test failure", ""},
		{"a confident code analysis stands", base(analysis.CategoryCode, 85),
			history.Input{Facts: flakyFacts, TestFailure: true},
			analysis.CategoryCode, 85, "85% sure of code", ""},
		{"a change to the failing test keeps code", base(analysis.CategoryCode, 50),
			history.Input{Facts: flakyFacts, TestFailure: true, ChangedFiles: touchesTest},
			analysis.CategoryCode, 50, "the change touches pkg/parser/parser_test.go", ""},
		{"unknown changed files keep code", base(analysis.CategoryCode, 50),
			history.Input{Facts: flakyFacts, TestFailure: true, ChangedFilesUnknown: true},
			analysis.CategoryCode, 50, "not all known", ""},
		{"flaky history raises flaky_test", base(analysis.CategoryFlakyTest, 60),
			history.Input{Facts: flakyFacts, TestFailure: true},
			analysis.CategoryFlakyTest, 70, "confidence 60 -> 70", ""},
		{"the raise is capped", base(analysis.CategoryFlakyTest, 88),
			history.Input{Facts: flakyFacts}, analysis.CategoryFlakyTest, 90, "88 -> 90", ""},
		{"other categories stand", base(analysis.CategoryInfrastructure, 40),
			history.Input{Facts: flakyFacts, TestFailure: true},
			analysis.CategoryInfrastructure, 40, "history does not overrule", ""},
		{"re-runs that failed again cancel other commits", base(analysis.CategoryCode, 50),
			history.Input{Facts: brokenMain, TestFailure: true},
			analysis.CategoryCode, 50, "neither", ""},
		{"one other commit is not enough", base(analysis.CategoryCode, 50),
			history.Input{Facts: oneOther, TestFailure: true},
			analysis.CategoryCode, 50, "neither", ""},
		{"first seen here on a change to the test: flaky_test becomes code", base(analysis.CategoryFlakyTest, 70),
			history.Input{Facts: firstHere, TestFailure: true, ChangedFiles: touchesTest},
			analysis.CategoryCode, 65, "flaky_test became code", analysis.CategoryFlakyTest},
		{"first seen here on a change to the test: code gains", base(analysis.CategoryCode, 60),
			history.Input{Facts: firstHere, ChangedFiles: touchesTest},
			analysis.CategoryCode, 70, "agrees with code", ""},
		{"first seen here on an unrelated change: stands", base(analysis.CategoryFlakyTest, 60),
			history.Input{Facts: firstHere, ChangedFiles: touchesOther},
			analysis.CategoryFlakyTest, 60, "neither", ""},
		{"both signals disagree: stands", base(analysis.CategoryFlakyTest, 60),
			history.Input{Facts: rerunOnly, TestFailure: true, ChangedFiles: touchesTest},
			analysis.CategoryFlakyTest, 60, "the analysis stands", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, o := history.Apply(tt.a, tt.in)
			if got.Category != tt.wantCat || got.Confidence != tt.wantConf || o.From != tt.wantFrom {
				t.Errorf("Apply = %s at %d (from %q); want %s at %d (from %q); note %q",
					got.Category, got.Confidence, o.From, tt.wantCat, tt.wantConf, tt.wantFrom, o.Note)
			}
			if err := got.Validate(); err != nil {
				t.Errorf("the adjusted analysis is invalid: %v", err)
			}
			if !tt.in.Facts.Known() {
				if len(got.Evidence) != len(tt.a.Evidence) || got.Reasoning != tt.a.Reasoning {
					t.Errorf("no history changed the evidence or reasoning: %q / %q", got.Evidence, got.Reasoning)
				}
				return
			}
			last := got.Evidence[len(got.Evidence)-1]
			if last != "history: "+tt.in.Facts.Sentence() {
				t.Errorf("last evidence = %q, want the history line", last)
			}
			if !strings.Contains(got.Reasoning, tt.wantNote) || !strings.Contains(o.Note, tt.wantNote) {
				t.Errorf("reasoning %q / note %q lacks %q", got.Reasoning, o.Note, tt.wantNote)
			}
		})
	}
}

// TestApplyMovedShape: a move leaves an analysis the gate reads right: a
// flaky test re-runs, a regression asks a person and touches nothing.
func TestApplyMovedShape(t *testing.T) {
	flaky, _ := history.Apply(base(analysis.CategoryCode, 50), history.Input{Facts: flakyFacts, TestFailure: true})
	if flaky.InvolvesApplicationCode || len(flaky.Actions) != 1 || flaky.Actions[0].Type != analysis.ActionRerunFailedJobs || flaky.RiskScore > 2 {
		t.Errorf("code -> flaky_test: %+v; want a low-risk re-run of the failed jobs, no application code", flaky)
	}
	code, _ := history.Apply(base(analysis.CategoryFlakyTest, 70), history.Input{Facts: firstHere, ChangedFiles: touchesTest})
	if !code.InvolvesApplicationCode || code.Actions[0].Type != analysis.ActionNone || code.RiskScore < 8 {
		t.Errorf("flaky_test -> code: %+v; want no action, application code, risk >= 8", code)
	}
}

func TestApplyFullEvidence(t *testing.T) {
	a := base(analysis.CategoryFlakyTest, 60)
	a.Evidence = []string{"1", "2", "3", "4", "5", "history: old"}[:analysis.MaxEvidence]
	got, _ := history.Apply(a, history.Input{Facts: flakyFacts})
	if len(got.Evidence) != analysis.MaxEvidence || got.Evidence[3] != "4" || !strings.HasPrefix(got.Evidence[4], "history: seen on") {
		t.Errorf("evidence = %q; want the first four quotes and the history line", got.Evidence)
	}
	again, _ := history.Apply(got, history.Input{Facts: flakyFacts})
	if n := strings.Count(strings.Join(again.Evidence, "\n"), "history: "); n != 1 {
		t.Errorf("re-applied: %d history lines, want 1", n)
	}
}

func TestTouched(t *testing.T) {
	a := base(analysis.CategoryCode, 50)
	tests := []struct {
		changed []string
		want    string
	}{
		{[]string{"pkg/parser/parser_test.go"}, "pkg/parser/parser_test.go"}, // file name in evidence
		{[]string{"pkg/parser/lexer.go"}, "pkg/parser/lexer.go"},             // under a named directory
		{[]string{"other/myparser_test.go"}, ""},                             // a longer name is another file
		{[]string{"ci"}, ""},                                                 // too short to match by name
		{[]string{"docs/a.md", "pkg/parser"}, "pkg/parser"},                  // the full path named
		{nil, ""},
	}
	for _, tt := range tests {
		if got := history.Touched(a, tt.changed); got != tt.want {
			t.Errorf("Touched(%q) = %q, want %q", tt.changed, got, tt.want)
		}
	}
}

func TestSentence(t *testing.T) {
	tests := []struct {
		f    history.Facts
		want string
	}{
		{flakyFacts, "seen on 4 other commits (2 other branches) this week; passed on re-run 3 times"},
		{firstHere, "first seen on this commit this week"},
		{history.Facts{Sightings: 3, OtherCommits: 1, FirstSeenHere: true, PassedLater: 2, FailedOnRerun: 1, Partial: true},
			"seen on 1 other commit this week; first seen on this commit; passed on a later run with no named file changed twice; " +
				"failed again on re-run once; older sightings were dropped, so these are lower bounds"},
		{history.Facts{Sightings: 2}, "not seen on another commit this week"},
	}
	for _, tt := range tests {
		if got := tt.f.Sentence(); got != tt.want {
			t.Errorf("Sentence(%+v) =\n %q\nwant\n %q", tt.f, got, tt.want)
		}
	}
}

// TestApplyLongReasoning: a reasoning at the size limit gives way to the
// history note, which is kept whole, and the result stays valid.
func TestApplyLongReasoning(t *testing.T) {
	a := base(analysis.CategoryCode, 50)
	a.Reasoning = strings.Repeat("é", analysis.MaxTextRunes)
	got, o := history.Apply(a, history.Input{Facts: flakyFacts, TestFailure: true})
	if !strings.HasSuffix(got.Reasoning, o.Note+".") {
		t.Errorf("reasoning ends %q; want the whole note %q", got.Reasoning[len(got.Reasoning)-80:], o.Note)
	}
	if err := got.Validate(); err != nil {
		t.Errorf("invalid: %v", err)
	}
}
