package rules

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/ccm-ci/ccm/analysis"
	"github.com/ccm-ci/ccm/logtext"
	"pgregory.net/rapid"
)

// sampleLines are real-world failure lines from every signature family, mixed
// into generated logs so the properties exercise the rules, not only the
// unknown default.
var sampleLines = []string{
	"##[error]The runner has received a shutdown signal.",
	"The hosted runner: GitHub Actions 9 lost communication with the server.",
	"ERROR: Job failed (system failure): exit status 2",
	"System.IO.IOException: No space left on device",
	"Error: Process completed with exit code 137.",
	"##[error]The job running on runner GitHub Actions 2 has exceeded the maximum execution time of 360 minutes.",
	"Too long with no output (exceeded 10m0s): context deadline exceeded",
	"Invalid workflow file: .github/workflows/ci.yml#L7",
	"Error: Unable to resolve action `foo/bar@v9`, unable to find version `v9`",
	"Error: Input required and not supplied: token",
	"remote: Permission to o/r.git denied to github-actions[bot].",
	"WorkflowScript: 44: unexpected token: } @ line 44, column 1.",
	"Error: Version 3.6 with arch x64 not found",
	" ERR_PNPM_OUTDATED_LOCKFILE  Cannot install with \"frozen-lockfile\" because pnpm-lock.yaml is not up to date",
	"npm error code ERESOLVE",
	"npm ERR! notarget No matching version found for left-pad@^9.9.9.",
	"ERROR: ResolutionImpossible: for help visit https://pip.pypa.io/",
	"verifying gopkg.in/x.v2@v2.0.4: checksum mismatch",
	"error: the lock file /w/Cargo.lock needs to be updated but --locked was passed to prevent this",
	"npm error code ECONNRESET",
	"toomanyrequests: You have reached your pull rate limit.",
	"Warning: uploadChunk failed: Cache service responded with 503",
	"/usr/bin/tar: Unexpected EOF in archive",
	"src/a.ts(1,2): error TS2322: Type 'true' is not assignable to type 'false'.",
	"Marlin/src/module/AutoOffset.cpp:845:42: error: 'vals' was not declared in this scope",
	"error[E0425]: cannot find value `x` in this scope",
	"pkg/a.go:3:2: undefined: helper",
	"panic: test timed out after 10m0s",
	"     Error: Timeout of 5000ms exceeded. For async tests and hooks, ensure \"done()\" is called",
	"    Error: locator.click: Timeout 30000ms exceeded.",
	"Capybara::ElementNotFound: Unable to find button \"Save\"",
	"WARNING: DATA RACE",
	"java.lang.AssertionError: expected [14] but found [10]",
	"--- FAIL: TestTraverse/simple (0.00s)",
	"FAILED tests/test_x.py::test_y - AssertionError: assert 1 == 2",
	"  ● Suite › does a thing",
	"     Failure/Error: expect(page).to have_content('x')",
	"Randomized with seed 54525",
	"dial tcp 10.0.0.1:443: connect: connection refused",
}

// genInput mixes random text with random real failure lines.
func genInput(t *rapid.T) Input {
	var b strings.Builder
	for range rapid.IntRange(0, 12).Draw(t, "lines") {
		if rapid.Bool().Draw(t, "real") {
			b.WriteString(rapid.SampledFrom(sampleLines).Draw(t, "sample"))
		} else {
			b.WriteString(rapid.String().Draw(t, "noise"))
		}
		b.WriteString(rapid.SampledFrom([]string{"\n", "\r\n", " ", ""}).Draw(t, "sep"))
	}
	return Input{
		Reason:       rapid.OneOf(rapid.Just(""), rapid.String(), rapid.SampledFrom(sampleLines)).Draw(t, "reason"),
		Text:         b.String(),
		FailingStep:  rapid.String().Draw(t, "step"),
		JobName:      rapid.String().Draw(t, "job"),
		ChangedFiles: rapid.SliceOfN(rapid.StringMatching(`[a-z_/]{1,20}\.(go|ts|py|java|md)`), 0, 4).Draw(t, "changed"),
	}
}

