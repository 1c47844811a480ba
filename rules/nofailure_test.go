package rules

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ccm-ci/ccm/analysis"
	"github.com/ccm-ci/ccm/cilogs"
)

// cleanLogs are passing CI logs as the tools print them.
var cleanLogs = []struct{ name, log, wantEvidence string }{
	{name: "go test", log: "Run go test ./...\n=== RUN   TestErrorHandling\n--- PASS: TestErrorHandling (0.00s)\nPASS\nok  \tgithub.com/acme/app/errors\t0.012s\nok  \tgithub.com/acme/app/server\t1.204s\n?   \tgithub.com/acme/app/cmd\t[no test files]",
		wantEvidence: "ok  \tgithub.com/acme/app/server\t1.204s"},
	{name: "go test cached", log: "ok  \tgithub.com/acme/app\t(cached)\nok  \tgithub.com/acme/app/failover\t0.3s", wantEvidence: "ok  \tgithub.com/acme/app/failover\t0.3s"},
	{name: "npm jest", log: "> app@1.0.0 test\n> jest\n\nPASS src/error.test.ts\nPASS src/sum.test.ts\n\nTest Suites: 2 passed, 2 total\nTests:       12 passed, 12 total\nSnapshots:   0 total\nTime:        2.13 s\nRan all test suites.",
		wantEvidence: "Tests:       12 passed, 12 total"},
	{name: "gradle", log: "> Task :compileJava\n> Task :test\n\nBUILD SUCCESSFUL in 41s\n7 actionable tasks: 7 executed", wantEvidence: "BUILD SUCCESSFUL in 41s"},
	{name: "maven", log: "[INFO] Tests run: 24, Failures: 0, Errors: 0, Skipped: 1\n[INFO] \n[INFO] BUILD SUCCESS\n[INFO] Total time:  12.345 s", wantEvidence: "[INFO] BUILD SUCCESS"},
	{name: "pytest", log: "============================= test session starts ==============================\ncollected 5 items\n\ntests/test_errors.py::test_error_is_raised PASSED\ntests/test_api.py .... \n\n============================== 5 passed in 0.10s ===============================",
		wantEvidence: "============================== 5 passed in 0.10s ==============================="},
	{name: "cargo", log: "running 3 tests\ntest tests::parse_error ... ok\ntest tests::it_works ... ok\n\ntest result: ok. 3 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.00s",
		wantEvidence: "test result: ok. 3 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.00s"},
	{name: "dotnet build", log: "Build succeeded.\n    0 Warning(s)\n    0 Error(s)\n\nTime Elapsed 00:00:04.21"},
	{name: "build with warnings", log: "npm WARN deprecated inflight@1.0.6: This module is not supported, and leaks memory\nwarning: unused variable `err`\nadded 512 packages in 9s\nfound 0 vulnerabilities"},
	{name: "psql notice", log: "psql:setup.sql:1: NOTICE:  table \"users\" does not exist, skipping\nDROP TABLE\nCREATE TABLE\n\nTests:       9 passed, 9 total",
		wantEvidence: "Tests:       9 passed, 9 total"},
	{name: "go test -v with t.Logf", log: "=== RUN   TestFetch\n    fetch_test.go:33: got 200 response from server\n--- PASS: TestFetch (0.01s)\nPASS\nok  \texample.com/x\t0.2s",
		wantEvidence: "ok  \texample.com/x\t0.2s"},
	{name: "pytest -rA", log: "============================= PASSES ==============================\n___________________________ test_answer ___________________________\n----------------------------- Captured stdout call -----------------------------\nhello\n============================== 3 passed in 0.12s ===============================",
		wantEvidence: "============================== 3 passed in 0.12s ==============================="},
	{name: "rspec seed", log: "Randomized with seed 41236\n.........\n\nFinished in 0.5 seconds (files took 0.3 seconds to load)\n9 examples, 0 failures", wantEvidence: "9 examples, 0 failures"},
}

