package config

import (
	"errors"
	"io/fs"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ccm-ci/ccm/analysis"
)

const overridesYAML = `
risk_threshold: 5
approvers: [U012ABCDEF]
mode: approve
max_reruns: 1
protected_repositories: [acme/payments]
channels: {alerts: "#ci-alerts", approvals: "#ci-approvals", critical: "#ops-critical"}
repositories:
  - name: acme/web
    risk_threshold: 7
    approvers: [S0987ZYXW]
    mode: auto
    auto_actions: [rerun_failed_jobs, delete_cache]
    channels: {alerts: "#web-ci"}
    max_reruns: 3
  - name: acme/payments
  - name: acme/docs
    risk_threshold: 0
    mode: shadow
`

func TestFor(t *testing.T) {
	c := mustParse(t, overridesYAML)
	globals := Channels{Alerts: "#ci-alerts", Approvals: "#ci-approvals", Critical: "#ops-critical"}
	tests := []struct {
		name string
		repo string
		want Effective
	}{
		{"every override wins", "acme/web", Effective{
			Repo: "acme/web", RiskThreshold: 7, RepoRiskThreshold: true, Approvers: []string{"S0987ZYXW"}, Mode: ModeAuto,
			AutoActions: []analysis.ActionType{analysis.ActionRerunFailedJobs, analysis.ActionDeleteCache},
			Channels:    Channels{Alerts: "#web-ci", Approvals: "#ci-approvals", Critical: "#ops-critical"},
			MaxReruns:   3, Watched: true,
		}},
		{"case-insensitive lookup keeps the configured name", "ACME/Web", Effective{
			Repo: "acme/web", RiskThreshold: 7, RepoRiskThreshold: true, Approvers: []string{"S0987ZYXW"}, Mode: ModeAuto,
			AutoActions: []analysis.ActionType{analysis.ActionRerunFailedJobs, analysis.ActionDeleteCache},
			Channels:    Channels{Alerts: "#web-ci", Approvals: "#ci-approvals", Critical: "#ops-critical"},
			MaxReruns:   3, Watched: true,
		}},
		{"protected inherits globals", "acme/payments", Effective{
			Repo: "acme/payments", RiskThreshold: 5, Approvers: []string{"U012ABCDEF"}, Mode: ModeApprove,
			AutoActions: DefaultAutoActions, Channels: globals, MaxReruns: 1, Protected: true, Watched: true,
		}},
		{"zero threshold is an override", "acme/docs", Effective{
			Repo: "acme/docs", RiskThreshold: 0, RepoRiskThreshold: true, Approvers: []string{"U012ABCDEF"}, Mode: ModeShadow,
			AutoActions: DefaultAutoActions, Channels: globals, MaxReruns: 1, Watched: true,
		}},
		{"unknown repository gets globals", "someone/else", Effective{
			Repo: "someone/else", RiskThreshold: 5, Approvers: []string{"U012ABCDEF"}, Mode: ModeApprove,
			AutoActions: DefaultAutoActions, Channels: globals, MaxReruns: 1,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, c.For(tt.repo)); diff != "" {
				t.Errorf("For(%q) (-want +got):\n%s", tt.repo, diff)
			}
		})
	}
}

func TestFor_SharesNothing(t *testing.T) {
	c := mustParse(t, overridesYAML)
	before := c.Clone()
	e := c.For("acme/web")
	e.Approvers[0] = "UCHANGED"
	e.AutoActions[0] = analysis.ActionOpenFixPR
	g := c.For("nobody/here")
	g.Approvers[0] = "UCHANGED"
	g.AutoActions[0] = analysis.ActionOpenFixPR
	if diff := cmp.Diff(before, c); diff != "" {
		t.Errorf("config changed through For (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]analysis.ActionType{analysis.ActionRerunFailedJobs, analysis.ActionCancelRun}, DefaultAutoActions); diff != "" {
		t.Errorf("DefaultAutoActions changed (-want +got):\n%s", diff)
	}
}

func TestClone_IsDeep(t *testing.T) {
	c := mustParse(t, overridesYAML)
	n := c.Clone()
	if diff := cmp.Diff(c, n); diff != "" {
		t.Fatalf("clone differs (-want +got):\n%s", diff)
	}
	*n.Repositories[0].RiskThreshold = 1
	n.Repositories[0].Approvers[0] = "UCHANGED"
	n.Approvers[0] = "UCHANGED"
	n.Repositories[1].Name = "x/y"
	if c.For("acme/web").RiskThreshold != 7 || c.Approvers[0] != "U012ABCDEF" || c.Repositories[1].Name != "acme/payments" {
		t.Error("changing the clone changed the original")
	}
}

func TestWatched(t *testing.T) {
	c := mustParse(t, overridesYAML)
	if diff := cmp.Diff([]string{"acme/web", "acme/payments", "acme/docs"}, c.Watched()); diff != "" {
		t.Errorf("Watched (-want +got):\n%s", diff)
	}
	if got := Default().Watched(); len(got) != 0 {
		t.Errorf("Default().Watched() = %v, want none", got)
	}
}

func TestExampleFileLoads(t *testing.T) {
	c, err := Load(filepath.Join("..", "ccm.example.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	web := c.For("acme/web")
	if web.RiskThreshold != 7 || web.Mode != ModeAuto || web.Channels.Alerts != "#web-ci" || web.Channels.Critical != "#ops-critical" {
		t.Errorf("acme/web = %+v", web)
	}
	if !c.For("acme/payments").Protected {
		t.Error("acme/payments is not protected")
	}
	// The example documents the defaults: apart from the example lists it
	// must match Default(), or the comments lie.
	d := Default()
	d.ProtectedRepositories, d.Approvers, d.Admins, d.Repositories = c.ProtectedRepositories, c.Approvers, c.Admins, c.Repositories
	if diff := cmp.Diff(d, c); diff != "" {
		t.Errorf("example values differ from the defaults (-want +got):\n%s", diff)
	}
}

func TestLoad_Errors(t *testing.T) {
	if _, err := Load(filepath.Join(t.TempDir(), "missing.yaml")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: %v, want fs.ErrNotExist", err)
	}
	path := filepath.Join(t.TempDir(), "ccm.yaml")
	writeFile(t, path, "risk_threshold: 11\n")
	_, err := Load(path)
	var ve *ValidationError
	if !errors.As(err, &ve) || !hasProblemAt(ve.Problems, "risk_threshold") {
		t.Errorf("Load(bad) = %v, want a ValidationError naming risk_threshold", err)
	}
}

func TestMode_Valid(t *testing.T) {
	for _, m := range Modes {
		if !m.Valid() {
			t.Errorf("%q not valid", m)
		}
	}
	for _, m := range []Mode{"", "Auto", "manual"} {
		if m.Valid() {
			t.Errorf("%q valid", m)
		}
	}
}

func TestChanges(t *testing.T) {
	old := mustParse(t, overridesYAML)
	same := mustParse(t, overridesYAML)
	if got := Changes(old, same); len(got) != 0 {
		t.Errorf("Changes(same) = %v, want none", got)
	}
	n := old.Clone()
	n.RiskThreshold = 6
	n.Retry.MaxAttempts = 5
	n.Repositories[0].Mode = ModeApprove
	n.Repositories = append(n.Repositories[:2], Repo{Name: "acme/new"})
	want := []string{"risk_threshold", "retry", "repositories[acme/web]", "repositories[acme/docs]", "repositories[acme/new]"}
	if diff := cmp.Diff(want, Changes(old, n)); diff != "" {
		t.Errorf("Changes (-want +got):\n%s", diff)
	}
}
