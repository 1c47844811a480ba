package config

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseEnv(t *testing.T) {
	got, err := ParseEnv(map[string]string{
		"GITHUB_TOKEN":          "ghp_token",
		"GITHUB_API_URL":        "https://ghe.example.com/api/v3/",
		"GITHUB_WEBHOOK_SECRET": "whsec",
		"OPENAI_API_KEY":        "sk-key",
		"OPENAI_BASE_URL":       "http://localhost:11434/v1",
		"SLACK_BOT_TOKEN":       "xoxb-1",
		"SLACK_APP_TOKEN":       "xapp-1",
		"SLACK_API_URL":         "http://127.0.0.1:9999/api/",
		"REDIS_URL":             "rediss://:pw@redis.internal:6380/2",
		"CCM_CONFIG":            "/etc/ccm/ccm.yaml",
		"UNRELATED":             "ignored",
	})
	if err != nil {
		t.Fatal(err)
	}
	want := Env{
		GitHubToken: "ghp_token", GitHubAPIURL: "https://ghe.example.com/api/v3/", GitHubWebhookSecret: "whsec",
		OpenAIAPIKey: "sk-key", OpenAIBaseURL: "http://localhost:11434/v1", OpenAIModel: "gpt-4o",
		SlackBotToken: "xoxb-1", SlackAppToken: "xapp-1", SlackAPIURL: "http://127.0.0.1:9999/api/",
		RedisURL: "rediss://:pw@redis.internal:6380/2", ConfigPath: "/etc/ccm/ccm.yaml", HTTPAddr: ":8080",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ParseEnv (-want +got):\n%s", diff)
	}
}

func TestParseEnv_NilIsEmptyNotProcessEnv(t *testing.T) {
	t.Setenv("GITHUB_TOKEN", "from-process")
	got, err := ParseEnv(nil)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(Env{OpenAIModel: "gpt-4o", HTTPAddr: ":8080"}, got); diff != "" {
		t.Errorf("ParseEnv(nil) (-want +got):\n%s", diff)
	}
}

func TestLoadEnv(t *testing.T) {
	t.Setenv("GITHUB_TOKEN", "from-process")
	t.Setenv("OPENAI_MODEL", "llama3")
	t.Setenv("REDIS_URL", "")
	got, err := LoadEnv()
	if err != nil {
		t.Fatal(err)
	}
	if got.GitHubToken != "from-process" || got.OpenAIModel != "llama3" {
		t.Errorf("LoadEnv = %+v", got)
	}
}

func TestParseEnv_BadValuesAllNamed(t *testing.T) {
	tests := []struct {
		name  string
		env   map[string]string
		names []string
	}{
		{"relative github url", map[string]string{"GITHUB_API_URL": "ghe.example.com/api"}, []string{"GITHUB_API_URL"}},
		{"ftp openai url", map[string]string{"OPENAI_BASE_URL": "ftp://llm.local/v1"}, []string{"OPENAI_BASE_URL"}},
		{"slack url without host", map[string]string{"SLACK_API_URL": "http://"}, []string{"SLACK_API_URL"}},
		{"unparsable url", map[string]string{"SLACK_API_URL": "http://[::1"}, []string{"SLACK_API_URL"}},
		{"redis over http", map[string]string{"REDIS_URL": "http://redis:6379"}, []string{"REDIS_URL"}},
		{"redis bare host", map[string]string{"REDIS_URL": "localhost:6379"}, []string{"REDIS_URL"}},
		{"redis without host", map[string]string{"REDIS_URL": "redis:///0"}, []string{"REDIS_URL"}},
		{"redis unknown option", map[string]string{"REDIS_URL": "redis://h:6379/0?bogus=1"}, []string{"REDIS_URL"}},
		{"sentinel without master", map[string]string{"REDIS_URL": "redis+sentinel://s1:26379,s2:26379"}, []string{"REDIS_URL"}},
		{"sentinel without hosts", map[string]string{"REDIS_URL": "redis+sentinel:///mymaster"}, []string{"REDIS_URL"}},
		{"sentinel bad db", map[string]string{"REDIS_URL": "redis+sentinel://s1/mymaster/one"}, []string{"REDIS_URL"}},
		{"sentinel empty host", map[string]string{"REDIS_URL": "redis+sentinel://s1,,s2/mymaster"}, []string{"REDIS_URL"}},
		{"sentinel over http", map[string]string{"REDIS_URL": "http+sentinel://s1/mymaster"}, []string{"REDIS_URL"}},
		{"http addr without port", map[string]string{"CCM_HTTP_ADDR": "8080"}, []string{"CCM_HTTP_ADDR"}},
		{"swapped slack tokens", map[string]string{"SLACK_BOT_TOKEN": "xapp-1-A", "SLACK_APP_TOKEN": "xoxb-2"}, []string{"SLACK_BOT_TOKEN", "SLACK_APP_TOKEN"}},
		{"several at once", map[string]string{
			"GITHUB_API_URL": "nope", "OPENAI_BASE_URL": "file:///etc/passwd", "SLACK_API_URL": "//x", "REDIS_URL": "mysql://db",
		}, []string{"GITHUB_API_URL", "OPENAI_BASE_URL", "SLACK_API_URL", "REDIS_URL"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseEnv(tt.env)
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("ParseEnv = %v, want a *ValidationError", err)
			}
			for _, n := range tt.names {
				if !hasProblemAt(ve.Problems, n) {
					t.Errorf("%s not named in %q", n, ve.Problems)
				}
			}
			if len(ve.Problems) != len(tt.names) {
				t.Errorf("got %q, want exactly %v", ve.Problems, tt.names)
			}
		})
	}
}

