package rules

import (
	"slices"
	"strings"
	"testing"

	"github.com/ccm-ci/ccm/analysis"
)

// misfireCase is a log a signature must not decide (notSig never in
// Explain, or, with wantSig set, wantSig wins) and, when wantCat is set,
// the category Classify must give it.
type misfireCase struct {
	name    string
	log     string
	notSig  string
	wantSig string
	wantCat analysis.Category
}

func runMisfireCases(t *testing.T, cases []misfireCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := Input{Text: tc.log}
			ms := Explain(in)
			var names []string
			for _, m := range ms {
				names = append(names, m.Signature)
			}
			if tc.notSig != "" && slices.Contains(names, tc.notSig) {
				t.Errorf("%s matched (all: %v)", tc.notSig, names)
			}
			got := Classify(in)
			if tc.wantSig != "" && !strings.Contains(got.Reasoning, `Rule "`+tc.wantSig+`"`) {
				t.Errorf("winner is not %s: %s", tc.wantSig, got.Reasoning)
			}
			if tc.wantCat != "" && got.Category != tc.wantCat {
				t.Errorf("category = %s, want %s (%s)", got.Category, tc.wantCat, got.Reasoning)
			}
		})
	}
}

// TestGoTestLogLinesAreNotFailures: t.Log prints the same "<file>_test.go:N:"
// shape as t.Errorf, so only failure wording (a got/want pair, an
// unexpected error) counts, and never in a run that passed.
func TestGoTestLogLinesAreNotFailures(t *testing.T) {
	runMisfireCases(t, []misfireCase{
		{name: "passing -v run with t.Logf", notSig: "go-test-failure",
			log: "=== RUN   TestFetch\n    fetch_test.go:33: got 200 response from server\n--- PASS: TestFetch (0.01s)\nPASS\nok  \texample.com/x\t0.2s"},
		{name: "passing run, log says expected", notSig: "go-test-failure",
			log: "=== RUN   TestRetry\n    retry_test.go:12: expected 3 attempts but got 2, retrying\n--- PASS: TestRetry (0.30s)\nPASS\nok  \texample.com/retry\t0.4s"},
		{name: "failover is not fail", notSig: "go-test-failure",
			log: "    db_test.go:41: switched to failover replica db-2\nexit status 2"},
		{name: "should is an ordinary word", notSig: "go-test-failure",
			log: "    cache_test.go:7: cache should warm in background\nexit status 1"},
		{name: "got alone", notSig: "go-test-failure",
			log: "    api_test.go:20: got token for user 7\nexit status 1"},
		{name: "got want pair", wantSig: "go-test-failure",
			log: "    sum_test.go:14: Sum(1, 2) = 4; want 3\n    sum_test.go:15: got 4, want 3\nFAIL\texample.com/sum\t0.01s"},
		{name: "expected but got", wantSig: "go-test-failure",
			log: "    parse_test.go:9: expected 3 items but got 4\nFAIL\texample.com/parse\t0.01s"},
		{name: "unexpected error", wantSig: "go-test-failure",
			log: "    io_test.go:30: unexpected error: EOF\nFAIL\texample.com/io\t0.02s"},
		{name: "fail line beside a pass line", wantSig: "go-test-failure",
			log: "--- PASS: TestA (0.00s)\n    b_test.go:5: got 1, want 2\n--- FAIL: TestB (0.00s)\nFAIL"},
	})
}

// TestPytestPassesSection: pytest -rA/-rP prints the passed tests' output
// under the same "____ test_x ____" headers as the failures.
func TestPytestPassesSection(t *testing.T) {
	runMisfireCases(t, []misfireCase{
		{name: "PASSES section only", notSig: "python-test-failure",
			log: "============================= PASSES ==============================\n___________________________ test_answer ___________________________\n----------------------------- Captured stdout call -----------------------------\nhello\n============================== 3 passed in 0.12s ==============================="},
		{name: "FAILURES after PASSES", wantSig: "python-test-failure",
			log: "=================================== FAILURES ===================================\n_________________________________ test_wrong _________________________________\n    def test_wrong():\n>       assert inc(3) == 5\n============================= PASSES ==============================\n___________________________ test_answer ___________________________\n=========================== short test summary info ============================\n========================= 1 failed, 1 passed in 0.12s ========================="},
	})
}