func TestNoFailureLine(t *testing.T) {
	for _, tc := range cleanLogs {
		inputs := map[string]Input{"raw": {Text: tc.log}, "as fed": ccmInput(t, tc.log)}
		// In serve the rules see the excerpt of every failed job under a
		// job title, with GitHub's failing step.
		fed := inputs["as fed"]
		inputs["serve"] = Input{Reason: fed.Reason, Text: "=== job: test (ubuntu-latest) ===\n" + fed.Text, FailingStep: "Run tests", JobName: "test (ubuntu-latest)"}
		for shape, in := range inputs {
			t.Run(tc.name+"/"+shape, func(t *testing.T) {
				got := Classify(in)
				if err := got.Validate(); err != nil {
					t.Fatalf("Validate: %v", err)
				}
				if !got.NoFailureFound() {
					t.Fatalf("NoFailureFound is false: %s %d: %s", got.Category, got.Confidence, got.Reasoning)
				}
				if got.Category != analysis.CategoryInfrastructure || got.InvolvesApplicationCode {
					t.Errorf("category %s, application code %v: want infrastructure, not application code", got.Category, got.InvolvesApplicationCode)
				}
				if got.Confidence > 20 || got.RiskScore < unknownRisk {
					t.Errorf("confidence %d, risk %d: want confidence <= 20 and risk >= %d", got.Confidence, got.RiskScore, unknownRisk)
				}
				if diff := cmp.Diff([]analysis.Action{{Type: analysis.ActionNone}}, got.Actions); diff != "" {
					t.Errorf("actions (-want +got):\n%s", diff)
				}
				if !strings.Contains(got.Reasoning, "no known failure signature matched") {
					t.Errorf("reasoning does not say no signature matched: %s", got.Reasoning)
				}
				for _, e := range got.Evidence {
					if !strings.Contains(tc.log, e) {
						t.Errorf("evidence %q is not a line of the log", e)
					}
				}
				if tc.wantEvidence != "" && !slices.Contains(got.Evidence, tc.wantEvidence) {
					t.Errorf("evidence %q lacks the success line %q", got.Evidence, tc.wantEvidence)
				}
			})
		}
	}
}

// TestFailureLineKeepsUnknown: one failure line in an otherwise clean log,
// or no log at all, is not "no failure".
func TestFailureLineKeepsUnknown(t *testing.T) {
	tests := []struct {
		name string
		in   Input
	}{
		{name: "no log", in: Input{}},
		{name: "reason only", in: Input{Reason: "logs unavailable; failed step: build / Run tests"}},
		{name: "exit code", in: Input{Text: "ok  \tgithub.com/acme/app\t0.1s\nProcess completed with exit code 2."}},
		{name: "error marker", in: Input{Text: "Tests: 3 passed, 3 total\n##[error]Something went sideways"}},
		{name: "one failed", in: Input{Text: "Tests: 1 failed, 11 passed, 12 total"}},
		{name: "pytest one failed", in: Input{Text: "============ 1 failed, 4 passed in 0.12s ============"}},
		{name: "go FAIL", in: Input{Text: "ok  \tgithub.com/acme/app\t0.1s\nFAIL\tgithub.com/acme/app/db\t0.3s"}},
		{name: "killed", in: Input{Text: "Tests: 3 passed, 3 total\nKilled"}},
		{name: "excerpt exit header", in: Input{Text: "=== job: build ===\nFailing step: Run tests\nReason: Tests: 3 passed\nExit code: 1\nTests: 3 passed"}},
		{name: "reason is a failure", in: Input{Reason: "Error: boom", Text: "Tests: 3 passed"}},
		{name: "shell exit", in: Input{Text: "all good\n+ exit 1"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := Classify(tc.in)
			if got.NoFailureFound() {
				t.Errorf("NoFailureFound on a log with a failure (or none): %s", got.Reasoning)
			}
			if err := got.Validate(); err != nil {
				t.Errorf("Validate: %v", err)
			}
		})
	}
}

