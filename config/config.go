package config

import (
	"slices"
	"strings"
	"time"

	"github.com/ccm-ci/ccm/analysis"
)

// Mode is how much a repository trusts ccm. Trust is earned per repository:
// shadow first, then approve, then auto (docs/ARCHITECTURE.md §3.7).
type Mode string

// The closed list of modes.
const (
	// ModeShadow decides and reports but touches nothing.
	ModeShadow Mode = "shadow"
	// ModeApprove asks a person before every remediation.
	ModeApprove Mode = "approve"
	// ModeAuto remediates below the risk threshold and asks above it.
	ModeAuto Mode = "auto"
)

// Modes lists every valid mode, safest first.
var Modes = []Mode{ModeShadow, ModeApprove, ModeAuto}

// Valid reports whether m is one of Modes.
func (m Mode) Valid() bool { return slices.Contains(Modes, m) }

// Config is the validated content of the YAML file with defaults applied.
// The yaml tags are the file's public key names. Treat a *Config as
// read-only: snapshots are shared between goroutines.
type Config struct {
	PollInterval    time.Duration `yaml:"poll_interval"`
	RiskThreshold   int           `yaml:"risk_threshold"`
	ApprovalTimeout time.Duration `yaml:"approval_timeout"`
	// VerifyTimeout bounds how long ccm:verify follows a re-run ccm
	// started, counted from when remediation acted; past it the
	// remediation is failed and escalated.
	VerifyTimeout time.Duration `yaml:"verify_timeout"`
	// ShadowHorizon bounds how long ccm watches what became of a failure
	// it decided on in shadow mode (a re-run that passed, a fix that
	// landed) before it records that nothing helped.
	ShadowHorizon         time.Duration `yaml:"shadow_horizon"`
	ProtectedRepositories []string      `yaml:"protected_repositories,omitempty"`
	Approvers             []string      `yaml:"approvers,omitempty"`
	Admins                []string      `yaml:"admins,omitempty"`
	Mode                  Mode          `yaml:"mode"`
	MaxReruns             int           `yaml:"max_reruns"`
	Channels              Channels      `yaml:"channels"`
	Retry                 Retry         `yaml:"retry"`
	Retention             time.Duration `yaml:"retention"`
	DedupWindow           time.Duration `yaml:"dedup_window"`
	LLM                   LLM           `yaml:"llm"`
	Log                   Log           `yaml:"log"`
	Webhook               Webhook       `yaml:"webhook"`
	Incident              Incident      `yaml:"incident"`
	Repositories          []Repo        `yaml:"repositories,omitempty"`
}

// Channels routes notifications by type. In a Repo an empty field inherits
// the global channel.
type Channels struct {
	Alerts    string `yaml:"alerts,omitempty"`
	Approvals string `yaml:"approvals,omitempty"`
	Critical  string `yaml:"critical,omitempty"`
}

// Retry is the backoff for calls to GitHub, Slack and the LLM.
type Retry struct {
	MaxAttempts    int           `yaml:"max_attempts"`
	InitialBackoff time.Duration `yaml:"initial_backoff"`
	MaxBackoff     time.Duration `yaml:"max_backoff"`
}

// LLM bounds what one analysis may cost and how long its result is reused.
type LLM struct {
	Timeout           time.Duration `yaml:"timeout"`
	PromptTokenBudget int           `yaml:"prompt_token_budget"`
	CacheTTL          time.Duration `yaml:"cache_ttl"`
	MaxAttempts       int           `yaml:"max_attempts"`
}

// Log bounds how much of a failed job's log is downloaded and kept.
type Log struct {
	TailLines        int `yaml:"tail_lines"`
	MaxSectionBytes  int `yaml:"max_section_bytes"`
	MaxDownloadBytes int `yaml:"max_download_bytes"`
}

// Webhook switches the GitHub webhook receiver. It is served only when
// GITHUB_WEBHOOK_SECRET is set, because unsigned deliveries are refused.
type Webhook struct {
	Enabled bool `yaml:"enabled"`
}

// Incident is when one fingerprint failing widely opens an incident:
// in at least Repositories repositories, or in at least Runs runs, within
// Window. While it is open, unattended actions on that fingerprint pause
// (a registry or GitHub outage would otherwise turn into hundreds of
// wasted re-runs). The values are read at every failure, so a reload
// applies to the next one.
type Incident struct {
	Repositories int           `yaml:"repositories"`
	Runs         int           `yaml:"runs"`
	Window       time.Duration `yaml:"window"`
}

// Repo is one watched repository. Unset fields (nil, empty) inherit the
// global value; set ones win over it.
type Repo struct {
	Name          string                `yaml:"name"`
	RiskThreshold *int                  `yaml:"risk_threshold,omitempty"`
	Approvers     []string              `yaml:"approvers,omitempty"`
	Mode          Mode                  `yaml:"mode,omitempty"`
	AutoActions   []analysis.ActionType `yaml:"auto_actions,omitempty"`
	Channels      Channels              `yaml:"channels,omitempty"`
	MaxReruns     *int                  `yaml:"max_reruns,omitempty"`
}

// DefaultAutoActions are the actions a repository in auto mode may take
// unattended when it does not list its own: capped re-runs and cancels.
// Cache deletion and fix PRs need a person unless a repository opts in.
var DefaultAutoActions = []analysis.ActionType{analysis.ActionRerunFailedJobs, analysis.ActionCancelRun}

