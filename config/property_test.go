package config

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/goccy/go-yaml"
	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"

	"github.com/ccm-ci/ccm/analysis"
)

// marshal renders c as the YAML an operator would write.
func marshal(t *rapid.T, c *Config) []byte {
	out, err := yaml.Marshal(c)
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	return out
}

// Property 13: Risk Threshold Configuration
// "For any configured risk threshold value, the value should be retrievable
// and should be an integer between 0 and 10."
func TestProperty13_RiskThresholdConfiguration(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		global := rapid.IntRange(-100, 100).Draw(t, "global")
		perRepo := rapid.IntRange(-100, 100).Draw(t, "per_repo")
		src := fmt.Sprintf("risk_threshold: %d\nrepositories:\n  - name: acme/web\n    risk_threshold: %d\n", global, perRepo)
		c, err := Parse([]byte(src))
		globalOK, repoOK := global >= 0 && global <= 10, perRepo >= 0 && perRepo <= 10
		if globalOK && repoOK {
			if err != nil {
				t.Fatalf("valid thresholds rejected: %v", err)
			}
			if c.RiskThreshold != global || c.For("acme/web").RiskThreshold != perRepo || c.For("acme/other").RiskThreshold != global {
				t.Fatalf("thresholds not retrievable: global %d repo %d", c.RiskThreshold, c.For("acme/web").RiskThreshold)
			}
			return
		}
		var ve *ValidationError
		if !errors.As(err, &ve) {
			t.Fatalf("out-of-range thresholds %d/%d: err %v", global, perRepo, err)
		}
		if hasProblemAt(ve.Problems, "risk_threshold") != !globalOK || hasProblemAt(ve.Problems, "repositories[0].risk_threshold") != !repoOK {
			t.Fatalf("problems %q for global %d repo %d", ve.Problems, global, perRepo)
		}
	})
}

// Property 17: Per-Repository Threshold Override
// "For any repository with a configured risk threshold override, that
// override should take precedence over the global threshold."
func TestProperty17_PerRepositoryThresholdOverride(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		want := genConfig().Draw(t, "config")
		c, err := Parse(marshal(t, want))
		if err != nil {
			t.Fatalf("Parse: %v", err)
		}
		for _, r := range want.Repositories {
			exp := want.RiskThreshold
			if r.RiskThreshold != nil {
				exp = *r.RiskThreshold
			}
			if got := c.For(strings.ToUpper(r.Name)).RiskThreshold; got != exp {
				t.Fatalf("%s: threshold %d, want %d (override %v, global %d)", r.Name, got, exp, r.RiskThreshold, want.RiskThreshold)
			}
		}
	})
}

