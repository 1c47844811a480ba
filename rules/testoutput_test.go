package rules

import (
	"slices"
	"strings"
	"testing"

	"github.com/ccm-ci/ccm/analysis"
)

// TestCoverageThresholds: a coverage gate the tests did not reach is the
// project's to fix (code, no re-run), in each tool's words; a failing test
// outranks it, and a coverage table or a threshold that was met is no
// failure. The logs are written for the test.
func TestCoverageThresholds(t *testing.T) {
	runMisfireCases(t, []misfireCase{
		{name: "pytest-cov", wantSig: "coverage-threshold", wantCat: analysis.CategoryCode,
			log: "============================= test session starts ==============================\ncollected 48 items\n\ntests/test_billing.py ................................................ [100%]\n\nTOTAL                 840    151    82%\n\nFAIL Required test coverage of 85.0% not reached. Total coverage: 82.02%\n============================== 48 passed in 6.10s ==============================\nError: Process completed with exit code 1."},
		{name: "coverage.py report --fail-under", wantSig: "coverage-threshold", wantCat: analysis.CategoryCode,
			log: "$ coverage report --fail-under=95\nTOTAL                 1204     88    93%\nCoverage failure: total of 93 is less than fail-under=95\nmake: *** [Makefile:14: cover] Error 2"},
		{name: "Jest's coverageThreshold", wantSig: "coverage-threshold", wantCat: analysis.CategoryCode,
			log: "Test Suites: 31 passed, 31 total\nTests:       412 passed, 412 total\nJest: \"global\" coverage threshold for branches (75%) not met: 71.4%\nJest: \"./src/parser/\" coverage threshold for lines (90%) not met: 88.03%\nError: Process completed with exit code 1."},
		{name: "Vitest and nyc", wantSig: "coverage-threshold", wantCat: analysis.CategoryCode,
			log: " Test Files  12 passed (12)\n      Tests  96 passed (96)\nERROR: Coverage for statements (61.2%) does not meet global threshold (70%)\nELIFECYCLE  Command failed with exit code 1."},
		{name: "JaCoCo's check", wantSig: "coverage-threshold", wantCat: analysis.CategoryCode,
			log: "[INFO] Tests run: 220, Failures: 0, Errors: 0, Skipped: 2\n[INFO] --- jacoco-maven-plugin:0.8.11:check (verify-coverage) @ orders-service ---\n[WARNING] Rule violated for bundle orders-service: branches covered ratio is 0.58, but expected minimum is 0.65\n[INFO] BUILD FAILURE\n[ERROR] Failed to execute goal org.jacoco:jacoco-maven-plugin:0.8.11:check (verify-coverage) on project orders-service: Coverage checks have not been met. See log for details."},
		{name: "JaCoCo's warning when the check does not fail the build", notSig: "coverage-threshold",
			log: "[INFO] Tests run: 220, Failures: 0, Errors: 0, Skipped: 2\n[INFO] --- jacoco-maven-plugin:0.8.11:check (verify-coverage) @ orders-service ---\n[WARNING] Rule violated for bundle orders-service: branches covered ratio is 0.58, but expected minimum is 0.65\n[INFO] All coverage checks have been met.\n[INFO] --- maven-gpg-plugin:3.1.0:sign (sign-artifacts) @ orders-service ---\n[INFO] BUILD FAILURE\n[ERROR] Failed to execute goal org.apache.maven.plugins:maven-gpg-plugin:3.1.0:sign (sign-artifacts) on project orders-service: Exit code: 2"},
		{name: "SimpleCov", wantSig: "coverage-threshold", wantCat: analysis.CategoryCode,
			log: "Finished in 41.2 seconds (files took 3.1 seconds to load)\n1310 examples, 0 failures\nLine coverage (91.20%) is below the expected minimum coverage (95.00%).\nSimpleCov failed with exit 2 due to a coverage related error"},
		{name: "cargo-tarpaulin", wantSig: "coverage-threshold", wantCat: analysis.CategoryCode,
			log: "test result: ok. 64 passed; 0 failed; 0 ignored\n71.50% coverage, 1430/2000 lines covered\nError: \"Coverage is below the failure threshold 71.50% < 80.00%\""},
		{name: "a failing test outranks the gate", wantSig: "python-test-failure",
			log: "=================================== FAILURES ===================================\n_______________________________ test_refund_rounding _______________________________\n    def test_refund_rounding():\n>       assert refund(10.005) == 10.01\nE       assert 10.0 == 10.01\nFAIL Required test coverage of 90% not reached. Total coverage: 88.10%\n=========================== short test summary info ============================\nFAILED tests/test_refund.py::test_refund_rounding - assert 10.0 == 10.01\n========================= 1 failed, 77 passed in 3.02s ========================="},
		{name: "a coverage table alone", notSig: "coverage-threshold",
			log: "Name                 Stmts   Miss  Cover\nTOTAL                  392     59    85%\nRequired test coverage of 80% reached. Total coverage: 84.95%"},
	})
}

