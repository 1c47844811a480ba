package policy

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/ccm-ci/ccm/config"
	"github.com/ccm-ci/ccm/triage"
)

// gate collects the checks that failed and their reasons, in order.
type gate struct {
	reasons []string
	failed  []Check
}

func (g *gate) fail(c Check, format string, args ...any) {
	g.reasons = append(g.reasons, fmt.Sprintf(format, args...))
	if !slices.Contains(g.failed, c) {
		g.failed = append(g.failed, c)
	}
}

// first puts the reason for a none decision before the others.
func (g *gate) first(reason string) { g.reasons = slices.Insert(g.reasons, 0, reason) }

// analysis: an analysis that breaks its own invariants, or a missing rules
// verdict (the gate's own signals), is not a basis for acting alone.
func (g *gate) analysis(in Input) {
	if err := in.Analysis.Validate(); err != nil {
		g.fail(CheckAnalysis, "the analysis is not valid (%s)", clip(err.Error(), 200))
	}
	if !in.Rules.Category.Valid() {
		g.fail(CheckAnalysis, "ccm's rule-based verdict is missing, so its own signals cannot be checked")
	}
}

// actions: every action must be a known type the repository's auto_actions
// allows. Unknown types are named (clipped: they come from the model).
func (g *gate) actions(in Input) {
	var seen []triage.ActionType
	for _, a := range in.Analysis.Actions {
		if a.Type == triage.ActionNone || slices.Contains(seen, a.Type) {
			continue
		}
		seen = append(seen, a.Type)
		switch {
		case !a.Type.Valid():
			g.fail(CheckActions, "action %s is not one ccm knows how to perform", clipQuote(string(a.Type)))
		case !slices.Contains(in.Settings.AutoActions, a.Type):
			g.fail(CheckActions, "%s is not in this repository's auto_actions (%s)", a.Type, typeList(in.Settings.AutoActions))
		}
	}
}

func (g *gate) risk(in Input, d Decision) {
	if d.EffectiveRisk < d.Threshold {
		return
	}
	why := fmt.Sprintf("risk %d is not below the threshold %d (%s)", d.EffectiveRisk, d.Threshold, sourceText(d.ThresholdSource))
	if d.EffectiveRisk > in.Analysis.RiskScore {
		why += fmt.Sprintf("; the analysis said %d, the rule-based analyzer's floor is %d", in.Analysis.RiskScore, in.Rules.RiskScore)
	}
	g.fail(CheckRisk, "%s", why)
}

// applicationCode collects every signal that application code is
// involved: the analysis's flag, the rules' code verdict, and ccm's own
// reading of the failed step and the changed files.
func (g *gate) applicationCode(in Input) {
	if in.Analysis.InvolvesApplicationCode && in.Analysis.Category != triage.CategoryCode {
		g.fail(CheckApplicationCode, "the analysis says application code is involved")
	}
	if in.Rules.Category == triage.CategoryCode || in.Rules.InvolvesApplicationCode {
		if in.Rules.Confidence >= FloorConfidence {
			g.fail(CheckApplicationCode, "ccm's rules recognise a failure in the project's code")
		} else {
			g.fail(CheckApplicationCode, "ccm's rules recognise no known failure signature and assume the project's code")
		}
	}
	var steps []string
	for _, s := range in.FailedSteps {
		if BuildsOrTests(s) && !slices.Contains(steps, s) {
			steps = append(steps, s)
		}
	}
	stepsUnknown := len(in.FailedSteps) == 0
	if len(steps) == 0 && !stepsUnknown {
		return // only setup steps failed: what changed does not matter
	}
	var files []string
	for _, f := range in.ChangedFiles {
		if IsApplicationSource(f) {
			files = append(files, f)
		}
	}
	if in.ChangedFilesKnown && len(files) == 0 {
		return
	}
	step := "GitHub did not say which step failed, so ccm assumes it builds or tests the project's code"
	switch {
	case len(steps) == 1:
		step = "the failing step " + quoteList(steps) + " builds or tests the project's code"
	case len(steps) > 1:
		step = "the failing steps " + quoteList(steps) + " build or test the project's code"
	}
	change := "GitHub could not say which files changed, so ccm assumes application source"
	if in.ChangedFilesKnown {
		change = "the change touches application source (" + quoteList(files) + ")"
	}
	g.fail(CheckApplicationCode, "%s, and %s", step, change)
}

