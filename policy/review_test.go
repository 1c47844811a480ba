package policy

import (
	"slices"
	"testing"

	"github.com/ccm-ci/ccm/analysis"
	"github.com/ccm-ci/ccm/config"
	"github.com/ccm-ci/ccm/rules"
)

// Inputs a review found the gate let through (auto) although a person had
// to look. Each row was auto before its fix.
func TestDecide_ReviewFindings(t *testing.T) {
	runDecideCases(t, []decideCase{
		// A1: ccm's own rules must confirm the analysis.
		{name: "A1 no failure line: a confident model does not decide alone", mod: func(in *Input) { in.Rules = noFailureRules() },
			want: KindApproval, failed: []Check{CheckConfidence}, reason: "found no failure line in the log", threshold: 5, source: ThresholdGlobal, risk: 2},
		{name: "A1 no signature matched, with a hint (confidence 25)", mod: func(in *Input) {
			in.Rules.Category, in.Rules.Confidence, in.Rules.RiskScore = analysis.CategoryTimeout, 25, 7
			in.Rules.Actions = actions(analysis.ActionNone)
		}, want: KindApproval, failed: []Check{CheckConfidence}, reason: "confidence 25% is below 30%", threshold: 5, source: ThresholdGlobal, risk: 2},
		{name: "A1 a real signature at MinConfidence still confirms", mod: func(in *Input) { in.Rules.Confidence = MinConfidence },
			want: KindAuto, threshold: 5, source: ThresholdGlobal, risk: 2},

		// A2: the rules' floor holds for every real signature.
		{name: "A2 a signature at confidence 55 is a floor", mod: func(in *Input) { in.Rules.Confidence, in.Rules.RiskScore, in.Analysis.RiskScore = 55, 5, 1 },
			want: KindApproval, failed: []Check{CheckRisk}, reason: "the analysis said 1, the rule-based analyzer's floor is 5", threshold: 5, source: ThresholdGlobal, risk: 5},
		{name: "A2 a signature at confidence 30 is a floor", mod: func(in *Input) { in.Rules.Confidence, in.Rules.RiskScore, in.Analysis.RiskScore = 30, 6, 0 },
			want: KindApproval, failed: []Check{CheckRisk}, threshold: 5, source: ThresholdGlobal, risk: 6},

		// A3: re-runs bounded per decision; coherent actions.
		{name: "A3 two re-runs and a cancel with max_reruns 1", mod: func(in *Input) {
			in.Analysis.Actions = actions(analysis.ActionRerunFailedJobs, analysis.ActionRerunFailedJobs, analysis.ActionCancelRun)
		}, want: KindApproval, failed: []Check{CheckActions, CheckReruns}, reason: "proposes 2 re-runs: max_reruns is 1", threshold: 5, source: ThresholdGlobal, risk: 2},
		{name: "A3 the same re-run twice within max_reruns", mod: func(in *Input) {
			in.Analysis.Actions, in.Settings.MaxReruns = actions(analysis.ActionRerunFailedJobs, analysis.ActionRerunFailedJobs), 3
		}, want: KindApproval, failed: []Check{CheckActions}, reason: "rerun_failed_jobs is proposed more than once", threshold: 5, source: ThresholdGlobal, risk: 2},
		{name: "A3 a cancel and a re-run contradict", mod: func(in *Input) {
			in.Analysis.Actions = actions(analysis.ActionCancelRun, analysis.ActionRerunFailedJobs)
		}, want: KindApproval, failed: []Check{CheckActions}, reason: "cancel_run and rerun_failed_jobs contradict each other", threshold: 5, source: ThresholdGlobal, risk: 2},
		{name: "A3 rerun_workflow with rerun_failed_jobs", mod: func(in *Input) {
			in.Analysis.Actions = actions(analysis.ActionRerunWorkflow, analysis.ActionRerunFailedJobs)
			in.Settings.AutoActions = append(in.Settings.AutoActions, analysis.ActionRerunWorkflow)
			in.Settings.MaxReruns = 2
		}, want: KindApproval, failed: []Check{CheckActions}, reason: "rerun_workflow and rerun_failed_jobs contradict", threshold: 5, source: ThresholdGlobal, risk: 2},
		{name: "A3 re-runs so far unknown (negative)", mod: func(in *Input) { in.RerunsSoFar = -1 },
			want: KindApproval, failed: []Check{CheckReruns}, reason: "re-run is unknown (-1)", threshold: 5, source: ThresholdGlobal, risk: 2},
		{name: "A3 a re-run and a cache deletion are coherent", mod: func(in *Input) {
			in.Analysis.Actions = actions(analysis.ActionDeleteCache, analysis.ActionRerunFailedJobs)
			in.Settings.AutoActions = append(in.Settings.AutoActions, analysis.ActionDeleteCache)
		}, want: KindAuto, threshold: 5, source: ThresholdGlobal, risk: 2},

		// A4: privileged events and bots, however spelled.
		{name: "A4 workflow_run", mod: func(in *Input) { in.Event = "workflow_run" },
			want: KindApproval, failed: []Check{CheckTrigger}, reason: "triggered by workflow_run", threshold: 5, source: ThresholdGlobal, risk: 2},
		{name: "A4 issue_comment", mod: func(in *Input) { in.Event = "issue_comment" },
			want: KindApproval, failed: []Check{CheckTrigger}, reason: "triggered by issue_comment", threshold: 5, source: ThresholdGlobal, risk: 2},
		{name: "A4 event in another case, with blanks", mod: func(in *Input) { in.Event = " Pull_Request_Target\n" },
			want: KindApproval, failed: []Check{CheckTrigger}, reason: "triggered by pull_request_target", threshold: 5, source: ThresholdGlobal, risk: 2},
		{name: "A4 event of blanks only is unknown", mod: func(in *Input) { in.Event = "  " },
			want: KindApproval, failed: []Check{CheckTrigger}, reason: "the event that triggered the run is not known", threshold: 5, source: ThresholdGlobal, risk: 2},
		{name: "A4 plain dependabot login", mod: func(in *Input) { in.Actor = "dependabot" },
			want: KindApproval, failed: []Check{CheckTrigger}, reason: "triggered by a bot", threshold: 5, source: ThresholdGlobal, risk: 2},
		{name: "A4 app/ login", mod: func(in *Input) { in.Actor = "app/dependabot" },
			want: KindApproval, failed: []Check{CheckTrigger}, threshold: 5, source: ThresholdGlobal, risk: 2},
		{name: "A4 [bot] login with trailing blanks, upper case", mod: func(in *Input) { in.Actor = "Renovate[BOT]  " },
			want: KindApproval, failed: []Check{CheckTrigger}, threshold: 5, source: ThresholdGlobal, risk: 2},
		{name: "A4 actor of blanks only is unknown", mod: func(in *Input) { in.Actor = " " },
			want: KindApproval, failed: []Check{CheckTrigger}, reason: "who triggered the run is not known", threshold: 5, source: ThresholdGlobal, risk: 2},
		{name: "A4 a person whose login holds bot is a person", mod: func(in *Input) { in.Actor = "robot-jane" },
			want: KindAuto, threshold: 5, source: ThresholdGlobal, risk: 2},

		// A6: setup steps by their whole name.
		{name: "A6 Install dependencies on a source change", mod: func(in *Input) {
			in.FailedSteps, in.ChangedFiles = []string{"Install dependencies"}, []string{"src/app.ts"}
		}, want: KindApproval, failed: []Check{CheckApplicationCode}, reason: `the failing step "Install dependencies"`, threshold: 5, source: ThresholdGlobal, risk: 2},
		{name: "A6 Install dependencies on a lockfile-only change", mod: func(in *Input) {
			in.FailedSteps, in.ChangedFiles = []string{"Install dependencies"}, []string{"package-lock.json"}
		}, want: KindApproval, failed: []Check{CheckApplicationCode}, reason: `touches application source or a lockfile ("package-lock.json")`, threshold: 5, source: ThresholdGlobal, risk: 2},
		{name: "A6 an unknown step on a lockfile-only change", mod: func(in *Input) {
			in.FailedSteps, in.ChangedFiles = nil, []string{"yarn.lock"}
		}, want: KindApproval, failed: []Check{CheckApplicationCode}, reason: "the failing step is not known", threshold: 5, source: ThresholdGlobal, risk: 2},
		{name: "A6 a script with login in its name", mod: func(in *Input) {
			in.FailedSteps, in.ChangedFiles = []string{"Run ./scripts/login_smoke.sh"}, []string{"src/auth.go"}
		}, want: KindApproval, failed: []Check{CheckApplicationCode}, threshold: 5, source: ThresholdGlobal, risk: 2},
		{name: "A6 a step running a checkout service", mod: func(in *Input) {
			in.FailedSteps, in.ChangedFiles = []string{"Run checkout service"}, []string{"services/checkout/main.go"}
		}, want: KindApproval, failed: []Check{CheckApplicationCode}, threshold: 5, source: ThresholdGlobal, risk: 2},
		{name: "A6 a build step on a lockfile-only change", mod: func(in *Input) {
			in.FailedSteps, in.ChangedFiles = []string{"Run npm test"}, []string{"package-lock.json"}
		}, want: KindAuto, threshold: 5, source: ThresholdGlobal, risk: 2},
		{name: "A6 real setup steps on a source change", mod: func(in *Input) {
			in.FailedSteps = []string{"Checkout", "Set up Go", "Run actions/checkout@v4", "Post Run actions/cache@v4"}
			in.ChangedFiles = []string{"src/app.go"}
		}, want: KindAuto, threshold: 5, source: ThresholdGlobal, risk: 2},
	})
}

