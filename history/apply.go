package history

import (
	"fmt"
	"path"
	"strings"
	"unicode/utf8"

	"github.com/ccm-ci/ccm/analysis"
)

// Thresholds of the rule. They are deliberately few and plain so a person
// can check a decision by reading the evidence line.
const (
	// FlakyOtherCommits: failing the same way on this many other commits
	// in the window points to a flaky test (a test broken by one change
	// fails on that change, not all over the week).
	FlakyOtherCommits = 2
	// LowConfidence: a code analysis below this confidence may give way
	// to the history; at or above it, the analysis stands.
	LowConfidence = 70
	// movedConfidence is the confidence of an analysis the history moved:
	// the history is evidence, not proof.
	movedConfidence = 65
	// raiseBy and raiseCap bound how much agreeing history adds.
	raiseBy, raiseCap = 10, 90
	// codeRisk is the risk of a regression: it changes code (the prompt's
	// 6-8), the same as the rules give a touched test.
	codeRisk = 8
	// flakyRisk is re-running a flaky test: harmless and reversible.
	flakyRisk = 2
)

// Input is what the rule needs besides the analysis.
type Input struct {
	Facts Facts
	// TestFailure: the log shows a failing test and nothing stronger (the
	// rules, ignoring the change, call it flaky_test), so it is not a
	// compile error, a lint failure or a missing dependency. Only then may
	// history turn code into flaky_test.
	TestFailure bool
	// ChangedFiles are the files the failed commit's change touched.
	ChangedFiles []string
	// ChangedFilesUnknown: GitHub could not list them all, so the change
	// may touch the failing test although ChangedFiles does not show it.
	ChangedFilesUnknown bool
}

// Outcome says what Apply saw and did.
type Outcome struct {
	// Flaky and Code are the signals: Flaky when the fingerprint failed on
	// FlakyOtherCommits other commits (and no re-run of it failed again) or
	// passed on a re-run; Code when it was first seen on this commit and
	// the change touched a file the analysis names (Touched).
	Flaky, Code bool
	Touched     string
	// From is the category before, when Apply changed it; "" otherwise.
	From analysis.Category
	// Note says in one sentence what the history changed, or why not.
	Note string
}

// FlakySignal reports whether the facts point to a flaky test. A re-run
// that passed is the strongest sign; failures on other commits count only
// while no re-run failed the same way again (a main branch broken by one
// change also fails on every commit after it, and its re-runs fail).
func FlakySignal(f Facts) bool {
	return f.PassedOnRerun >= 1 || (f.OtherCommits >= FlakyOtherCommits && f.FailedOnRerun == 0)
}

// Apply adjusts a with the history, conservatively, and always explains:
//   - flaky signal: a flaky_test analysis gains confidence; a code analysis
//     below LowConfidence on a log that is a test failure becomes
//     flaky_test (re-run the failed jobs); anything else stands;
//   - code signal: a flaky_test analysis becomes code (a person fixes it,
//     ccm touches nothing); a code analysis gains confidence;
//   - both at once: they disagree, and the analysis stands.
//
// When there is any history its evidence line is added (replacing the last
// quote when the evidence is full) and the reasoning says what the history
// changed. Apply is pure: the caller stores the result, never caches it.
func Apply(a analysis.AnalysisResult, in Input) (analysis.AnalysisResult, Outcome) {
	f := in.Facts
	var o Outcome
	if !f.Known() {
		return a, o
	}
	o.Touched = Touched(a, in.ChangedFiles)
	o.Flaky = FlakySignal(f)
	o.Code = f.FirstSeenHere && o.Touched != ""
	a.Evidence = withLine(a.Evidence, f.EvidenceLine())
	switch {
	case o.Flaky && o.Code:
		o.Note = fmt.Sprintf("the history points to a flaky test, but this commit, where the failure was first seen, changes %s: the analysis stands", o.Touched)
	case o.Flaky:
		a, o = applyFlaky(a, in, o)
	case o.Code:
		a, o = applyCode(a, o)
	default:
		o.Note = "the history neither points to a flaky test nor to this change: the analysis stands"
	}
	// The note is kept whole: a long reasoning gives way to it.
	note := "History (" + f.Sentence() + "): " + o.Note + "."
	room := max(analysis.MaxTextRunes-utf8.RuneCountInString(note)-1, 0)
	a.Reasoning = strings.TrimSpace(clipRunes(a.Reasoning, room) + " " + note)
	return a, o
}

