package rules

import (
	"slices"
	"strings"
	"testing"

	"github.com/ccm-ci/ccm/analysis"
)

// jestWithNetworkMention is a test step whose tests print a registry error
// from a mocked fetch, then fail on an assertion.
const jestWithNetworkMention = `2024-05-05T10:00:00.0000000Z ##[group]Run npm test
2024-05-05T10:00:00.0000000Z npm test
2024-05-05T10:00:00.1000000Z ##[endgroup]
2024-05-05T10:00:05.0000000Z   console.log
2024-05-05T10:00:05.0000000Z     mocked fetch rejected: npm error code ECONNRESET
2024-05-05T10:00:06.0000000Z FAIL src/cart.test.js
2024-05-05T10:00:06.0000000Z   ● Cart › applies the discount
2024-05-05T10:00:06.0000000Z     expect(received).toBe(expected) // Object.is equality
2024-05-05T10:00:06.0000000Z     Expected: 110
2024-05-05T10:00:06.0000000Z     Received: 100
2024-05-05T10:00:07.0000000Z ##[error]Process completed with exit code 1.
`

// npmCIReset is a real registry failure: npm ci itself lost the connection.
const npmCIReset = `2024-05-05T10:00:00.0000000Z ##[group]Run npm ci
2024-05-05T10:00:00.0000000Z npm ci
2024-05-05T10:00:00.1000000Z ##[endgroup]
2024-05-05T10:00:30.0000000Z npm error code ECONNRESET
2024-05-05T10:00:30.0000000Z npm error network aborted
2024-05-05T10:00:30.0000000Z npm error network This is a problem related to network connectivity.
2024-05-05T10:00:30.0000000Z npm error A complete log of this run can be found in: /home/runner/.npm/_logs/debug-0.log
2024-05-05T10:00:31.0000000Z ##[error]Process completed with exit code 1.
`

// leftoverTestFailure is test output that failed and then passed on retry,
// followed by the step's real failure.
const leftoverTestFailure = "FAIL src/cart.test.js\n  ● Cart › applies the discount\n    expect(received).toBe(expected)\n" +
	"Retrying 1 failed test... passed\nnpm error code ECONNRESET\nnpm error network aborted\n"