// reruns: max_reruns caps re-runs of one run, by anyone, so a failing run
// is not re-run in a loop.
func (g *gate) reruns(in Input, acts []triage.Action) {
	rerun := slices.ContainsFunc(acts, func(a triage.Action) bool {
		return a.Type == triage.ActionRerunFailedJobs || a.Type == triage.ActionRerunWorkflow
	})
	switch {
	case !rerun:
	case in.Settings.MaxReruns <= 0:
		g.fail(CheckReruns, "max_reruns is %d: ccm never re-runs this repository's runs unattended", in.Settings.MaxReruns)
	case in.RerunsSoFar >= in.Settings.MaxReruns:
		g.fail(CheckReruns, "this run has been re-run %s already and max_reruns is %d", times(in.RerunsSoFar), in.Settings.MaxReruns)
	}
}

// trigger: a fork's or a bot's run, and pull_request_target (which runs
// with the repository's secrets for someone else's pull request), are not
// the repository's own work: a person decides whether to run them again.
// When GitHub did not say, ccm does not assume the harmless answer.
func (g *gate) trigger(in Input) {
	if in.FromFork {
		g.fail(CheckTrigger, "the run comes from a fork")
	}
	switch {
	case in.Actor == "":
		g.fail(CheckTrigger, "GitHub did not say who triggered the run")
	case in.ActorIsBot || strings.HasSuffix(strings.ToLower(in.Actor), "[bot]"):
		g.fail(CheckTrigger, "the run was triggered by a bot (%s)", clipQuote(in.Actor))
	}
	switch in.Event {
	case "":
		g.fail(CheckTrigger, "GitHub did not say which event triggered the run")
	case "pull_request_target":
		g.fail(CheckTrigger, "the run was triggered by pull_request_target, which runs with the repository's secrets for a pull request")
	}
}

// suspicious: a log addressed to an AI model may have steered the
// analysis, so nothing it led to is done unattended.
func (g *gate) suspicious(in Input) {
	line := in.SuspiciousLog
	if line == "" {
		line, _ = triage.Suspicious(in.LogExcerpt)
	}
	if line != "" {
		g.fail(CheckSuspiciousLog, "the log holds text addressed to an AI model, which may have steered the analysis: %s", clipQuote(line))
	}
}

// mode applies the repository's trust level to the decision.
func (g *gate) mode(d *Decision) {
	switch d.Mode {
	case config.ModeAuto:
	case config.ModeApprove:
		if d.Kind == KindAuto {
			d.Kind = KindApproval
			g.reasons = nil // the auto summary no longer applies
		}
		if d.Kind == KindApproval {
			g.fail(CheckMode, "mode approve: a person approves every action")
		}
	case config.ModeShadow:
		g.reasons = append(g.reasons, "mode shadow: ccm records what it would have done and touches nothing")
	default:
		g.reasons = append(g.reasons, fmt.Sprintf("mode %s is not one of shadow, approve, auto, so it is treated as shadow", clipQuote(string(d.Mode))))
		d.Mode = config.ModeShadow
	}
}

func times(n int) string {
	if n == 1 {
		return "once"
	}
	return fmt.Sprintf("%d times", n)
}

// quoteList quotes up to three items and counts the rest.
func quoteList(items []string) string {
	const shown = 3
	q := make([]string, 0, shown)
	for _, it := range items[:min(len(items), shown)] {
		q = append(q, clipQuote(it))
	}
	s := strings.Join(q, ", ")
	if n := len(items) - shown; n > 0 {
		s += fmt.Sprintf(" and %d more", n)
	}
	return s
}

func typeList(ts []triage.ActionType) string {
	if len(ts) == 0 {
		return "none allowed"
	}
	names := make([]string, len(ts))
	for i, t := range ts {
		names[i] = string(t)
	}
	return strings.Join(names, ", ")
}

// clipQuote Go-quotes s (control characters escaped: it may come from a
// log or the model) cut to 160 characters.
func clipQuote(s string) string { return fmt.Sprintf("%q", clip(s, 160)) }

func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "…"
}
