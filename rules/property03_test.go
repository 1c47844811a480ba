package rules

import (
	"fmt"
	"strings"
	"testing"

	"github.com/ccm-ci/ccm/analysis"
	"github.com/ccm-ci/ccm/excerpt"
	"github.com/ccm-ci/ccm/excerpt/excerpttest"
	"github.com/ccm-ci/ccm/excerpt/keyline"
	"pgregory.net/rapid"
)

// The log builders are shared with the excerpt and redaction tests.
var (
	ghLog     = excerpttest.GHLog
	withSetup = excerpttest.WithSetup
	noiseLine = excerpttest.NoiseLine
	word      = excerpttest.Word
	reasonKey = keyline.Normalize
)

// cause is a root-cause line and the category it belongs to.
type cause struct {
	line string
	cat  analysis.Category
}

// npmCodes are npm error codes whose category does not depend on context:
// the registry was unreachable (infrastructure) or the dependency tree
// cannot be satisfied as written (dependency).
var npmCodes = []struct {
	code string
	cat  analysis.Category
}{
	{"ECONNRESET", analysis.CategoryInfrastructure}, {"ETIMEDOUT", analysis.CategoryInfrastructure}, {"ENOTFOUND", analysis.CategoryInfrastructure},
	{"ERESOLVE", analysis.CategoryDependency}, {"ETARGET", analysis.CategoryDependency}, {"E404", analysis.CategoryDependency}, {"EINTEGRITY", analysis.CategoryDependency},
}

// rootCause draws one line that states why a build failed, in one of the
// forms real tools print, with the category a person reading it would give
// it. An isolated test assertion (nothing says the change touched the test,
// no other signal) is flaky_test: that is ccm's stated default, see
// classifyAssertion.
func rootCause(t *rapid.T) cause {
	w, n := word(t, "w"), rapid.IntRange(1, 999).Draw(t, "n")
	npm := rapid.SampledFrom(npmCodes).Draw(t, "npm code")
	forms := []cause{
		{fmt.Sprintf("npm error code %s", npm.code), npm.cat},
		{fmt.Sprintf("npm ERR! code %s", npm.code), npm.cat},
		{fmt.Sprintf("error: could not compile `%s` due to %d previous errors", w, n), analysis.CategoryCode},
		{fmt.Sprintf("%s.go:%d:%d: undefined: %s", w, n, n%80, w), analysis.CategoryCode},
		{fmt.Sprintf("src/%s.c:%d:5: error: '%s' undeclared", w, n, w), analysis.CategoryCode},
		{fmt.Sprintf("panic: runtime error: index out of range [%d] with length %d", n, n), analysis.CategoryCode},
		{fmt.Sprintf("fatal: unable to access 'https://github.com/o/%s/': The requested URL returned error: 403", w), analysis.CategoryConfig},
		{fmt.Sprintf("Error: Cannot find module '%s'", w), analysis.CategoryDependency},
		{fmt.Sprintf("ERROR: Could not find a version that satisfies the requirement %s==%d.0 (from versions: 0.%d, 1.0)", w, n, n%10), analysis.CategoryDependency},
		{"ERROR: ResolutionImpossible: for help visit https://pip.pypa.io", analysis.CategoryDependency},
		{fmt.Sprintf(" ERR_PNPM_OUTDATED_LOCKFILE  Cannot install with \"frozen-lockfile\" because %s", w), analysis.CategoryDependency},
		{fmt.Sprintf("verifying example.com/%s@v1.%d.0: checksum mismatch", w, n), analysis.CategoryDependency},
		{"System.IO.IOException: No space left on device", analysis.CategoryInfrastructure},
		{fmt.Sprintf("java.lang.AssertionError: expected [%d] but found [%d]", n, n+1), analysis.CategoryFlakyTest},
		{fmt.Sprintf("%s.java:[%d,7] error: cannot find symbol", w, n), analysis.CategoryCode},
		{fmt.Sprintf("panic: test timed out after %dm0s", n%60+1), analysis.CategoryTimeout},
		{fmt.Sprintf("Error: Timeout of %dms exceeded.", n*10), analysis.CategoryFlakyTest},
		{"/home/runner/work/_temp/x.sh: line 1: 12345 Killed                  ./run", analysis.CategoryInfrastructure},
		{fmt.Sprintf("ModuleNotFoundError: No module named '%s'", w), analysis.CategoryDependency},
		{fmt.Sprintf("FAIL src/%s.test.ts", w), analysis.CategoryFlakyTest},
	}
	return rapid.SampledFrom(forms).Draw(t, "cause")
}

// TestProperty03_FailureReasonExtraction checks seed property 3:
// "*For any* workflow log containing a failure pattern, the failure reason
// extraction should identify the root cause category correctly".
// Logs are GitHub Actions logs (timestamps, steps, groups, ANSI, markers) or
// plain logs of other CI systems, made of noise that states no failure plus
// one injected root-cause line, possibly as an ##[error] annotation, followed
// by the exit-code marker and later steps. The reason must be that line,
// and the rule analyzer, given the excerpt, must put it in the line's
// category: finding the line is half of the property, naming the category
// the other half.
func TestProperty03_FailureReasonExtraction(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		github := rapid.Bool().Draw(t, "github")
		cause := rootCause(t)
		var lines []string
		noise := func(label string, max int) {
			for range rapid.IntRange(0, max).Draw(t, label) {
				lines = append(lines, noiseLine(t))
			}
		}
		failingStep := ""
		if github {
			lines = append(lines, withSetup()...)
			for i := range rapid.IntRange(0, 3).Draw(t, "earlier steps") {
				lines = append(lines, fmt.Sprintf("##[group]Run step-%d", i), "echo hi", "##[endgroup]")
				noise("earlier noise", 20)
			}
			failingStep = "Run " + word(t, "step")
			lines = append(lines, "##[group]"+failingStep, "  shell: /usr/bin/bash -e {0}", "##[endgroup]")
		}
		noise("noise before", 150)
		injected := cause.line
		if github && rapid.Bool().Draw(t, "annotation") {
			injected = "##[error]" + cause.line
		}
		lines = append(lines, injected)
		noise("noise after", 150)
		if github {
			// Not 137: that exit is the kernel's SIGKILL (oom-killed), a
			// cause of its own that by design outranks a compiler's
			// summary line ("could not compile … due to 1 previous
			// errors"), which a killed build prints too.
			exit := rapid.IntRange(1, 255).Filter(func(c int) bool { return c != 137 }).Draw(t, "exit")
			lines = append(lines, fmt.Sprintf("##[error]Process completed with exit code %d.", exit))
			if rapid.Bool().Draw(t, "post step") {
				lines = append(lines, "##[group]Run actions/cache/save@v4", "##[endgroup]")
				noise("post noise", 20)
			}
		}
		log := strings.Join(lines, "\n")
		if github {
			log = ghLog(lines...)
		}

		ex, err := excerpt.Extract(strings.NewReader(log), excerpt.Options{})
		if err != nil {
			t.Fatalf("Extract: %v", err)
		}
		want := reasonKey(cause.line)
		if got := reasonKey(ex.Reason); !strings.Contains(got, want) {
			t.Fatalf("reason %q does not contain the root cause %q", got, want)
		}
		if ex.FailingStep != failingStep {
			t.Fatalf("FailingStep = %q, want %q", ex.FailingStep, failingStep)
		}
		res := Classify(InputFromExcerpt(ex))
		if res.Category != cause.cat {
			t.Fatalf("category of %q = %s, want %s (reasoning: %s)", cause.line, res.Category, cause.cat, res.Reasoning)
		}
	})
}
