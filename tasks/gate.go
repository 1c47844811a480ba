package tasks

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/ccm-ci/ccm/analysis"
	"github.com/ccm-ci/ccm/config"
	"github.com/ccm-ci/ccm/integrations/llm"
	"github.com/ccm-ci/ccm/policy"
	"github.com/ccm-ci/ccm/state"
)

// SettingRiskThreshold is the runtime setting (set from Slack, /ccm
// threshold) that holds the risk threshold for every repository. The
// setting RiskThresholdSetting(repo) holds one repository's and wins over
// it; a repository's own risk_threshold in the config file wins over both.
const SettingRiskThreshold = "risk_threshold"

// RiskThresholdSetting is the name of the Slack-set threshold for repo
// ("risk_threshold:owner/repo", lowercase: GitHub names are matched
// without regard to case), or the global one for "".
func RiskThresholdSetting(repo string) string {
	if repo == "" {
		return SettingRiskThreshold
	}
	return SettingRiskThreshold + ":" + strings.ToLower(repo)
}

// slackThreshold reads the threshold set from Slack for repo: the
// repository's own setting, else the global one, else nil. A stored value
// that is not a number is read as 0, which lets nothing through: a broken
// setting must not open the gate wider than anyone chose.
func slackThreshold(ctx context.Context, st Store, repo string, log *slog.Logger) (*int, error) {
	for _, key := range []string{RiskThresholdSetting(repo), SettingRiskThreshold} {
		v, ok, err := st.Setting(ctx, key)
		if err != nil {
			return nil, fmt.Errorf("risk threshold: %w", err)
		}
		if !ok {
			continue
		}
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil {
			log.Error("risk threshold set from Slack is not a number; using 0, which lets nothing through",
				"setting", key, "value", v)
			n = 0
		}
		return &n, nil
	}
	return nil, nil
}

// RulesFor is the rule-based verdict on a recorded failure: what the
// analysis chain computed as Outcome.Rules (llm.Classify on the same
// request). It is not stored, and it need not be: the rules are
// deterministic and cheap, so the gate recomputes it from the record. A
// cached or model answer thus never stands in for ccm's own signals.
func RulesFor(rec state.FailureRecord) analysis.AnalysisResult {
	return llm.Classify(RequestFor(rec))
}

// GateInput gathers the gate's facts about one failure: the record's
// trigger, steps, files and log; the analysis to act on and the rules'
// verdict; the repository's settings (cfg.For(repo)); the threshold set
// from Slack (nil when none); whether an incident is open for the
// fingerprint. It is a pure mapping, so `ccm analyze` and the pipeline
// decide from the same facts.
func GateInput(rec state.FailureRecord, analysis, rules analysis.AnalysisResult, settings config.Effective,
	slack *int, incidentOpen bool) policy.Input {
	var steps []string
	for _, j := range rec.FailedJobs {
		steps = append(steps, j.FailedSteps...)
	}
	return policy.Input{
		Settings: settings, SlackThreshold: slack, Analysis: analysis, Rules: rules,
		Event: rec.Event, FromFork: rec.FromFork, Actor: rec.Actor, ActorIsBot: rec.ActorIsBot,
		FailedSteps:  steps,
		ChangedFiles: rec.ChangedFiles,
		// Only a record that had a commit to ask about can know what
		// changed; without one (a log file, a run GitHub gave no SHA for)
		// an empty list means unknown, and unknown means application code.
		ChangedFilesKnown: rec.CommitSHA != "" && !rec.ChangedFilesUnavailable,
		SuspiciousLog:     rec.SuspiciousLog, LogExcerpt: rec.LogExcerpt,
		IncidentOpen: incidentOpen,
		RerunsSoFar:  max(rec.RunAttempt-1, 0),
	}
}

// decide runs the gate on a record with the config and thresholds in
// force now.
func (h *Handlers) decide(ctx context.Context, st Store, rec state.FailureRecord, log *slog.Logger) (policy.Decision, error) {
	slack, err := slackThreshold(ctx, st, rec.Repo, log)
	if err != nil {
		return policy.Decision{}, err
	}
	var a analysis.AnalysisResult
	if rec.Analysis != nil {
		a = *rec.Analysis
	}
	// The incident guard (issue 7 item 6): while one is open for the
	// fingerprint the policy keeps a person in the loop, and the failure is
	// listed as paused so the close re-gates it (incident.go).
	incident, err := h.incidentOpen(ctx, rec)
	if err != nil {
		return policy.Decision{}, err
	}
	return policy.Decide(GateInput(rec, a, RulesFor(rec), h.d.Config().For(rec.Repo), slack, incident)), nil
}

// GateRecord is the decision as the failure record keeps it.
func GateRecord(d policy.Decision, at time.Time) state.GateDecision {
	failed := make([]string, len(d.Failed))
	for i, c := range d.Failed {
		failed[i] = string(c)
	}
	return state.GateDecision{
		Decision: d.Kind.String(), Reasons: d.Reasons, Failed: failed, Mode: string(d.Mode),
		Threshold: d.Threshold, ThresholdSource: string(d.ThresholdSource), EffectiveRisk: d.EffectiveRisk,
		Actions: d.Actions, DecidedAt: at.UTC(),
	}
}

// asksPerson reports whether a decision puts a person in the loop now: an
// approval outside shadow mode.
func asksPerson(g state.GateDecision) bool {
	return g.Decision == policy.KindApproval.String() && g.Mode != string(config.ModeShadow)
}

// validationEvent is the gate's audit entry: details decision, reasons and
// mode (the contract), plus the numbers behind them; outcome pending when
// a person is asked, success otherwise.
func validationEvent(rec state.FailureRecord, g state.GateDecision) state.AuditEntry {
	outcome := state.OutcomeSuccess
	if asksPerson(g) {
		outcome = state.OutcomePending
	}
	return state.AuditEntry{
		Timestamp: g.DecidedAt, Actor: "ccm", ActionType: state.ActionValidation, FailureID: rec.ID,
		Repo: rec.Repo, Outcome: outcome,
		Details: map[string]any{
			"decision": g.Decision, "reasons": g.Reasons, "mode": g.Mode, "shadow": g.Mode == string(config.ModeShadow),
			"failed_checks": g.Failed, "threshold": g.Threshold, "threshold_source": g.ThresholdSource,
			"effective_risk": g.EffectiveRisk, "actions": actionTypes(g.Actions),
		},
	}
}
