package rules

import (
	"strings"
	"testing"
)

// TestFamilyHintsSkipPassingLines: lines that hold a family's words but
// say a test passed, a tool tries again or recovered, or a step only
// informs give no family hint (hintExcluded and the families' unless
// words): each would turn a passing log into a failure. The lines are
// written for the test, one per shape.
func TestFamilyHintsSkipPassingLines(t *testing.T) {
	lines := []string{
		// Passing tests whose titles name a family's message.
		"  ✓ reports conflicting dependencies to the user (1 ms)",
		"  ✓ maps name or service not known to offline (2 ms)",
		"  √ exits when the job exceeded the maximum time",
		"test resolver::tests::no matching version found for x ... ok",
		"ok  \texample.com/net\t0.2s TestDialTimeout: timed out after 2s as expected",
		"--- PASS: TestRequiresGoVersion/requires_go_>=_1.21_(running_go_1.20) (0.00s)",
		"tests/test_net.py::test_connection_reset_by_peer PASSED",
		// Retry and recovery notices.
		"Attempt 1 failed: dial tcp 140.82.112.3:443: i/o timeout. Trying again in 5s",
		"Notice: connection reset by peer while fetching index; served from cache",
		"GET https://registry.example.org/v2/ returned 503, retry 1/3",
		"Session timeout expired, re-authenticating",
		// Go fetching the toolchain a module needs: no failure.
		"go: github.com/foo/baz@v1.0.0 requires go >= 1.22.0; switching to go1.22.5",
		// A step saying what it does without a value.
		"Skipping upload: CODECOV_TOKEN is not set",
		"API_KEY is empty; using anonymous access",
		"Note: the password is not set in dev mode",
		"[INFO] SONAR_TOKEN is not set, analysis results stay local",
	}
	for _, l := range lines {
		if cat, _, _, ok := newScan(Input{Text: l}).familyHint(); ok {
			t.Errorf("familyHint(%q) = %s, want none", l, cat)
		}
	}
}

// TestPassingLogsWithFamilyWords: whole passing logs whose lines hold a
// family's words are read as passing, not as an unknown failure.
func TestPassingLogsWithFamilyWords(t *testing.T) {
	logs := [][]string{
		{"go: github.com/foo/baz@v1.0.0 requires go >= 1.22.0; switching to go1.22.5", "ok  \texample.com/server\t0.412s"},
		{"Skipping upload: CODECOV_TOKEN is not set", "Tests:       12 passed, 12 total"},
		{"PASS src/resolve.test.ts", "  ✓ reports conflicting dependencies to the user (1 ms)", "Tests:       3 passed, 3 total"},
	}
	for _, l := range logs {
		in := Input{Text: strings.Join(l, "\n")}
		if got := Classify(in); !got.NoFailureFound() {
			t.Errorf("%q: NoFailureFound is false: %s %d: %s", l, got.Category, got.Confidence, got.Reasoning)
		}
	}
}

// TestToolchainSwitchIsNoCause: with Go's toolchain switch before a compile
// error, the compile error is the failure (no dependency hint from the
// switch line), while go.mod's refusal ("requires go >= … (running go …)")
// still is a dependency hint.
func TestToolchainSwitchIsNoCause(t *testing.T) {
	in := Input{Text: "go: github.com/foo/baz@v1.0.0 requires go >= 1.22.0; switching to go1.22.5\nserver/handler.go:42:9: undefined: NewRouter"}
	if cat, _, _, ok := newScan(in).familyHint(); ok && cat != "code" {
		t.Errorf("switch then compile error: family hint %s, want none or code", cat)
	}
	refusal := Input{Text: "go: go.mod requires go >= 1.23.0 (running go 1.21.4; GOTOOLCHAIN=local)"}
	if cat, _, _, ok := newScan(refusal).familyHint(); !ok || cat != "dependency" {
		t.Errorf("go.mod refusal: family hint %q %v, want dependency", cat, ok)
	}
}
