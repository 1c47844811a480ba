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

// TestFamilyHintWordsInPassingLogs: the unknown answer's family hints
// (hints.go) read option, timeout, secret and lock-file words; a passing
// test's title or a log's prose holding them leaves a passing log passing
// (a family line is a failure line, so a misfire here would turn a green
// run into an unknown failure). TestFamilyHintsMiss holds the retry and
// warning lines to no hint.
func TestFamilyHintWordsInPassingLogs(t *testing.T) {
	for _, log := range []string{
		"PASS src/cli.test.ts\n  cli\n    ✓ returns an error for an unknown option (3 ms)\n    ✓ gives up when timed out waiting for the lock (12 ms)\n\nTests:       2 passed, 2 total\nRan all test suites.",
		"Run ./release.sh --dry-run\nDry run: set GITHUB_TOKEN in the repository secrets to publish; see docs/release.md.\nThe lock file pins every package; run the update job to refresh it.\nDone.",
	} {
		if got := Classify(Input{Text: log}); !got.NoFailureFound() {
			t.Errorf("a passing log is not read as one: %s %d: %s\n%s", got.Category, got.Confidence, got.Reasoning, log)
		}
	}
}

// TestNodeModuleIsNotRust: Node's "Error: Cannot find module" starts like
// rustc's "error: cannot find …" once lowercased.
func TestNodeModuleIsNotRust(t *testing.T) {
	runMisfireCases(t, []misfireCase{
		{name: "node missing build output", notSig: "rust-compile-error",
			log: "Run node dist/bundle.js\nError: Cannot find module '/home/runner/work/app/app/dist/bundle.js'\n    at Module._resolveFilename (node:internal/modules/cjs/loader:1077:15)\n##[error]Process completed with exit code 1."},
		{name: "rustc still", wantSig: "rust-compile-error", wantCat: analysis.CategoryCode,
			log: "error: cannot find macro `vec2` in this scope\n --> src/main.rs:3:13"},
	})
}
