package rules

import (
	"bytes"
	"regexp"
	"strings"
)

// Context gates. A few signatures match lines whose meaning depends on the
// rest of the log: a test's own log line reads like its failure message, a
// passed test's captured output sits under the same header as a failure's,
// and Jest's open-handles warning is a hang only when nothing ended the job
// after it. A gate sees every line the signature matched and keeps the ones
// the context does not contradict, or demotes the hit to evidence.

// gates maps a signature to the lines of it that stand in this log.
var gates = map[string]func(sc scanned, lines []span) []span{
	"go-test-failure":       goTestGate,
	"python-test-failure":   pytestPassesGate,
	"rerun-marker":          rerunFailedGate,
	"jvm-assertion-failure": surefireFlakesGate,
	// gates_context.go: a node that came up after all, the project's own
	// package in site-packages, pytest's faulthandler dump.
	"jenkins-agent-offline":          offlineThenRanGate,
	"python-dependency-name-removed": ownPackageGate,
	"jvm-python-test-timeout":        pytestFaulthandlerGate,
	// Lines a tool prints and carries on after.
	"command-not-found":           wentOnGate,
	"android-sdk-package-missing": wentOnGate,
	"dependency-version-missing":  wentOnGate,
	"lockfile-out-of-date":        wentOnGate,
	"package-checksum-mismatch":   wentOnGate,
	"project-manifest-not-found":  wentOnGate,
	"toolchain-engine-mismatch":   wentOnGate,
	"python-index-network":        wentOnGate,
	"test-driver-timeout":         wentOnGate,
	"http-client-connect-failed":  wentOnGate,
	"network-error":               wentOnGate,
}

// gateScan is how many lines a gated signature is searched for, so a gate
// that drops the first few still finds later ones.
const gateScan = 64

// goTestGate drops go test failure lines from a run that passed: with -v,
// "--- PASS" lines and no "--- FAIL" mean the t.Log output that reads like
// a failure message ("got 200 response") was not one.
func goTestGate(sc scanned, lines []span) []span {
	if bytes.Contains(sc.low, []byte("--- pass: ")) && !bytes.Contains(sc.low, []byte("--- fail: ")) {
		return nil
	}
	return lines
}

// pytestPasses opens the section pytest -rA/-rP prints for passed tests;
// the next "=== … ===" banner closes it.
var (
	pytestPasses = regexp.MustCompile(`(?m)^[^\n]*={3,} passes ={3,}[^\S\n]*$`)
	pytestBanner = regexp.MustCompile(`(?m)^[^\n]*={3,} [^\n]*\S ={3,}[^\S\n]*$`)
)

// pytestPassesGate drops lines inside a PASSES section: its "____ test_x
// ____" headers introduce captured output of tests that passed.
func pytestPassesGate(sc scanned, lines []span) []span {
	if !bytes.Contains(sc.low, []byte(" passes =")) {
		return lines
	}
	var sections [][2]int
	for _, loc := range pytestPasses.FindAllIndex(sc.low, -1) {
		end := len(sc.low)
		if b := pytestBanner.FindIndex(sc.low[loc[1]:]); b != nil {
			end = loc[1] + b[0]
		}
		sections = append(sections, [2]int{loc[1], end})
	}
	var out []span
	for _, sp := range lines {
		inside := false
		for _, s := range sections {
			inside = inside || (sp.start >= s[0] && sp.start < s[1])
		}
		if !inside {
			out = append(out, sp)
		}
	}
	return out
}

// jestExit finds a line after which the job ended on its own (a package
// manager or the CI reporting the command's status); jestHang finds a line
// saying it was stopped instead (cancelled, timed out, no output).
var (
	jestExit = regexp.MustCompile(`(?m)command failed with exit code \d+|npm err! code elifecycle|process completed with exit code \d+|exited with code \d+|exit status \d+|err_pnpm_recursive_run_first_fail|elifecycle\s+command failed`)
	jestHang = regexp.MustCompile(`(?m)operation was canceled|operation was cancelled|has exceeded the maximum execution time|timed? ?out|no output has been received|build was aborted|cancelling nested steps`)
)

// jestExitedOnItsOwn reports whether a jest-did-not-exit hit is followed by
// the command's exit status and no line says the job was stopped: Jest then
// did exit (it prints the warning and goes on when the handles close or
// --forceExit is set), and the failure is whatever failed before.
func jestExitedOnItsOwn(sc scanned, h hit) bool {
	if h.sig.name != "jest-did-not-exit" || len(h.lines) == 0 {
		return false
	}
	after := sc.low[h.lines[len(h.lines)-1].end:]
	return jestExit.Match(after) && !jestHang.Match(after)
}

