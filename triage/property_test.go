package triage

import (
	"fmt"
	"strings"
	"testing"

	"pgregory.net/rapid"
)

// noiseWords never state a failure: logs built from them hold exactly one
// root cause, the injected one.
var noiseWords = []string{
	"compiling", "module", "resolved", "packages", "downloading", "cache", "restored",
	"step", "build", "done", "ok", "passed", "running", "tests", "checking", "files",
	"bytes", "linking", "target", "workspace", "install", "added", "audited", "from",
	"node_modules", "src/app.ts", "v1.2.3", "42", "0.5s", "[1/4]", "->", "=", "==>",
}

func noiseLine(t *rapid.T) string {
	n := rapid.IntRange(0, 10).Draw(t, "words")
	words := make([]string, n)
	for i := range words {
		words[i] = rapid.SampledFrom(noiseWords).Draw(t, "word")
	}
	line := strings.Repeat(" ", rapid.IntRange(0, 4).Draw(t, "indent")) + strings.Join(words, " ")
	switch rapid.IntRange(0, 5).Draw(t, "decor") {
	case 0:
		line = "\x1b[" + rapid.SampledFrom([]string{"32m", "1;36m", "0m", "2K"}).Draw(t, "ansi") + line + "\x1b[0m"
	case 1:
		line += "\r"
	case 2:
		line = rapid.SampledFrom([]string{"##[debug]", "##[warning]deprecated ", "##[notice]"}).Draw(t, "marker") + line
	}
	return line
}

func word(t *rapid.T, label string) string {
	return rapid.StringMatching(`[a-z][a-z0-9_]{2,10}`).Draw(t, label)
}

// cause is a root-cause line and the category it belongs to.
type cause struct {
	line string
	cat  Category
}

// npmCodes are npm error codes whose category does not depend on context:
// the registry was unreachable (infrastructure) or the dependency tree
// cannot be satisfied as written (dependency).
var npmCodes = []struct {
	code string
	cat  Category
}{
	{"ECONNRESET", CategoryInfrastructure}, {"ETIMEDOUT", CategoryInfrastructure}, {"ENOTFOUND", CategoryInfrastructure},
	{"ERESOLVE", CategoryDependency}, {"ETARGET", CategoryDependency}, {"E404", CategoryDependency}, {"EINTEGRITY", CategoryDependency},
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
		{fmt.Sprintf("error: could not compile `%s` due to %d previous errors", w, n), CategoryCode},
		{fmt.Sprintf("%s.go:%d:%d: undefined: %s", w, n, n%80, w), CategoryCode},
		{fmt.Sprintf("src/%s.c:%d:5: error: '%s' undeclared", w, n, w), CategoryCode},
		{fmt.Sprintf("panic: runtime error: index out of range [%d] with length %d", n, n), CategoryCode},
		{fmt.Sprintf("fatal: unable to access 'https://github.com/o/%s/': The requested URL returned error: 403", w), CategoryConfig},
		{fmt.Sprintf("Error: Cannot find module '%s'", w), CategoryDependency},
		{fmt.Sprintf("ERROR: Could not find a version that satisfies the requirement %s==%d.0 (from versions: 0.%d, 1.0)", w, n, n%10), CategoryDependency},
		{"ERROR: ResolutionImpossible: for help visit https://pip.pypa.io", CategoryDependency},
		{fmt.Sprintf(" ERR_PNPM_OUTDATED_LOCKFILE  Cannot install with \"frozen-lockfile\" because %s", w), CategoryDependency},
		{fmt.Sprintf("verifying example.com/%s@v1.%d.0: checksum mismatch", w, n), CategoryDependency},
		{"System.IO.IOException: No space left on device", CategoryInfrastructure},
		{fmt.Sprintf("java.lang.AssertionError: expected [%d] but found [%d]", n, n+1), CategoryFlakyTest},
		{fmt.Sprintf("%s.java:[%d,7] error: cannot find symbol", w, n), CategoryCode},
		{fmt.Sprintf("panic: test timed out after %dm0s", n%60+1), CategoryTimeout},
		{fmt.Sprintf("Error: Timeout of %dms exceeded.", n*10), CategoryTimeout},
		{"/home/runner/work/_temp/x.sh: line 1: 12345 Killed                  ./run", CategoryInfrastructure},
		{fmt.Sprintf("ModuleNotFoundError: No module named '%s'", w), CategoryDependency},
		{fmt.Sprintf("FAIL src/%s.test.ts", w), CategoryFlakyTest},
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
			lines = append(lines, fmt.Sprintf("##[error]Process completed with exit code %d.", rapid.IntRange(1, 255).Draw(t, "exit")))
			if rapid.Bool().Draw(t, "post step") {
				lines = append(lines, "##[group]Run actions/cache/save@v4", "##[endgroup]")
				noise("post noise", 20)
			}
		}
		log := strings.Join(lines, "\n")
		if github {
			log = ghLog(lines...)
		}

		ex, err := Extract(strings.NewReader(log), Options{})
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
		res := Classify(Input{Reason: ex.Reason, Text: ex.Text(), FailingStep: ex.FailingStep})
		if res.Category != cause.cat {
			t.Fatalf("category of %q = %s, want %s (reasoning: %s)", cause.line, res.Category, cause.cat, res.Reasoning)
		}
	})
}

// Any bytes at all: Extract does not panic, reads everything, and keeps
// within its bounds.
func TestExtract_PropertyArbitraryInput(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		data := rapid.SliceOfN(rapid.SampledFrom([]byte("ab \t\n\r\x1b[]#-_:=eyJ0\xff\x00")), 0, 4000).Draw(t, "data")
		opt := Options{
			MaxSectionBytes: rapid.IntRange(0, 2048).Draw(t, "section"),
			TailLines:       rapid.IntRange(0, 20).Draw(t, "tail"),
			MaxLineBytes:    rapid.IntRange(0, 300).Draw(t, "line"),
			MaxErrorLines:   rapid.IntRange(0, 5).Draw(t, "errors"),
		}
		ex, err := Extract(strings.NewReader(string(data)), opt)
		if err != nil {
			t.Fatal(err)
		}
		o := opt.withDefaults()
		if ex.Bytes != int64(len(data)) {
			t.Fatalf("Bytes = %d, want %d", ex.Bytes, len(data))
		}
		if len(ex.Reason) > maxReasonLen {
			t.Fatalf("reason of %d bytes", len(ex.Reason))
		}
		if len(ex.ErrorLines) > o.MaxErrorLines {
			t.Fatalf("%d error lines", len(ex.ErrorLines))
		}
		if n := strings.Count(ex.Tail, "\n") + 1; ex.Tail != "" && n > o.TailLines {
			t.Fatalf("%d tail lines", n)
		}
		_ = ex.Text()
	})
}
