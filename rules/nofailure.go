package rules

import (
	"bytes"
	"fmt"
	"slices"
	"strings"

	"github.com/ccm-ci/ccm/analysis"
	"github.com/ccm-ci/ccm/logtext"
)

// Logs with no failure in them. A passing log ("ok  pkg 0.1s", "Tests: 12
// passed", "BUILD SUCCESSFUL") matches no signature, and the unknown
// default would call it code, risk 8, "involves application code": a claim
// about the project's code resting on nothing. When no line of the log
// reads as a failure, or every one that does is a line the job went on
// after (below), the rules say exactly that instead.
//
// The answer keeps to the closed lists (package analysis), so every consumer of
// the contract still understands it:
//   - category infrastructure: if the job did fail, its cause is outside
//     the commands the log shows (a cancelled or timed-out job, a lost
//     runner, a failing post step, a truncated log). It is a placeholder,
//     which the confidence says: code would blame the project's code
//     instead, a stronger and unfounded claim. Unless the learned guess
//     (guess.go), reading the log's last lines, names another category
//     than code: ccm reads only failed jobs' logs, so a log with no
//     failure line is most often one whose failure line ccm did not
//     recognise ("docker: not found", a translated shell message), and
//     cross-validated on the labelled sets (all failed jobs), the guess
//     from the last 10 lines was right for 13 of 21 such logs against 6
//     for the placeholder (trainguess -cv). Not for a log that reports
//     success or passing tests, whose words read as a flaky run's. Still
//     a placeholder: same confidence, no action, and the reasoning says it
//     is a guess.
//   - confidence noFailureConfidence (the lowest the rules ever give). The
//     safety gate (policy, CheckConfidence) asks a person whenever the
//     rules' verdict is NoFailureFound or below policy.MinConfidence, even
//     when a model answered confidently: the model's answer is then the
//     only analysis, and nothing of ccm's own confirms it. The analysis
//     chain keeps the model's answer as it is (this verdict sets no risk
//     floor), so it is the gate, not this confidence, that keeps a person
//     in the loop; "Not auto-remediated" in the reasoning relies on it.
//   - risk unknownRisk and action none: nothing to apply, and if something
//     were, not unattended.
//   - evidence: the log's own success lines, when it has any; otherwise
//     its last line (absence has no line of its own to quote).
//
// A line counts as a failure line when lineStrength rates it at all (the
// same test the reason is chosen by, so "error", "fail", "exception",
// "traceback" and every root-cause marker), or it is a ##[error] marker, a
// non-zero exit or a CI's or build tool's end-of-job failure marker
// (endOfJobFailure: Travis' "exited with 2", Jenkins' "Finished: FAILURE",
// GitLab's "ERROR: Job failed", make's "*** [all] Error 2"). Lines that
// only look like one are discounted first: zero counts ("0 failed",
// "Errors: 0"), passing-test lines ("--- PASS: TestErrorPath",
// "test_error PASSED"), go test's t.Log lines in a run where nothing
// failed, warnings, and ccm's own excerpt header.
//
// A failure line the job went on after does not keep the answer from
// being "no failure": a later GitHub step started or a build tool's
// verdict on the whole build ("BUILD SUCCESS") followed it, or, only in a
// log with GitHub's steps, the tool's own success line ("Successfully
// installed", "Done in 3s."), and no failure marker came after it
// (gates.go: wentOnLine, lastGoodBad). Never so for a hard line (the
// markers above, a test runner's failure report), and never in a log
// without steps past a post section (Travis' after_script, Bitbucket's
// "After script:"), whose success lines say nothing of the main script.
// Erring towards "a failure line is there" is safe: it leaves the answer
// to the unknown default, which asks a person.

const noFailureConfidence = 5

var fixNoFailure = steps(
	"Check on the run's page that this job failed at all: the log holds no failed test, no non-zero exit, no CI failure marker and no error the job did not go on after.",
	"If it did fail, the cause is outside the lines shown: look for a cancellation, a job or step timeout, a lost runner, a failing post step, or a log cut short.",
	"If you passed this log by hand, pass the failed job's log instead (the job marked with a red cross).")

