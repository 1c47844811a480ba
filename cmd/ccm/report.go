package main

import (
	"fmt"
	"io"
	"regexp"
	"strings"

	"github.com/ccm-ci/ccm/analysis"
)

// actionText says in words what each typed action would do.
var actionText = map[analysis.ActionType]string{
	analysis.ActionRerunFailedJobs: "re-run the failed jobs",
	analysis.ActionRerunWorkflow:   "re-run the whole workflow",
	analysis.ActionDeleteCache:     "delete the broken Actions cache (the key is read from GitHub, not from the log)",
	analysis.ActionCancelRun:       "cancel the run",
	analysis.ActionOpenFixPR:       "open a pull request with the fix",
	analysis.ActionNone:            "nothing automatic: a person has to fix this",
}

// printReport is the text a person reads first: reason, category, risk,
// fix, and what ccm would do.
func printReport(w io.Writer, r Report) {
	a := r.Analysis
	p := func(label, value string) {
		if value != "" {
			fmt.Fprintf(w, "%-12s %s\n", label+":", value)
		}
	}
	p("Failure", r.FailureID)
	p("Run", r.RunURL)
	noFailure := a.NoFailureFound()
	if noFailure {
		// The excerpt's reason is then only the log's last line: quoting
		// it as "why the job failed" would invent a failure.
		p("Reason", "none: no failure line found in the log")
	} else {
		p("Reason", r.FailureReason)
		for _, c := range r.FailureContext {
			fmt.Fprintf(w, "%-12s %s\n", "", c)
		}
	}
	if noFailure {
		// Nothing failed in these lines: the last step group is not "the
		// failing step", and the category is the no-failure placeholder.
		p("Category", fmt.Sprintf("none found (%s is a placeholder, not a verdict; confidence %d%%)", a.Category, a.Confidence))
	} else {
		p("Step", r.FailingStep)
		if a.Guessed() {
			p("Category", fmt.Sprintf("%s (a guess: no known signature matched; confidence %d%%)", a.Category, a.Confidence))
		} else {
			p("Category", fmt.Sprintf("%s (confidence %d%%)", a.Category, a.Confidence))
		}
	}
	p("Risk", fmt.Sprintf("%d/10, effort %s%s", a.RiskScore, a.Effort, appCode(a)))
	p("Components", strings.Join(a.AffectedComponents, ", "))
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Proposed fix:")
	for _, line := range strings.Split(strings.TrimSpace(a.ProposedFix), "\n") {
		fmt.Fprintln(w, "  "+line)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "What ccm would do (subject to the safety gate and the repository's mode):")
	for _, act := range a.Actions {
		text := actionText[act.Type]
		if noFailure && act.Type == analysis.ActionNone {
			text = "nothing: the log shows no failure to fix"
		}
		if text == "" {
			text = string(act.Type)
		}
		fmt.Fprintf(w, "  - %s\n", text)
	}
	fmt.Fprintln(w)
	p("Gate", gateLine(r.Gate))
	if len(a.Evidence) > 0 {
		fmt.Fprintln(w)
		fmt.Fprintln(w, "Evidence from the log:")
		for _, e := range a.Evidence {
			fmt.Fprintln(w, "  > "+e)
		}
	}
	if a.Reasoning != "" {
		fmt.Fprintln(w)
		fmt.Fprintln(w, "Why: "+a.Reasoning)
	}
	fmt.Fprintln(w)
	src := string(a.Source)
	if a.Model != "" {
		src += " (" + a.Model + ")"
	}
	if r.FallbackReason != "" {
		src += "; " + r.FallbackReason + unreachableHint(r.FallbackReason)
	}
	p("Analyzer", src)
	p("Fingerprint", r.Fingerprint)
	if r.LogUnavailable {
		p("Note", "the run's logs could not be downloaded; the analysis rests on job and step names only")
	}
}

// unreachable is the transport's own wording when the model's address
// cannot be reached (net.OpError's "dial tcp …: connect: connection
// refused", a DNS lookup's "no such host"), not words an answer quoted.
var unreachable = regexp.MustCompile(`dial tcp [^\s]*: (?:connect: (?:connection refused|network is unreachable)|i/o timeout)|lookup \S+(?: on \S+)?: no such host`)

// unreachableHint says what to check when the model could not be reached
// at all: the address is the operator's setting, not ccm's fault.
func unreachableHint(fallback string) string {
	if unreachable.MatchString(fallback) {
		return " (the model could not be reached: check OPENAI_BASE_URL)"
	}
	return ""
}

func appCode(a analysis.AnalysisResult) string {
	if a.InvolvesApplicationCode {
		return ", involves application code"
	}
	return ""
}

// gateWords says each gate decision as what ccm does.
var gateWords = map[string]string{
	"auto":     "act alone",
	"approval": "ask a person first",
	"none":     "touch nothing",
}

// gateLine is the gate's decision in one line: what ccm does (or, in
// shadow, would do) and the first reason; --json lists them all.
func gateLine(g ReportGate) string {
	what := gateWords[g.Decision]
	if what == "" {
		what = g.Decision
	}
	s, tail := fmt.Sprintf("ccm would %s (%s, mode %s)", what, g.Decision, g.Mode), ""
	if g.Mode == "shadow" {
		s, tail = fmt.Sprintf("ccm would %s (%s)", what, g.Decision), "; in mode shadow it only watches"
	}
	// The mode is said above; its own reason only when no other is left
	// (approve: a person approves every action).
	var reasons, modeReasons []string
	for _, r := range g.Reasons {
		if strings.HasPrefix(r, "mode ") {
			modeReasons = append(modeReasons, r)
		} else {
			reasons = append(reasons, r)
		}
	}
	if len(reasons) == 0 && g.Mode != "shadow" {
		reasons = modeReasons
	}
	if len(reasons) > 0 {
		shown := []string{reasons[0]}
		// A log that may have steered the analysis is the one reason a
		// person must see whatever else the gate said.
		for _, r := range reasons[1:] {
			if strings.HasPrefix(r, suspiciousReason) {
				shown = append(shown, r)
			}
		}
		s += " because " + strings.Join(shown, "; ")
		if n := len(reasons) - len(shown); n > 0 {
			s += fmt.Sprintf(" (+%d more in --json)", n)
		}
	}
	return s + tail
}

// suspiciousReason starts the gate's reason for a log addressed to an AI
// model (policy's suspicious_log check).
const suspiciousReason = "the log holds text addressed to an AI model"