// TestProperty07_ValidCategory: "For any analyzed failure, the assigned
// category should be one of the valid categories: dependency, timeout,
// config, flaky_test, infrastructure". ccm's closed list adds code (a genuine
// defect in the project's own code); nothing outside Categories is allowed.
func TestProperty07_ValidCategory(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		got := Classify(genInput(t))
		if !got.Category.Valid() {
			t.Fatalf("category %q is not one of %v", got.Category, analysis.Categories)
		}
		if got.Source != analysis.SourceRules {
			t.Fatalf("source = %q, want rules", got.Source)
		}
	})
}

// TestProperty08_RiskScoreValidity: "For any analyzed failure, the assigned
// risk score should be an integer between 0 and 10 (inclusive)". The rule
// analyzer additionally never rates application code below 7.
func TestProperty08_RiskScoreValidity(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		got := Classify(genInput(t))
		if got.RiskScore < 0 || got.RiskScore > 10 {
			t.Fatalf("risk_score %d is outside 0-10", got.RiskScore)
		}
		if got.InvolvesApplicationCode && got.RiskScore < 7 {
			t.Fatalf("application-code failure with risk %d < 7", got.RiskScore)
		}
	})
}

// TestProperty09_RemediationProposalCompleteness: "For any analyzed failure,
// the proposed remediation should be non-empty and contain at least one
// actionable step".
// The fix is a numbered list of steps. A step is actionable when one of its
// clauses is an instruction: it opens with an imperative verb from
// imperatives ("Re-run the failed jobs", "...; check the registry's status
// page"). A step that only describes the failure ("The lockfile does not
// match the manifest.") is not. The typed actions must also be ones the
// text tells the reader about, so what ccm would do is never left unsaid.
func TestProperty09_RemediationProposalCompleteness(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		got := Classify(genInput(t))
		steps, ok := numberedSteps(got.ProposedFix)
		if !ok {
			t.Fatalf("proposed_fix %q is not a numbered list of steps", got.ProposedFix)
		}
		if !slices.ContainsFunc(steps, isActionable) {
			t.Fatalf("proposed_fix has no actionable step (no clause opens with an instruction):\n%s", got.ProposedFix)
		}
		if len(got.Actions) == 0 {
			t.Fatal("no actions")
		}
		for _, a := range got.Actions {
			if !a.Type.Valid() {
				t.Fatalf("action %q is not in the closed list", a.Type)
			}
			if said := actionSaid[a.Type]; said != nil && !said.MatchString(got.ProposedFix) {
				t.Fatalf("action %s but proposed_fix does not say so (want /%s/):\n%s", a.Type, said, got.ProposedFix)
			}
		}
	})
}

// imperatives are the verbs an instruction in a fix opens with. The list is
// closed on purpose: a fix whose steps start with anything else is read as
// description, not instruction.
var imperatives = map[string]bool{
	"add": true, "adapt": true, "avoid": true, "bump": true, "cancel": true, "check": true,
	"clear": true, "commit": true, "configure": true, "create": true, "debug": true,
	"delete": true, "disable": true, "enable": true, "find": true, "fix": true, "free": true,
	"go": true, "grant": true, "identify": true, "increase": true, "install": true,
	"look": true, "lower": true, "make": true, "mock": true, "move": true, "open": true,
	"pass": true, "pin": true, "push": true, "quarantine": true, "raise": true, "re-run": true,
	"read": true, "reduce": true, "regenerate": true, "remove": true, "replace": true,
	"reproduce": true, "rerun": true, "restart": true, "retry": true, "revert": true,
	"run": true, "set": true, "split": true, "switch": true, "track": true, "update": true,
	"upgrade": true, "use": true, "validate": true, "wait": true, "watch": true, "write": true,
}

// clauseStart finds the first word of each clause: at the start of a step,
// after a sentence or clause break (". ", "; ", ": ", ", ") or after "then".
var clauseStart = regexp.MustCompile(`(?:^|[.;:,]\s+|\bthen\s+)([A-Za-z][A-Za-z-]*)\s`)

func isActionable(step string) bool {
	for _, m := range clauseStart.FindAllStringSubmatch(step, -1) {
		if imperatives[strings.ToLower(m[1])] {
			return true
		}
	}
	return false
}

