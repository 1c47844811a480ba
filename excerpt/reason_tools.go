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

// faulthandlerTimeout is Python's faulthandler dumping the threads of a
// process that ran past its deadline, as CPython's regrtest -timeout
// prints it ("Timeout (0:20:00)!" over "Thread 0x… (most recent call
// first):"), often after the test's own "... " line: the hang is the
// cause, the frames under it say where each thread waited.
var faulthandlerTimeout = regexp.MustCompile(`(?:^|\.\.\. )Timeout \(\d+:\d\d:\d\d(?:\.\d+)?\)!$`)

// faulthandlerStrength rates faulthandler's timeout line as the cause.
func faulthandlerStrength(t string, tier int) int {
	if tier < strengthCause && strings.HasSuffix(t, ")!") && faulthandlerTimeout.MatchString(t) {
		return strengthCause
	}
	return tier
}

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

// surefireForkDied is Surefire's word that the JVM running the tests
// died ("The forked VM terminated without properly saying goodbye. VM
// crash or System.exit called?"): what happened, where the "Error
// occurred in starting fork, check output in log" and "Process Exit
// Code: 1" after it only point elsewhere (surefireForkAdvice).
const surefireForkDied = "The forked VM terminated without properly saying goodbye"

// surefireForkAdvice is Surefire's pointer under a dead fork.
var surefireForkAdvice = regexp.MustCompile(`^(?:\[ERROR\] )?(?:Error occurred in starting fork, check output in log|Process Exit Code: \d+)$`)

