package rules

import (
	"bytes"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/ccm-ci/ccm/excerpt"
	"github.com/ccm-ci/ccm/logtext"
)

// Which lines read as a failure: the no-failure check (nofailure.go), the
// learned guess's text (guess.go) and the "went on" gates read them.
var (
	// nonZeroExit: "exit code 1", "exit status 2", "exited with code 1",
	// ccm's "Exit code: 1" header, a shell's "+ exit 1".
	nonZeroExit = regexp.MustCompile(`\bexit(?:ed with code| code| status)?:?[ \t]*[1-9]`)
	// endOfJobFailure are the lines a CI or a build tool prints when the
	// job or build has failed, whatever came before: Travis' `The command
	// "x" exited with 2.` and "Done. Your build exited with 1.", Jenkins'
	// "Build step 'Execute shell' marked build as failure" and "Finished:
	// FAILURE", GitLab's "ERROR: Job failed", make's "make: *** [all]
	// Error 2" (not when make says "(ignored)"). Matched on the
	// ASCII-lowercased line. Like ##[error], a line the job went on after
	// is never one of these.
	endOfJobFailure = regexp.MustCompile(`\bexited with (?:code |status )?[1-9]|\bmarked build as failure\b|\bfinished: failure\b|\berror: job failed\b|` +
		`(?:^|[\s/])(?:g|mingw32-)?make(?:\.exe)?(?:\[\d+\])?: \*\*\* [^\n]*\berror [1-9]`)
	// passingTest are the lines test runners print for one passing test
	// or package, whatever the test is named (TestErrorHandling).
	passingTest = regexp.MustCompile(`^(?:--- PASS|=== (?:RUN|PAUSE|CONT|NAME)\b|PASS\b|ok[ \t]+\S+[ \t]+(?:[\d.]+m?s|\(cached\))|[✓✔√]|test .* \.\.\. ok$)|[ \t]PASSED(?:[ \t]|$)`)
	// passedTest are those of passingTest that say a test passed (not Go's
	// "=== RUN", which says one started: a job killed mid-test ends on it).
	passedTest = regexp.MustCompile(`^(?:--- PASS|PASS\b|ok[ \t]+\S+[ \t]+(?:[\d.]+m?s|\(cached\))|[✓✔√]|test .* \.\.\. ok$)|[ \t]PASSED(?:[ \t]|$)`)
	// localizedFailure are the failure words of tools printing in the
	// system's language (make's "*** [all] Erreur 2", gcc's "Fehler:",
	// Maven's "错误："), which the English markers of excerpt.ErrorLike
	// miss: a translated log is not a log without a failure.
	// Matched on the Unicode-lowercased line; the word boundaries are
	// letters of any script (Go's \b is ASCII-only, so "Fehlerüberprüfung"
	// would end a word at "ü").
	localizedFailure = regexp.MustCompile(`(?:^|[^\pL\pN_])(?:fehler|erreur|errore)(?:$|[^\pL\pN_])|错误|錯誤|エラー|ошибка|失败|失敗`)
	// plainFailure are failure lines in plain words that excerpt's markers
	// do not rate (they rank reason lines, where these would outrank a
	// tool's own error line): TAP's "not ok 3 - x" (not its "# TODO" or
	// "# SKIP" lines, tapDirective), a shell's "sh: 1: docker: not found"
	// (with the shell's line number, or as BusyBox's "/bin/sh: curl: not
	// found": "which: x: not found" and waf's "Checking for program 'x' :
	// not found" are probes) and cmd's "'x' is
	// not recognized as an internal or external command" (and its Chinese
	// form), Gradle's "finished with non-zero exit value 137", "timed out"
	// (a line retrying is none, retryLine), a fatal signal (as excerpt's
	// killedBySignal: KILL, QUIT, ABRT, SEGV, BUS) received or killing
	// something ("SIGQUIT: quit", "killed by signal SIGKILL"; not a
	// setting's "STOPSIGNAL SIGQUIT"), a compiler's "unresolved
	// reference", a lock file out of step ("lock mismatch", "not present
	// in the lock file") and a VCS's "unknown revision". Matched on the
	// lowercased line; a harness's TIMEOUT verdict (upperTimeout: "TIMEOUT
	// [expected OK]", "TIMEOUT in 300.9s") on the line as printed, since
	// "TIMEOUT: 600" is a setting.
	plainFailure = regexp.MustCompile(`^not ok\b|: (?:line )?\d+: .+: not found$|(?:^|/)(?:ba|da|a)?sh: [\w./+-]+: not found$|\bis not recognized as an internal or external command|不是内部或外部命令|\bnon-zero exit value [1-9]|\btimed ?out\b|` +
		`^sig(?:kill|quit|abrt|segv|bus):|\b(?:killed by|received|terminated by|caught|got) (?:signal )?sig(?:kill|quit|abrt|segv|bus)\b|(?:^|[\s(])signal:? sig(?:kill|quit|abrt|segv|bus)\b|` +
		`\bunresolved reference\b|\block(?:file)? mismatch\b|\bnot present in the lock ?file\b|\bunknown revision\b`)
	tapDirective = regexp.MustCompile(`^not ok\b.*#\s*(?:todo|skip)\b`)
	retryLine    = regexp.MustCompile(`\bretrying\b|\bwill retry\b|\bretry \d+/\d+|\battempt \d+ of \d+`)
	giveUpLine   = regexp.MustCompile(`giving up|gave up|exhausted|after \d+ (?:retr|attempt)|max(?:imum)? (?:retr|attempt)|retry limit|no (?:more )?retr`)
	upperTimeout = regexp.MustCompile(`\bTIMEOUT\s+(?:\[|in\s+\d)`)
	// localizedZeroCounts are their zero counts, as MSBuild's translated
	// summaries print them ("0 Fehler", "0 个错误", "0 個錯誤", "0 Erreur(s)"),
	// a count after the word ("Fehler: 0") and the phrases that say none
	// ("sans erreur", "keine Fehler", "senza errori").
	localizedZeroCounts = regexp.MustCompile(`\b0[ \t]*(?:个|個|件の)?[ \t]*(?:fehler|erreurs?(?:\(s\))?|errori|错误|錯誤|エラー)|` +
		`(?:fehler|erreurs?|errori)[ \t]*:[ \t]*0\b|\b(?:sans|aucune?)[ \t]+erreurs?|\bkeine[ \t]+fehler|\bsenza[ \t]+errori`)
	// successLine are lines that say a whole run passed: they become the
	// evidence.
	successLine = regexp.MustCompile(`(?i)\b\d+ passed\b|\bbuild succe(?:ss|eded\b)|\btest result: ok\b|^ok[ \t]+\S+[ \t]|^pass$|\ball (?:\w+ )?(?:tests|checks|specs) passed\b|\btests? passed\b|\b0 failures\b`)
	// yarnDone is yarn's "✨  Done in 3.2s.": success only as the log's
	// last line (it ends every yarn command, an early install's too).
	yarnDone = regexp.MustCompile(`(?i)^(?:✨\s*)?done in [\d.]+m?s\.?$`)
)

