package excerpt

import (
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/ccm-ci/ccm/redact/redacttest"
)

// filler is n lines of harmless output, as CI servers print after a
// failure (artifact uploads, cleanup, a test runner's progress).
func filler(format string, n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, format+"\n", i)
	}
	return b.String()
}

// TestExtract_EarlyErrorOutsideWindows: an error that scrolled out of the
// kept windows is still found, shown marked as cut, and ranked; it never
// beats a stronger or equal error the windows kept.
func TestExtract_EarlyErrorOutsideWindows(t *testing.T) {
	cases := []struct {
		name, log  string
		wantReason string
		wantEarly  string // in Earlier ("" = Earlier must be empty)
	}{
		{
			name: "jenkins: C error then a thousand archived artifacts",
			log: "+ make test\nsrc/foo.c:10:5: error: expected ';' before 'return'\nmake: *** [Makefile:3: foo.o] Error 1\n" +
				filler("Archiving artifacts: out/file%05d.o", 3000) + "ERROR: script returned exit code 2\nFinished: FAILURE\n",
			wantReason: "src/foo.c:10:5: error: expected ';' before 'return'",
			wantEarly:  "+ make test\nsrc/foo.c:10:5: error: expected ';' before 'return'",
		},
		{
			name: "gitlab: python import error then passing output, no footer",
			log: "$ python -m app\nTraceback (most recent call last):\n  File \"app.py\", line 1, in <module>\nModuleNotFoundError: No module named 'requests'\n" +
				filler("tests/test_mod%d.py::test_case PASSED", 4000),
			wantReason: "ModuleNotFoundError: No module named 'requests'",
			wantEarly:  "ModuleNotFoundError: No module named 'requests'",
		},
		{
			name: "an error in the kept tail beats an equal one cut from earlier",
			log: "error: could not fetch cache, continuing\n" + filler("compiling unit %d", 4000) +
				"src/main.rs:3:5: error[E0425]: cannot find value `x` in this scope\nFinished: FAILURE\n",
			wantReason: "src/main.rs:3:5: error[E0425]: cannot find value `x` in this scope",
			wantEarly:  "error: could not fetch cache, continuing",
		},
		{
			name:       "error words inside flags and names are not errors",
			log:        "gcc -Werror -o on_error.o /src/errors/x.c\n" + filler("Archiving artifacts: out/file%05d.o", 3000) + "Finished: FAILURE\n",
			wantReason: "Finished: FAILURE",
		},
		{
			name:       "a short log keeps everything: nothing cut, no earlier block",
			log:        "+ make\nsrc/a.c:1:1: error: unknown type name 'foo'\nFinished: FAILURE\n",
			wantReason: "src/a.c:1:1: error: unknown type name 'foo'",
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ex, err := Extract(strings.NewReader(c.log), Options{})
			if err != nil {
				t.Fatal(err)
			}
			if ex.Reason != c.wantReason {
				t.Errorf("Reason = %q, want %q", ex.Reason, c.wantReason)
			}
			if c.wantEarly == "" {
				if ex.Earlier != "" {
					t.Errorf("Earlier = %q, want none", ex.Earlier)
				}
				return
			}
			if !strings.Contains(ex.Earlier, c.wantEarly) || !strings.Contains(ex.Earlier, skippedSuffix) {
				t.Errorf("Earlier = %q, want it to hold %q and a skip marker", ex.Earlier, c.wantEarly)
			}
			text := ex.Text()
			if !strings.Contains(text, "--- "+earlierTitle+" ---\n") || !ex.Truncated {
				t.Errorf("Text does not say the log was cut:\n%.600s", text)
			}
		})
	}
}

// TestExtract_EarlyErrorsBounded: however many error lines come before the
// windows, what is kept of them stays small, and secrets in them are
// redacted like every other line.
func TestExtract_EarlyErrorsBounded(t *testing.T) {
	long := strings.Repeat("x", 10<<10)
	log := "error: token " + redacttest.FakeGHS + " rejected\n" +
		filler("error: failure %d "+long, 500) + filler("Archiving artifacts: out/file%05d.o", 3000)
	ex, err := Extract(strings.NewReader(log), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(ex.Earlier); n > earlyMaxBytes+earlyHits*(2*earlyContext+1)*64 {
		t.Errorf("Earlier is %d bytes", n)
	}
	if strings.Contains(ex.Text(), redacttest.FakeGHS) {
		t.Error("a token in an earlier error line was not redacted")
	}
	if lines := strings.Count(ex.Earlier, "\n") + 1; lines > earlyHits*(2*earlyContext+2) {
		t.Errorf("Earlier has %d lines", lines)
	}
}

// TestExtract_EarlyErrorHugeLog: an early error in a log far larger than
// the memory the excerpt keeps is still the reason.
func TestExtract_EarlyErrorHugeLog(t *testing.T) {
	head := "Run make test\nsrc/foo.c:10:5: error: expected ';' before 'return'\n"
	r := io.MultiReader(strings.NewReader(head), &patternReader{pattern: []byte("tests/test_mod.py::test_case PASSED   [ 50%]\n"), left: 64 << 20})
	ex, err := Extract(r, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if ex.Reason != "src/foo.c:10:5: error: expected ';' before 'return'" {
		t.Errorf("Reason = %q", ex.Reason)
	}
}

// TestErrorWord: the streaming check keeps error words and drops the same
// letters inside flags, identifiers and paths.
func TestErrorWord(t *testing.T) {
	cases := []struct {
		line string
		want bool
	}{
		{"src/foo.c:10:5: error: expected ';'", true},
		{"ERROR: script returned exit code 1", true},
		{"ModuleNotFoundError: No module named 'requests'", true},
		{"java.lang.IllegalStateException: boom", true},
		{"FAILED tests/test_a.py::test_x", true},
		{"fatal: repository not found", true},
		{"Build failed with an exception.", true},
		{"gcc -Werror -o on_error.o /src/errors/x.c", false},
		{"set -o errexit; handle_FAILURE=0", false},
		{"Archiving artifacts: out/file00001.o", false},
	}
	for _, c := range cases {
		if got := errorWord([]byte(c.line)); got != c.want {
			t.Errorf("errorWord(%q) = %v, want %v", c.line, got, c.want)
		}
	}
}

// TestExtract_EarlyLineCutKeepsNoTokenPrefix: an early error line longer
// than the store keeps is cut before the word that crosses the limit, so a
// token there is dropped whole, never kept as a prefix too short for
// redaction to know it.
func TestExtract_EarlyLineCutKeepsNoTokenPrefix(t *testing.T) {
	for _, shift := range []int{-30, -10, -4, -1, 0, 1, 4, 10, 20} {
		lead := "error: push rejected: " + strings.Repeat("word ", earlyLineBytes/5+10)
		lead = lead[:earlyLineBytes+shift-len(" using ")] + " "
		log := lead + "using " + redacttest.FakeGHS + " was refused by the remote\n" +
			filler("Archiving artifacts: out/file%05d.o", 3000) + "ERROR: script returned exit code 2\n"
		ex, err := Extract(strings.NewReader(log), Options{})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(ex.Earlier, "error: push rejected") {
			t.Fatalf("shift %d: the early line is not kept: %q", shift, ex.Earlier)
		}
		if prefix := redacttest.FakeGHS[:8]; strings.Contains(ex.Text(), prefix) {
			t.Errorf("shift %d: a prefix of the token (%q) is in the excerpt:\n%s", shift, prefix, ex.Earlier)
		}
	}
}
