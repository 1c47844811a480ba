package config

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestParse_BadFieldIsNamed(t *testing.T) {
	const repo = "repositories:\n  - name: acme/web\n"
	tests := []struct {
		name string
		src  string
		path string
	}{
		{"threshold above 10", "risk_threshold: 11\n", "risk_threshold"},
		{"threshold negative", "risk_threshold: -1\n", "risk_threshold"},
		{"repo threshold above 10", repo + "  - name: acme/api\n    risk_threshold: 11\n", "repositories[1].risk_threshold"},
		{"poll interval too short", "poll_interval: 5s\n", "poll_interval"},
		{"poll interval zero", "poll_interval: 0s\n", "poll_interval"},
		{"poll interval in days", "poll_interval: 7d\n", "poll_interval"},
		{"poll interval without unit", "poll_interval: 300\n", "poll_interval"},
		{"approval timeout negative", "approval_timeout: -1h\n", "approval_timeout"},
		{"verify timeout below a minute", "verify_timeout: 30s\n", "verify_timeout"},
		{"verify timeout above 48h", "verify_timeout: 49h\n", "verify_timeout"},
		{"shadow horizon below an hour", "shadow_horizon: 59m\n", "shadow_horizon"},
		{"shadow horizon above 30 days", "shadow_horizon: 721h\n", "shadow_horizon"},
		{"unknown mode", "mode: yolo\n", "mode"},
		{"unknown repo mode", repo + "    mode: fast\n", "repositories[0].mode"},
		{"repo name without owner", "repositories:\n  - name: web\n", "repositories[0].name"},
		{"repo name with two slashes", "repositories:\n  - name: acme/web/x\n", "repositories[0].name"},
		{"repo name missing", "repositories:\n  - risk_threshold: 3\n", "repositories[0].name"},
		{"repo name ends in .git", "repositories:\n  - name: acme/web.git\n", "repositories[0].name"},
		{"duplicate repo ignoring case", repo + "  - name: ACME/Web\n", "repositories[1].name"},
		{"approver is a name", "approvers: [alice]\n", "approvers[0]"},
		{"admin lowercase", "admins: [U012ABCDEF, u012abcdef]\n", "admins[1]"},
		{"repo approver is a handle", repo + "    approvers: [\"@platform\"]\n", "repositories[0].approvers[0]"},
		{"auto action none", repo + "    auto_actions: [none]\n", "repositories[0].auto_actions[0]"},
		{"auto action unknown", repo + "    auto_actions: [rerun_failed_jobs, rm_rf]\n", "repositories[0].auto_actions[1]"},
		{"auto action twice", repo + "    auto_actions: [cancel_run, cancel_run]\n", "repositories[0].auto_actions[1]"},
		{"auto actions empty", repo + "    auto_actions: []\n", "repositories[0].auto_actions"},
		{"channel without hash", "channels: {alerts: ci-alerts}\n", "channels.alerts"},
		{"channel uppercase", "channels: {critical: \"#Ops\"}\n", "channels.critical"},
		{"channel empty", "channels: {approvals: \"\"}\n", "channels.approvals"},
		{"repo channel with space", repo + "    channels: {approvals: \"#bad channel\"}\n", "repositories[0].channels.approvals"},
		{"retry zero attempts", "retry: {max_attempts: 0}\n", "retry.max_attempts"},
		{"retry too many attempts", "retry: {max_attempts: 11}\n", "retry.max_attempts"},
		{"backoff inverted", "retry: {initial_backoff: 2m, max_backoff: 1m}\n", "retry.initial_backoff"},
		{"max reruns above GitHub's cap", "max_reruns: 51\n", "max_reruns"},
		{"repo max reruns negative", repo + "    max_reruns: -1\n", "repositories[0].max_reruns"},
		{"protected repo bad name", "protected_repositories: [acme/web, payments]\n", "protected_repositories[1]"},
		{"retention shorter than approvals", "retention: 1h\n", "retention"},
		{"dedup window too short", "dedup_window: 10s\n", "dedup_window"},
		{"llm timeout zero", "llm: {timeout: 0s}\n", "llm.timeout"},
		{"llm budget tiny", "llm: {prompt_token_budget: 10}\n", "llm.prompt_token_budget"},
		{"llm cache ttl bad", "llm: {cache_ttl: forever}\n", "llm.cache_ttl"},
		{"log section tiny", "log: {max_section_bytes: 10}\n", "log.max_section_bytes"},
		{"log download below section", "log: {max_download_bytes: 2048}\n", "log.max_download_bytes"},
		{"approve mode without approvers", "mode: approve\n", "approvers"},
		{"repo auto mode without approvers", repo + "    mode: auto\n", "repositories[0].approvers"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			problems := problemsOf(t, tt.src)
			if !hasProblemAt(problems, tt.path) {
				t.Errorf("problems %q do not name %s", problems, tt.path)
			}
			if len(problems) != 1 {
				t.Errorf("got %d problems %q, want only the one at %s", len(problems), problems, tt.path)
			}
		})
	}
}

