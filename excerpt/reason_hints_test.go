package excerpt

import "testing"

// TestLineStrength_Hints rates single lines of the families in
// reason_hints.go: advice and passing summaries rank low, diagnostics with
// no severity word rank as errors, a warning of a full disk as the cause.
func TestLineStrength_Hints(t *testing.T) {
	tests := []struct {
		line string
		want int
	}{
		{"hint: See above for output from the failure.", strengthGeneric},
		{"note: This error originates from a subprocess, and is likely not a problem with pip.", strengthGeneric},
		{"Consider increasing the heap size; the error may be spurious.", strengthGeneric},
		{"| If that fails, please check the error log of the mirror.", strengthGeneric},
		{"Tests run: 12, Failures: 0, Errors: 0, Skipped: 0, Time elapsed: 3.1 s", strengthNone},
		{"Passed!  - Failed:     0, Passed:    12, Skipped:     0, Total:    12", strengthNone},
		{"Tests run: 12, Failures: 1, Errors: 0, Skipped: 0", strengthOutcome},
		{"Makefile:31: recipe for target 'all' failed", strengthNone},
		{"  error: subprocess-exited-with-error", strengthGeneric},
		{"npm ERR! Linux 5.15.0-1031-azure", strengthGeneric},
		{"npm ERR! argv \"/usr/bin/node\" \"/usr/bin/npm\" \"ci\"", strengthGeneric},
		{"cart/total.go:41:9: cannot use price (variable of type float64) as int value", strengthError},
		{"e: file:///ci/app/src/main/kotlin/Cart.kt:12:5 Unresolved reference: priceOf", strengthError},
		{"##[warning]Failed to extract task. Error There is not enough space on the disk.", strengthCause},
		{"##[warning]Cache save failed, retrying", strengthNone},
		{"go: go.mod requires go >= 1.23.0 (running go 1.21.4; GOTOOLCHAIN=local)", strengthCause},
		{"F0412 10:01:02.123456  4711 queue.cc:88] Check failed: size_ > 0 (0 vs. 0)", strengthCause},
		{"    throw new RangeError(`bad size ${n}`);", strengthGeneric},
	}
	for _, tt := range tests {
		if got := lineStrength(tt.line); got != tt.want {
			t.Errorf("lineStrength(%q) = %d, want %d", tt.line, got, tt.want)
		}
	}
}

// TestQuietCause: lines that name a cause in words no error line uses are
// the reason before the log's last line, yet not rated (ErrorLike stays
// false for them).
func TestQuietCause(t *testing.T) {
	tests := []struct {
		line string
		want bool
	}{
		{"./deploy.sh: 7: kubectl: not found", true},
		{"./deploy.sh: line 7: kubectl: command not found", true},
		{"E: The repository 'http://deb.example.org/debian buster Release' does not have a Release file.", true},
		{"CircleCI was unable to execute the job to completion, because the CircleCI agent received a kill signal midway through the job.", true},
		{"Checking that kubectl is installed: not found, installing", false},
		{"Unable to find image 'alpine:3.19' locally", false},
	}
	for _, tt := range tests {
		if got := quietCause(tt.line); got != tt.want {
			t.Errorf("quietCause(%q) = %v, want %v", tt.line, got, tt.want)
		}
	}
}

// TestLineStrength_ToolchainSwitch: Go's toolchain switch is information,
// not the cause; go.mod's refusal is.
func TestLineStrength_ToolchainSwitch(t *testing.T) {
	if got := lineStrength("go: github.com/foo/baz@v1.0.0 requires go >= 1.22.0; switching to go1.22.5"); got >= strengthError {
		t.Errorf("switch line rated %d, want below strengthError (%d)", got, strengthError)
	}
	if got := lineStrength("go: go.mod requires go >= 1.23.0 (running go 1.21.4; GOTOOLCHAIN=local)"); got != strengthCause {
		t.Errorf("refusal rated %d, want strengthCause", got)
	}
	checkReason(t, []string{
		"go: github.com/foo/baz@v1.0.0 requires go >= 1.22.0; switching to go1.22.5",
		"server/handler.go:42:9: undefined: NewRouter",
	}, "undefined: NewRouter", nil)
}
