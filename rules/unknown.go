package rules

import (
	"bytes"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/ccm-ci/ccm/analysis"
)

// Unknown failures. When no signature matches, the answer says so rather
// than look like a verdict: its reasoning starts with "No known signature
// matched" and names what the category guess came from, and its
// confidence (unknownConfidence, or unknownHintConfidence with a hint) stays
// below policy.MinConfidence, so the safety gate never lets it act alone.
//
// The guess comes from, in order: a message family (hints.go: a CI
// configuration validator, a 5xx from a server, a job time limit...), a
// weak marker (a SIGTERM exit code, a "canceled" marker, exit 127), the
// failing step's name, and then the learned guess (guess.go: a naive Bayes
// model of the failing lines' words, trained on the labelled visible
// logs; leave-one-set-out cross-validation put it after the hints, and
// asks it to name at least two words and beat code's doubled prior).
// With none of them it is CategoryCode, because most
// CI failures no rule recognises are build or test failures of the change
// itself, and a code classification keeps a person in the loop
// (InvolvesApplicationCode is true).
//
// The action follows the guess. For a transient-looking guess
// (infrastructure, timeout, flaky_test) it is rerun_failed_jobs: the gate's
// confidence check (the rules' own confidence is below MinConfidence) turns
// it into an approval request, so a person sees the guess and decides with
// one click whether a re-run is worth it, instead of being told "nothing to
// do". For code, config and dependency guesses a re-run would fail the same
// way, so the action is none (and code may not propose a re-run at all).

const (
	unknownRisk           = 7
	unknownCodeRisk       = 8
	unknownHintConfidence = 25
	unknownConfidence     = 10
)

var fixUnknown = steps(unknownSteps...)

// fixUnknownRerun is fixUnknown for a guess a re-run often clears
// (unknownActions proposes one): the text says so, so what ccm proposes
// is never left unsaid.
var fixUnknownRerun = steps(unknownSteps[0],
	"The guess is a failure a plain re-run often clears: if the log shows nothing of the change, re-run the failed jobs once (ccm proposes it; a person approves it).",
	unknownSteps[1], unknownSteps[2])

var unknownSteps = []string{
	"No known failure signature matched, so ccm will not remediate this on its own: a person decides.",
	"Open the failing step's log, find the first error (not the last line), and decide whether it is the change, the pipeline configuration or the CI environment.",
	"If it is a recurring infrastructure or flaky failure, add its error line as a new rule so the next one is recognised.",
}

// weakHints map log markers to a category when nothing else matched. Their
// anchors work as the family hints' do (hints.go).
var weakHints = []struct {
	re       *regexp.Regexp
	anchors  []string
	category analysis.Category
	why      string
}{
	// Jenkins' durable task prints this when it stops a running sh/bat
	// step, which is what its timeout step (and an abort) does; the exit
	// 143 that follows is that same stop, so this comes first.
	{hintRe(`^[^\n]{0,40}sending interrupt signal to process\s*$`), []string{"sending interrupt signal to process"}, analysis.CategoryTimeout, "Jenkins stopped the running step (\"Sending interrupt signal to process\"), which is what its timeout step does"},
	{hintRe(`(?:exit code|exit status|exited with code) 143\b|signal: terminated|received signal 15\b`), []string{" 143", "signal: terminated", "received signal 15"}, analysis.CategoryInfrastructure, "the process was terminated with SIGTERM (exit 143), usually the runner or a cancel stopping it"},
	{hintRe(`the operation was canceled|the operation was cancelled|job was cancelled`), []string{"the operation was cancel", "job was cancelled"}, analysis.CategoryTimeout, "the step was canceled, which usually means a timeout or a superseding run"},
	{hintRe(`(?:exit code|exit status) 127\b`), []string{" 127"}, analysis.CategoryConfig, "exit code 127 means a command was not found"},
}

// orphanHint is GitHub's runner killing, at the end of a job, a process a
// step left running. Passing jobs print it too (a test server never
// stopped), so it is a hint only for a failed job whose log has no failure
// line at all: then the step most likely never finished and was stopped at
// the job's time limit or by a cancel. Only log lines count, never the
// reason (ccm's summary).
var orphanHint = hintRe(`^[^\n]{0,40}terminate orphan process: pid \(\d+\)`)

const orphanWhy = "the log has no failure line and ends with the runner killing a process a step left running (\"Terminate orphan process\"): the step most likely never finished and the job was stopped at its time limit"

