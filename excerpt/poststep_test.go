package excerpt

import (
	"slices"
	"strings"
	"testing"
)

// Lines of a job that uses actions/checkout and actions/setup-node (with a
// cache, so it has a post stage) and then runs the tests, as GitHub's raw
// log has them: a post stage begins with the runner's "Post job cleanup."
// and no group header, in the reverse order of the actions.
var (
	setupNode = []string{
		"##[group]Run actions/setup-node@v4",
		"with:",
		"  node-version: 20",
		"  cache: pnpm",
		"##[endgroup]",
		"Found in cache @ /opt/hostedtoolcache/node/20.12.2/x64",
	}
	testsPass = []string{
		"##[group]Run pnpm turbo run test",
		"pnpm turbo run test",
		"##[endgroup]",
		"@acme/api:test:       Tests  212 passed (212)",
		" Tasks:    2 successful, 2 total",
	}
	testsFail = []string{
		"##[group]Run pnpm turbo run test",
		"pnpm turbo run test",
		"##[endgroup]",
		"@acme/api:test: AssertionError: expected 200 to be 404",
		"@acme/api:test:       Tests  1 failed | 211 passed (212)",
		"##[error]Process completed with exit code 1.",
	}
	nodePostFails = []string{
		"Post job cleanup.",
		"/home/runner/setup-pnpm/node_modules/.bin/pnpm store path --silent",
		"##[error]Cache folder path is retrieved for pnpm but doesn't exist on disk: /home/runner/.local/share/pnpm/store/v3",
	}
	nodePostWarns = []string{
		"Post job cleanup.",
		"##[warning]Cache save failed.",
	}
	checkoutPost = []string{
		"Post job cleanup.",
		"[command]/usr/bin/git version",
		"git version 2.47.1",
		"Cleaning up orphan processes",
	}
	cacheMissing = "Cache folder path is retrieved for pnpm but doesn't exist on disk: /home/runner/.local/share/pnpm/store/v3"
)

func TestExtract_PostStep(t *testing.T) {
	tests := []struct {
		name       string
		lines      []string
		wantStep   string
		wantReason string
	}{
		{
			name:       "a post step's own error, named after its action",
			lines:      withSetup(slices.Concat(setupNode, testsPass, nodePostFails, checkoutPost)...),
			wantStep:   "Post Run actions/setup-node@v4",
			wantReason: cacheMissing,
		},
		{
			name:       "log cut before the job's start: which action is not certain",
			lines:      slices.Concat(setupNode, testsPass, nodePostFails, checkoutPost),
			wantStep:   PostCleanupStep,
			wantReason: cacheMissing,
		},
		{
			name: "an action without a post stage: the pairing would guess",
			lines: withSetup(slices.Concat(setupNode, testsPass,
				[]string{"##[group]Run actions/upload-artifact@v4", "with:", "  name: report", "##[endgroup]", "Uploaded 1 file"},
				nodePostFails, checkoutPost)...),
			wantStep:   PostCleanupStep,
			wantReason: cacheMissing,
		},
		{
			name: "a log that names its post steps",
			lines: slices.Concat(setupNode, testsPass, []string{
				"Post job cleanup.",
				"##[group]Post Run actions/setup-node@v4",
				"##[error]" + cacheMissing,
				"##[endgroup]",
				"Cleaning up orphan processes",
			}),
			wantStep:   "Post Run actions/setup-node@v4",
			wantReason: cacheMissing,
		},
		{
			name:       "the main step failed, a post step only warned",
			lines:      withSetup(slices.Concat(setupNode, testsFail, nodePostWarns, checkoutPost)...),
			wantStep:   "Run pnpm turbo run test",
			wantReason: "@acme/api:test: AssertionError: expected 200 to be 404",
		},
		{
			name:       "the main step failed, then a post step too",
			lines:      withSetup(slices.Concat(setupNode, testsFail, nodePostFails, checkoutPost)...),
			wantStep:   "Run pnpm turbo run test",
			wantReason: "@acme/api:test: AssertionError: expected 200 to be 404",
		},
		{
			name: "a cancelled step, then the post steps",
			lines: withSetup(
				"##[group]Run ./gradlew test",
				"##[endgroup]",
				"> Task :test",
				"##[error]The operation was canceled.",
				"Post job cleanup.",
				"Post job cleanup.",
				`[command]"C:\Program Files\Git\bin\git.exe" version`,
			),
			wantStep:   "Run ./gradlew test",
			wantReason: "The operation was canceled.",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ex := extract(t, ghLog(tt.lines...), Options{})
			if ex.FailingStep != tt.wantStep {
				t.Errorf("FailingStep = %q, want %q", ex.FailingStep, tt.wantStep)
			}
			if ex.Reason != tt.wantReason {
				t.Errorf("Reason = %q, want %q", ex.Reason, tt.wantReason)
			}
		})
	}
}

// TestExtract_PostStepSection: the failing main step's section ends where
// the post steps begin, and a failing post step's section is its own.
func TestExtract_PostStepSection(t *testing.T) {
	ex := extract(t, ghLog(withSetup(slices.Concat(setupNode, testsFail, nodePostWarns, checkoutPost)...)...), Options{})
	if strings.Contains(ex.Section, "Post job cleanup.") || !strings.Contains(ex.Section, "AssertionError") {
		t.Errorf("main step's section:\n%s", ex.Section)
	}
	ex = extract(t, ghLog(withSetup(slices.Concat(setupNode, testsPass, nodePostFails, checkoutPost)...)...), Options{})
	if strings.Contains(ex.Section, "Tests  212 passed") || strings.Contains(ex.Section, "git version") ||
		!strings.HasPrefix(ex.Section, "Post job cleanup.") {
		t.Errorf("post step's section:\n%s", ex.Section)
	}
}

// TestExtract_PostStepCopied: one step copied from the web UI has no step
// groups: "Post job cleanup." there begins no step, so which step failed
// stays unknown, as for any such copy.
func TestExtract_PostStepCopied(t *testing.T) {
	ex := extract(t, strings.Join([]string{
		"Post job cleanup.",
		"/home/runner/setup-pnpm/node_modules/.bin/pnpm store path",
		"/home/runner/.local/share/pnpm/store/v3",
		"Error: " + cacheMissing,
	}, "\n")+"\n", Options{})
	if ex.FailingStep != "" || !strings.Contains(ex.Section, "Post job cleanup.") {
		t.Errorf("FailingStep = %q, section:\n%s", ex.FailingStep, ex.Section)
	}
}