func TestIsFailureLine(t *testing.T) {
	tests := []struct {
		line string
		want bool
	}{
		{"--- PASS: TestErrorHandling (0.00s)", false},
		{"tests/test_errors.py::test_error_is_raised PASSED", false},
		{"[INFO] Tests run: 24, Failures: 0, Errors: 0, Skipped: 1", false},
		{"test result: ok. 3 passed; 0 failed; 0 ignored", false},
		{"Found 0 errors. Build succeeded.", false},
		{"no errors found", false},
		{"Exit code: 0", false},
		{"Failing step: Run failing tests", false},
		{"WARNING: error-prone API deprecated", false},
		{"[INFO] Tests run: 24, Failures: 1, Errors: 0, Skipped: 1", true},
		{"0 passed, 1 failed", true},
		{"Error: Cannot find module 'x'", true},
		{"FAIL src/sum.test.js", true},
		{"Exit code: 1", true},
		{"exited with code 137", true},
		{"##[error]Process completed with exit code 1.", true},
		{"Traceback (most recent call last):", true},
		{"Segmentation fault (core dumped)", true},
		// Translated tools: make in German (Eba-M/E3DC-Control#35) and
		// Chinese (wulabing/V2Ray_ws-tls_bash_onekey#6), French (j-jorge/plee-the-bear#7).
		{"make: *** [Makefile:7: E3DC-Control] Fehler 127", true},
		{"make: *** [Makefile:390：src/jemalloc.sym.o] 错误 1", true},
		{"make: *** [all] Erreur 2", true},
		// ...but their zero counts are not: MSBuild's localized summaries.
		{"    0 Fehler", false},
		{"    0 个错误", false},
		{"    0 Erreur(s)", false},
		{"    0 個錯誤", false}, // Traditional Chinese counts with 個
		{"Fehler: 0, Warnungen: 2", false},
		{"Compilation terminée sans erreur", false},
		{"Build abgeschlossen, keine Fehler gefunden", false},
		{"Fehler: 3", true},
		{"erreur : ';' attendu", true},
		// Word boundaries are letters of any script: a compound that
		// begins with Fehler is not the word, and Cyrillic folds.
		{"Fehlerüberprüfung abgeschlossen", false},
		{"Ошибка: не удалось найти файл", true},
		{"ошибка: не удалось найти файл", true},
		{"E3DC: Fehler beim Verbinden", true},
		// Plain-word failures excerpt's markers do not rate (plainFailure).
		{"not ok 3 - parses an empty file", true},
		{"ok 2 - not ok to skip", false},
		{"./deploy.sh: 4: kubectl: not found", true},
		{"'yarn' is not recognized as an internal or external command,", true},
		{"'make' 不是内部或外部命令，也不是可运行的程序", true},
		{"> Process 'Gradle Test Executor 3' finished with non-zero exit value 137", true},
		{"Job step timed out after 30 minutes", true},
		{"panic: test timed out after 10m0s", true},
		{"  TIMEOUT [expected OK] /css/grid/placement.html", true},
		{"//src/test/net:net_test      TIMEOUT in 300.9s", true},
		{"timeout: 30s", false},
		{"  TIMEOUT: 600", false},
		{"export TIMEOUT=600", false},
		{"-- TIMEOUT 1500", false},
		{"Setting TIMEOUT to 30 seconds", false},
		{"Using --timeout 600 for each test", false},
		{"SIGQUIT: quit", true},
		{"runner: process killed by signal SIGKILL", true},
		{"Step 4/6 : STOPSIGNAL SIGQUIT", false},
		{"stop_signal: SIGQUIT", false},
		{"not ok 2 - unicode names # TODO not yet", false},
		{"not ok 5 - windows paths # SKIP no windows here", false},
		{"Checking for program 'ccache'           : not found", false},
		{"which: ccache: not found", false},
		{"connection timed out, retrying in 5s", false},
		{"FATAL: could not acquire advisory lock after 5 retry attempts", true},
		{"Error: connection timed out, retrying in 5s: giving up after 5 attempts", true},
		{"/bin/sh: curl2: not found", true},
		{"sh: kubectl: not found", true},
		{"xargs: ./bin/mock-server: terminated by signal 15", false},
		{"xargs: ./build/bin/parser: terminated by signal 9", true},
		{"/var/lib/jenkins/workspace/app@tmp/durable-1/script.sh: 1: /var/lib/jenkins/workspace/app@tmp/durable-1/script.sh: docker: not found", true},
		{"Main.kt:12:5 Unresolved reference 'renderRow'", true},
		{"  lock mismatch: the dependency is out of date. Run mix deps.get", true},
		{"  - Required package \"acme/http\" is not present in the lock file.", true},
		{"go: example.com/lib@v1.2.3: reading example.com/lib/go.mod at revision v1.2.3: unknown revision v1.2.3", true},
	}
	for _, tc := range tests {
		if got := isFailureLine(tc.line); got != tc.want {
			t.Errorf("isFailureLine(%q) = %v, want %v", tc.line, got, tc.want)
		}
	}
}

// TestNoFailureNeverOnRealFailures: every labelled real failure log, raw
// and as ccm feeds it, still gets a failure explanation.
func TestNoFailureNeverOnRealFailures(t *testing.T) {
	check := func(t *testing.T, id, log string) {
		t.Helper()
		for shape, in := range map[string]Input{"raw": {Text: log}, "as fed": ccmInput(t, log)} {
			if got := Classify(in); got.NoFailureFound() {
				t.Errorf("%s (%s): no failure line found in a labelled failure log", id, shape)
			}
		}
	}
	logs := cilogs.All()
	if len(logs) == 0 {
		t.Fatal("no labelled logs")
	}
	for _, l := range logs {
		check(t, l.ID, l.Log)
	}
	files, err := filepath.Glob("../testdata/logs/*.log")
	if err != nil || len(files) == 0 {
		t.Fatalf("no shipped logs: %v", err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		check(t, filepath.Base(f), string(b))
	}
}