// Property 52: Environment Variable Loading
// "For any sensitive configuration value (API keys, tokens), the value
// should be loadable from environment variables."
// Their values must also never reach a log line.
func TestProperty52_EnvironmentVariableLoading(t *testing.T) {
	secret := rapid.StringMatching(`[A-Za-z0-9_.+/=-]{16,48}`)
	rapid.Check(t, func(t *rapid.T) {
		want := Env{
			GitHubToken:         "ghp_" + secret.Draw(t, "github_token"),
			GitHubWebhookSecret: "whs_" + secret.Draw(t, "webhook_secret"),
			OpenAIAPIKey:        "sk-" + secret.Draw(t, "openai_key"),
			SlackBotToken:       "xoxb-" + secret.Draw(t, "bot_token"),
			SlackAppToken:       "xapp-" + secret.Draw(t, "app_token"),
			GitHubAPIURL:        rapid.StringMatching(`(https?://[a-z][a-z0-9.-]{0,20}(:[0-9]{2,5})?(/[a-z0-9/]{0,10})?)?`).Draw(t, "github_url"),
			OpenAIModel:         rapid.StringMatching(`[a-z0-9.:-]{1,20}`).Draw(t, "model"),
			RedisURL:            "redis://:" + rapid.StringMatching(`[A-Za-z0-9_.~-]{16,48}`).Draw(t, "redis_password") + "@redis:6379/0",
			HTTPAddr:            ":8080",
		}
		environ := map[string]string{
			"GITHUB_TOKEN": want.GitHubToken, "GITHUB_WEBHOOK_SECRET": want.GitHubWebhookSecret,
			"OPENAI_API_KEY": want.OpenAIAPIKey, "SLACK_BOT_TOKEN": want.SlackBotToken,
			"SLACK_APP_TOKEN": want.SlackAppToken, "GITHUB_API_URL": want.GitHubAPIURL,
			"OPENAI_MODEL": want.OpenAIModel, "REDIS_URL": want.RedisURL,
		}
		got, err := ParseEnv(environ)
		if err != nil {
			t.Fatalf("ParseEnv: %v", err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("ParseEnv (-want +got):\n%s", diff)
		}
		var buf bytes.Buffer
		slog.New(slog.NewTextHandler(&buf, nil)).Info("env", "env", got)
		for _, s := range []string{got.GitHubToken, got.GitHubWebhookSecret, got.OpenAIAPIKey, got.SlackBotToken, got.SlackAppToken, got.RedisURL[len("redis://:"):strings.LastIndex(got.RedisURL, "@")]} {
			if strings.Contains(buf.String(), s) {
				t.Fatalf("log %q leaks %q", buf.String(), s)
			}
		}
	})
}

// Property 53: Configuration File Loading
// "For any non-sensitive configuration setting, the value should be
// loadable from configuration files."
func TestProperty53_ConfigurationFileLoading(t *testing.T) {
	dir := t.TempDir()
	rapid.Check(t, func(t *rapid.T) {
		want := genConfig().Draw(t, "config")
		path := filepath.Join(dir, "ccm.yaml")
		writeFile(t, path, string(marshal(t, want)))
		got, err := Load(path)
		if err != nil {
			t.Fatalf("Load: %v\n%s", err, marshal(t, want))
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("Load (-want +got):\n%s", diff)
		}
	})
}

// Property 54: Configuration Reload
// "For any configuration file update, the system should reload
// configuration without requiring a restart."
func TestProperty54_ConfigurationReload(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ccm.yaml")
	writeFile(t, path, "# defaults\n")
	w, err := NewWatcher(path, nil, nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	rapid.Check(t, func(t *rapid.T) {
		want := genConfig().Draw(t, "config")
		atomicSave(t, path, string(marshal(t, want)))
		if err := w.Reload(); err != nil {
			t.Fatalf("Reload: %v", err)
		}
		if diff := cmp.Diff(want, w.Current()); diff != "" {
			t.Fatalf("Current after Reload (-want +got):\n%s", diff)
		}
	})
}

// Property 55: Per-Repository Configuration Override
// "For any repository with configured settings, those settings should
// override global settings."
func TestProperty55_PerRepositoryConfigurationOverride(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		c := genConfig().Draw(t, "config")
		for _, r := range c.Repositories {
			want := Effective{
				Repo: r.Name, RiskThreshold: c.RiskThreshold, Approvers: c.Approvers, Mode: c.Mode,
				AutoActions: DefaultAutoActions, Channels: c.Channels, MaxReruns: c.MaxReruns,
				Protected: contains(c.ProtectedRepositories, r.Name), Watched: true,
			}
			if r.RiskThreshold != nil {
				want.RiskThreshold, want.RepoRiskThreshold = *r.RiskThreshold, true
			}
			if r.Approvers != nil {
				want.Approvers = r.Approvers
			}
			if r.Mode != "" {
				want.Mode = r.Mode
			}
			if r.AutoActions != nil {
				want.AutoActions = r.AutoActions
			}
			if r.Channels.Alerts != "" {
				want.Channels.Alerts = r.Channels.Alerts
			}
			if r.Channels.Approvals != "" {
				want.Channels.Approvals = r.Channels.Approvals
			}
			if r.Channels.Critical != "" {
				want.Channels.Critical = r.Channels.Critical
			}
			if r.MaxReruns != nil {
				want.MaxReruns = *r.MaxReruns
			}
			if diff := cmp.Diff(want, c.For(r.Name)); diff != "" {
				t.Fatalf("For(%s) (-want +got):\n%s", r.Name, diff)
			}
		}
		stranger := "not-configured-" + genRepoName().Draw(t, "stranger")
		got := c.For(stranger)
		if got.Watched || got.RiskThreshold != c.RiskThreshold || got.Mode != c.Mode || got.Channels != c.Channels {
			t.Fatalf("unconfigured %s got %+v, want the globals", stranger, got)
		}
	})
}

// mutation makes a valid config invalid in one field and says which.
type mutation struct {
	name  string
	apply func(t *rapid.T, c *Config) string // returns the path to be named
}

func outside(lo, hi int) *rapid.Generator[int] {
	return rapid.OneOf(rapid.IntRange(lo-1_000_000, lo-1), rapid.IntRange(hi+1, hi+1_000_000))
}

// ensureRepo gives c at least one repository to break.
func ensureRepo(t *rapid.T, c *Config) int {
	if len(c.Repositories) == 0 {
		c.Repositories = []Repo{{Name: "acme/generated"}}
	}
	return rapid.IntRange(0, len(c.Repositories)-1).Draw(t, "repo_index")
}