// noFailureLine reports whether the scanned input has log lines and none of
// them, nor the reason, reads as a failure. Input without log lines (the
// log could not be downloaded) is not "no failure": there was nothing to
// look at; nor is a log too large to scan whole.
func (sc scanned) noFailureLine(in Input) bool {
	body, header := splitHeader(in.Text)
	if len(body) > 2*scanHalf {
		return false // the middle was not scanned (bound): it may hold the failure
	}
	// The scan dropped ccm's header, but its "Exit code: 1" and "Reason:
	// <a failure>" are facts about this job.
	flakes := sc.surefireFlakesText()
	inFlakesText := func(l string) bool {
		l = strings.TrimPrefix(strings.TrimSpace(l), excerptHeader[1])
		return flakes != "" && strings.Contains(flakes, squash([]byte(logtext.ASCIILower(l))))
	}
	// A failure-looking line the log recovers from (a tool's error it
	// went on after, a test's expected exception) is followed by the next
	// step starting, a build verdict, or in a log with steps a tool's own
	// success line (gates.go: wentOnLine); an exit status, the CI's
	// ##[error] or end-of-job marker or a test runner's failure report is
	// never recovered from.
	hard := func(l string) bool {
		low := logtext.ASCIILower(l)
		return strings.Contains(l, "##[error]") || nonZeroExit.Match(low) || isEndOfJobFailure(low)
	}
	soft := false
	for _, h := range header {
		if isFailureLine(h) && !inFlakesText(h) {
			if hard(h) {
				return false
			}
			soft = true
		}
	}
	if r := strings.TrimSpace(in.Reason); r != "" && isFailureLine(r) && !inFlakesText(r) {
		if hard(r) {
			return false
		}
		soft = true
	}
	logLines := 0
	from := min(sc.logFrom, len(sc.text))
	rest := sc.text[from:]
	inFlakes := false
	hasFlakes := bytes.Contains(sc.low, []byte("flakes:"))
	hasPipCheck := bytes.Contains(sc.low, []byte("/simple/pip/"))
	goPassed := goNoTestFailed(sc.text)
	recovered := false
	steps, afterPost := sc.hasSteps(), false
	for off := from; rest != ""; {
		line := rest
		if i := strings.IndexByte(rest, '\n'); i >= 0 {
			line, rest = rest[:i], rest[i+1:]
		} else {
			rest = ""
		}
		low := sc.low[off : off+len(line)] // same offsets as the text
		off += len(line) + 1
		// A Surefire "Flakes:" section lists failures of tests that
		// passed on a re-run (gates.go): not the job's failure.
		if hasFlakes {
			if surefireFlakes.Match(low) {
				inFlakes = true
			} else if inFlakes && surefireTotal.Match(low) {
				inFlakes = false
			}
		}
		switch {
		case inFlakes, goPassed && goTestLog.MatchString(line), hasPipCheck && pipSelfCheck.Match(low):
			// t.Log output of a go test run in which no test failed;
			// pip's skipped self version check.
		case isFailureLine(line):
			if hard(line) || testFailureReport.MatchString(line) {
				return false
			}
			soft, recovered = true, false
		case !steps && bytes.Contains(low, []byte("after")) && postSection.Match(low):
			// A post section of a log without steps (gates.go): what
			// it prints does not show the main script went on.
			afterPost = true
		case soft && !afterPost && wentOnLine(low, steps):
			recovered = true
		}
		if t := strings.TrimSpace(line); t != "" && !isExcerptMarker(t) && !strings.HasPrefix(t, excerptTrailer) {
			logLines++
		}
	}
	return logLines > 0 && (!soft || recovered)
}

// successLines are up to three log lines saying the run passed, in log
// order, found from the end (a summary sits at the end of a log).
func (sc scanned) successLines() []string { return sc.lastLogLines(3, successLine.MatchString) }