func TestParse_EveryBadFieldNamedAtOnce(t *testing.T) {
	src := `
poll_interval: 1s
risk_threshold: 42
mode: sometimes
approvers: [bob]
channels: {alerts: "alerts"}
retry: {max_attempts: 0}
repositories:
  - name: acme/web
    risk_threshold: 11
  - name: not-a-repo
    auto_actions: [open_fix_pr, delete_everything]
`
	want := []string{
		"poll_interval", "risk_threshold", "mode", "approvers[0]", "channels.alerts",
		"retry.max_attempts", "repositories[0].risk_threshold", "repositories[1].name",
		"repositories[1].auto_actions[1]",
	}
	problems := problemsOf(t, src)
	for _, path := range want {
		if !hasProblemAt(problems, path) {
			t.Errorf("%s not named in %q", path, problems)
		}
	}
	if len(problems) != len(want) {
		t.Errorf("got %d problems, want %d: %q", len(problems), len(want), problems)
	}
	_, err := Parse([]byte(src))
	for _, p := range problems {
		if !strings.Contains(err.Error(), p) {
			t.Errorf("Error() %q misses %q", err, p)
		}
	}
}

func TestParse_ProblemText(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want string
	}{
		{"range", "repositories:\n  - name: a/b\n  - name: a/c\n    risk_threshold: 11\n", "repositories[1].risk_threshold: 11 is outside 0-10"},
		{"days", "retention: 90d\n", `retention: "90d" is not a Go duration; use units h, m, s, ms like 90s, 5m or 24h (days are not a Go duration unit: write 7d as 168h)`},
		{"minimum", "poll_interval: 5s\n", "poll_interval: 5s is below the minimum 10s"},
		{"relation", "retention: 2h\n", "retention: 2h is shorter than approval_timeout 24h and dedup_window 24h"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff([]string{tt.want}, problemsOf(t, tt.src)); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParse_MalformedNamesLineAndPath(t *testing.T) {
	tests := []struct {
		name       string
		src        string
		wantLine   int
		wantPath   string
		wantInText string
	}{
		{"unknown top key", "poll_interval: 5m\nrisk_treshold: 3\n", 2, "risk_treshold", `unknown field "risk_treshold"`},
		{"unknown repo key", "repositories:\n  - name: a/b\n    treshold: 3\n", 3, "repositories[0].treshold", "unknown field"},
		{"unknown nested key", "retry:\n  attempts: 3\n", 2, "retry.attempts", "unknown field"},
		{"string for int", "repositories:\n  - name: a/b\n    risk_threshold: high\n", 3, "repositories[0].risk_threshold", `expected an integer, got the string "high"`},
		{"fraction for int", "risk_threshold: 5.5\n", 1, "risk_threshold", "expected an integer, got 5.5"},
		{"quoted int", "max_reruns: '2'\n", 1, "max_reruns", `got the string "2"`},
		{"word for bool", "webhook:\n  enabled: yes\n", 2, "webhook.enabled", `expected true or false, got a string ("yes")`},
		{"scalar for list", "approvers: U012ABCDEF\n", 1, "approvers", "sequence"},
		{"list for mapping", "channels: [a]\n", 1, "channels", "mapping"},
		{"unclosed flow", "approvers: [U012ABCDEF\n", 1, "", "']' not found"},
		{"tab indentation", "retry:\n\tmax_attempts: 3\n", 2, "", "cannot start any token"},
		{"duplicate key", "mode: auto\nmode: shadow\n", 2, "", "already defined"},
		{"second document", "mode: shadow\n---\nmode: auto\n", 3, "", "second YAML document"},
		{"top level list", "- a\n- b\n", 1, "", "mapping"},
		{"overflow", "max_reruns: 99999999999999999999999\n", 1, "max_reruns", "integer"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.src))
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("Parse = %v, want a *ParseError", err)
			}
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("errors.Is(%v, ErrInvalid) = false", err)
			}
			if pe.Line != tt.wantLine || pe.Path != tt.wantPath {
				t.Errorf("line %d path %q, want line %d path %q (%v)", pe.Line, pe.Path, tt.wantLine, tt.wantPath, err)
			}
			if !strings.Contains(err.Error(), tt.wantInText) || !strings.Contains(err.Error(), "line ") {
				t.Errorf("error %q lacks %q or its line", err, tt.wantInText)
			}
		})
	}
}