// pytest-rerunfailures names a re-run test "RERUN path.py::test" (in the
// progress and in its summary) and a test that failed every run "FAILED
// path.py::test".
var (
	pytestRerunID  = regexp.MustCompile(`(?m)^[^\S\n]*rerun ([\w/.-]+\.py::[^\s]+)|([\w/.-]+\.py::[^\s]+) rerun\b`)
	pytestFailedID = regexp.MustCompile(`(?m)^[^\S\n]*failed ([\w/.-]+\.py::[^\s]+)|([\w/.-]+\.py::[^\s]+) failed\b`)
)

// rerunFailedGate drops pytest rerun evidence for tests that failed on
// their last run as well: a test that fails every time it is run is a
// deterministic failure, not a flaky one. The rerun summary banner goes
// too when every re-run test failed.
func rerunFailedGate(sc scanned, lines []span) []span {
	if len(lines) == 0 || !bytes.Contains(sc.low, []byte("rerun")) {
		return lines
	}
	failed := map[string]bool{}
	for _, m := range pytestFailedID.FindAllSubmatch(sc.low, -1) {
		failed[string(m[1])+string(m[2])] = true
	}
	allFailed := len(failed) > 0
	for _, m := range pytestRerunID.FindAllSubmatch(sc.low, -1) {
		allFailed = allFailed && failed[string(m[1])+string(m[2])]
	}
	var out []span
	for _, sp := range lines {
		l := sc.low[sp.start:sp.end]
		if m := pytestRerunID.FindSubmatch(l); m != nil && failed[string(m[1])+string(m[2])] {
			continue
		}
		if allFailed && bytes.Contains(l, []byte("rerun test summary info")) {
			continue
		}
		out = append(out, sp)
	}
	return out
}

// surefireFlakes opens the section Surefire/Failsafe print for tests that
// failed and then passed on a re-run ("Flakes:", then "Run 1: <failure>",
// "Run 2: PASS"); its "Tests run:" total closes it.
var (
	surefireFlakes = regexp.MustCompile(`(?m)^[^\S\n]*(?:\[warning\][^\S\n]*)?flakes:[^\S\n]*$`)
	surefireTotal  = regexp.MustCompile(`(?m)tests run: \d+, failures: `)
)

// surefireFlakesGate drops assertion lines inside a Flakes: section: the
// test passed on its re-run, so the assertion did not fail the build.
func surefireFlakesGate(sc scanned, lines []span) []span {
	if len(lines) == 0 || !bytes.Contains(sc.low, []byte("flakes:")) {
		return lines
	}
	sections := surefireFlakeSections(sc)
	var out []span
	for _, sp := range lines {
		inside := false
		for _, s := range sections {
			inside = inside || (sp.start >= s[0] && sp.start < s[1])
			// The reason (ccm's summary line, before the log) quotes
			// the section's line when the excerpt picked it.
			inside = inside || (sp.start < sc.logFrom && strings.Contains(squash(sc.low[s[0]:s[1]]), squash(sc.low[sp.start:sp.end])))
		}
		if !inside {
			out = append(out, sp)
		}
	}
	return out
}

// squash collapses runs of white space to one blank, as the excerpt's
// reason line does.
func squash(b []byte) string { return strings.Join(strings.Fields(string(b)), " ") }

// surefireFlakesText is the text of the log's Surefire Flakes: sections,
// white space squashed, or "" when it has none.
func (sc scanned) surefireFlakesText() string {
	if !bytes.Contains(sc.low, []byte("flakes:")) {
		return ""
	}
	var b strings.Builder
	for _, s := range surefireFlakeSections(sc) {
		b.WriteString(squash(sc.low[s[0]:s[1]]) + "\n")
	}
	return b.String()
}

// surefireFlakeSections are the byte ranges of the Flakes: sections.
func surefireFlakeSections(sc scanned) [][2]int {
	var sections [][2]int
	for _, loc := range surefireFlakes.FindAllIndex(sc.low, -1) {
		end := len(sc.low)
		if b := surefireTotal.FindIndex(sc.low[loc[1]:]); b != nil {
			end = loc[1] + b[0]
		}
		sections = append(sections, [2]int{loc[1], end})
	}
	return sections
}

