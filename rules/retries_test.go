package rules

import (
	"strings"
	"testing"

	"github.com/ccm-ci/ccm/analysis"
)

// retryCase is a log whose test runner retried failed tests: Classify must
// answer want, and the reasoning must not (with notFlakyEv) count the
// named signature as flakiness evidence.
type retryCase struct {
	name       string
	log        string
	want       analysis.Category
	notFlakyEv string
}

func runRetryCases(t *testing.T, cases []retryCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := Classify(Input{Text: tc.log})
			if got.Category != tc.want {
				t.Errorf("category = %s, want %s (%s)", got.Category, tc.want, got.Reasoning)
			}
			if tc.notFlakyEv != "" && strings.Contains(got.Reasoning, "Flakiness evidence: "+tc.notFlakyEv) {
				t.Errorf("%s counted as flakiness evidence: %s", tc.notFlakyEv, got.Reasoning)
			}
			if got.Category == analysis.CategoryCode && len(got.Actions) > 0 && got.Actions[0].Type != analysis.ActionNone {
				t.Errorf("a deterministic failure proposes %s", got.Actions[0].Type)
			}
		})
	}
}

// TestFailedEveryRetryIsNotFlaky: a test that failed on every attempt the
// runner made is a deterministic failure; a test that failed and passed on
// a retry is the flaky one, and what it printed is no evidence about the
// test that kept failing.
func TestFailedEveryRetryIsNotFlaky(t *testing.T) {
	gradle := func(second string) string {
		return "> Task :billing:test\n\n" +
			"org.shop.billing.InvoiceTest > totalsIncludeTax() FAILED\n" +
			"    org.opentest4j.AssertionFailedError: expected: <118.00> but was: <100.00>\n" +
			"        at app//org.shop.billing.InvoiceTest.totalsIncludeTax(InvoiceTest.java:58)\n\n" +
			"org.shop.billing.LedgerClientTest > syncsLedger() FAILED\n" +
			"    java.util.concurrent.TimeoutException: ledger did not answer in 5 seconds\n" +
			"        at app//org.shop.billing.LedgerClientTest.syncsLedger(LedgerClientTest.java:33)\n\n" +
			"240 tests completed, 2 failed\n\n> Task :billing:test\n\n" +
			"org.shop.billing.LedgerClientTest > syncsLedger() " + second + "\n\n" +
			"org.shop.billing.InvoiceTest > totalsIncludeTax() FAILED\n" +
			"    org.opentest4j.AssertionFailedError: expected: <118.00> but was: <100.00>\n" +
			"        at app//org.shop.billing.InvoiceTest.totalsIncludeTax(InvoiceTest.java:58)\n\n" +
			"2 tests completed, 1 failed\n\n> Task :billing:test FAILED\n\nFAILURE: Build failed with an exception.\n"
	}
	runRetryCases(t, []retryCase{
		{name: "gradle test-retry: failed twice, the timeout was another test's that passed",
			log: gradle("PASSED"), want: analysis.CategoryCode, notFlakyEv: "timeout-generic"},
		{name: "gradle: both tests failed every attempt, one with a timeout",
			log: gradle("FAILED\n    java.util.concurrent.TimeoutException: ledger did not answer in 5 seconds\n"), want: analysis.CategoryFlakyTest},
		{name: "gradle without retries keeps the isolated assertion's default",
			log: "org.shop.billing.InvoiceTest > totalsIncludeTax() FAILED\n" +
				"    org.opentest4j.AssertionFailedError: expected: <118.00> but was: <100.00>\n\n" +
				"240 tests completed, 1 failed\n\n> Task :billing:test FAILED\n",
			want: analysis.CategoryFlakyTest},
		{name: "surefire rerunFailingTestsCount: every run failed",
			log: "[ERROR] Failures: \n[ERROR] org.shop.PriceTest.roundsHalfUp\n" +
				"[ERROR]   Run 1: PriceTest.roundsHalfUp:27 expected:<10.5> but was:<10.4>\n" +
				"[ERROR]   Run 2: PriceTest.roundsHalfUp:27 expected:<10.5> but was:<10.4>\n" +
				"[ERROR]   Run 3: PriceTest.roundsHalfUp:27 expected:<10.5> but was:<10.4>\n[INFO] \n" +
				"[ERROR] Tests run: 88, Failures: 1, Errors: 0, Skipped: 0\n[INFO] BUILD FAILURE\n",
			want: analysis.CategoryCode},
		{name: "pytest-rerunfailures: rerun twice, failed",
			log: "tests/test_tax.py::test_vat_rate RERUN                     [ 50%]\n" +
				"tests/test_tax.py::test_vat_rate RERUN                     [ 50%]\n" +
				"tests/test_tax.py::test_vat_rate FAILED                    [ 50%]\n" +
				"tests/test_tax.py::test_rounding PASSED                    [100%]\n\n" +
				"    def test_vat_rate():\n>       assert vat(\"DE\") == 19\nE       assert 16 == 19\n\n" +
				"FAILED tests/test_tax.py::test_vat_rate - assert 16 == 19\n" +
				"==================== 1 failed, 1 passed, 2 rerun in 0.41s ====================\n",
			want: analysis.CategoryCode},
		{name: "pytest-rerunfailures: rerun, then passed",
			log: "tests/test_tax.py::test_vat_rate RERUN                     [ 50%]\n" +
				"tests/test_tax.py::test_vat_rate PASSED                    [ 50%]\n" +
				"tests/test_tax.py::test_rounding FAILED                    [100%]\n\n" +
				"    def test_rounding():\n>       assert rnd(2.5) == 3\nE       assert 2 == 3\n\n" +
				"FAILED tests/test_tax.py::test_rounding - assert 2 == 3\n" +
				"==================== 1 failed, 1 passed, 1 rerun in 0.41s ====================\n",
			want: analysis.CategoryFlakyTest},
		{name: "playwright: the first run and both retries failed",
			log: "  ✘  1 [chromium] › cart.spec.ts:12:5 › adds an item (1.2s)\n" +
				"  ✘  2 [chromium] › cart.spec.ts:12:5 › adds an item (retry #1) (1.1s)\n" +
				"  ✘  3 [chromium] › cart.spec.ts:12:5 › adds an item (retry #2) (1.1s)\n\n" +
				"  1) [chromium] › cart.spec.ts:12:5 › adds an item ──────────────\n\n" +
				"    Error: expect(received).toBe(expected) // Object.is equality\n\n    Expected: 3\n    Received: 2\n\n" +
				"    Retry #1 ───────────────────────────────\n\n" +
				"    Error: expect(received).toBe(expected) // Object.is equality\n\n    Expected: 3\n    Received: 2\n\n" +
				"  1 failed\n    [chromium] › cart.spec.ts:12:5 › adds an item\n",
			want: analysis.CategoryCode},
		{name: "vitest: failed after two retries",
			log: " ❯ src/cart.test.ts (4 tests | 1 failed) 38ms\n" +
				"   × cart > sums the line items 12ms (retry x2)\n" +
				"     → expected 41 to be 42 // Object.is equality\n" +
				"     → expected 41 to be 42 // Object.is equality\n" +
				"     → expected 41 to be 42 // Object.is equality\n\n" +
				" Test Files  1 failed (1)\n      Tests  1 failed | 3 passed (4)\n",
			want: analysis.CategoryCode},
		{name: "vitest: failed after two retries, its own wait timed out",
			log: "stdout | src/feed.test.ts > feed > renders the next page\nPoll timed out after 300 attempts\n" +
				" ❯ src/feed.test.ts (1 test | 1 failed) 30512ms\n" +
				"   × feed > renders the next page 30510ms (retry x2)\n" +
				"     → expected false to be true // Object.is equality\n\n" +
				" Test Files  1 failed (1)\n      Tests  1 failed (1)\n",
			want: analysis.CategoryFlakyTest},
		{name: "go test -count=3: failed every run",
			log: "go test -count=3 ./parse/...\n" +
				"--- FAIL: TestParseDuration (0.00s)\n    duration_test.go:19: got 90s, want 1m30s\n" +
				"--- FAIL: TestParseDuration (0.00s)\n    duration_test.go:19: got 90s, want 1m30s\n" +
				"--- FAIL: TestParseDuration (0.00s)\n    duration_test.go:19: got 90s, want 1m30s\n" +
				"FAIL\nFAIL\texample.com/parse\t0.012s\n",
			want: analysis.CategoryCode},
		{name: "go: two runs' failures pasted together are not retries",
			log: "builder linux-amd64:\n--- FAIL: TestParseDuration (0.00s)\n    duration_test.go:19: got 90s, want 1m30s\nFAIL\n" +
				"builder darwin-arm64:\n--- FAIL: TestParseDuration (0.00s)\n    duration_test.go:19: got 90s, want 1m30s\nFAIL\n",
			want: analysis.CategoryFlakyTest},
		{name: "gotestsum --rerun-fails: failed on the re-run",
			log: "=== FAIL: store TestCompact (0.02s)\n--- FAIL: TestCompact (0.02s)\n    compact_test.go:44: got 3 segments, want 1\n\n" +
				"=== FAIL: store TestCompact (re-run 1) (0.02s)\n--- FAIL: TestCompact (0.02s)\n    compact_test.go:44: got 3 segments, want 1\n\n" +
				"DONE 2 runs, 311 tests, 2 failures in 9.120s\n",
			want: analysis.CategoryCode},
	})
}