var mutations = []mutation{
	{"risk threshold", func(t *rapid.T, c *Config) string {
		c.RiskThreshold = outside(0, 10).Draw(t, "v")
		return "risk_threshold"
	}},
	{"repo risk threshold", func(t *rapid.T, c *Config) string {
		i := ensureRepo(t, c)
		v := outside(0, 10).Draw(t, "v")
		c.Repositories[i].RiskThreshold = &v
		return fmt.Sprintf("repositories[%d].risk_threshold", i)
	}},
	{"poll interval", func(t *rapid.T, c *Config) string {
		c.PollInterval = genDuration(-maxDuration, MinPollInterval-1).Draw(t, "v")
		return "poll_interval"
	}},
	{"max reruns", func(t *rapid.T, c *Config) string {
		c.MaxReruns = outside(0, MaxReruns).Draw(t, "v")
		return "max_reruns"
	}},
	{"mode", func(t *rapid.T, c *Config) string {
		c.Mode = Mode(rapid.StringMatching(`[a-zA-Z_]{0,10}`).Filter(func(s string) bool { return !Mode(s).Valid() }).Draw(t, "v"))
		return "mode"
	}},
	{"repo mode", func(t *rapid.T, c *Config) string {
		i := ensureRepo(t, c)
		c.Repositories[i].Mode = Mode(rapid.StringMatching(`[a-zA-Z_]{1,10}`).Filter(func(s string) bool { return !Mode(s).Valid() }).Draw(t, "v"))
		return fmt.Sprintf("repositories[%d].mode", i)
	}},
	{"repo name", func(t *rapid.T, c *Config) string {
		i := ensureRepo(t, c)
		c.Repositories[i].Name = rapid.StringMatching(`[a-z0-9 ]{0,12}`).Draw(t, "v")
		return fmt.Sprintf("repositories[%d].name", i)
	}},
	{"duplicate repo", func(t *rapid.T, c *Config) string {
		ensureRepo(t, c)
		c.Repositories = append(c.Repositories, Repo{Name: strings.ToUpper(c.Repositories[0].Name)})
		return fmt.Sprintf("repositories[%d].name", len(c.Repositories)-1)
	}},
	{"auto action", func(t *rapid.T, c *Config) string {
		i := ensureRepo(t, c)
		bad := rapid.StringMatching(`[a-z_]{1,15}`).Filter(func(s string) bool { return !slices.Contains(autoActionTypes(), analysis.ActionType(s)) }).Draw(t, "v")
		c.Repositories[i].AutoActions = append(slices.Clone(c.Repositories[i].AutoActions), analysis.ActionType(bad))
		return fmt.Sprintf("repositories[%d].auto_actions[%d]", i, len(c.Repositories[i].AutoActions)-1)
	}},
	{"approver", func(t *rapid.T, c *Config) string {
		c.Approvers = append(slices.Clone(c.Approvers), rapid.StringMatching(`[a-z@.][a-z0-9.]{0,10}`).Draw(t, "v"))
		return fmt.Sprintf("approvers[%d]", len(c.Approvers)-1)
	}},
	{"channel", func(t *rapid.T, c *Config) string {
		c.Channels.Critical = rapid.StringMatching(`[a-z][a-z-]{0,10}|#[A-Z]{1,5}`).Draw(t, "v")
		return "channels.critical"
	}},
	{"protected repository", func(t *rapid.T, c *Config) string {
		c.ProtectedRepositories = append(slices.Clone(c.ProtectedRepositories), rapid.StringMatching(`[a-z]{1,8}`).Draw(t, "v"))
		return fmt.Sprintf("protected_repositories[%d]", len(c.ProtectedRepositories)-1)
	}},
	{"retry attempts", func(t *rapid.T, c *Config) string {
		c.Retry.MaxAttempts = outside(1, MaxRetryAttempts).Draw(t, "v")
		return "retry.max_attempts"
	}},
	{"inverted backoff", func(t *rapid.T, c *Config) string {
		c.Retry.InitialBackoff = c.Retry.MaxBackoff + genDuration(1, maxBackoffCeiling).Draw(t, "v")
		return "retry.initial_backoff"
	}},
	{"retention below approval timeout", func(t *rapid.T, c *Config) string {
		if c.ApprovalTimeout <= time.Hour {
			c.ApprovalTimeout = 48 * time.Hour
		}
		c.Retention = genDuration(time.Hour, c.ApprovalTimeout-1).Draw(t, "v")
		return "retention"
	}},
	{"token budget", func(t *rapid.T, c *Config) string {
		c.LLM.PromptTokenBudget = outside(500, 1_000_000).Draw(t, "v")
		return "llm.prompt_token_budget"
	}},
}

// Property 56: Configuration Validation
// "For any invalid configuration, the system should reject it on startup
// with clear error messages."
func TestProperty56_ConfigurationValidation(t *testing.T) {
	dir := t.TempDir()
	rapid.Check(t, func(t *rapid.T) {
		c := genConfig().Draw(t, "config").Clone()
		m := rapid.SampledFrom(mutations).Draw(t, "mutation")
		path := m.apply(t, c)
		file := filepath.Join(dir, "ccm.yaml")
		writeFile(t, file, string(marshal(t, c)))
		_, err := Load(file)
		var ve *ValidationError
		if !errors.As(err, &ve) {
			t.Fatalf("%s: Load = %v, want a *ValidationError", m.name, err)
		}
		if !hasProblemAt(ve.Problems, path) {
			t.Fatalf("%s: problems %q do not name %s", m.name, ve.Problems, path)
		}
		if !strings.Contains(err.Error(), path+": ") {
			t.Fatalf("%s: message %q does not name %s", m.name, err, path)
		}
		if err := c.Validate(); err == nil {
			t.Fatalf("%s: Validate accepted the config", m.name)
		}
	})
}