// testFailureReport finds a test runner's report of a failed test, which a
// later success line (a suite that "passed" with retries) does not undo:
// the log is then a flaky run, not one without a failure.
var testFailureReport = regexp.MustCompile(`(?i)^\s*(?:\[fail\]|•? ?failure \[|--- fail\b|failed\s|[✗✕×]\s)|\bsummarizing \d+ failures?\b`)

// isFailureLine reports whether one log line reads as a failure.
func isFailureLine(line string) bool {
	t := strings.TrimSpace(line)
	switch {
	case t == "":
		return false
	case strings.HasPrefix(t, "##[error]"):
		return true
	case strings.HasPrefix(t, "=== job: ") && strings.HasSuffix(t, " ==="),
		strings.HasPrefix(t, excerptHeader[0]), isExcerptMarker(t), strings.HasPrefix(t, excerptTrailer):
		// ccm's own excerpt: a job title, "Failing step: X" (GitHub's
		// name of the step that failed, not a line of its log), section
		// titles. The header's "Exit code: N" is checked below.
		return false
	}
	// The header's "Reason: X" repeats a log line (the last one, when
	// nothing looked like an error): judge the line.
	t = strings.TrimPrefix(t, excerptHeader[1])
	if passingTest.MatchString(t) {
		return false
	}
	low := logtext.ASCIILower(t) // same byte offsets as t
	if nonZeroExit.Match(low) || isEndOfJobFailure(low) {
		return true
	}
	if bytes.HasPrefix(low, []byte("warn")) || bytes.HasPrefix(low, []byte("npm warn")) || bytes.HasPrefix(low, []byte("[warn")) ||
		bytes.HasPrefix(low, []byte("w: ")) || bytes.HasPrefix(low, []byte("info ")) {
		return false // a warning (apt's "W:" too) or yarn's "info" is context, not a failure
	}
	if tapDirective.Match(low) || retryLine.Match(low) && !giveUpLine.Match(low) {
		// TAP's "not ok 2 - x # TODO" is a known failure the run allows;
		// "timed out, retrying in 5s" is an attempt the tool makes again:
		// the failure, if any, is the last attempt's line ("giving up
		// after 5 attempts" is one, giveUpLine).
		return false
	}
	// Blank the zero counts out of the original-case line: lineStrength's
	// markers are case-sensitive ("Error:", "Killed").
	// low is blanked alongside (same offsets) for the translated words.
	masked := []byte(t)
	for _, re := range []*regexp.Regexp{excerpt.ZeroCounts, localizedZeroCounts} {
		for _, loc := range re.FindAllIndex(low, -1) {
			for i := loc[0]; i < loc[1]; i++ {
				masked[i], low[i] = ' ', ' '
			}
		}
	}
	if !isASCII(low) {
		// Only then can a letter need Unicode folding ("Ошибка").
		low = bytes.ToLower(low)
	}
	if localizedFailure.Match(low) || upperTimeout.MatchString(t) {
		return true
	}
	if plainFailure.Match(low) {
		return true
	}
	return excerpt.ErrorLike(string(masked))
}