// TestJestDidNotExitAfterExit: "Jest did not exit" only means a hang when
// the job did not end right after it; a failing suite that then exited
// with its own status is a test failure.
func TestJestDidNotExitAfterExit(t *testing.T) {
	runMisfireCases(t, []misfireCase{
		{name: "jest exited with status", wantCat: analysis.CategoryFlakyTest,
			log: "  ● Cart › adds an item\n\n    expect(received).toBe(expected) // Object.is equality\n\nTests:       1 failed, 9 passed, 10 total\nJest did not exit one second after the test run has completed.\nerror Command failed with exit code 1."},
		{name: "exit status but job cancelled", wantSig: "jest-did-not-exit",
			log: "Tests:       1 failed, 9 passed, 10 total\nJest did not exit one second after the test run has completed.\nerror Command failed with exit code 1.\n##[error]The operation was canceled."},
		{name: "no exit line: hang", wantSig: "jest-did-not-exit", wantCat: analysis.CategoryTimeout,
			log: "Tests:       1 failed, 9 passed, 10 total\nJest did not exit one second after the test run has completed.\nThis usually means that there are asynchronous operations that weren't stopped in your tests."},
	})
}

// TestMSBuildInternalFailure: MSB1025 is MSBuild's own crash, not a
// command-line mistake like the other MSB1xxx codes.
func TestMSBuildInternalFailure(t *testing.T) {
	runMisfireCases(t, []misfireCase{
		{name: "MSB1025", notSig: "build-command-line-invalid",
			log: "MSBUILD : error MSB1025: An internal failure occurred while running MSBuild.\nSystem.InvalidOperationException: Sequence contains no elements"},
		{name: "MSB1009", wantSig: "build-command-line-invalid",
			log: "MSBUILD : error MSB1009: Project file does not exist.\nSwitch: src/App.sln"},
	})
}

// TestCurlToThisMachine: a wait-for-server loop's refused curl is the app
// under test not starting, not the network.
func TestCurlToThisMachine(t *testing.T) {
	runMisfireCases(t, []misfireCase{
		{name: "localhost", notSig: "curl-connection-failed",
			log: "Waiting for the server...\ncurl: (7) Failed to connect to localhost port 3000 after 0 ms: Connection refused\nError: Process completed with exit code 7."},
		{name: "127.0.0.1", notSig: "curl-connection-failed",
			log: "curl: (7) Failed to connect to 127.0.0.1 port 8080: Connection refused"},
		{name: "[::1]", notSig: "curl-connection-failed",
			log: "curl: (7) Failed to connect to ::1 port 8080 after 0 ms: Couldn't connect to server"},
		{name: "a remote IPv6 host ending in ::1", wantSig: "curl-connection-failed",
			log: "curl: (7) Failed to connect to 2001:db8::1 port 443 after 3001 ms: Connection timed out"},
		{name: "external host", wantSig: "curl-connection-failed",
			log: "curl: (7) Failed to connect to downloads.example.org port 443: Connection timed out"},
	})
}

// TestTimingAssertionNeedsATimeBound: a duration compared with 0 is a
// media or data check, not the clock.
func TestTimingAssertionNeedsATimeBound(t *testing.T) {
	runMisfireCases(t, []misfireCase{
		{name: "media duration", notSig: "timing-assertion",
			log: "  ● Player › loads the clip\n\n    expect(received).toBeGreaterThan(expected)\n\n    > 12 |     expect(audio.duration).toBeGreaterThan(0)\n"},
	})
	for _, line := range []string{"    > 37 |     expect(elapsed).toBeLessThan(2000)", "    > 9 |     expect(Date.now() - start).toBeLessThan(limit)"} {
		if !slices.ContainsFunc(Explain(Input{Text: line}), func(m Match) bool { return m.Signature == "timing-assertion" }) {
			t.Errorf("timing-assertion does not match %q", line)
		}
	}
}

