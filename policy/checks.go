package policy

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/ccm-ci/ccm/analysis"
	"github.com/ccm-ci/ccm/config"
	"github.com/ccm-ci/ccm/suspicious"
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
// allows. Unknown types are named (clipped: they come from the model). The
// list must also make sense as a whole: ccm carries out each action in
// turn, so a type proposed twice would be done twice (two re-runs), and
// contradictory actions (see contradictions) leave the outcome to the order
// they happen in. Neither is a model's slip ccm should tidy up alone.
func (g *gate) actions(in Input) {
	var seen, twice []analysis.ActionType
	for _, a := range in.Analysis.Actions {
		if a.Type == analysis.ActionNone {
			continue
		}
		if slices.Contains(seen, a.Type) {
			if a.Type.Valid() && !slices.Contains(twice, a.Type) {
				twice = append(twice, a.Type)
				g.fail(CheckActions, "%s is proposed more than once: ccm would do it more than once", a.Type)
			}
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
	for _, c := range contradictions {
		if slices.Contains(seen, c.a) && slices.Contains(seen, c.b) {
			g.fail(CheckActions, "%s and %s contradict each other: %s", c.a, c.b, c.why)
		}
	}
}

// contradictions are pairs of actions that cannot both be meant.
var contradictions = []struct {
	a, b analysis.ActionType
	why  string
}{
	{analysis.ActionCancelRun, analysis.ActionRerunFailedJobs, "one stops the run, the other runs it again"},
	{analysis.ActionCancelRun, analysis.ActionRerunWorkflow, "one stops the run, the other runs it again"},
	{analysis.ActionRerunWorkflow, analysis.ActionRerunFailedJobs, "re-running the whole workflow already re-runs the failed jobs"},
}

// confidence: ccm acts alone only when the analysis is not a guess AND
// ccm's own rules confirm a failure they recognise. Without the second
// half a confident model would decide alone exactly when ccm's signals say
// nothing: a log with no failure line (the rules answer infrastructure,
// confidence 5, only as a placeholder) or no known signature (confidence
// 10 or 25). The rules' other signals (floor, code verdict) are silent
// then, so a person looks.
func (g *gate) confidence(in Input) {
	if c := in.Analysis.Confidence; c < MinConfidence {
		g.fail(CheckConfidence, "confidence %d%% is below %d%%: ccm does not act alone on a guess", c, MinConfidence)
	}
	switch r := in.Rules; {
	case !r.Category.Valid(): // no rules verdict at all: CheckAnalysis says so
	case r.NoFailureFound():
		g.fail(CheckConfidence, "ccm's rule-based analyzer found no failure line in the log, so nothing of ccm's own confirms what the analysis says failed")
	case r.Confidence < MinConfidence:
		g.fail(CheckConfidence, "ccm's rule-based analyzer recognises no known failure in the log (confidence %d%% is below %d%%), so nothing of ccm's own confirms the analysis", r.Confidence, MinConfidence)
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
	if in.Analysis.InvolvesApplicationCode && in.Analysis.Category != analysis.CategoryCode {
		g.fail(CheckApplicationCode, "the analysis says application code is involved")
	}
	if in.Rules.Category == analysis.CategoryCode || in.Rules.InvolvesApplicationCode {
		if rulesFloor(in.Rules) {
			g.fail(CheckApplicationCode, "ccm's rules recognise a failure in the project's code")
		} else {
			g.fail(CheckApplicationCode, "ccm's rules recognise no known failure signature and assume the project's code")
		}
	}
	// A step that installs dependencies runs code the change controls
	// through its manifests and lockfiles too (npm ci runs the project's
	// install scripts with the versions the lockfile pins), so for it a
	// lockfile counts as well; so it does when the failed step is unknown.
	var steps []string
	install := false
	for _, s := range in.FailedSteps {
		k := stepKindOf(s)
		if k != stepSetup && !slices.Contains(steps, s) {
			steps = append(steps, s)
		}
		install = install || k == stepInstall
	}
	stepsUnknown := len(in.FailedSteps) == 0
	install = install || stepsUnknown
	if len(steps) == 0 && !stepsUnknown {
		return // only setup steps failed: what changed does not matter
	}
	var files []string
	for _, f := range in.ChangedFiles {
		if IsApplicationSource(f) || install && isLockfile(f) {
			files = append(files, f)
		}
	}
	// An empty list is not "nothing changed": every change touches a
	// file, so GitHub listing none means it could not say.
	known := in.ChangedFilesKnown && len(in.ChangedFiles) > 0
	if known && len(files) == 0 {
		return
	}
	step := "the failing step is not known, so ccm assumes it builds or tests the project's code"
	switch {
	case len(steps) == 1:
		step = "the failing step " + quoteList(steps) + " builds or tests the project's code"
	case len(steps) > 1:
		step = "the failing steps " + quoteList(steps) + " build or test the project's code"
	}
	change := "the files the change touched are not known, so ccm assumes application source"
	if known {
		what := "application source"
		if install && slices.ContainsFunc(files, isLockfile) {
			what = "application source or a lockfile"
		}
		change = "the change touches " + what + " (" + quoteList(files) + ")"
	}
	g.fail(CheckApplicationCode, "%s, and %s", step, change)
}

// reruns: max_reruns caps re-runs of one run, by anyone, so a failing run
// is not re-run in a loop. Every re-run action this decision proposes
// counts: two of them are two re-runs. A negative count so far is a broken
// record, and an unknown count is not assumed to be small.
func (g *gate) reruns(in Input, acts []analysis.Action) {
	proposed := 0
	for _, a := range acts {
		if a.Type == analysis.ActionRerunFailedJobs || a.Type == analysis.ActionRerunWorkflow {
			proposed++
		}
	}
	switch limit := in.Settings.MaxReruns; {
	case proposed == 0:
	case limit <= 0:
		g.fail(CheckReruns, "max_reruns is %d: ccm never re-runs this repository's runs unattended", limit)
	case in.RerunsSoFar < 0:
		g.fail(CheckReruns, "how many times this run was re-run is unknown (%d), so ccm does not re-run it unattended", in.RerunsSoFar)
	case in.RerunsSoFar >= limit:
		g.fail(CheckReruns, "this run has been re-run %s already and max_reruns is %d", times(in.RerunsSoFar), limit)
	case in.RerunsSoFar+proposed > limit:
		g.fail(CheckReruns, "this run has been re-run %s and the analysis proposes %d re-runs: max_reruns is %d", times(in.RerunsSoFar), proposed, limit)
	}
}

// suspicious: a log addressed to an AI model may have steered the
// analysis, so nothing it led to is done unattended.
func (g *gate) suspicious(in Input) {
	line := in.SuspiciousLog
	if line == "" {
		line, _ = suspicious.Line(in.LogExcerpt)
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

func typeList(ts []analysis.ActionType) string {
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