func TestTestOutputContext(t *testing.T) {
	tests := []struct {
		name     string
		in       Input
		wantSig  string
		wantCat  analysis.Category
		minRisk  int
		wantNote bool // the reasoning says the registry hit was demoted
	}{
		{name: "network mention in test output, ccm input", in: ccmInput(t, jestWithNetworkMention), wantSig: "js-test-failure", wantCat: analysis.CategoryFlakyTest, minRisk: 5, wantNote: true},
		{name: "network mention in test output, raw log", in: Input{Text: jestWithNetworkMention}, wantSig: "js-test-failure", wantCat: analysis.CategoryFlakyTest, minRisk: 5, wantNote: true},
		{name: "network mention in test output, step known", in: Input{Text: jestWithNetworkMention, FailingStep: "npm test"}, wantSig: "js-test-failure", wantCat: analysis.CategoryFlakyTest, minRisk: 5, wantNote: true},
		{name: "test job, step unknown", in: Input{Text: jestWithNetworkMention, JobName: "unit-tests (20.x)"}, wantSig: "js-test-failure", wantCat: analysis.CategoryFlakyTest, minRisk: 5, wantNote: true},
		// Demoted test output is no flakiness evidence, and flakiness
		// evidence never cancels a change to the failing test.
		{name: "change touches the test", in: Input{Text: jestWithNetworkMention, FailingStep: "npm test", ChangedFiles: []string{"src/cart.test.js"}}, wantSig: "js-test-failure", wantCat: analysis.CategoryCode, minRisk: 8, wantNote: true},
		{name: "generic step name", in: Input{Text: jestWithNetworkMention, FailingStep: "Run make ci"}, wantSig: "js-test-failure", wantCat: analysis.CategoryFlakyTest, minRisk: 5, wantNote: true},
		{name: "resolution error printed by a test", in: Input{Text: "tests/test_cli.py::test_lock prints: ERROR: ResolutionImpossible: for help visit https://pip.pypa.io\nFAILED tests/test_cli.py::test_lock - AssertionError: assert 1 == 0\n", FailingStep: "pytest"}, wantSig: "python-test-failure", wantCat: analysis.CategoryFlakyTest, minRisk: 5, wantNote: true},

		{name: "real reset during npm ci, ccm input", in: ccmInput(t, npmCIReset), wantSig: "npm-registry-network", wantCat: analysis.CategoryInfrastructure, minRisk: 2},
		{name: "real reset during npm ci, raw log", in: Input{Text: npmCIReset, FailingStep: "npm ci"}, wantSig: "npm-registry-network", wantCat: analysis.CategoryInfrastructure, minRisk: 2},
		{name: "install step keeps its registry error", in: Input{Text: leftoverTestFailure, FailingStep: "Install dependencies"}, wantSig: "npm-registry-network", wantCat: analysis.CategoryInfrastructure, minRisk: 2},
		{name: "publish job keeps its registry error", in: Input{Text: leftoverTestFailure, JobName: "publish"}, wantSig: "npm-registry-network", wantCat: analysis.CategoryInfrastructure, minRisk: 2},
		// Only package-manager errors are install-time: a named service
		// refusing the tests (testcontainers pulling from Docker Hub) and a
		// module the tests cannot import stay root causes.
		{name: "docker hub limit inside tests", in: Input{Text: "toomanyrequests: You have reached your pull rate limit.\n--- FAIL: TestRepo (3.10s)\n", FailingStep: "go test"}, wantSig: "docker-hub-rate-limit", wantCat: analysis.CategoryInfrastructure, minRisk: 2},
		{name: "missing module inside tests", in: Input{Text: "FAIL src/a.test.js\n  ● Test suite failed to run\n    Error: Cannot find module 'lodash'\n  ● a › b\n", FailingStep: "npm test"}, wantSig: "node-module-missing", wantCat: analysis.CategoryDependency, minRisk: 5},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := Classify(tc.in)
			if err := got.Validate(); err != nil {
				t.Fatalf("Validate: %v", err)
			}
			if got.Category != tc.wantCat {
				t.Errorf("category = %s, want %s (%s)", got.Category, tc.wantCat, got.Reasoning)
			}
			if got.RiskScore < tc.minRisk {
				t.Errorf("risk = %d, want >= %d", got.RiskScore, tc.minRisk)
			}
			if m := Explain(tc.in); len(m) == 0 || m[0].Signature != tc.wantSig {
				t.Errorf("strongest signature = %v, want %s", m, tc.wantSig)
			}
			if note := strings.Contains(got.Reasoning, "output of the tests"); note != tc.wantNote {
				t.Errorf("demotion note = %v, want %v: %s", note, tc.wantNote, got.Reasoning)
			}
			if tc.wantCat == analysis.CategoryInfrastructure && !slices.ContainsFunc(got.Actions, func(a analysis.Action) bool { return a.Type == analysis.ActionRerunFailedJobs }) {
				t.Errorf("actions = %v, want a re-run", got.Actions)
			}
			if tc.wantNote && countsFlakiness(got.Reasoning) {
				t.Errorf("demoted test output counted as flakiness evidence: %s", got.Reasoning)
			}
		})
	}
}

// countsFlakiness reports whether the reasoning names flakiness evidence
// (the notes of result and classifyAssertion).
func countsFlakiness(reasoning string) bool {
	return strings.Contains(reasoning, "Flakiness evidence:") || strings.Contains(reasoning, "comes with flakiness evidence") ||
		strings.Contains(reasoning, "also shows flakiness evidence")
}

func TestTestStepWords(t *testing.T) {
	tests := []struct {
		name string
		want bool
	}{
		{name: "npm test", want: true},
		{name: "run unit-tests", want: true},
		{name: "test_api", want: true},
		{name: "e2e (chromium)", want: true},
		{name: "run pytest -x", want: true},
		{name: "setup node latest", want: false},
		{name: "build provenance attestation", want: false},
		{name: "contest results", want: false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := testStepWords.MatchString(tc.name); got != tc.want {
				t.Errorf("testStepWords(%q) = %v, want %v", tc.name, got, tc.want)
			}
		})
	}
}

