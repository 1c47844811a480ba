package config

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/ccm-ci/ccm/analysis"
)

// fileConfig mirrors the file with pointers, so "not set" (take the
// default) and "set to zero" (validate it) stay apart, and durations as
// text, so a bad one is reported with its path next to every other problem.
type fileConfig struct {
	PollInterval          *string      `yaml:"poll_interval"`
	RiskThreshold         *yamlInt     `yaml:"risk_threshold"`
	ApprovalTimeout       *string      `yaml:"approval_timeout"`
	VerifyTimeout         *string      `yaml:"verify_timeout"`
	ShadowHorizon         *string      `yaml:"shadow_horizon"`
	ProtectedRepositories []string     `yaml:"protected_repositories"`
	Approvers             []string     `yaml:"approvers"`
	Admins                []string     `yaml:"admins"`
	Mode                  *string      `yaml:"mode"`
	MaxReruns             *yamlInt     `yaml:"max_reruns"`
	Channels              fileChannels `yaml:"channels"`
	Retry                 struct {
		MaxAttempts    *yamlInt `yaml:"max_attempts"`
		InitialBackoff *string  `yaml:"initial_backoff"`
		MaxBackoff     *string  `yaml:"max_backoff"`
	} `yaml:"retry"`
	Retention   *string `yaml:"retention"`
	DedupWindow *string `yaml:"dedup_window"`
	LLM         struct {
		Timeout           *string  `yaml:"timeout"`
		PromptTokenBudget *yamlInt `yaml:"prompt_token_budget"`
		CacheTTL          *string  `yaml:"cache_ttl"`
		MaxAttempts       *yamlInt `yaml:"max_attempts"`
	} `yaml:"llm"`
	Log struct {
		TailLines        *yamlInt `yaml:"tail_lines"`
		MaxSectionBytes  *yamlInt `yaml:"max_section_bytes"`
		MaxDownloadBytes *yamlInt `yaml:"max_download_bytes"`
	} `yaml:"log"`
	Webhook struct {
		Enabled *bool `yaml:"enabled"`
	} `yaml:"webhook"`
	Incident struct {
		Repositories *yamlInt `yaml:"repositories"`
		Runs         *yamlInt `yaml:"runs"`
		Window       *string  `yaml:"window"`
	} `yaml:"incident"`
	Repositories []fileRepo `yaml:"repositories"`
}

type fileChannels struct {
	Alerts    *string `yaml:"alerts"`
	Approvals *string `yaml:"approvals"`
	Critical  *string `yaml:"critical"`
}

type fileRepo struct {
	Name          string       `yaml:"name"`
	RiskThreshold *yamlInt     `yaml:"risk_threshold"`
	Approvers     []string     `yaml:"approvers"`
	Mode          string       `yaml:"mode"`
	AutoActions   *[]string    `yaml:"auto_actions"`
	Channels      fileChannels `yaml:"channels"`
	MaxReruns     *yamlInt     `yaml:"max_reruns"`
}

