package excerpt

import (
	"regexp"
	"strings"
)

// bazelTestStatus is Bazel's per-target row in its test summary: the
// target's label, padded, then its status ("//go/svc/muxtov:go_default_test
// TIMEOUT in 1 out of 2 in 300.0s",
// https://github.com/bazel-contrib/rules_go/issues/397; "//syntaxnet:
// parser_trainer_test FAILED in 1 out of 2 in 41.9s",
// https://github.com/bazelbuild/bazel/issues/2767), under an optional
// agent tag ("[node=…] "). The test.log paths under it only say where to
// read more. A TIMEOUT is the cause (the target ran out of time); FAILED,
// FAILED TO BUILD and INCOMPLETE say which target failed, an error; FLAKY
// and PASSED rows fail nothing and are left alone.
var bazelTestStatus = regexp.MustCompile(`^(?:\[[^\]]*\]\s+)?//[\w/.+-]*:\S+\s+(TIMEOUT|FAILED|INCOMPLETE|NO STATUS)\b`)

// bazelStrength rates a Bazel test-summary row.
func bazelStrength(t string, tier int) int {
	if tier >= strengthCause || !strings.Contains(t, "//") {
		return tier
	}
	m := bazelTestStatus.FindStringSubmatch(t)
	switch {
	case m == nil:
		return tier
	case m[1] == "TIMEOUT":
		return strengthCause
	default:
		return max(tier, strengthError)
	}
}

// goSignalDump is the Go runtime's header over the goroutine dump it
// prints when a signal ends the program: "SIGQUIT: quit" / "PC=0x809c88d
// m=0" (https://github.com/golang/go/issues/14766,
// https://github.com/golang/go/issues/30098), "SIGSEGV: segmentation
// violation", "SIGABRT: abort". A CI step's timeout or a harness that
// gave up on a hung test sends the SIGQUIT: the signal is the cause, the
// goroutine headers and frames under it only say where each one was.
var goSignalDump = regexp.MustCompile(`^SIG[A-Z]{2,6}: [a-z][a-z ]*$`)

// goSignalStrength rates the Go runtime's signal header.
func goSignalStrength(t string, tier int) int {
	if tier < strengthCause && strings.HasPrefix(t, "SIG") && goSignalDump.MatchString(t) {
		return strengthCause
	}
	return tier
}

// surefireRun is a failed run's row that Surefire and Failsafe list under a
// test rerun with rerunFailingTestsCount, its level tag optional
// ("  Run 1: FooTest.testBar:42 » NullPointer" / "  Run 2: PASS",
// https://maven.apache.org/surefire/maven-surefire-plugin/examples/rerun-failing-tests.html):
// the test, its line and why it failed. The "Tests run: …, Flakes: 1"
// count under the list only says how many. Jenkins' timestamper may put
// the time of day before it ("17:24:26    Run 1: …").
var surefireRun = regexp.MustCompile(`^(?:\d\d:\d\d:\d\d\s+)?(?:\[[A-Z]+\]\s+)?Run \d+: (?:[\w$]+\.)+[\w$]+:\d+ \S`)

// surefireRunStrength rates a failed run's row as an error.
func surefireRunStrength(t string, tier int) int {
	if tier < strengthError && strings.Contains(t, "Run ") && surefireRun.MatchString(t) {
		return strengthError
	}
	return tier
}

// zuulJobResult is a job's row in Zuul's report under "Build failed.",
// quoted with "> " when pasted into a comment: "* [name ](url) : RESULT in
// 3m 07s" on GitHub, "- name url : RESULT in 5m" on Gerrit
// (https://github.com/wazo-platform/wazo-calld/pull/209 shows the rows).
// A failed result names the job and how it ended; TIMED_OUT is the cause.
// A non-voting job's failure fails nothing and is left alone.
var zuulJobResult = regexp.MustCompile(`^(?:>\s*)*[-*]\s+\S.*\s: (FAILURE|RETRY_LIMIT|POST_FAILURE|TIMED_OUT|NODE_FAILURE|DISK_FULL|ERROR) in \d`)

// zuulStrength rates a failed job's row in Zuul's report.
func zuulStrength(t string, tier int) int {
	if tier >= strengthCause || !strings.Contains(t, " : ") || strings.Contains(t, "(non-voting)") {
		return tier
	}
	m := zuulJobResult.FindStringSubmatch(t)
	switch {
	case m == nil:
		return tier
	case m[1] == "TIMED_OUT":
		return strengthCause
	default:
		return max(tier, strengthError)
	}
}
