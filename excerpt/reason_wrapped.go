package excerpt

import (
	"regexp"
	"strings"
)

// Lines a build tool, a test runner or a CI agent prints around the tool
// whose own error says why: Bazel's action wrapper over gcc's error and its
// closing summary, Julia's test summary over "Test Failed at …", a bare
// error code over the message indented under it, Buildkite's hook exit
// status over the hook's own error. They are generic: the reason of last
// resort, still chosen when the tool said nothing more. And lines that say
// why but read as no error (rebar3's "===> Package not found in any repo:
// …", Stack's "aeson must match …, but aeson-2.2.1.0 is in the Stack
// configuration").

// bazelAction is Bazel's line on an action that failed ("ERROR:
// /…/BUILD.bazel:14:11: Compiling src/lib/parser.cc failed: (Exit 1): gcc
// failed: error executing CppCompile command …", before 5.0 "C++
// compilation of rule '//a:b' failed (Exit 1)"): the compiler's or the
// test's own lines under it say why. Killed actions (Exit 137, 139, 143)
// are left to the signal's rank.
var bazelAction = regexp.MustCompile(`^ERROR: \S+:\d+:\d+: .*\bfailed:? \(Exit (\d+)\)`)

// bazelSummary is Bazel's closing line ("ERROR: Build did NOT complete
// successfully", "FAILED: Build did NOT complete successfully (3 packages
// loaded)", "ERROR: Build failed. Not running target"): the errors above
// it say why.
func bazelSummary(t string) bool {
	return strings.Contains(t, "Build did NOT complete successfully") || strings.Contains(t, "Build failed. Not running target")
}

// juliaSummary is Julia's verdict after its test summary table ("ERROR:
// LoadError: Some tests did not pass: 41 passed, 1 failed, 0 errored, 0
// broken.") and Pkg's line after it ("ERROR: Package Sampler errored
// during testing"): counts and the package, where the "Test Failed at
// file:line" above them says which test and why.
func juliaSummary(t string) bool {
	return strings.Contains(t, "Some tests did not pass: ") || strings.Contains(t, " errored during testing")
}

// juliaTestFailed is Julia's failed @test ("mcmc convergence: Test Failed
// at /…/test/runtests.jl:45") or errored one ("Error During Test at
// /…/runtests.jl:12"), the Expression and Evaluated lines under it: the
// test's own error, over the summary's counts.
var juliaTestFailed = regexp.MustCompile(`(?:^|: )(?:Test Failed|Error During Test) at \S+:\d+$`)

// bareCode is an error code alone, its message indented under it (Stack's
// "Error: [S-4804]" over "Stack failed to construct a build plan.",
// cabal's "Error: [Cabal-7125]"): it names nothing a person can act on.
var bareCode = regexp.MustCompile(`^(?i:error):? \[[A-Za-z]+-\d+\]$`)

// versionMismatch is a resolver's line that a dependency's constraint is
// not met by the version it was given ("aeson must match >=2.0 && <2.2,
// but aeson-2.2.1.0 is in the Stack configuration"): the cause of a failed
// build plan.
var versionMismatch = regexp.MustCompile(`\S must match [<>=^~*\d].*, but \S+ is\b`)

// rebar3Line is rebar3's message line ("===> Package not found in any
// repo: cowboy 2.99.0"). rebar3 prints its progress the same way
// ("===> Verifying dependencies...", "===> Compiling raftkv"), but a
// message with a value after a colon is an error, except its counts
// ("===> Failures occurred running tests: 1", "===> Warnings occurred
// running dialyzer: 2"), which the lines above them explain.
func rebar3Strength(t string, tier int) int {
	if !strings.HasPrefix(t, "===> ") || !strings.Contains(t, ": ") {
		return tier
	}
	if strings.Contains(t, " occurred running ") {
		return strengthGeneric
	}
	return max(tier, strengthError)
}

// rerunAdvice says how to run the failing tests again ("call rebar3 ct
// with '--retry' to re-run failing cases.", "To rerun the failed tests,
// run: …"): advice, not the failure.
var rerunAdvice = regexp.MustCompile(`(?i)\bto re-?run (?:the |all |only )?fail(?:ed|ing)\b`)

// buildkiteExit is the Buildkite agent's exit status of the command or a
// hook ("🚨 Error: The global post-command hook exited with status 1",
// "🚨 Error: The command exited with status 2"): the output above it says
// why. Status -1 (the agent lost the process) and the signals' 137, 139
// and 143 are causes.
var buildkiteExit = regexp.MustCompile(`^(?:🚨 )?Error: The (?:[\w -]+ )?(?:command|hook) exited with status (\d+)$`)

// buildkiteExited reports a buildkiteExit line of an ordinary status;
// isExitWrapper guards it with " exited with status ".
func buildkiteExited(t string) bool {
	m := buildkiteExit.FindStringSubmatch(strings.TrimSpace(t))
	return m != nil && m[1] != "137" && m[1] != "139" && m[1] != "143"
}

// wrappedStrength rates the lines above; each is guarded by a plain
// substring test, since most lines are none of them.
func wrappedStrength(t, lower string, tier int) int {
	if tier == strengthNone && !strings.HasPrefix(t, "===> ") && !strings.Contains(t, " must match ") {
		return tier
	}
	switch {
	case strings.HasPrefix(t, "ERROR: ") && strings.Contains(t, "(Exit "):
		if m := bazelAction.FindStringSubmatch(t); m != nil && m[1] != "137" && m[1] != "139" && m[1] != "143" {
			return strengthGeneric
		}
	case bazelSummary(t), juliaSummary(t):
		return strengthGeneric
	case strings.HasSuffix(t, "]") && strings.HasPrefix(lower, "error") && bareCode.MatchString(t):
		return strengthGeneric
	case strings.Contains(t, " must match ") && strings.Contains(t, ", but ") && versionMismatch.MatchString(t):
		return strengthCause
	case strings.Contains(t, " at ") && tier < strengthError && juliaTestFailed.MatchString(t):
		return strengthError
	case tier > strengthGeneric && tier < strengthCause && strings.Contains(lower, "to re") && rerunAdvice.MatchString(t):
		return strengthGeneric
	}
	return rebar3Strength(t, tier)
}