// numberedSteps splits "1. a\n2. b" into its steps; ok is false unless the
// fix is exactly such a list, numbered from 1, with no empty step.
func numberedSteps(fix string) (steps []string, ok bool) {
	if strings.TrimSpace(fix) == "" {
		return nil, false
	}
	for i, line := range strings.Split(fix, "\n") {
		step, found := strings.CutPrefix(line, strconv.Itoa(i+1)+". ")
		if !found || strings.TrimSpace(step) == "" {
			return nil, false
		}
		steps = append(steps, step)
	}
	return steps, true
}

// actionSaid is how the fix tells the reader about each typed action;
// ActionNone needs nothing.
var actionSaid = map[analysis.ActionType]*regexp.Regexp{
	analysis.ActionRerunFailedJobs: regexp.MustCompile(`(?i)\b(re-?run|retry)`),
	analysis.ActionRerunWorkflow:   regexp.MustCompile(`(?i)\b(re-?run|retry)`),
	analysis.ActionDeleteCache:     regexp.MustCompile(`(?i)\b(delete|clear)\b[^.\n]*\bcache`),
	analysis.ActionCancelRun:       regexp.MustCompile(`(?i)\bcancel`),
	analysis.ActionOpenFixPR:       regexp.MustCompile(`(?i)pull request|\bPR\b`),
}

// The checks above must be able to say no: a description is not a step, a
// conditional alone is not an instruction, and a list must be numbered.
func TestProperty09Checks(t *testing.T) {
	for _, tc := range []struct {
		step string
		want bool
	}{
		{"Re-run the failed jobs.", true},
		{"The package manager lost its connection to the registry; re-run the failed jobs.", true},
		{"If it recurs, check the registry's status page.", true},
		{"Then fix the hang: look at the goroutine dump.", true},
		{"The committed lockfile does not match the manifest, and CI installs in frozen/locked mode.", false},
		{"No known failure signature matched, so ccm will not remediate this automatically.", false},
		{"A Go test ran past `go test -timeout`.", false},
		{"abc", false},
	} {
		if got := isActionable(tc.step); got != tc.want {
			t.Errorf("isActionable(%q) = %v, want %v", tc.step, got, tc.want)
		}
	}
	for _, tc := range []struct {
		fix  string
		want int // steps; -1 for not a list
	}{
		{"1. Re-run the failed jobs.", 1},
		{"1. Check x.\n2. Fix y.", 2},
		{"Re-run the failed jobs.", -1},
		{"1. Check x.\n3. Fix y.", -1},
		{"1. Check x.\n2. ", -1},
		{"", -1},
	} {
		steps, ok := numberedSteps(tc.fix)
		if n := map[bool]int{true: len(steps), false: -1}[ok]; n != tc.want {
			t.Errorf("numberedSteps(%q) = %d steps (ok %v), want %d", tc.fix, len(steps), ok, tc.want)
		}
	}
}

// TestProperty10_EffortAndConfidenceValidity: "For any analyzed failure, the
// effort estimate should be one of {low, medium, high} and confidence should
// be an integer between 0 and 100".
func TestProperty10_EffortAndConfidenceValidity(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		got := Classify(genInput(t))
		if !got.Effort.Valid() {
			t.Fatalf("effort %q is not one of %v", got.Effort, analysis.Efforts)
		}
		if got.Confidence < 0 || got.Confidence > 100 {
			t.Fatalf("confidence %d is outside 0-100", got.Confidence)
		}
	})
}

// TestProperty11_ComponentIdentification: "For any analyzed failure, the
// affected components list should be non-empty and contain valid component
// identifiers".
func TestProperty11_ComponentIdentification(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		in := genInput(t)
		got := Classify(in)
		if len(got.AffectedComponents) == 0 {
			t.Fatal("affected_components is empty")
		}
		for _, c := range got.AffectedComponents {
			if !analysis.ValidComponent(c) {
				t.Fatalf("component %q is not a valid identifier", c)
			}
		}
		if err := got.Validate(); err != nil {
			t.Fatalf("Validate: %v", err)
		}
		// Evidence is verbatim from the log text apart from terminal colour
		// codes, which the analyzer strips before matching; the reason is
		// ccm's summary and never quoted.
		plain := logtext.WithoutANSI(in.Text)
		for _, e := range got.Evidence {
			if !strings.Contains(plain, e) && !strings.ContainsRune(e, '\uFFFD') {
				t.Fatalf("evidence %q is not verbatim from the input", e)
			}
		}
	})
}