// clues are what the unknown and no-failure answers are decided on, found
// once per Classify: the family hint (hints.go), the orphan-process line,
// and whether no line reads as a failure (computed only when no family
// hint settles it: a family line is a failure line).
type clues struct {
	family      familyMatch
	orphan      span
	orphanFound bool
	noFailure   bool
}

// familyMatch is familyHint's answer.
type familyMatch struct {
	category analysis.Category
	why      string
	sp       span
	ok       bool
}

func (sc scanned) clues(in Input) clues {
	var cl clues
	f := &cl.family
	f.category, f.why, f.sp, f.ok = sc.familyHint()
	// A family line a passing test printed, or one the job went on after
	// to succeed, is not the failure (rules.go, gates.go).
	f.ok = f.ok && !(sc.passedTestLine(f.sp) || sc.wentOn(f.sp))
	if f.ok {
		return cl
	}
	cl.orphan, cl.orphanFound = sc.orphanLine()
	cl.noFailure = sc.noFailureLine(in)
	return cl
}

// orphanLine returns the first log line of orphanHint's. The literal first:
// the expression's "^[^\n]{0,40}" prefix leaves the regexp engine no
// literal to skip to.
func (sc scanned) orphanLine() (span, bool) {
	low := sc.low[min(sc.logFrom, len(sc.low)):]
	if !bytes.Contains(low, []byte("terminate orphan process")) {
		return span{}, false
	}
	loc := orphanHint.FindIndex(low)
	if loc == nil {
		return span{}, false
	}
	return lineSpan(sc.low, []int{sc.logFrom + loc[0], sc.logFrom + loc[1]}), true
}

// stepHints map words in the failing step or job name to a category.
// "release" is not among them: it names a build profile as often as a
// publishing step ("cargo build --release", "dune build --profile
// release", MSBuild's Release configuration), where the failure is the
// build's, and it decided none of the visible sets' unmatched logs when it
// was dropped; a step that publishes a release says "upload", "publish" or
// "deploy" too.
var stepHints = []struct {
	words    []string
	category analysis.Category
}{
	{[]string{"set up job", "checkout", "initialize containers", "post "}, analysis.CategoryInfrastructure},
	{[]string{"install", "dependenc", "restore", "bootstrap", "npm ci", "bundle", "vendor"}, analysis.CategoryDependency},
	{[]string{"deploy", "publish", "upload", "login", "push"}, analysis.CategoryConfig},
}

// unknownResult is the safe default for a failure no signature explains.
// g is the learned guess (guess.go): where it stands among the hints and
// how sure it must be; a zero g has none.
func unknownResult(in Input, sc scanned, cl clues, note string, g GuessConfig) analysis.AnalysisResult {
	cat, confidence := analysis.CategoryCode, unknownConfidence
	why := "there is no hint in the log or the step name, and code (a person looks at the change) is the cautious default"
	var hintLine []string
	// The learned guess says "because" like the default (it is a
	// statistical likeness, not a message a person recognises) and keeps
	// the default's confidence.
	learned := func() bool {
		lc, lw, ok := sc.learnedGuess(g, "the failing lines")
		if ok {
			cat, why = lc, lw
		}
		return ok
	}
	switch {
	case g.Order == GuessAfterFamily && !cl.family.ok && learned():
	default:
		if hc, hw, hl, ok := hintFor(in, sc, cl); ok {
			cat, why, confidence, hintLine = hc, hw, unknownHintConfidence, hl
		} else if g.Order == GuessLast {
			learned()
		}
	}
	risk := unknownRisk
	if cat == analysis.CategoryCode {
		risk = unknownCodeRisk
	}
	comps := sc.components(in, hit{sig: &signature{}}, nil)
	var b strings.Builder
	if confidence == unknownConfidence {
		fmt.Fprintf(&b, "%s, so the category is a guess, not a verdict: %s, because %s", analysis.UnknownReasoning, cat, why)
	} else {
		fmt.Fprintf(&b, "%s, so the category is a guess, not a verdict: %s, from a hint: %s", analysis.UnknownReasoning, cat, why)
	}
	if len(hintLine) > 0 {
		fmt.Fprintf(&b, " (%q)", hintLine[0])
	}
	fmt.Fprintf(&b, ". Confidence %d%% is below the %d%% ccm needs to act alone: a person decides.", confidence, gateMinConfidence)
	if note != "" {
		b.WriteString(" " + note)
	}
	evidence := sc.errorLines()
	// Evidence is verbatim log text; a hint that matched only the reason
	// (normalized by the excerpt) is quoted above but is not evidence.
	if len(hintLine) > 0 && strings.Contains(sc.text, hintLine[0]) {
		evidence = append(hintLine, slices.DeleteFunc(evidence, func(e string) bool { return e == hintLine[0] })...)
		evidence = evidence[:min(len(evidence), maxEvidence)]
	}
	return analysis.AnalysisResult{
		Category:                cat,
		RiskScore:               risk,
		Confidence:              confidence,
		Effort:                  analysis.EffortMedium,
		ProposedFix:             unknownFix(cat),
		Actions:                 unknownActions(cat),
		AffectedComponents:      comps,
		InvolvesApplicationCode: cat == analysis.CategoryCode,
		Evidence:                evidence,
		Reasoning:               b.String(),
		Source:                  analysis.SourceRules,
	}
}

