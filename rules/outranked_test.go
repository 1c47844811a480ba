package rules

import (
	"testing"

	"github.com/ccm-ci/ccm/analysis"
)

// Lines that look like a platform's failure but only accompany the real
// one must not decide the answer: apt waiting for its lock and then going
// on, a script's own kill -9, Julia's compat warning. The logs are written
// for this test.
func TestNotOutrankingTheFailure(t *testing.T) {
	tests := []struct {
		name, log string
		notSig    string
		want      analysis.Category
	}{
		{"apt waits for its lock, then a test fails",
			"Waiting for cache lock: Could not get lock /var/lib/dpkg/lock-frontend. It is held by process 1538 (unattended-upgr)\n" +
				"Setting up libpq-dev (14.11-0ubuntu0.22.04.1) ...\n" +
				"FAILED tests/test_cart.py::test_discount - assert 90 == 100\n" +
				"=========================== 1 failed, 12 passed in 3.2s ===========================",
			"apt-lock-held", analysis.CategoryFlakyTest},
		{"a script kills its server, then a test fails",
			"+ kill -9 $SERVER_PID\nKilled\n--- FAIL: TestAdd (0.00s)\n    add_test.go:12: Add(2, 2) = 5, want 4\nFAIL\nFAIL\texample.com/calc\t0.004s",
			"process-killed", analysis.CategoryFlakyTest},
		{"Julia warns of its compat bound, then a test fails",
			"┌ Warning: julia version requirement for package Foo not satisfied\n" +
				"Test Failed at /home/runner/work/Foo.jl/test/runtests.jl:5\n  Expression: f(2) == 4\n   Evaluated: 5 == 4\n" +
				"ERROR: LoadError: Some tests did not pass: 11 passed, 1 failed, 0 errored, 0 broken.",
			"toolchain-engine-mismatch", ""},
		{"a bare Killed alone still reads as the runner's memory",
			"Installing collected packages: numpy, scipy\nKilled\n",
			"", analysis.CategoryInfrastructure},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := Input{Text: tt.log}
			sig, _, _ := Winner(in)
			if tt.notSig != "" && sig == tt.notSig {
				t.Errorf("%s decided the answer", sig)
			}
			if got := Classify(in); tt.want != "" && got.Category != tt.want {
				t.Errorf("category %s, want %s (%s)", got.Category, tt.want, got.Reasoning)
			}
		})
	}
}