// isEndOfJobFailure reports whether the ASCII-lowercased line is one of
// endOfJobFailure's.
func isEndOfJobFailure(low []byte) bool {
	return endOfJobFailure.Match(low) && !bytes.HasSuffix(bytes.TrimSpace(low), []byte("(ignored)"))
}

// isASCII reports whether b holds only ASCII bytes.
func isASCII(b []byte) bool {
	for _, c := range b {
		if c >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// goTestLog finds a line of go test's t.Log output ("    x_test.go:12: ").
var goTestLog = regexp.MustCompile(`^[^\S\n]+[\w.-]+_test\.go:\d+: `)

// pipSelfCheck finds pip's check for a newer pip, which it skips when the
// index cannot be reached ("Could not fetch URL .../simple/pip/: ...
// - skipping"): the install itself is unaffected.
var pipSelfCheck = regexp.MustCompile(`could not fetch url https?://[^\s]+/simple/pip/: `)

// passedTestLine reports a matched line that is no failure whatever its
// words: a passing test's title ("✓ rejects when deadline exceeded",
// "--- PASS", "... ok", "PASSED"), its t.Log output in a go test run where
// no test failed (the words name what the test checks), output a passing
// pytest or Jest test captured (testoutput.go: the test passed, so what it
// logged did not fail it), or pip's skipped self version check.
func (sc scanned) passedTestLine(sp span) bool {
	if sc.inPassedOutput(sp.start) {
		return true
	}
	low := sc.low[sp.start:sp.end]
	// Cheap tests first: this runs on every matched line. passingTest's
	// forms start with "-", "=", "P", "o", "t" or a check mark, or hold
	// "PASSED".
	if t := strings.TrimSpace(sc.text[sp.start:sp.end]); t != "" &&
		(strings.IndexByte("-=Pot", t[0]) >= 0 || t[0] >= utf8.RuneSelf || strings.Contains(t, "PASSED")) &&
		passingTest.MatchString(t) {
		return true
	}
	if bytes.Contains(low, []byte("/simple/pip/")) && pipSelfCheck.Match(low) {
		return true
	}
	return bytes.Contains(low, []byte("_test.go:")) && goTestLog.Match(low) && goNoTestFailed(sc.text)
}

// goFailed finds go test's word that something failed: a test's "---
// FAIL", a package's "FAIL\tpkg 1.2s", the run's closing "FAIL", a panic
// (a test's timeout or a goroutine's panic). log.Fatal and os.Exit in a
// test end the binary with only the package's FAIL line, no "--- FAIL".
var goFailed = regexp.MustCompile(`(?m)^[^\S\n]*(?:--- FAIL|FAIL(?:[ \t]|$)|panic: )`)

// goNoTestFailed reports a go test run in which a test passed and nothing
// failed: its t.Log lines then only name what the tests check.
func goNoTestFailed(text string) bool {
	return strings.Contains(text, "--- PASS: ") && !goFailed.MatchString(text)
}
