package excerpt

import (
	"strings"
	"testing"

	"github.com/ccm-ci/ccm/excerpt/excerpttest"
	"github.com/google/go-cmp/cmp"
)

// The log builders are shared with the redaction and rules tests.
var (
	ghLog     = excerpttest.GHLog
	withSetup = excerpttest.WithSetup
)

func extract(t *testing.T, log string, opt Options) Excerpt {
	t.Helper()
	ex, err := Extract(strings.NewReader(log), opt)
	if err != nil {
		t.Fatalf("Extract: %v", err)
	}
	return ex
}

func TestExtract_GitHubLogs(t *testing.T) {
	tests := []struct {
		name       string
		lines      []string
		wantReason string
		wantStep   string
		wantExit   int
		wantErrors []string
	}{
		{
			name: "meaningful error marker wins",
			lines: withSetup(
				"##[group]Run npm test",
				"npm test",
				"shell: /usr/bin/bash -e {0}",
				"##[endgroup]",
				"> jest",
				"\x1b[31mFAIL\x1b[39m src/app.test.js",
				"##[error]src/app.test.js: expected 2 to be 3",
				"##[error]Process completed with exit code 1.",
				"Post job cleanup.",
			),
			wantReason: "src/app.test.js: expected 2 to be 3",
			wantStep:   "Run npm test",
			wantExit:   1,
			wantErrors: []string{"src/app.test.js: expected 2 to be 3", "Process completed with exit code 1."},
		},
		{
			name: "exit code marker only: strongest section line",
			lines: withSetup(
				"##[group]Run go test ./...",
				"go test ./... # error: not really",
				"##[endgroup]",
				"ok  \tgithub.com/o/r/a\t0.01s",
				"--- FAIL: TestB (0.00s)",
				"    b_test.go:12: got 1, want 2",
				"FAIL\tgithub.com/o/r/b\t0.02s",
				"panic: runtime error: index out of range [3] with length 3",
				"FAIL",
				"##[error]Process completed with exit code 1.",
			),
			wantReason: "panic: runtime error: index out of range [3] with length 3",
			wantStep:   "Run go test ./...",
			wantExit:   1,
			wantErrors: []string{"panic: runtime error: index out of range [3] with length 3", "Process completed with exit code 1."},
		},
		{
			name: "first cause among equals, not trailing noise",
			lines: withSetup(
				"##[group]Run cargo build --locked",
				"cargo build --locked",
				"##[endgroup]",
				"    Updating crates.io index",
				"error: the lock file /home/runner/work/r/r/Cargo.lock needs to be updated but --locked was passed to prevent this",
				"error: could not compile `r` due to previous error",
				"Error: Process completed with exit code 101.",
			),
			wantReason: "error: the lock file /home/runner/work/r/r/Cargo.lock needs to be updated but --locked was passed to prevent this",
			wantStep:   "Run cargo build --locked",
			wantExit:   101,
		},
		{
			name: "failing step is the one open at the first error, later steps ignored",
			lines: withSetup(
				"##[group]Run make build",
				"make build",
				"##[endgroup]",
				"cc -o app main.c",
				"main.c:3:5: error: 'x' undeclared (first use in this function)",
				"make: *** [Makefile:2: app] Error 1",
				"##[error]Process completed with exit code 2.",
				"##[group]Run actions/upload-artifact@v4",
				"##[endgroup]",
				"Error: No files were found with the provided path: dist. No artifacts will be uploaded.",
			),
			wantReason: "main.c:3:5: error: 'x' undeclared (first use in this function)",
			wantStep:   "Run make build",
			wantExit:   2,
		},
		{
			name: "no error marker: last group is the step",
			lines: withSetup(
				"##[group]Run ./build.sh",
				"##[endgroup]",
				"Building...",
				"fatal: not a git repository (or any of the parent directories): .git",
			),
			wantReason: "fatal: not a git repository (or any of the parent directories): .git",
			wantStep:   "Run ./build.sh",
			wantExit:   -1,
		},
		{
			name: "cancelled run",
			lines: withSetup(
				"##[group]Run sleep 1000",
				"##[endgroup]",
				"##[error]The operation was canceled.",
			),
			wantReason: "The operation was canceled.",
			wantStep:   "Run sleep 1000",
			wantExit:   -1,
		},
		{
			name: "generic git wrapper loses to the cause above it",
			lines: withSetup(
				"##[group]Run git push",
				"##[endgroup]",
				"remote: Permission to o/r.git denied to github-actions[bot].",
				"fatal: unable to access 'https://github.com/o/r/': The requested URL returned error: 403",
				"##[error]The process '/usr/bin/git' failed with exit code 128",
			),
			wantReason: "remote: Permission to o/r.git denied to github-actions[bot].",
			wantStep:   "Run git push",
			wantExit:   -1,
		},
		{
			name: "only exit code",
			lines: withSetup(
				"##[group]Run ./x.sh",
				"##[endgroup]",
				"doing things",
				"##[error]Process completed with exit code 137.",
			),
			wantReason: "Process completed with exit code 137",
			wantStep:   "Run ./x.sh",
			wantExit:   137,
		},
		{
			name: "script lines in the step header are not output",
			lines: withSetup(
				"##[group]Run ./ci.sh || echo \"error: ci failed\"",
				"./ci.sh || echo \"error: ci failed\"",
				"##[endgroup]",
				"all good until",
				"Segmentation fault (core dumped)",
				"##[error]Process completed with exit code 139.",
			),
			wantReason: "Segmentation fault (core dumped)",
			wantStep:   `Run ./ci.sh || echo "error: ci failed"`,
			wantExit:   139,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ex := extract(t, ghLog(tt.lines...), Options{})
			if ex.Reason != tt.wantReason {
				t.Errorf("Reason = %q, want %q", ex.Reason, tt.wantReason)
			}
			if ex.FailingStep != tt.wantStep {
				t.Errorf("FailingStep = %q, want %q", ex.FailingStep, tt.wantStep)
			}
			if ex.ExitCode != tt.wantExit {
				t.Errorf("ExitCode = %d, want %d", ex.ExitCode, tt.wantExit)
			}
			if tt.wantErrors != nil {
				if diff := cmp.Diff(tt.wantErrors, ex.ErrorLines); diff != "" {
					t.Errorf("ErrorLines (-want +got):\n%s", diff)
				}
			}
			if ex.Lines != int64(len(tt.lines)) {
				t.Errorf("Lines = %d, want %d", ex.Lines, len(tt.lines))
			}
			if strings.Contains(ex.Section+ex.Tail, "2024-05-06T") {
				t.Errorf("timestamps not stripped:\n%s", ex.Section)
			}
		})
	}
}