// Every REDIS_URL form the service opens passes validation.
func TestParseEnv_RedisURLForms(t *testing.T) {
	for _, u := range []string{
		"redis://localhost:6379/0",
		"rediss://:pw@redis.internal:6380/2",
		"unix:///run/redis/redis.sock?db=1",
		"redis+sentinel://s1:26379,s2:26379,s3:26379/mymaster",
		"redis+sentinel://:pw@10.0.0.1,10.0.0.2/mymaster/2?sentinel_password=spw&dial_timeout=3s",
		"rediss+sentinel://ccm:pw@[::1]:26379,[::1]:26380/mymaster/0",
		"redis://s1:26379/0?master_name=mymaster&addr=s2:26379", // go-redis's own failover form
	} {
		if _, err := ParseEnv(map[string]string{"REDIS_URL": u}); err != nil {
			t.Errorf("REDIS_URL=%s: %v", u, err)
		}
	}
}

func TestParseEnv_ErrorNeverEchoesPasswords(t *testing.T) {
	_, err := ParseEnv(map[string]string{
		"REDIS_URL":      "http://user:hunter2@redis:6379",
		"GITHUB_API_URL": "ftp://bot:s3cr3t@ghe/",
		"SLACK_API_URL":  "http://x:t0ps3cret@[::1",
	})
	if err == nil {
		t.Fatal("want an error")
	}
	for _, secret := range []string{"hunter2", "s3cr3t", "t0ps3cret"} {
		if strings.Contains(err.Error(), secret) {
			t.Errorf("error %q leaks %q", err, secret)
		}
	}
	_, err = ParseEnv(map[string]string{"REDIS_URL": "redis+sentinel://:hunter2@s1/m/x?sentinel_password=s3cr3t"})
	if err == nil {
		t.Fatal("want an error")
	}
	for _, secret := range []string{"hunter2", "s3cr3t", "t0ps3cret"} {
		if strings.Contains(err.Error(), secret) {
			t.Errorf("error %q leaks %q", err, secret)
		}
	}
}

func TestEnv_LogValueHidesSecrets(t *testing.T) {
	e := Env{
		GitHubToken: "ghp_SECRET1", GitHubWebhookSecret: "SECRET2", OpenAIAPIKey: "sk-SECRET3",
		SlackBotToken: "xoxb-SECRET4", SlackAppToken: "xapp-SECRET5",
		RedisURL: "redis://:SECRET6@redis:6379/0", GitHubAPIURL: "https://u:SECRET7@ghe.example.com/",
		OpenAIBaseURL: "https://SECRET8@llm.example.com/v1", OpenAIModel: "gpt-4o", HTTPAddr: ":8080",
	}
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("env", "env", e)
	out := buf.String()
	for _, s := range []string{"SECRET1", "SECRET2", "SECRET3", "SECRET4", "SECRET5", "SECRET6", "SECRET7", "SECRET8"} {
		if strings.Contains(out, s) {
			t.Errorf("log %s leaks %s", out, s)
		}
	}
	for _, want := range []string{`"github_token":"set"`, `"slack_api_url":"unset"`, `"openai_model":"gpt-4o"`, `redis:6379`, `ghe.example.com`} {
		if !strings.Contains(out, want) {
			t.Errorf("log %s lacks %s", out, want)
		}
	}
}

// Sentinel and go-redis URLs may carry passwords as options; the log
// masks those too.
func TestEnv_LogValueHidesPasswordOptions(t *testing.T) {
	for _, u := range []string{
		"redis+sentinel://:SECRET1@s1,s2/mymaster/0?sentinel_password=SECRET2",
		"redis://s1:26379/0?master_name=m&password=SECRET3&sentinel_password=SECRET4",
	} {
		var buf bytes.Buffer
		slog.New(slog.NewJSONHandler(&buf, nil)).Info("env", "env", Env{RedisURL: u})
		out := buf.String()
		for _, s := range []string{"SECRET1", "SECRET2", "SECRET3", "SECRET4"} {
			if strings.Contains(out, s) {
				t.Errorf("log %s leaks %s", out, s)
			}
		}
		if !strings.Contains(out, "s1") {
			t.Errorf("log %s does not name the sentinel", out)
		}
	}
}