func TestParse_EmptyGivesDefaults(t *testing.T) {
	for _, src := range []string{"", "\n\n", "# nothing here\n", "---\n", "~\n"} {
		c := mustParse(t, src)
		if diff := cmp.Diff(Default(), c); diff != "" {
			t.Errorf("Parse(%q) (-want +got):\n%s", src, diff)
		}
	}
}

func TestDefault_IsValid(t *testing.T) {
	if err := Default().Validate(); err != nil {
		t.Fatal(err)
	}
	d := Default()
	got := []any{d.PollInterval, d.RiskThreshold, d.ApprovalTimeout, d.Mode, d.MaxReruns, d.Retry, d.Retention, d.Channels}
	want := []any{5 * time.Minute, 5, 24 * time.Hour, ModeShadow, 1,
		Retry{MaxAttempts: 3, InitialBackoff: time.Second, MaxBackoff: 60 * time.Second}, 2160 * time.Hour,
		Channels{Alerts: "#ci-alerts", Approvals: "#ci-approvals", Critical: "#ops-critical"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("defaults (-want +got):\n%s", diff)
	}
}

func TestParse_OversizedFile(t *testing.T) {
	big := "# " + strings.Repeat("x", MaxFileBytes) + "\n"
	if _, err := Parse([]byte(big)); !errors.Is(err, ErrInvalid) {
		t.Fatalf("Parse(huge) = %v, want ErrInvalid", err)
	}
}

func TestParse_AcceptsGoodValues(t *testing.T) {
	c := mustParse(t, `
approvers: [U012ABCDEF, W0ABCDEF12, S0987ZYXW]
mode: approve
channels: {alerts: "#ci-alerts_2", approvals: C0123ABCD, critical: "#運用"}
repositories:
  - name: my-org/my.repo_name
  - name: A/.github
    risk_threshold: 0
    max_reruns: 0
`)
	if got := c.For("a/.GITHUB"); got.RiskThreshold != 0 || got.MaxReruns != 0 || !got.Watched {
		t.Errorf("zero overrides lost: %+v", got)
	}
}

// TestVerifyTimeout: the default is 2h, a value in 1m-48h is taken as
// written, and the bounds themselves are accepted.
func TestVerifyTimeout(t *testing.T) {
	if got := mustParse(t, "").VerifyTimeout; got != 2*time.Hour {
		t.Errorf("default verify_timeout %s, want 2h", got)
	}
	for src, want := range map[string]time.Duration{
		"verify_timeout: 1m\n": time.Minute, "verify_timeout: 48h\n": 48 * time.Hour, "verify_timeout: 90m\n": 90 * time.Minute,
	} {
		if got := mustParse(t, src).VerifyTimeout; got != want {
			t.Errorf("%q: verify_timeout %s, want %s", src, got, want)
		}
	}
}

// TestShadowHorizon: the default is 72h, a value in 1h-30d is taken as
// written, and the bounds themselves are accepted.
func TestShadowHorizon(t *testing.T) {
	if got := mustParse(t, "").ShadowHorizon; got != 72*time.Hour {
		t.Errorf("default shadow_horizon %s, want 72h", got)
	}
	for src, want := range map[string]time.Duration{
		"shadow_horizon: 1h\n": time.Hour, "shadow_horizon: 720h\n": 720 * time.Hour, "shadow_horizon: 24h\n": 24 * time.Hour,
	} {
		if got := mustParse(t, src).ShadowHorizon; got != want {
			t.Errorf("%q: shadow_horizon %s, want %s", src, got, want)
		}
	}
}