func applyFlaky(a analysis.AnalysisResult, in Input, o Outcome) (analysis.AnalysisResult, Outcome) {
	switch {
	case a.Category == analysis.CategoryFlakyTest:
		before := a.Confidence
		a.Confidence = raise(a.Confidence)
		o.Note = fmt.Sprintf("it agrees with flaky_test; confidence %d -> %d", before, a.Confidence)
	case a.Category != analysis.CategoryCode:
		o.Note = fmt.Sprintf("it points to a flaky test, but the analysis says %s, which history does not overrule", a.Category)
	case a.Confidence >= LowConfidence:
		o.Note = fmt.Sprintf("it points to a flaky test, but the analysis is %d%% sure of code: it stands", a.Confidence)
	case !in.TestFailure:
		o.Note = "it points to a flaky test, but the log is not a plain test failure (a build, lint or setup error is not flaky): code stands"
	case o.Touched != "":
		o.Note = fmt.Sprintf("it points to a flaky test, but the change touches %s: code stands", o.Touched)
	case in.ChangedFilesUnknown:
		o.Note = "it points to a flaky test, but the change's files are not all known and may include the failing test: code stands"
	default:
		was := a.Confidence
		o.From = a.Category
		a.Category = analysis.CategoryFlakyTest
		a.Confidence = movedConfidence
		a.RiskScore = flakyRisk
		a.Effort = analysis.EffortLow
		a.InvolvesApplicationCode = false
		a.Actions = []analysis.Action{{Type: analysis.ActionRerunFailedJobs}}
		a.ProposedFix = clipRunes("Re-run the failed jobs: this test failed the same way on other commits this week or passed on a re-run ("+
			in.Facts.Sentence()+"). Then fix or quarantine the flaky test. If the re-run fails too, the earlier reading stands: "+
			a.ProposedFix, analysis.MaxTextRunes)
		o.Note = fmt.Sprintf("it points to a flaky test and the log is a test failure the change does not touch, so code (%d%% sure) became flaky_test", was)
	}
	return a, o
}

func applyCode(a analysis.AnalysisResult, o Outcome) (analysis.AnalysisResult, Outcome) {
	switch a.Category {
	case analysis.CategoryCode:
		before := a.Confidence
		a.Confidence = raise(a.Confidence)
		o.Note = fmt.Sprintf("first seen on this commit, which changes %s: it agrees with code; confidence %d -> %d", o.Touched, before, a.Confidence)
	case analysis.CategoryFlakyTest:
		o.From = a.Category
		a.Category = analysis.CategoryCode
		a.Confidence = movedConfidence
		a.RiskScore = max(a.RiskScore, codeRisk)
		a.InvolvesApplicationCode = true
		a.Actions = []analysis.Action{{Type: analysis.ActionNone}}
		a.ProposedFix = clipRunes("Treat it as a regression: the failure was first seen on this commit, which changes "+o.Touched+
			". Reproduce the failing test locally and fix the code or the test deliberately; do not re-run to get green. "+
			a.ProposedFix, analysis.MaxTextRunes)
		o.Note = fmt.Sprintf("first seen on this commit, which changes %s, so flaky_test became code", o.Touched)
	default:
		o.Note = fmt.Sprintf("first seen on this commit, which changes %s, but the analysis says %s, which history does not overrule", o.Touched, a.Category)
	}
	return a, o
}

// Touched returns the first changed file the analysis names: its path or
// its file name appears in an evidence line or an affected component, or
// it lies under a component that is a directory ("pkg/parser"). File names
// shorter than 4 characters or without an extension ("ci", "Makefile")
// are matched by full path only, so a short word cannot match by chance.
func Touched(a analysis.AnalysisResult, changed []string) string {
	if len(changed) == 0 {
		return ""
	}
	var named []string
	for _, e := range a.Evidence {
		if !strings.HasPrefix(e, EvidencePrefix) {
			named = append(named, strings.ToLower(e))
		}
	}
	for _, c := range a.AffectedComponents {
		named = append(named, strings.ToLower(c))
	}
	for _, file := range changed {
		p := strings.ToLower(strings.ReplaceAll(file, "\\", "/"))
		base := path.Base(p)
		byName := len(base) >= 4 && strings.Contains(strings.TrimPrefix(base, "."), ".")
		for _, n := range named {
			if strings.Contains(n, p) || (byName && containsWord(n, base)) {
				return file
			}
			if dir := strings.TrimSuffix(n, "/"); strings.Contains(dir, "/") && !strings.ContainsAny(dir, " \t") &&
				strings.HasPrefix(p, dir+"/") {
				return file
			}
		}
	}
	return ""
}

// containsWord reports whether s holds name with no path or word
// character right before or after it ("parser_test.go" is in
// "parser_test.go:42:", not in "myparser_test.go").
func containsWord(s, name string) bool {
	for i := 0; ; {
		j := strings.Index(s[i:], name)
		if j < 0 {
			return false
		}
		j += i
		end := j + len(name)
		if (j == 0 || !nameByte(s[j-1])) && (end == len(s) || !nameByte(s[end])) {
			return true
		}
		i = j + 1
	}
}

func nameByte(b byte) bool {
	return b == '_' || b == '-' || b == '.' || (b >= '0' && b <= '9') || (b >= 'a' && b <= 'z') || b >= 0x80
}

// withLine adds the history line to the evidence, replacing the last quote
// when the evidence is already full (analysis.MaxEvidence), and any older
// history line (a re-analysis).
func withLine(ev []string, line string) []string {
	out := make([]string, 0, len(ev)+1)
	for _, e := range ev {
		if !strings.HasPrefix(e, EvidencePrefix) {
			out = append(out, e)
		}
	}
	if len(out) >= analysis.MaxEvidence {
		out = out[:analysis.MaxEvidence-1]
	}
	return append(out, clipRunes(line, analysis.MaxEvidenceRunes))
}

func raise(c int) int { return max(c, min(c+raiseBy, raiseCap)) }

func clipRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	if n < 1 {
		return ""
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}