// DefaultShadowHorizon is 72h so that a failure on a Friday evening,
// fixed on Monday morning (about 64h later), still counts as fixed: a
// shorter horizon would call every weekend failure "nothing helped" and
// make the scorecard look worse than ccm is; a longer one only delays the
// verdict on failures nobody ever fixes.
const DefaultShadowHorizon = 72 * time.Hour

// Default returns the defaults: valid, shadow mode, no repositories.
func Default() *Config {
	return &Config{
		PollInterval:    5 * time.Minute,
		RiskThreshold:   5,
		ApprovalTimeout: 24 * time.Hour,
		VerifyTimeout:   2 * time.Hour,
		ShadowHorizon:   DefaultShadowHorizon,
		Mode:            ModeShadow,
		MaxReruns:       1,
		Channels:        Channels{Alerts: "#ci-alerts", Approvals: "#ci-approvals", Critical: "#ops-critical"},
		Retry:           Retry{MaxAttempts: 3, InitialBackoff: time.Second, MaxBackoff: time.Minute},
		Retention:       90 * 24 * time.Hour,
		DedupWindow:     24 * time.Hour,
		LLM:             LLM{Timeout: time.Minute, PromptTokenBudget: 6000, CacheTTL: 7 * 24 * time.Hour, MaxAttempts: 3},
		Log:             Log{TailLines: 100, MaxSectionBytes: 32 << 10, MaxDownloadBytes: 64 << 20},
		Webhook:         Webhook{Enabled: true},
		Incident:        Incident{Repositories: 3, Runs: 10, Window: 15 * time.Minute},
	}
}

// Effective is what applies to one repository once its overrides are laid
// over the globals. It shares no memory with the Config it came from.
type Effective struct {
	Repo          string
	RiskThreshold int
	// RepoRiskThreshold is true when the repository sets its own
	// risk_threshold. The safety gate needs to know: a repository's own
	// value wins over one set from Slack, the global one does not.
	RepoRiskThreshold bool
	Approvers         []string
	Mode              Mode
	AutoActions       []analysis.ActionType
	Channels          Channels
	MaxReruns         int
	Protected         bool
	// Watched is false for a repository the file does not list (a webhook
	// from elsewhere); it then gets the globals.
	Watched bool
}

// For returns the settings that apply to repo (owner/name, matched without
// regard to case as GitHub does). Per-repository values win over globals.
func (c *Config) For(repo string) Effective {
	e := Effective{
		Repo:          repo,
		RiskThreshold: c.RiskThreshold,
		Approvers:     slices.Clone(c.Approvers),
		Mode:          c.Mode,
		AutoActions:   slices.Clone(DefaultAutoActions),
		Channels:      c.Channels,
		MaxReruns:     c.MaxReruns,
		Protected:     c.IsProtected(repo),
	}
	i := c.repoIndex(repo)
	if i < 0 {
		return e
	}
	r := c.Repositories[i]
	e.Repo, e.Watched = r.Name, true
	if r.RiskThreshold != nil {
		e.RiskThreshold, e.RepoRiskThreshold = *r.RiskThreshold, true
	}
	if len(r.Approvers) > 0 {
		e.Approvers = slices.Clone(r.Approvers)
	}
	if r.Mode != "" {
		e.Mode = r.Mode
	}
	if len(r.AutoActions) > 0 {
		e.AutoActions = slices.Clone(r.AutoActions)
	}
	e.Channels = r.Channels.over(c.Channels)
	if r.MaxReruns != nil {
		e.MaxReruns = *r.MaxReruns
	}
	return e
}

// over fills the empty fields of ch from base.
func (ch Channels) over(base Channels) Channels {
	if ch.Alerts == "" {
		ch.Alerts = base.Alerts
	}
	if ch.Approvals == "" {
		ch.Approvals = base.Approvals
	}
	if ch.Critical == "" {
		ch.Critical = base.Critical
	}
	return ch
}

// IsProtected reports whether repo is listed in protected_repositories.
func (c *Config) IsProtected(repo string) bool {
	return slices.ContainsFunc(c.ProtectedRepositories, func(p string) bool { return strings.EqualFold(p, repo) })
}

// Watched returns the names of the repositories to poll, in file order.
func (c *Config) Watched() []string {
	names := make([]string, len(c.Repositories))
	for i, r := range c.Repositories {
		names[i] = r.Name
	}
	return names
}

func (c *Config) repoIndex(repo string) int {
	return slices.IndexFunc(c.Repositories, func(r Repo) bool { return strings.EqualFold(r.Name, repo) })
}

// Clone returns a deep copy that may be changed without touching c.
func (c *Config) Clone() *Config {
	n := *c
	n.ProtectedRepositories = slices.Clone(c.ProtectedRepositories)
	n.Approvers = slices.Clone(c.Approvers)
	n.Admins = slices.Clone(c.Admins)
	n.Repositories = slices.Clone(c.Repositories)
	for i, r := range n.Repositories {
		r.RiskThreshold = clonePtr(r.RiskThreshold)
		r.MaxReruns = clonePtr(r.MaxReruns)
		r.Approvers = slices.Clone(r.Approvers)
		r.AutoActions = slices.Clone(r.AutoActions)
		n.Repositories[i] = r
	}
	return &n
}

func clonePtr[T any](p *T) *T {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}
