package config

import (
	"slices"
	"strings"
	"time"

	"pgregory.net/rapid"

	"github.com/ccm-ci/ccm/analysis"
)

// Generators of valid configuration values, shared by the property tests.

func genRepoName() *rapid.Generator[string] {
	return rapid.Custom(func(t *rapid.T) string {
		owner := rapid.StringMatching(`[A-Za-z0-9][A-Za-z0-9_-]{0,12}`).Draw(t, "owner")
		name := rapid.StringMatching(`[A-Za-z0-9_-][A-Za-z0-9._-]{0,20}`).
			Filter(func(s string) bool { return !strings.HasSuffix(strings.ToLower(s), ".git") }).
			Draw(t, "name")
		return owner + "/" + name
	})
}

// genRepoNames draws distinct names, GitHub-style (case-insensitively).
func genRepoNames(min, max int) *rapid.Generator[[]string] {
	return rapid.SliceOfNDistinct(genRepoName(), min, max, strings.ToLower)
}

func genSlackIDs(min, max int) *rapid.Generator[[]string] {
	return rapid.SliceOfNDistinct(rapid.StringMatching(`[UWS][A-Z0-9]{8,10}`), min, max, rapid.ID[string])
}

func genChannel() *rapid.Generator[string] {
	return rapid.OneOf(
		rapid.StringMatching(`#[a-z0-9][a-z0-9_-]{0,20}`),
		rapid.StringMatching(`[CG][A-Z0-9]{8,10}`),
	)
}

func genDuration(lo, hi time.Duration) *rapid.Generator[time.Duration] {
	return rapid.Custom(func(t *rapid.T) time.Duration {
		return time.Duration(rapid.Int64Range(int64(lo), int64(hi)).Draw(t, "ns"))
	})
}

func genMode() *rapid.Generator[Mode] { return rapid.SampledFrom(Modes) }

// optional draws a pointer to a value from g, or nil.
func optional[T any](t *rapid.T, label string, g *rapid.Generator[T]) *T {
	if !rapid.Bool().Draw(t, label+"_set") {
		return nil
	}
	v := g.Draw(t, label)
	return &v
}

// genConfig draws configurations that must pass validation.
func genConfig() *rapid.Generator[*Config] {
	return rapid.Custom(func(t *rapid.T) *Config {
		c := &Config{
			PollInterval:    genDuration(MinPollInterval, 24*time.Hour).Draw(t, "poll"),
			RiskThreshold:   rapid.IntRange(0, MaxRiskThreshold).Draw(t, "risk"),
			ApprovalTimeout: genDuration(time.Minute, 30*24*time.Hour).Draw(t, "approval_timeout"),
			VerifyTimeout:   genDuration(time.Minute, 48*time.Hour).Draw(t, "verify_timeout"),
			ShadowHorizon:   genDuration(time.Hour, 30*24*time.Hour).Draw(t, "shadow_horizon"),
			Mode:            genMode().Draw(t, "mode"),
			MaxReruns:       rapid.IntRange(0, MaxReruns).Draw(t, "max_reruns"),
			Channels: Channels{
				Alerts: genChannel().Draw(t, "alerts"), Approvals: genChannel().Draw(t, "approvals"),
				Critical: genChannel().Draw(t, "critical"),
			},
			DedupWindow: genDuration(time.Minute, 30*24*time.Hour).Draw(t, "dedup"),
			LLM: LLM{
				Timeout:           genDuration(time.Second, 10*time.Minute).Draw(t, "llm_timeout"),
				PromptTokenBudget: rapid.IntRange(500, 1_000_000).Draw(t, "budget"),
				CacheTTL:          genDuration(time.Minute, maxDuration).Draw(t, "cache_ttl"),
				MaxAttempts:       rapid.IntRange(1, MaxRetryAttempts).Draw(t, "llm_attempts"),
			},
			Webhook: Webhook{Enabled: rapid.Bool().Draw(t, "webhook")},
			Incident: Incident{
				Repositories: rapid.IntRange(2, 1000).Draw(t, "incident_repos"),
				Runs:         rapid.IntRange(2, 100_000).Draw(t, "incident_runs"),
				Window:       genDuration(time.Minute, 24*time.Hour).Draw(t, "incident_window"),
			},
		}
		c.Retention = genDuration(max(time.Hour, c.ApprovalTimeout, c.DedupWindow), maxDuration).Draw(t, "retention")
		c.Retry.MaxAttempts = rapid.IntRange(1, MaxRetryAttempts).Draw(t, "retry_attempts")
		c.Retry.MaxBackoff = genDuration(time.Millisecond, maxBackoffCeiling).Draw(t, "max_backoff")
		c.Retry.InitialBackoff = genDuration(time.Millisecond, c.Retry.MaxBackoff).Draw(t, "initial_backoff")
		c.Log.TailLines = rapid.IntRange(1, 100_000).Draw(t, "tail")
		c.Log.MaxSectionBytes = rapid.IntRange(1<<10, 1<<20).Draw(t, "section")
		c.Log.MaxDownloadBytes = rapid.IntRange(c.Log.MaxSectionBytes, 1<<30).Draw(t, "download")

		c.ProtectedRepositories = nonEmpty(genRepoNames(0, 3).Draw(t, "protected"))
		minApprovers := 0
		if c.Mode != ModeShadow {
			minApprovers = 1
		}
		c.Approvers = nonEmpty(genSlackIDs(minApprovers, 3).Draw(t, "approvers"))
		c.Admins = nonEmpty(genSlackIDs(0, 3).Draw(t, "admins"))
		for i, name := range genRepoNames(0, 4).Draw(t, "repos") {
			c.Repositories = append(c.Repositories, genRepo(t, c, i, name))
		}
		return c
	})
}

func genRepo(t *rapid.T, c *Config, i int, name string) Repo {
	label := func(s string) string { return "repo" + string(rune('0'+i)) + "_" + s }
	r := Repo{
		Name:          name,
		RiskThreshold: optional(t, label("risk"), rapid.IntRange(0, MaxRiskThreshold)),
		MaxReruns:     optional(t, label("max_reruns"), rapid.IntRange(0, MaxReruns)),
		Mode:          rapid.SampledFrom(append([]Mode{""}, Modes...)).Draw(t, label("mode")),
	}
	minApprovers := 0
	if r.Mode != "" && r.Mode != ModeShadow && len(c.Approvers) == 0 {
		minApprovers = 1
	}
	r.Approvers = nonEmpty(genSlackIDs(minApprovers, 2).Draw(t, label("approvers")))
	if rapid.Bool().Draw(t, label("actions_set")) {
		r.AutoActions = rapid.SliceOfNDistinct(rapid.SampledFrom(autoActionTypes()), 1, 5, rapid.ID[analysis.ActionType]).Draw(t, label("actions"))
	}
	for _, ch := range []*string{&r.Channels.Alerts, &r.Channels.Approvals, &r.Channels.Critical} {
		if p := optional(t, label("channel"), genChannel()); p != nil {
			*ch = *p
		}
	}
	return r
}

// contains reports whether names holds repo, ignoring case.
func contains(names []string, repo string) bool {
	return slices.ContainsFunc(names, func(n string) bool { return strings.EqualFold(n, repo) })
}