// resolve lays the file over the defaults. Durations that do not parse are
// recorded in p (and left at zero, which check then skips).
func (f *fileConfig) resolve(p *problems) *Config {
	c := Default()
	setDur(p, "poll_interval", f.PollInterval, &c.PollInterval)
	setInt(f.RiskThreshold, &c.RiskThreshold)
	setDur(p, "approval_timeout", f.ApprovalTimeout, &c.ApprovalTimeout)
	setDur(p, "verify_timeout", f.VerifyTimeout, &c.VerifyTimeout)
	setDur(p, "shadow_horizon", f.ShadowHorizon, &c.ShadowHorizon)
	c.ProtectedRepositories = nonEmpty(f.ProtectedRepositories)
	c.Approvers = nonEmpty(f.Approvers)
	c.Admins = nonEmpty(f.Admins)
	if f.Mode != nil {
		c.Mode = Mode(*f.Mode)
	}
	setInt(f.MaxReruns, &c.MaxReruns)
	setStr(f.Channels.Alerts, &c.Channels.Alerts)
	setStr(f.Channels.Approvals, &c.Channels.Approvals)
	setStr(f.Channels.Critical, &c.Channels.Critical)
	setInt(f.Retry.MaxAttempts, &c.Retry.MaxAttempts)
	setDur(p, "retry.initial_backoff", f.Retry.InitialBackoff, &c.Retry.InitialBackoff)
	setDur(p, "retry.max_backoff", f.Retry.MaxBackoff, &c.Retry.MaxBackoff)
	setDur(p, "retention", f.Retention, &c.Retention)
	setDur(p, "dedup_window", f.DedupWindow, &c.DedupWindow)
	setDur(p, "llm.timeout", f.LLM.Timeout, &c.LLM.Timeout)
	setInt(f.LLM.PromptTokenBudget, &c.LLM.PromptTokenBudget)
	setDur(p, "llm.cache_ttl", f.LLM.CacheTTL, &c.LLM.CacheTTL)
	setInt(f.LLM.MaxAttempts, &c.LLM.MaxAttempts)
	setInt(f.Log.TailLines, &c.Log.TailLines)
	setInt(f.Log.MaxSectionBytes, &c.Log.MaxSectionBytes)
	setInt(f.Log.MaxDownloadBytes, &c.Log.MaxDownloadBytes)
	if f.Webhook.Enabled != nil {
		c.Webhook.Enabled = *f.Webhook.Enabled
	}
	setInt(f.Incident.Repositories, &c.Incident.Repositories)
	setInt(f.Incident.Runs, &c.Incident.Runs)
	setDur(p, "incident.window", f.Incident.Window, &c.Incident.Window)
	for i, fr := range f.Repositories {
		c.Repositories = append(c.Repositories, fr.resolve(p, fmt.Sprintf("repositories[%d]", i)))
	}
	return c
}

func (fr fileRepo) resolve(p *problems, path string) Repo {
	r := Repo{
		Name:      fr.Name,
		Approvers: nonEmpty(fr.Approvers),
		Mode:      Mode(fr.Mode),
	}
	if fr.RiskThreshold != nil {
		v := int(*fr.RiskThreshold)
		r.RiskThreshold = &v
	}
	if fr.MaxReruns != nil {
		v := int(*fr.MaxReruns)
		r.MaxReruns = &v
	}
	if fr.AutoActions != nil {
		if len(*fr.AutoActions) == 0 {
			// An empty list could mean "none" or "the default"; both
			// readings are plausible, so neither is guessed.
			p.add(path+".auto_actions", "is an empty list; omit the key for the default %v, or use mode: approve so every action needs a person", DefaultAutoActions)
		}
		for _, a := range *fr.AutoActions {
			r.AutoActions = append(r.AutoActions, analysis.ActionType(a))
		}
	}
	r.Channels = Channels{Alerts: deref(fr.Channels.Alerts), Approvals: deref(fr.Channels.Approvals), Critical: deref(fr.Channels.Critical)}
	return r
}

func setDur(p *problems, path string, s *string, dst *time.Duration) {
	if s == nil {
		return
	}
	d, err := time.ParseDuration(strings.TrimSpace(*s))
	if err != nil {
		hint := ""
		if strings.HasSuffix(strings.TrimSpace(*s), "d") {
			hint = " (days are not a Go duration unit: write 7d as 168h)"
		}
		p.add(path, "%q is not a Go duration; use units h, m, s, ms like 90s, 5m or 24h%s", *s, hint)
		*dst = 0
		return
	}
	*dst = d
}

func setInt(v *yamlInt, dst *int) {
	if v != nil {
		*dst = int(*v)
	}
}

func setStr(v *string, dst *string) {
	if v != nil {
		*dst = *v
	}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// nonEmpty keeps "absent" and "empty list" the same value (nil), so a
// config survives a marshal/parse round trip unchanged.
func nonEmpty(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return slices.Clone(s)
}