// The job went on after a line: a later step started (GitHub's
// "##[group]Run") or a build tool's verdict on the whole build followed it
// ("BUILD SUCCESSFUL", "BUILD SUCCESS", "Build succeeded."), and no failure
// marker did. A tool's own success line ("Successfully installed", "Done
// in 3s.", "ok pkg 0.3s") counts only in a log with GitHub's steps, where a
// failed step always ends in ##[error] (a failure marker): elsewhere a post
// step or an after script prints those after the job has already failed
// (Travis' after_script, Bitbucket's "After script:", Jenkins' post-build
// steps), and nothing tells that step from the failed one. A bare "N
// passed" count never counts: it may be one test file's, with the failure
// in another.
var (
	laterStep    = regexp.MustCompile(`(?m)^[^\S\n]*##\[group\]run `)
	laterSuccess = regexp.MustCompile(`\bbuild success|\bbuild succeeded\b`)
	stepSuccess  = regexp.MustCompile(`(?m)\binstalled \d+/\d+ packages|\bsuccessfully installed\b|^[^\S\n]*ok[ \t]+\S+[ \t]+(?:[\d.]+m?s|\(cached\))|^[^\S\n]*done in [\d.]+m?s\b`)
	// postSection starts the commands a CI runs after the main script
	// whether or not it failed (Travis' after_script and after_failure,
	// GitLab's "Running after_script", Bitbucket's "After script:",
	// Jenkins' PostBuildScript): a success line below it says nothing of
	// the main script, so a log without steps did not go on past it.
	postSection  = regexp.MustCompile(`(?m)^[^\S\n]*(?:(?:travis_fold:start:)?after_(?:script|failure)\b|running after[_ ]script|after script:|\[postbuildscript\])`)
	laterFailure = regexp.MustCompile(`(?m)##\[error\]|\bexit(?:ed with)? (?:code|status):? ?[1-9]|\bbuild fail(?:ed|ure)\b|^[^\S\n]*(?:error|fatal|failed|e:)(?:\s|:)|\berr! `)
)

// hasSteps reports a log with GitHub's step groups.
func (sc scanned) hasSteps() bool { return bytes.Contains(sc.low, []byte("##[group]run ")) }

// wentOnLine reports whether the lowercased line shows the job went on
// (see laterStep); steps says the log has GitHub's steps.
func wentOnLine(l []byte, steps bool) bool {
	return laterStep.Match(l) || laterSuccess.Match(l) || steps && stepSuccess.Match(l)
}

// wentOnGate drops lines the job went on after: a tool that reports a
// problem and carries on (a probe for a command before installing it,
// sdkmanager --uninstall of a package that is not there, `brew uninstall
// x || true`, Gradle's lenient dependency verification) printed it, and
// the step did not fail on it.
func wentOnGate(sc scanned, lines []span) []span {
	if len(lines) == 0 {
		return nil // gates run for every log; the scan below is not free
	}
	good, bad := sc.lastGoodBad(lines[0].end)
	var out []span
	for _, sp := range lines {
		if !(good >= sp.end && bad < sp.end) {
			out = append(out, sp)
		}
	}
	return out
}

// wentOn reports whether the job went on after the line without failing.
func (sc scanned) wentOn(sp span) bool {
	good, bad := sc.lastGoodBad(sp.end)
	return good >= sp.end && bad < sp.end
}

// lastGoodBad returns where the log's last later-step or success line
// starts and where its last failure marker does (-1 for none), looking no
// further back than from: a line the job went on after lies before the
// first and after the second. It walks the lines backwards with cheap
// literal tests first (it runs for each gated hit).
func (sc scanned) lastGoodBad(from int) (good, bad int) {
	good, bad = -1, -1
	steps := sc.hasSteps()
	post := len(sc.low) // success lines from here on are a post section's
	if !steps && from < len(sc.low) && bytes.Contains(sc.low[from:], []byte("after")) {
		if loc := postSection.FindIndex(sc.low[from:]); loc != nil {
			post = from + loc[0]
		}
	}
	for end := len(sc.low); end > from && (good < 0 || bad < 0); {
		start := bytes.LastIndexByte(sc.low[:end], '\n') + 1
		l := sc.low[start:end]
		if bad < 0 && (bytes.Contains(l, []byte("##[error]")) || bytes.Contains(l, []byte("exit")) ||
			bytes.Contains(l, []byte("fail")) || bytes.Contains(l, []byte("err")) || bytes.Contains(l, []byte("e:"))) &&
			(laterFailure.Match(l) || isEndOfJobFailure(l)) {
			bad = start
		}
		if good < 0 && start < post && (bytes.Contains(l, []byte("##[group]")) || bytes.Contains(l, []byte("succe")) ||
			steps && (bytes.Contains(l, []byte("installed")) || bytes.Contains(l, []byte("done in ")) || bytes.Contains(l, []byte("ok")))) &&
			wentOnLine(l, steps) {
			good = start
		}
		end = start - 1
	}
	return good, bad
}