// TestKubernetesManifestInvalid: kubectl's and Helm's validation of a
// manifest is the manifest's to fix (config), not the cluster's; Helm's
// other refusals are not this family.
func TestKubernetesManifestInvalid(t *testing.T) {
	runMisfireCases(t, []misfireCase{
		{name: "helm upgrade, unknown field", wantSig: "kubernetes-manifest-invalid", wantCat: analysis.CategoryConfig,
			log: "$ helm upgrade --install web ./deploy/web -n prod\nError: UPGRADE FAILED: unable to build kubernetes objects from release manifest: error validating \"\": error validating data: ValidationError(Deployment.spec.template.spec): unknown field \"nodeSelectr\" in io.k8s.api.core.v1.PodSpec\nERROR: Job failed: exit code 1"},
		{name: "kubectl apply, wrong type", wantSig: "kubernetes-manifest-invalid", wantCat: analysis.CategoryConfig,
			log: "+ kubectl apply -f k8s/\nerror: error validating \"k8s/worker.yaml\": error validating data: ValidationError(Deployment.spec.replicas): invalid type for io.k8s.api.apps.v1.DeploymentSpec.replicas: got \"string\", expected \"integer\"; if you choose to ignore these errors, turn validation off with --validate=false\nError: Process completed with exit code 1."},
		{name: "server-side field validation", wantSig: "kubernetes-manifest-invalid", wantCat: analysis.CategoryConfig,
			log: "Error from server (BadRequest): error when creating \"deploy/cron.yaml\": CronJob in version \"v1\" cannot be handled as a CronJob: strict decoding error: unknown field \"spec.jobTemplate.spec.template.spec.container\""},
		{name: "helm's lock is another family", notSig: "kubernetes-manifest-invalid",
			log: "Error: UPGRADE FAILED: another operation (install/upgrade/rollback) is in progress\nERROR: Job failed: exit code 1"},
	})
}

// TestPassingTestsCapturedOutput: what a passing test logged (pytest's
// captured sections, Jest's console blocks) did not fail the job, so a
// network line there decides nothing; what a failed test captured may be
// its cause and still counts.
func TestPassingTestsCapturedOutput(t *testing.T) {
	runMisfireCases(t, []misfireCase{
		{name: "pytest, every test passed", notSig: "network-error", wantSig: "coverage-threshold",
			log: "tests/test_queue.py .......................                              [ 61%]\n-------------------------------- Captured log call ---------------------------------\nWARNING  jobs.queue:queue.py:41 ECONNREFUSED talking to amqp://127.0.0.1:5672, will retry\ntests/test_views.py ..............                                       [100%]\nCoverage failure: total of 71 is less than fail-under=75\n============================== 37 passed in 4.88s ==============================\nERROR: Job failed: exit code 1"},
		{name: "pytest's PASSES section beside a failure", notSig: "network-error",
			log: "=================================== FAILURES ===================================\n__________________________________ test_total __________________________________\nE       assert 3 == 4\n==================================== PASSES ====================================\n________________________________ test_reconnect ________________________________\n------------------------------- Captured stdout call -------------------------------\nredis: Connection reset by peer, reconnecting\n=========================== short test summary info ============================\nFAILED tests/test_cart.py::test_total - assert 3 == 4\n========================= 1 failed, 1 passed in 0.40s ========================="},
		{name: "Jest, a passing suite's console", notSig: "network-error",
			log: "PASS src/cache/__tests__/client.test.ts\n  ● Console\n\n    console.error\n      Error: connect ECONNREFUSED 127.0.0.1:6379\n\n        at TCPConnectWrap.afterConnect (node:net:1555:16)\n\nTest Suites: 4 passed, 4 total\nTests:       58 passed, 58 total\nnpm ERR! Lifecycle script `lint` failed with error:"},
	})
	// A failed test's captured output stays: it may be why it failed.
	for _, tc := range []struct{ name, log string }{
		{"pytest, the failed test's capture", "=================================== FAILURES ===================================\n________________________________ test_sync ________________________________\nE       assert [] == ['a']\n-------------------------------- Captured log call ---------------------------------\nERROR    sync.client:client.py:70 ConnectionResetError: [Errno 104] Connection reset by peer\n=========================== short test summary info ============================\nFAILED tests/test_sync.py::test_sync - assert [] == ['a']\n========================= 1 failed, 9 passed in 1.30s ========================="},
		{"Jest, a failed suite's console", "FAIL src/cache/__tests__/client.test.ts\n  ● cache › reads back\n\n    expect(received).toBe(expected)\n\n    console.error\n      Error: connect ECONNREFUSED 10.0.4.12:6379\n\nTests:       1 failed, 57 passed, 58 total"},
	} {
		if !slices.ContainsFunc(Explain(Input{Text: tc.log}), func(m Match) bool { return m.Signature == "network-error" }) {
			t.Errorf("%s: network-error did not match", tc.name)
		}
	}
}

