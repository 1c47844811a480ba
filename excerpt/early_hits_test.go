package excerpt

import (
	"slices"
	"strings"
	"testing"
)

// TestEarlyStrength: an early hit is rated without its zero counts, its
// command-line flags, and not at all when it is a command the shell echoes.
func TestEarlyStrength(t *testing.T) {
	cases := []struct {
		line   string
		chosen bool // rated an outcome or stronger: may become the reason
	}{
		{"PHPStan: 0 errors in 120 files", false},
		{"Tests: 12 passed, Failures: 0, Errors: 0", false},
		{"no errors found", false},
		{"Linting done: 0 error(s), 3 warning(s)", false},
		{"+ gcc -Wall -Werror -O2 -c ext/fast.c", false},
		{"++ php -d error_reporting=E_ALL vendor/bin/phpstan analyse", false},
		{"$ npm run lint -- --fail-on-error", false},
		{"[php-app] $ /bin/bash -xe /tmp/jenkins1.sh", false},
		{"gcc -Wall -Wno-error=format -Werror=implicit -c x.c", false},
		{"cc -DERROR_LEVEL=2 -c errors.c", false},
		{"src/foo.c:10:5: error: expected ';' before 'return'", true},
		{"error: unrecognized command-line option '-Wfoo'", true},
		{"ModuleNotFoundError: No module named 'requests'", true},
		{"FAILED tests/test_a.py::test_zero - assert 0 == 1", true},
		{"--- FAIL: TestParse (0.00s)", true},
	}
	for _, c := range cases {
		t.Run(c.line, func(t *testing.T) {
			if got := earlyStrength(c.line) >= strengthOutcome; got != c.chosen {
				t.Errorf("earlyStrength(%q) = %d: chosen %v, want %v", c.line, earlyStrength(c.line), got, c.chosen)
			}
		})
	}
}

// jenkinsLong is a Jenkins freestyle log whose early lines scroll out of
// the kept windows behind a thousand archived artifacts.
func jenkinsLong(early, end string) string {
	return "Started by GitHub push by erin\nBuilding in workspace /var/lib/jenkins/workspace/php-app\n" +
		"[php-app] $ /bin/bash -xe /tmp/jenkins1.sh\n" + early +
		filler("Archiving artifact build/output/chunk-%05d.bin (size 39812 bytes) to master", 1500) + end
}

// TestExtract_EarlyHitsOnly: only the early hits the rating keeps reach the
// reason chooser (their context lines are shown, never chosen), and they
// feed ErrorLines only when one became the reason.
func TestExtract_EarlyHitsOnly(t *testing.T) {
	const phpstan = "+ php -d error_reporting=E_ALL vendor/bin/phpstan analyse\nPHPStan: 0 errors in 120 files\n"
	cases := []struct {
		name, log  string
		wantReason string
		wantEarly  string   // in Earlier ("" = Earlier must be empty)
		wantErrors []string // exactly ErrorLines
	}{
		{
			name: "zero count and a -Werror compile line are no reason",
			log: jenkinsLong(phpstan+"+ gcc -Wall -Werror -O2 -c ext/fast.c\n+ composer install --no-interaction\n"+
				"Your requirements could not be resolved to an installable set of packages.\n", "Finished: FAILURE\n"),
			wantReason: "Finished: FAILURE",
			wantErrors: []string{"Finished: FAILURE"},
		},
		{
			name: "an early error is the reason; its context is shown, not chosen nor an error line",
			log: jenkinsLong("+ gcc -Wall -Werror -O2 -c ext/fast.c\next/fast.c:12:3: error: 'x' undeclared (first use in this function)\n"+
				"cc1: some warnings being treated as errors\n", "Build step 'Execute shell' marked build as failure\nFinished: FAILURE\n"),
			wantReason: "ext/fast.c:12:3: error: 'x' undeclared (first use in this function)",
			wantEarly:  "+ gcc -Wall -Werror -O2 -c ext/fast.c\next/fast.c:12:3: error: 'x' undeclared",
			wantErrors: []string{"ext/fast.c:12:3: error: 'x' undeclared (first use in this function)"},
		},
		{
			name: "an early outcome weaker than the tail's error feeds no error line",
			log: jenkinsLong("+ ./lint.sh\nlint FAILED on 2 files, continuing\n",
				"src/main.rs:3:5: error[E0425]: cannot find value `x` in this scope\nFinished: FAILURE\n"),
			wantReason: "src/main.rs:3:5: error[E0425]: cannot find value `x` in this scope",
			wantEarly:  "lint FAILED on 2 files, continuing",
			wantErrors: []string{"src/main.rs:3:5: error[E0425]: cannot find value `x` in this scope"},
		},
		{
			name:       "a context line (a -Werror compile line) is never chosen over its hit",
			log:        jenkinsLong("+ gcc -Wall -Werror -O2 -c ext/fast.c\nlint FAILED on 2 files\n", "Finished: FAILURE\n"),
			wantReason: "lint FAILED on 2 files",
			wantEarly:  "+ gcc -Wall -Werror -O2 -c ext/fast.c\nlint FAILED on 2 files",
			wantErrors: []string{"lint FAILED on 2 files", "Finished: FAILURE"},
		},
		{
			name: "an early compile error under the tail's root cause feeds no error line",
			log: jenkinsLong("ext/fast.c:12:3: error: 'x' undeclared (first use in this function)\n",
				"OSError: [Errno 28] No space left on device\nFinished: FAILURE\n"),
			wantReason: "OSError: [Errno 28] No space left on device",
			wantEarly:  "ext/fast.c:12:3: error: 'x' undeclared",
			wantErrors: []string{"OSError: [Errno 28] No space left on device"},
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
			if c.wantEarly == "" && ex.Earlier != "" || !strings.Contains(ex.Earlier, c.wantEarly) {
				t.Errorf("Earlier = %q, want it to hold %q", ex.Earlier, c.wantEarly)
			}
			if !slices.Equal(ex.ErrorLines, c.wantErrors) {
				t.Errorf("ErrorLines = %q, want %q", ex.ErrorLines, c.wantErrors)
			}
		})
	}
}

// TestExtract_EarlyLinesKeepFingerprint: the same failure keeps its
// fingerprint whatever harmless lines scrolled out early (a flag dropped
// from a compile line, another zero count, a different echoed command).
func TestExtract_EarlyLinesKeepFingerprint(t *testing.T) {
	end := "ERROR: script returned exit code 2\nBuild step 'Execute shell' marked build as failure\nFinished: FAILURE\n"
	variants := []string{
		"",
		"+ php -d error_reporting=E_ALL vendor/bin/phpstan analyse\nPHPStan: 0 errors in 120 files\n+ gcc -Wall -Werror -O2 -c ext/fast.c\n",
		"+ php -d error_reporting=E_ALL vendor/bin/phpstan analyse\nPHPStan: 0 errors in 121 files\n+ gcc -Wall -O2 -c ext/fast.c\n",
		"$ npm run lint -- --fail-on-error\nno errors found\nTests: 12 passed, Failures: 0, Errors: 0\n",
	}
	want := ""
	for i, v := range variants {
		ex, err := Extract(strings.NewReader(jenkinsLong(v, end)), Options{})
		if err != nil {
			t.Fatal(err)
		}
		fp := Fingerprint(ex.Reason, ex.ErrorLines)
		if i == 0 {
			want = fp
			continue
		}
		if fp != want {
			t.Errorf("variant %d: fingerprint %s (reason %q, error lines %q), want %s as without early lines", i, fp, ex.Reason, ex.ErrorLines, want)
		}
	}
}