func TestExtract_SectionIsTheFailingStep(t *testing.T) {
	ex := extract(t, ghLog(withSetup(
		"##[group]Run npm ci",
		"##[endgroup]",
		"added 100 packages",
		"##[group]Run npm test",
		"##[endgroup]",
		"Error: boom",
		"##[error]Process completed with exit code 1.",
		"##[group]Run post",
		"##[endgroup]",
		"cleanup output",
	)...), Options{})
	want := "##[group]Run npm test\n##[endgroup]\nError: boom\n##[error]Process completed with exit code 1."
	if ex.Section != want {
		t.Errorf("Section:\n%s\nwant:\n%s", ex.Section, want)
	}
	if !strings.HasSuffix(ex.Tail, "cleanup output") {
		t.Errorf("Tail does not end the log: %q", ex.Tail)
	}
}

func TestExtract_OtherCISystems(t *testing.T) {
	tests := []struct {
		name       string
		log        string
		wantReason string
	}{
		{
			name: "gitlab",
			log: "Running with gitlab-runner 16.0.1 (abc)\nsection_start:1700000000:step_script\r\n\x1b[0K$ npm test\n" +
				"npm ERR! code ELIFECYCLE\nnpm ERR! errno 1\nsection_end:1700000001:step_script\n\x1b[31;1mERROR: Job failed: exit code 1\x1b[0;m\n",
			wantReason: "npm ERR! code ELIFECYCLE",
		},
		{
			name: "jenkins with timestamps",
			log: "[2020-01-15T21:02:04.265Z] Started by user admin\n[2020-01-15T21:02:08.170Z] + mvn -B verify\n" +
				"[2020-01-15T21:02:09.170Z] [ERROR] Failed to execute goal on project app: Could not resolve dependencies for project x:y:jar:1.0\n" +
				"[2020-01-15T21:02:09.171Z] Finished: FAILURE\n",
			wantReason: "[ERROR] Failed to execute goal on project app: Could not resolve dependencies for project x:y:jar:1.0",
		},
		{
			name:       "python traceback",
			log:        "Traceback (most recent call last):\n  File \"x.py\", line 3, in <module>\n    import foo\nModuleNotFoundError: No module named 'foo'\n",
			wantReason: "ModuleNotFoundError: No module named 'foo'",
		},
		{
			name:       "nothing error-like: last line",
			log:        "step one\nstep two\n\n",
			wantReason: "step two",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ex := extract(t, tt.log, Options{})
			if ex.Reason != tt.wantReason {
				t.Errorf("Reason = %q, want %q", ex.Reason, tt.wantReason)
			}
			if ex.FailingStep != "" {
				t.Errorf("FailingStep = %q, want none", ex.FailingStep)
			}
			if ex.Tail == "" {
				t.Error("empty tail")
			}
		})
	}
}