// TestNetworkCodesInPassingTitles: a test named for the error it handles
// passed; its title is no network failure.
func TestNetworkCodesInPassingTitles(t *testing.T) {
	runMisfireCases(t, []misfireCase{
		{name: "mocha titles", notSig: "network-error",
			log: "  client\n    ✓ retries on ECONNRESET (12 ms)\n    ✓ handles ETIMEDOUT gracefully (3 ms)\n    √ reports ECONNREFUSED\n\n  3 passing (20ms)"},
		{name: "the error itself", wantSig: "network-error",
			log: "Error: read ECONNRESET\n    at TLSWrap.onStreamRead (node:internal/stream_base_commons:217:20)"},
	})
}

// TestTestFamilyLines: the runner-timeout, flaky-marker, assertion and
// compile families added for other runners and tools fire on their own
// lines (hand-written, in each tool's format) and not on the passing or
// warning-level lines of the same tools.
func TestTestFamilyLines(t *testing.T) {
	runMisfireCases(t, []misfireCase{
		{name: "vitest test timeout", wantCat: analysis.CategoryTimeout,
			log: " FAIL  src/api.test.ts > api > fetches\nError: Test timed out in 5000ms.\nIf this is a long-running test, pass a timeout value as the last argument or configure it globally with \"testTimeout\"."},
		{name: "jasmine timeout", wantSig: "js-test-timeout",
			log: "Failures:\n1) Api fetches\n  Message:\n    Error: Timeout - Async function did not complete within 5000ms (set by jasmine.DEFAULT_TIMEOUT_INTERVAL)\n\n3 specs, 1 failure"},
		{name: "ctest timeout", wantSig: "test-driver-timeout", wantCat: analysis.CategoryTimeout,
			log: "3/4 Test #3: net_test .........................***Timeout  60.02 sec\n\n75% tests passed, 1 tests failed out of 4\n\nThe following tests FAILED:\n\t  3 - net_test (Timeout)\nErrors while running CTest"},
		{name: "nextest timeout", wantSig: "test-driver-timeout",
			log: "        SLOW [> 60.000s] core tests::sync\n     TIMEOUT [ 120.004s] core tests::sync\n------------\n     Summary [ 121.000s] 40 tests run: 39 passed, 1 timed out, 0 skipped"},
		{name: "nextest slow but passed", notSig: "test-driver-timeout",
			log: "        SLOW [> 60.000s] core tests::sync\n        PASS [  75.120s] core tests::sync\n     Summary [  76.000s] 40 tests run: 40 passed, 0 skipped"},
		{name: "bazel timeout", wantSig: "test-driver-timeout",
			log: "//pkg/net:net_test                                             TIMEOUT in 300.1s\n\nExecuted 1 out of 1 test: 1 fails locally."},
		{name: "ctest all passed", notSig: "test-run-failed",
			log: "100% tests passed, 0 tests failed out of 24\n\nTotal Test time (real) =  12.01 sec"},
		{name: "jasmine all passed", notSig: "js-test-failure",
			log: "Executed 10 of 10 SUCCESS\n10 specs, 0 failures"},
		{name: "selenium wait", wantCat: analysis.CategoryFlakyTest,
			log: "    def test_login(self):\n>       WebDriverWait(self.driver, 10).until(EC.visibility_of_element_located((By.ID, \"menu\")))\nE       selenium.common.exceptions.TimeoutException: Message:\n\nFAILED tests/ui/test_login.py::test_login - selenium.common.exceptions.TimeoutException: Message:"},
		{name: "pytest rerun", wantCat: analysis.CategoryFlakyTest,
			log: "=========================== rerun test summary info ============================\nRERUN tests/test_api.py::test_fetch\n=========================== short test summary info ============================\nFAILED tests/test_api.py::test_fetch - assert 500 == 200"},
		{name: "surefire flake", wantSig: "flaky-marker",
			log: "[ERROR] Failures:\n[ERROR] com.example.ApiTest.fetch\n[ERROR]   Run 1: ApiTest.fetch:40 expected: <200> but was: <500>\n[INFO]   Run 2: PASS\n[ERROR] Tests run: 12, Failures: 1, Errors: 0, Skipped: 0"},
		{name: "nunit assertion", wantSig: "native-test-failure",
			log: "  Failed ParsesDate [12 ms]\n  Error Message:\n     Expected: 2011-08-01\n  But was:  2011-08-02\n"},
		{name: "cargo test failed", wantSig: "native-test-failure",
			log: "test result: ok. 3 passed; 0 failed\nerror: test failed, to rerun pass `--test api`"},
		{name: "mypy errors", wantCat: analysis.CategoryCode,
			log: "src/app/models.py:12: error: Argument 1 to \"load\" has incompatible type \"int\"; expected \"str\"  [arg-type]\nFound 1 error in 1 file (checked 40 source files)"},
		{name: "mypy note only", notSig: "lint-or-format-errors",
			log: "src/app/models.py:12: note: Revealed type is \"builtins.int\"\nSuccess: no issues found in 40 source files"},
		{name: "eslint any rule", wantCat: analysis.CategoryCode,
			log: "/home/runner/work/app/src/index.js\n  3:5  error  'fetchUser' is not defined  no-undef\n  9:1  error  Expected indentation of 2 spaces  indent"},
		{name: "eslint warning only", notSig: "lint-or-format-errors",
			log: "/home/runner/work/app/src/index.js\n  26:1  warning  Unexpected console statement  no-console"},
		{name: "next.js type error", wantSig: "typescript-error",
			log: "   Linting and checking validity of types  .Failed to compile.\n\n./src/components/Nav.tsx:12:7\nType error: Property 'href' does not exist on type 'NavProps'."},
		{name: "golangci-lint timeout", wantSig: "tool-own-timeout", wantCat: analysis.CategoryTimeout,
			log: "Running [/home/runner/golangci-lint-1.55.2-linux-amd64/golangci-lint run] in [] ...\n  level=error msg=\"Timeout exceeded: try increasing it by passing --timeout option\"\n  Error: golangci-lint exit with code 4"},
		{name: "golangci-lint findings beat its timeout", wantSig: "lint-or-format-errors",
			log: "pkg/a.go:3:5: Error return value of `f.Close` is not checked (errcheck)\nlevel=error msg=\"Timeout exceeded: try increasing it by passing --timeout option\""},
		{name: "vitest failed test with retries", wantSig: "js-test-failure",
			log: " ❯ src/poll.test.ts (1 test | 1 failed) 9000ms\n   × Poller > settles 8998ms (retry x2)\n     → expected false to be true // Object.is equality"},
		{name: "vitest passing summary", notSig: "js-test-failure",
			log: " ✓ src/poll.test.ts (3 tests) 12ms\n\n Test Files  1 passed (1)\n      Tests  3 passed (3)"},
		{name: "miette-style error is not a vitest line", notSig: "js-test-failure",
			log: "  × Failed to resolve module specifier \"./x\"\n   ╭─[src/a.ts:1:1]"},
		{name: "gtest clock tolerance", wantCat: analysis.CategoryFlakyTest,
			log: "src/timer_test.cc:40: Failure\nThe difference between elapsed_ms and 100 is 36, which exceeds 20, where\n[  FAILED  ] Timer.Fires (136 ms)"},
		{name: "clang link failure", wantCat: analysis.CategoryCode,
			log: "Undefined symbols for architecture arm64:\n  \"_parse_config\", referenced from:\nld: symbol(s) not found for architecture arm64\nclang: error: linker command failed with exit code 1 (use -v to see invocation)"},
	})
}