// lastLogLines returns up to n log lines, in log order, that keep says to,
// looking from the end. ccm's own lines never count.
func (sc scanned) lastLogLines(n int, keep func(string) bool) []string {
	var out []string
	text := sc.text[min(sc.logFrom, len(sc.text)):]
	for end := len(text); end > 0 && len(out) < n; {
		start := strings.LastIndexByte(text[:end], '\n') + 1
		line := strings.TrimSpace(text[start:end])
		if line != "" && !isCCMLine(line) && keep(line) {
			off := sc.logFrom + start
			if l := sc.line(span{start: off, end: off + (end - start), mstart: off, mend: off}); l != "" {
				out = append([]string{l}, out...)
			}
		}
		end = max(start-1, 0)
	}
	return out
}

// isCCMLine reports a line ccm wrote into an excerpt, which is never
// evidence: its header (repeated per job in serve's excerpt of several
// jobs), job titles and section titles.
func isCCMLine(t string) bool {
	return hasAnyPrefixOf(t, excerptHeader) || strings.HasPrefix(t, "=== job: ") || isExcerptMarker(t) || strings.HasPrefix(t, excerptTrailer)
}

func hasAnyPrefixOf(s string, ps []string) bool {
	for _, p := range ps {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

// noFailureResult is the answer for a log without a failure line.
func noFailureResult(in Input, sc scanned, weak []hit, g GuessConfig) analysis.AnalysisResult {
	// What the log says went well: a run's success summary, else a test
	// runner's line for a passing test ("--- PASS", "test_x PASSED").
	succ, says := sc.successLines(), "The log reports success"
	if last := sc.lastLogLines(1, func(string) bool { return true }); len(succ) == 0 && len(last) == 1 && yarnDone.MatchString(strings.TrimSpace(last[0])) {
		succ = last
	}
	if len(succ) == 0 {
		succ, says = sc.lastLogLines(1, passedTest.MatchString), "The log reports passing tests"
	}
	ev := succ
	if len(ev) == 0 {
		// No success summary: quote how the log ends, as the unknown
		// default does, so a person sees what ccm looked at.
		ev = sc.lastLogLines(1, func(string) bool { return true })
	}
	// A test runner that reports tests which failed and then passed when
	// run again (rerun-marker) makes the run green only by the retry: the
	// category says flaky_test, still at the lowest confidence.
	cat, catSays := analysis.CategoryInfrastructure, "the category infrastructure only says so"
	ifFailed := "If the job did fail, its cause is not in these lines; "
	if slices.ContainsFunc(weak, func(h hit) bool { return h.sig.name == "rerun-marker" }) {
		cat, catSays = analysis.CategoryFlakyTest, "the category flaky_test says that tests in it failed and passed only when run again (rerun-marker)"
	} else if g.NoFailureLines > 0 && len(succ) == 0 {
		// A log that reports success or passing tests keeps the
		// placeholder: its words ("12 passed", "PASSED") would read as a
		// flaky run's.
		lg := g
		lg.Context, lg.LastLines = lastOnly, g.NoFailureLines
		if lc, lw, ok := sc.learnedGuess(lg, fmt.Sprintf("the last %d lines", g.NoFailureLines)); ok {
			cat, catSays = lc, fmt.Sprintf("the category %s is a guess, not a verdict: %s", lc, lw)
			ifFailed = "If the job did fail, ccm did not recognise the line that says why; "
		}
	}
	var b strings.Builder
	b.WriteString(analysis.NoFailureReasoning + ": no line reads as a failed test, a non-zero exit, a CI failure marker or an error the job did not go on after, and no known failure signature matched.")
	if len(succ) > 0 {
		fmt.Fprintf(&b, " %s: %q.", says, succ[len(succ)-1])
	}
	b.WriteString(" " + ifFailed + catSays + ", and the confidence is the lowest the rules give. Not auto-remediated: with no failure line to confirm an analysis, ccm's safety gate never acts alone on it.")
	if note := weakNote(weak); note != "" {
		b.WriteString(" " + note)
	}
	return analysis.AnalysisResult{
		Category:           cat,
		RiskScore:          unknownRisk,
		Confidence:         noFailureConfidence,
		Effort:             analysis.EffortLow,
		ProposedFix:        fixNoFailure,
		Actions:            []analysis.Action{{Type: analysis.ActionNone}},
		AffectedComponents: sc.components(in, hit{sig: &signature{}}, nil),
		Evidence:           ev,
		Reasoning:          b.String(),
		Source:             analysis.SourceRules,
	}
}