func TestExtract_Bounds(t *testing.T) {
	var lines []string
	lines = append(lines, "##[group]Run ./long.sh", "##[endgroup]", "error: the very first problem")
	for i := range 5000 {
		lines = append(lines, "progress line "+strings.Repeat("x", i%50))
	}
	lines = append(lines, "##[error]Process completed with exit code 1.")
	opt := Options{MaxSectionBytes: 4096, TailLines: 10, MaxErrorLines: 3}
	ex := extract(t, ghLog(lines...), opt)
	if len(ex.Section) > opt.MaxSectionBytes {
		t.Errorf("Section is %d bytes, limit %d", len(ex.Section), opt.MaxSectionBytes)
	}
	if n := strings.Count(ex.Tail, "\n") + 1; n != opt.TailLines {
		t.Errorf("Tail has %d lines, want %d", n, opt.TailLines)
	}
	if strings.HasPrefix(ex.Section, "progress line x") && !strings.HasPrefix(ex.Section, "progress line ") {
		t.Errorf("Section starts mid-line: %q", ex.Section[:40])
	}
	if !ex.Truncated {
		t.Error("Truncated = false")
	}
	// The cause scrolled out of the section window but was seen early in
	// the step.
	if ex.Reason != "error: the very first problem" {
		t.Errorf("Reason = %q", ex.Reason)
	}
	if len(ex.ErrorLines) > opt.MaxErrorLines {
		t.Errorf("%d error lines, limit %d", len(ex.ErrorLines), opt.MaxErrorLines)
	}
}

func TestExtract_ErrorLinesCappedAndDistinct(t *testing.T) {
	var lines []string
	for range 3 {
		lines = append(lines, "##[error]same thing")
	}
	for i := range 30 {
		lines = append(lines, "##[error]problem "+string(rune('a'+i%26))+string(rune('a'+i/26)))
	}
	ex := extract(t, ghLog(lines...), Options{MaxErrorLines: 5})
	want := []string{"same thing", "problem aa", "problem ba", "problem ca", "problem da"}
	if diff := cmp.Diff(want, ex.ErrorLines); diff != "" {
		t.Errorf("ErrorLines (-want +got):\n%s", diff)
	}
	if !ex.Truncated {
		t.Error("Truncated = false after dropping error lines")
	}
}

func TestExtract_SmallLogNotTruncated(t *testing.T) {
	ex := extract(t, "a\nb\nerror: c\n", Options{})
	if ex.Truncated {
		t.Error("Truncated = true for a log shown whole")
	}
	if ex.Lines != 3 || ex.Bytes != 13 {
		t.Errorf("Lines, Bytes = %d, %d; want 3, 13", ex.Lines, ex.Bytes)
	}
}

func TestExtract_EmptyInput(t *testing.T) {
	ex := extract(t, "", Options{})
	want := Excerpt{ExitCode: -1}
	if diff := cmp.Diff(want, ex); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if got := ex.Text(); !strings.HasPrefix(got, "Failing step: (unknown)") {
		t.Errorf("Text = %q", got)
	}
}

func TestExtract_NoTrailingNewlineAndCRLF(t *testing.T) {
	ex := extract(t, "one\r\nError: two\r\nthree", Options{})
	if ex.Reason != "Error: two" || ex.Tail != "one\nError: two\nthree" || ex.Lines != 3 {
		t.Errorf("got Reason %q, Tail %q, Lines %d", ex.Reason, ex.Tail, ex.Lines)
	}
}
