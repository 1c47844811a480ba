package policy

import (
	"fmt"
	"slices"
	"strings"

	"github.com/ccm-ci/ccm/analysis"
	"github.com/ccm-ci/ccm/config"
)

// Kind is what the gate decided. The zero value is KindNone, so a Decision
// nobody filled in never acts.
//
// KindAuto does NOT mean "act now": in shadow mode Decide keeps Kind as
// what ccm would have done (the audit contract records it so), and only
// Decision.Acts says whether ccm may act. See Decision.Kind.
type Kind int

// The three decisions.
const (
	// KindNone: nothing useful to do; people are told, nothing is touched.
	KindNone Kind = iota
	// KindApproval: a person decides.
	KindApproval
	// KindAuto: ccm may act alone (unless the mode is shadow).
	KindAuto
)

var kindNames = [...]string{KindNone: "none", KindApproval: "approval", KindAuto: "auto"}

// String returns none, approval or auto: the words of the audit contract.
func (k Kind) String() string {
	if k < 0 || int(k) >= len(kindNames) {
		return fmt.Sprintf("Kind(%d)", int(k))
	}
	return kindNames[k]
}

// MarshalText writes the Kind as its String, for JSON audit details.
func (k Kind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// Check names one condition of unattended action. Decision.Failed lists
// the ones that did not hold, so callers and tests need not parse reasons.
type Check string

// The checks, in the order Decide runs them.
const (
	CheckAnalysis        Check = "analysis"         // the analysis and the rules' verdict are usable
	CheckActions         Check = "actions"          // every action is known, allowed unattended, proposed once, none contradicting another
	CheckRisk            Check = "risk"             // risk below the threshold in force
	CheckConfidence      Check = "confidence"       // neither the analysis nor ccm's rules are a guess, and the rules found a failure line
	CheckApplicationCode Check = "application_code" // no application code involved
	CheckProtected       Check = "protected"        // repository not protected
	CheckReruns          Check = "max_reruns"       // re-runs so far plus those proposed within max_reruns
	CheckTrigger         Check = "trigger"          // not a fork, a bot, or an event run with the repository's secrets for someone else
	CheckSuspiciousLog   Check = "suspicious_log"   // no text addressed to an AI model
	CheckIncident        Check = "incident"         // no incident open for the fingerprint
	CheckMode            Check = "mode"             // the mode lets ccm act alone
)

// ThresholdSource says where the risk threshold in force came from.
type ThresholdSource string

// Where a threshold can come from, strongest first.
const (
	ThresholdRepository ThresholdSource = "repository" // the repository's own risk_threshold in the file
	ThresholdSlack      ThresholdSource = "slack"      // set with /ccm threshold, stored in Redis
	ThresholdGlobal     ThresholdSource = "global"     // the file's global risk_threshold
)

const (
	// MinConfidence is the confidence (0-100) below which an analysis is a
	// guess that ccm never acts on alone. The rule-based analyzer's
	// placeholder answers sit below it (5: no failure line in the log; 10
	// or 25: no signature matched); its weakest real signature is 30.
	MinConfidence = 30
	// FloorConfidence is the rules' confidence from which their risk is a
	// floor for the model's: any verdict that is not a guess, i.e. a real
	// signature matched. Below it the rules' risk (7 or 8 for "no
	// signature") is a placeholder, not a measurement, and the gate asks a
	// person anyway (CheckConfidence), so it is not reported as a floor.
	//
	// The gate is deliberately stricter than the analysis chain
	// (integrations/llm.DefaultFloorConfidence, 60): the chain only lets a
	// confident signature rewrite the model's answer, but the gate must not
	// let a model lower the risk of a failure ccm did recognise, even at
	// confidence 55 ("the model can raise risk, never lower it", issue 7).
	FloorConfidence = MinConfidence
)

// Input is everything the gate decides from: plain data, gathered by the
// caller (the ccm:gate task) from the failure record, the analysis chain's
// outcome, the resolved config and Redis. Zero values are the cautious
// reading wherever a field can be missed: no threshold (0) lets nothing
// through, an unknown mode is shadow, unknown changed files and unknown
// failed steps mean application code.
type Input struct {
	// Settings are the repository's resolved settings:
	// config.Config.For(record.Repo) from the snapshot in force.
	Settings config.Effective
	// SlackThreshold is the risk threshold set from Slack (/ccm threshold),
	// stored in Redis; nil when none is set. A repository's own
	// risk_threshold wins over it; it wins over the file's global one.
	SlackThreshold *int
	// Analysis is the analysis to act on: the chain's Outcome.Analysis (the
	// model's, bounded by the chain's own floor, or the rules' own).
	Analysis analysis.AnalysisResult
	// Rules is the rule-based verdict, the chain's Outcome.Rules, always
	// computed. It must confirm the analysis: a rules guess or a log in
	// which the rules found no failure line means a person looks. Its risk
	// is a floor (see FloorConfidence), and its code verdict is ccm's own
	// application-code signal.
	Rules analysis.AnalysisResult
	// Event is record.Event: the event that triggered the run (push,
	// pull_request, pull_request_target, schedule, ...). Compared without
	// regard to case or surrounding blanks.
	Event string
	// FromFork is record.FromFork: the run's head repository is a fork.
	FromFork bool
	// Actor is record.Actor: the login that triggered the run. Bots are
	// told by IsBotLogin (a "[bot]" suffix, an "app/" prefix, or a
	// well-known bot's plain login).
	Actor string
	// ActorIsBot: GitHub says the actor's type is Bot (run.actor.type), for
	// bots whose login says nothing.
	ActorIsBot bool
	// FailedSteps are the names of the failed steps of every failed job
	// (record.FailedJobs[].FailedSteps). Empty means unknown.
	FailedSteps []string
	// ChangedFiles are the paths the change touched (record.ChangedFiles).
	ChangedFiles []string
	// ChangedFilesKnown is true when GitHub said what changed:
	// !record.ChangedFilesUnavailable for a record that had a commit to ask
	// about. False means unknown, and unknown means application code; so
	// does an empty list, known or not.
	ChangedFilesKnown bool
	// SuspiciousLog is the log line addressed to an AI model that ingest
	// flagged (suspicious.Line), "" when none.
	SuspiciousLog string
	// LogExcerpt is record.LogExcerpt. The gate runs suspicious.Line on
	// it too, so a record flagged by nobody is still checked.
	LogExcerpt string
	// IncidentOpen: an incident is open for record.Fingerprint.
	IncidentOpen bool
	// RerunsSoFar is how many times this run has been re-run, by anyone
	// (record.RunAttempt - 1). A negative count is unknown: no unattended
	// re-run.
	RerunsSoFar int
}

// Decision is the gate's answer. To know whether to act, call Acts, never
// compare Kind with KindAuto: see Kind.
type Decision struct {
	// Kind is what the gate decided, in the audit contract's words
	// (validation details "decision"). In mode approve an auto becomes
	// approval. In mode SHADOW IT IS NOT CHANGED: Kind is what ccm WOULD
	// HAVE DONE, so Kind == KindAuto with Mode == shadow acts on nothing.
	// Only Acts answers "may ccm act now?"; Shadow says whether Kind is
	// hypothetical.
	Kind Kind
	// Mode is the repository's mode; an invalid one is reported as shadow.
	// In shadow, Kind is what ccm would have done and nothing is done.
	Mode config.Mode
	// Reasons say why, in words a person understands: for auto, one line
	// that sums up what held; otherwise every condition that failed, with
	// a none decision's own reason first. A last line names the mode when
	// it changes or qualifies the decision (approve, shadow).
	Reasons []string
	// Failed are the checks that failed, each once, in the order Decide
	// runs them (a none decision's own reason belongs to no check).
	Failed []Check
	// Actions are the actions it would take (auto) or asks a person to
	// approve (approval): the analysis's known actions, without "none".
	Actions []analysis.Action
	// EffectiveRisk is the higher of the analysis's risk and the rules'
	// floor: the risk compared with Threshold.
	EffectiveRisk int
	// Threshold is the risk threshold in force and ThresholdSource where
	// it came from.
	Threshold       int
	ThresholdSource ThresholdSource
}

// Shadow reports whether the decision is only recorded (mode shadow).
func (d Decision) Shadow() bool { return d.Mode == config.ModeShadow }

// Acts reports whether ccm may act now, without a person: the only test a
// caller that carries out decisions may use (Kind alone is auto in shadow).
func (d Decision) Acts() bool { return d.Kind == KindAuto && !d.Shadow() }

// Decide runs every check, and decides:
//   - none when there is nothing useful to do: the analysis says the
//     failure is in the project's code (tell people, touch nothing), or it
//     proposes no action ccm can perform;
//   - auto when every check holds;
//   - approval otherwise.
//
// Then the mode: in approve every auto becomes approval; in shadow the
// decision is what auto would have done, marked shadow, and Kind can be
// auto although nothing may be done: callers act only when Acts says so.
func Decide(in Input) Decision {
	d := Decision{Mode: in.Settings.Mode}
	d.Threshold, d.ThresholdSource = thresholdInForce(in)
	d.EffectiveRisk = effectiveRisk(in)
	d.Actions = performable(in.Analysis.Actions)

	var g gate
	g.analysis(in)
	g.actions(in)
	g.risk(in, d)
	g.confidence(in)
	g.applicationCode(in)
	if in.Settings.Protected {
		g.fail(CheckProtected, "%s is a protected repository: ccm never acts on it without a person", in.Settings.Repo)
	}
	g.reruns(in, d.Actions)
	g.trigger(in)
	g.suspicious(in)
	if in.IncidentOpen {
		g.fail(CheckIncident, "an incident is open for this failure's fingerprint: unattended actions are paused until it closes")
	}

	switch {
	case in.Analysis.Category == analysis.CategoryCode:
		d.Kind, d.Actions = KindNone, nil
		if in.Analysis.Confidence < MinConfidence {
			// A guess (no known signature, or a model unsure) is not a
			// finding: say what it is.
			g.first(fmt.Sprintf("the analysis guesses the project's own code (category code, confidence %d%%): ccm tells people and touches nothing", in.Analysis.Confidence))
		} else {
			g.first("the failure is in the project's own code (category code): ccm tells people and touches nothing")
		}
	case len(d.Actions) == 0:
		d.Kind = KindNone
		g.first("the analysis proposes no action ccm can perform")
	case len(g.failed) > 0:
		d.Kind = KindApproval
	default:
		d.Kind = KindAuto
		g.reasons = []string{fmt.Sprintf("risk %d is below the threshold %d (%s), no application code is involved, and every action (%s) is allowed unattended",
			d.EffectiveRisk, d.Threshold, sourceText(d.ThresholdSource), actionList(d.Actions))}
	}
	g.mode(&d)
	d.Reasons, d.Failed = g.reasons, g.failed
	return d
}

// ThresholdInForce is the risk threshold the gate applies to a repository
// with these settings and the threshold set from Slack (nil when none),
// and where it comes from: what /ccm threshold shows.
func ThresholdInForce(settings config.Effective, slack *int) (int, ThresholdSource) {
	return thresholdInForce(Input{Settings: settings, SlackThreshold: slack})
}

// thresholdInForce applies the precedence repository > Slack > global,
// clamped to the valid 0-10 range so a bad stored value cannot open the
// gate wider than the widest a file may set.
func thresholdInForce(in Input) (int, ThresholdSource) {
	t, src := in.Settings.RiskThreshold, ThresholdGlobal
	switch {
	case in.Settings.RepoRiskThreshold:
		src = ThresholdRepository
	case in.SlackThreshold != nil:
		t, src = *in.SlackThreshold, ThresholdSlack
	}
	return min(max(t, 0), config.MaxRiskThreshold), src
}

// effectiveRisk is the analysis's risk raised to the rules' floor: the
// model can raise risk, never lower it.
func effectiveRisk(in Input) int {
	if rulesFloor(in.Rules) {
		return max(in.Analysis.RiskScore, in.Rules.RiskScore)
	}
	return in.Analysis.RiskScore
}

// rulesFloor reports whether the rules' risk is a floor: they matched a
// real signature, not one of their placeholder answers (no signature, no
// failure line), whose risk measures nothing; see FloorConfidence.
func rulesFloor(rules analysis.AnalysisResult) bool {
	return rules.Confidence >= FloorConfidence && !rules.NoFailureFound()
}

// performable keeps the actions ccm knows how to perform, without "none".
func performable(acts []analysis.Action) []analysis.Action {
	var out []analysis.Action
	for _, a := range acts {
		if a.Type.Valid() && a.Type != analysis.ActionNone {
			out = append(out, a)
		}
	}
	return out
}

func sourceText(s ThresholdSource) string {
	switch s {
	case ThresholdRepository:
		return "this repository's own risk_threshold"
	case ThresholdSlack:
		return "set from Slack"
	default:
		return "the global risk_threshold"
	}
}

func actionList(acts []analysis.Action) string {
	names := make([]string, 0, len(acts))
	for _, a := range acts {
		if n := string(a.Type); !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	return strings.Join(names, ", ")
}