// TestQuotedTestIsNoFlakinessEvidence: a network word in the failed test's
// title or in the source lines its runner quotes is what the test is
// about, not an error the job met; the same word printed by the code under
// test is evidence.
func TestQuotedTestIsNoFlakinessEvidence(t *testing.T) {
	const failure = "FAIL src/http/__tests__/backoff.test.ts\n  ● backoff › gives up after ETIMEDOUT twice\n\n    expect(received).toBe(expected) // Object.is equality\n\n    Expected: \"gave-up\"\n    Received: \"retrying\"\n\n      40 |     socket.destroy(Object.assign(new Error(\"connect ETIMEDOUT\"), { code: \"ETIMEDOUT\" }));\n    > 41 |     expect(state()).toBe(\"gave-up\");\n         |                     ^\n\nTests:       1 failed, 88 passed, 89 total\n"
	runMisfireCases(t, []misfireCase{
		{name: "title and code frame", notSig: "network-error", wantSig: "js-test-failure", wantCat: analysis.CategoryFlakyTest,
			log: failure},
		{name: "Vitest's failed title", notSig: "network-error",
			log: " × src/net.test.ts > net > maps ECONNRESET to a retry 12ms\n   → expected 'fail' to be 'retry'\n Test Files  1 failed (1)"},
	})
	got := Classify(Input{Text: failure})
	if strings.Contains(got.Reasoning, "Flakiness evidence") {
		t.Errorf("quoted lines counted as flakiness evidence: %s", got.Reasoning)
	}
	// Printed by the code under test, the same word is evidence.
	got = Classify(Input{Text: failure + "    Error: connect ETIMEDOUT 10.1.2.3:443\n        at TCPConnectWrap.afterConnect (node:net:1555:16)\n"})
	if !strings.Contains(got.Reasoning, "Flakiness evidence: network-error") {
		t.Errorf("a runtime network error is no longer evidence: %s", got.Reasoning)
	}
}

// TestJestVerboseConsoleCounts: with --verbose Jest prints a suite's
// console blocks before its verdict, so a block after a PASS and before a
// FAIL may be the failing suite's: it still counts; and a coloured
// verdict ("PASS  src/…", padded to FAIL's width) is read as one. The logs
// are written for the test.
func TestJestVerboseConsoleCounts(t *testing.T) {
	cases := []struct {
		name string
		log  string
		want bool // network-error among the matches
	}{
		{"verbose: the failing suite's console before its FAIL", " PASS  src/cart.test.ts\n  console.warn\n    upstream: read ECONNRESET, retrying\n\n FAIL  src/upstream.test.ts\n  ● upstream › retries once\n    expect(received).toBe(expected)\nTests:       1 failed, 40 passed, 41 total\n", true},
		{"between two PASS verdicts: a passing suite's", " PASS  src/cart.test.ts\n  console.warn\n    upstream: read ECONNRESET, retrying\n\n PASS  src/upstream.test.ts\n FAIL  src/total.test.ts\n  ● total › sums\n    expect(received).toBe(expected)\nTests:       1 failed, 40 passed, 41 total\n", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var names []string
			for _, m := range Explain(Input{Text: tc.log}) {
				names = append(names, m.Signature)
			}
			if got := slices.Contains(names, "network-error"); got != tc.want {
				t.Errorf("network-error matched = %v, want %v (all: %v)", got, tc.want, names)
			}
		})
	}
}