// gateMinConfidence mirrors policy.MinConfidence (policy imports rules'
// types through analysis, so rules cannot import policy);
// policy.TestDecide_UnknownAsksAPerson holds the answer below it.
const gateMinConfidence = 30

// unknownActions is re-run for a transient-looking guess (the gate turns
// it into an approval request: the rules' confidence is below its
// minimum), none otherwise. See the comment at the top of the file.
func unknownActions(cat analysis.Category) []analysis.Action {
	switch cat {
	case analysis.CategoryInfrastructure, analysis.CategoryTimeout, analysis.CategoryFlakyTest:
		return []analysis.Action{{Type: analysis.ActionRerunFailedJobs}}
	}
	return []analysis.Action{{Type: analysis.ActionNone}}
}

// unknownFix is the proposed fix that goes with unknownActions(cat).
func unknownFix(cat analysis.Category) string {
	if unknownActions(cat)[0].Type == analysis.ActionRerunFailedJobs {
		return fixUnknownRerun
	}
	return fixUnknown
}

// hintFor returns the category guess, why, and the log line it came from
// (when it came from one).
func hintFor(in Input, sc scanned, cl clues) (analysis.Category, string, []string, bool) {
	if f := cl.family; f.ok {
		// The line the hint rests on is quoted; when it matched only the
		// reason (a line the excerpt chose), the reason is that line.
		var line []string
		if sc.isLog(f.sp) {
			line = []string{sc.line(f.sp)}
		} else if r := strings.TrimSpace(in.Reason); r != "" {
			line = []string{r}
		}
		return f.category, f.why, line, true
	}
	for _, h := range weakHints {
		if sp, ok := sc.firstLineMatching(h.re, h.anchors, false, nil); ok {
			var line []string
			if sc.isLog(sp) {
				line = []string{sc.line(sp)}
			}
			return h.category, h.why, line, true
		}
	}
	if cl.orphanFound && cl.noFailure {
		return analysis.CategoryTimeout, orphanWhy, []string{sc.line(cl.orphan)}, true
	}
	name := strings.ToLower(in.FailingStep + " | " + in.JobName)
	for _, h := range stepHints {
		for _, w := range h.words {
			if strings.Contains(name, w) {
				return h.category, fmt.Sprintf("the failing step or job name, which mentions %q", w), nil, true
			}
		}
	}
	return "", "", nil, false
}

// errorLines picks up to three log lines mentioning an error, from the end
// of the log (where the cause usually is), or the last non-empty log line.
// The reason and ccm's markers are not log lines; with no log line left
// there is no evidence.
func (sc scanned) errorLines() []string {
	var out, last []string
	rest := sc.low[min(sc.logFrom, len(sc.low)):]
	for len(rest) > 0 && len(out) < 3 {
		end := len(rest)
		start := bytes.LastIndexByte(rest[:end], '\n') + 1
		ln := rest[start:end]
		if len(rest) > 0 && start > 0 {
			rest = rest[:start-1]
		} else {
			rest = nil
		}
		off := sc.logFrom + start
		sp := span{start: off, end: off + len(ln), mstart: off, mend: off}
		if len(bytes.TrimSpace(ln)) == 0 || !sc.isLog(sp) {
			continue
		}
		l := sc.line(sp)
		if len(last) == 0 {
			last = []string{l}
		}
		if bytes.Contains(ln, []byte("error")) || bytes.Contains(ln, []byte("fail")) {
			out = append([]string{l}, out...)
		}
	}
	if len(out) == 0 {
		return last
	}
	return out
}

// weakNote mentions weak matches that were not enough on their own.
func weakNote(hits []hit) string {
	if len(hits) == 0 {
		return ""
	}
	var names []string
	for _, h := range hits {
		names = append(names, h.sig.name)
	}
	return "Weak signals only: " + strings.Join(names, ", ") + "."
}