// surefireRunStrength rates a failed run's row and a dead fork as errors,
// the fork's pointers as generic.
func surefireRunStrength(t string, tier int) int {
	switch {
	case tier < strengthError && strings.Contains(t, "Run ") && surefireRun.MatchString(t):
		return strengthError
	case tier < strengthCause && strings.Contains(t, surefireForkDied):
		return strengthCause
	case tier > strengthGeneric && (strings.Contains(t, "starting fork") || strings.Contains(t, "Exit Code:")) && surefireForkAdvice.MatchString(t):
		return strengthGeneric
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

// bundlerWrap is where a terminal's width breaks Bundler's platform
// message ("Your bundle only supports platforms [...] but your local" /
// "platform is x86_64-linux."): the line says nothing without the next.
const bundlerWrap = " but your local"

// gradleTestHeading is Gradle's row for a failed test, the class then the
// method ("com.example.FooTest > parses empty input FAILED"), the
// exception Gradle prints indented under it.
var gradleTestHeading = regexp.MustCompile(`^(?:[\w$]+\.)*[\w$]+ > \S.* FAILED$`)

// underGradleTest is text (line i as a reason) after the Gradle test
// heading that line i is directly indented under: the heading says which
// test, the exception why, and a person needs both. An exception too long
// to join whole stays alone.
func underGradleTest(lines []logLine, i int, text string) string {
	if i == 0 || lines[i-1].no+1 != lines[i].no || !strings.HasSuffix(lines[i-1].text, " FAILED") ||
		indentOf(lines[i].text) <= indentOf(lines[i-1].text) {
		return text
	}
	h := strings.TrimSpace(lines[i-1].text)
	if !gradleTestHeading.MatchString(h) || len(h)+1+len(text) > maxReasonLen {
		return text
	}
	return h + " " + text
}

// psCmdletError is PowerShell's error record as PowerShell 7 prints it,
// the cmdlet then its message ("Install-Package: No match was found for
// the specified search criteria …", "Invoke-WebRequest: Response status
// code does not indicate success: 404 (Not Found)."), and as Windows
// PowerShell 5 does, with a space before the colon and its position
// lines under it ("Expand-Archive : …"). The verbs are PowerShell's own
// (Get-Verb), so a heading such as "Mon-Fri: …" is no cmdlet.
var psCmdletError = regexp.MustCompile(`^(?:Add|Clear|Compress|ConvertFrom|ConvertTo|Copy|Disable|Enable|Expand|Export|Find|Get|Import|Install|Invoke|Join|Move|New|Publish|Register|Remove|Rename|Resolve|Restore|Save|Select|Set|Start|Stop|Test|Uninstall|Unregister|Update|Wait|Write)-[A-Z][A-Za-z]+ ?: \S`)

// psCmdletStrength rates a cmdlet's error record as an error.
func psCmdletStrength(t string, tier int) int {
	if tier < strengthError && strings.Contains(t, "-") && psCmdletError.MatchString(t) {
		return strengthError
	}
	return tier
}

// cargoSpurious is cargo's warning for a network error it retries
// ("warning: spurious network error (1 tries remaining): [28] Timeout was
// reached (Operation too slow. …)"): it says what went wrong on the
// network, while the error cargo ends on after the last retry only says
// what it could not fetch ("failed to download from https://…"). The last
// warning of a run is the cause (cargoSpuriousStrength, spuriousRetried).
const cargoSpurious = "warning: spurious network error ("

// cargoSpuriousStrength rates cargo's retry warning as a cause.
func cargoSpuriousStrength(t string, tier int) int {
	if strings.HasPrefix(t, cargoSpurious) {
		return strengthCause
	}
	return tier
}

// spuriousRetried reports cargo's retry warning at line i followed by
// another: the later attempt's warning is the one to read.
func spuriousRetried(lines []logLine, i int) bool {
	if !strings.HasPrefix(strings.TrimSpace(lines[i].text), cargoSpurious) {
		return false
	}
	for _, l := range lines[i+1 : min(len(lines), i+30)] {
		t := strings.TrimSpace(l.text)
		if strings.HasPrefix(t, cargoSpurious) {
			return true
		}
		if strings.HasPrefix(t, "error") || strings.HasPrefix(t, "Caused by:") {
			return false
		}
	}
	return false
}

// dartIssue is a row of flutter analyze ("info • Avoid print calls •
// lib/main.dart:12:3 • avoid_print") or dart analyze ("warning -
// lib/main.dart:12:3 - Unused import. - unused_import"): severity,
// message, place and lint. An error row is an error; an info or warning
// row fails the job only under --fatal-infos or --fatal-warnings, so it is
// a quiet cause (quietCause): the reason when nothing else is rated.
var dartIssue = regexp.MustCompile(`^(error|warning|info) [•-] (?:.+ [•-] )?\S+\.dart:\d+:\d+(?: [•-] .+)?$`)

// dartIssueStrength rates an analyzer's error row as an error.
func dartIssueStrength(t string, tier int) int {
	if tier < strengthError && strings.HasPrefix(t, "error ") && strings.Contains(t, ".dart:") && dartIssue.MatchString(t) {
		return strengthError
	}
	return tier
}

// dartNotice reports an analyzer's info or warning row (dartIssue).
func dartNotice(t string) bool {
	return (strings.HasPrefix(t, "info ") || strings.HasPrefix(t, "warning ")) && strings.Contains(t, ".dart:") && dartIssue.MatchString(t)
}

// unbolded is t without the markdown bold a person wrapped a pasted line
// in to point at it ("**npm ERR! 404 Not Found: pkg@1.2.3**"), so that the
// tool's own words are rated. A tool's banner spaced inside its stars
// ("** BUILD FAILED **", xcodebuild's) is its own text and stays.
func unbolded(t string) string {
	if len(t) > 4 && strings.HasPrefix(t, "**") && strings.HasSuffix(t, "**") &&
		t[2] != ' ' && t[2] != '*' && t[len(t)-3] != ' ' && t[len(t)-3] != '*' {
		return t[2 : len(t)-2]
	}
	return t
}

// formatterRow is a Python formatter's file row in check mode: Black's
// "would reformat src/app.py", Ruff's "Would reformat: src/app.py". It
// says which file fails the check; the count under the rows ("1 file would
// be reformatted, 32 files would be left unchanged.", formatterSummary)
// only sums them up.
var (
	formatterRow     = regexp.MustCompile(`^(?:would reformat|Would reformat:) \S+$`)
	formatterSummary = regexp.MustCompile(`^\d+ files? would be reformatted\b`)
)

// withFormatterCount is a formatter's first file row (formatterRow) and,
// when more rows follow it, the count under them ("would reformat a.py;
// 2 files would be reformatted, 840 files would be left unchanged."): the
// first file alone would hide that others fail the check too. One row
// stays alone, so the reason of a file's own failure keeps its
// fingerprint however many files the project holds.
func withFormatterCount(text string, next []logLine) string {
	more := false
	for _, l := range next[:min(len(next), 200)] {
		t := strings.TrimSpace(l.text)
		if !strings.Contains(t, "eformat") {
			continue // spare the expressions
		}
		switch {
		case formatterSummary.MatchString(t):
			if more && len(text)+len(t) < maxReasonLen {
				return text + "; " + t
			}
			return text
		case formatterRow.MatchString(t):
			more = true
		}
	}
	return text
}

// undefinedSymbolRow is the macOS linker's row for a symbol no object
// defines, under "Undefined symbols for architecture x86_64:" ("
// \"madness::info::cheminfo_git_commit()\", referenced from:", the objects
// that use it indented under it): it names what is missing, while "ld:
// symbol(s) not found for architecture x86_64" after the rows does not.
var undefinedSymbolRow = regexp.MustCompile(`^"[^"]+", referenced from:$`)

// checkRowStrength rates the rows above: a formatter's file row is an
// error, its summary the generic line it is, the linker's missing symbol
// the cause.
func checkRowStrength(t string, tier int) int {
	switch {
	case strings.HasSuffix(t, "referenced from:") && undefinedSymbolRow.MatchString(t):
		return strengthCause
	case tier < strengthError && strings.Contains(t, "ould reformat") && formatterRow.MatchString(t):
		return strengthError
	case strings.Contains(t, "would be reformatted") && formatterSummary.MatchString(t):
		// Generic whatever its words rank: the rows above it say which
		// files, and it is the reason only when nothing else is.
		return strengthGeneric
	}
	return tier
}

// mesonTestRow is meson test's row for a test that did not pass: its
// number, its name (since 0.57 under its suite, "mylib:unit / parser"),
// padding, the status and the time ("2/2 unittest_capi_inference_latency
// TIMEOUT 30.00 s", " 7/12 mylib:unit / parser_test  TIMEOUT  30.02s
// killed by signal 15 SIGTERM", "3/5 io_test  FAIL  0.12 s (exit status
// 1)"). As Bazel's rows (bazelStrength): a TIMEOUT is the cause, a FAIL or
// ERROR says which test failed, an error. meson prints the time with two
// decimals, always: another numbered table's "timeout 30 s" is no row of
// meson's.
var mesonTestRow = regexp.MustCompile(`^\d+/\d+ \S.*?\s(TIMEOUT|FAIL|ERROR)\s+\d+\.\d{2} ?s\b`)

// mesonSummaryRow is a count in meson test's summary under the rows ("Ok:
// 1", "Expected Fail: 0", "Timeout: 1"). A zero fails nothing; another
// count only sums up the rows above it.
var mesonSummaryRow = regexp.MustCompile(`^(?:Ok|Expected Fail|Fail|Unexpected Pass|Skipped|Timeout):\s+(\d+)$`)

// mesonStrength rates meson test's rows and summary counts.
func mesonStrength(t string, tier int) int {
	if t == "" || tier >= strengthCause {
		return tier
	}
	if c := t[0]; c >= '0' && c <= '9' && strings.Contains(t, "/") {
		switch m := mesonTestRow.FindStringSubmatch(t); {
		case m == nil:
		case m[1] == "TIMEOUT":
			return strengthCause
		default:
			return max(tier, strengthError)
		}
		return tier
	}
	m := mesonSummaryRow.FindStringSubmatch(t)
	switch {
	case m == nil:
		return tier
	case strings.Trim(m[1], "0") == "":
		return strengthNone
	}
	return min(tier, strengthGeneric)
}

// gitPluginWhere are the Jenkins Git plugin's lines around a git command
// that failed: which remote it was cloning or fetching ("ERROR: Error
// cloning remote repo 'origin'", "ERROR: Error fetching remote repo
// 'origin'"), the exception that wraps the command ("hudson.plugins.git.
// GitException: Failed to fetch from https://…", "…GitException: Command
// \"git fetch --tags --progress -- https://… +refs/heads/*:refs/remotes/
// origin/*\" returned status code 128:"). They say where; git's own error,
// under "stderr: " (gitStderr), says why.
var gitPluginWhere = regexp.MustCompile(`^(?:ERROR: )?Error (?:cloning|fetching) remote repo '[^']*'$|` +
	`^(?:Caused by: )?hudson\.plugins\.git\.GitException: (?:Command ".*" returned status code \d+:|Failed to fetch from \S+)$`)

// gitStderr is git's error as the Jenkins Git plugin quotes it under the
// exception: "stderr: fatal: unable to access 'https://…': OpenSSL
// SSL_connect: Connection reset by peer …", "stderr: fatal: couldn't find
// remote ref refs/heads/x", "stderr: remote: Repository not found.".
const gitStderr = "stderr: "

// gitProgress is the server's progress that git quotes first in its
// stderr during a fetch ("remote: Enumerating objects: 184213, done."):
// no error, whatever follows it.
var gitProgress = regexp.MustCompile(`^remote: (?:Enumerating|Counting|Compressing|Total|Resolving|Finding) `)

// gitPluginStrength rates the plugin's lines as generic and git's error
// under them as (at least) an error.
func gitPluginStrength(t string, tier int) int {
	if strings.HasPrefix(t, gitStderr) {
		rest := t[len(gitStderr):]
		if strings.HasPrefix(rest, "fatal: ") || strings.HasPrefix(rest, "error: ") ||
			strings.HasPrefix(rest, "remote: ") && !gitProgress.MatchString(rest) {
			return max(tier, strengthError)
		}
		return tier
	}
	if tier > strengthGeneric && (strings.Contains(t, " remote repo '") || strings.Contains(t, "GitException: ")) && gitPluginWhere.MatchString(t) {
		return strengthGeneric
	}
	return tier
}

// teamCityTimeout is TeamCity's build execution timeout: the agent's
// notice as it stops the build ("The build X #12 {buildId=3} has been
// running for more than 90 minutes. Terminating...") and the build
// problem it records ("Execution timeout", "(new)" when it is the build's
// first), https://github.com/PaddlePaddle/Paddle/issues/9563. The thread
// dumps and the killed process's exit code after it are what it did.
var teamCityTimeout = regexp.MustCompile(`^Execution timeout(?: \(new\))?$|has been running for more than \d+ minutes?\. Terminating`)

// teamCityTimeoutStrength rates TeamCity's timeout lines as the cause.
func teamCityTimeoutStrength(t string, tier int) int {
	if tier < strengthCause && (strings.HasPrefix(t, "Execution timeout") || strings.Contains(t, "has been running for more than")) {
		if teamCityTimeout.MatchString(t) {
			return strengthCause
		}
	}
	return tier
}