// noFailureRules is the rules' answer for a log that has no failure line,
// as the analyzer itself gives it.
func noFailureRules() analysis.AnalysisResult {
	return rules.Classify(rules.Input{Text: "Run go test ./...\nok  \tgithub.com/acme/web/retry\t0.012s\nPASS\n"})
}

func TestNoFailureRulesFixture(t *testing.T) {
	r := noFailureRules()
	if !r.NoFailureFound() || r.Confidence >= MinConfidence {
		t.Fatalf("the fixture must be the rules' no-failure answer: %+v", r)
	}
}

// A7: in shadow, Kind is what ccm would have done. A caller that compares
// Kind with KindAuto instead of calling Acts would act; this pins the
// documented contract so a change to it is seen.
func TestDecide_ShadowKindIsWhatWouldHaveBeenDone(t *testing.T) {
	in := safeInput()
	in.Settings.Mode = config.ModeShadow
	d := Decide(in)
	if d.Kind != KindAuto || !d.Shadow() || d.Acts() {
		t.Fatalf("shadow: Kind %s, Shadow %v, Acts %v; want auto, true, false", d.Kind, d.Shadow(), d.Acts())
	}
	if !slices.ContainsFunc(d.Reasons, func(r string) bool {
		return r == "mode shadow: ccm records what it would have done and touches nothing"
	}) {
		t.Errorf("no reason says shadow: %q", d.Reasons)
	}
}

func TestIsBotLogin(t *testing.T) {
	for login, want := range map[string]bool{
		"dependabot[bot]": true, "github-actions[bot]": true, "dependabot": true, "Dependabot ": true,
		"renovate": true, "github-actions": true, "app/renovate": true, "APP/some-app": true,
		"octocat": false, "robot-jane": false, "botanist": false, "": false, "dependabot-fan": false,
	} {
		if got := IsBotLogin(login); got != want {
			t.Errorf("IsBotLogin(%q) = %v, want %v", login, got, want)
		}
	}
}