// TestTouchedTestStaysCode: when the change touches the failing test or the
// code it covers, the assertion failure is code whatever flakiness the log
// shows, and a registry error printed by the tests is no flakiness evidence.
func TestTouchedTestStaysCode(t *testing.T) {
	const (
		pytest   = "FAILED tests/test_api.py::test_list_users - AssertionError: assert 2 == 3\n========================= 1 failed, 10 passed in 1.23s =========================\n"
		refused  = "npm error code ECONNREFUSED\n"
		dialFail = "E   psycopg.OperationalError: dial tcp 127.0.0.1:5432: connect: connection refused\n"
	)
	touched := []string{"tests/test_api.py"}
	tests := []struct {
		name      string
		in        Input
		wantCat   analysis.Category
		wantFlaky bool // the reasoning names flakiness evidence
	}{
		{name: "touched test", in: Input{Text: pytest, ChangedFiles: touched}, wantCat: analysis.CategoryCode},
		{name: "touched test, registry error after", in: Input{Text: pytest + refused, ChangedFiles: touched}, wantCat: analysis.CategoryCode},
		{name: "touched test, registry error before", in: Input{Text: refused + pytest, ChangedFiles: touched}, wantCat: analysis.CategoryCode},
		{name: "touched test, registry error, step known", in: Input{Text: pytest + refused, FailingStep: "pytest", ChangedFiles: touched}, wantCat: analysis.CategoryCode},
		{name: "touched code under test, registry error", in: Input{Text: pytest + refused, ChangedFiles: []string{"app/api.py"}}, wantCat: analysis.CategoryCode},
		{name: "touched test, real network failure in the test", in: Input{Text: dialFail + pytest, ChangedFiles: touched}, wantCat: analysis.CategoryCode, wantFlaky: true},
		{name: "touched test, registry error and real network failure", in: Input{Text: dialFail + pytest + refused, ChangedFiles: touched}, wantCat: analysis.CategoryCode, wantFlaky: true},

		{name: "no changed files, registry error", in: Input{Text: pytest + refused}, wantCat: analysis.CategoryFlakyTest},
		{name: "unrelated change, registry error", in: Input{Text: pytest + refused, ChangedFiles: []string{"docs/index.md"}}, wantCat: analysis.CategoryFlakyTest},
		{name: "no changed files, real network failure", in: Input{Text: dialFail + pytest}, wantCat: analysis.CategoryFlakyTest, wantFlaky: true},
		// A randomized suite prints its seed on every run: no evidence.
		{name: "no changed files, the suite's seed", in: Input{Text: "Randomized with seed 482913\n" + pytest}, wantCat: analysis.CategoryFlakyTest},
		{name: "no changed files, pytest-randomly's seed", in: Input{Text: "Using --randomly-seed=1596637848\n" + pytest}, wantCat: analysis.CategoryFlakyTest},
		{name: "install step keeps its registry error", in: Input{Text: pytest + refused, FailingStep: "Install dependencies", ChangedFiles: touched}, wantCat: analysis.CategoryInfrastructure},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := Classify(tc.in)
			if err := got.Validate(); err != nil {
				t.Fatalf("Validate: %v", err)
			}
			if got.Category != tc.wantCat {
				t.Fatalf("category = %s, want %s (%s)", got.Category, tc.wantCat, got.Reasoning)
			}
			if f := countsFlakiness(got.Reasoning); f != tc.wantFlaky {
				t.Errorf("flakiness evidence named = %v, want %v: %s", f, tc.wantFlaky, got.Reasoning)
			}
			rerun := slices.ContainsFunc(got.Actions, func(a analysis.Action) bool { return a.Type == analysis.ActionRerunFailedJobs })
			switch tc.wantCat {
			case analysis.CategoryCode:
				checkFloor(t, got)
				if got.RiskScore != 8 {
					t.Errorf("risk = %d, want 8", got.RiskScore)
				}
			default:
				if !rerun {
					t.Errorf("actions = %v, want a re-run", got.Actions)
				}
			}
		})
	}
}
