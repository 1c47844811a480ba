package config

import (
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"strings"

	"github.com/caarlos0/env/v11"

	"github.com/ccm-ci/ccm/internal/redisurl"
)

// Env holds secrets and endpoints, which come only from the environment so
// they never sit in a file that gets committed or pasted into a ticket.
type Env struct {
	GitHubToken         string `env:"GITHUB_TOKEN"`
	GitHubAPIURL        string `env:"GITHUB_API_URL"`
	GitHubWebhookSecret string `env:"GITHUB_WEBHOOK_SECRET"`
	OpenAIAPIKey        string `env:"OPENAI_API_KEY"`
	OpenAIBaseURL       string `env:"OPENAI_BASE_URL"`
	OpenAIModel         string `env:"OPENAI_MODEL" envDefault:"gpt-4o"`
	SlackBotToken       string `env:"SLACK_BOT_TOKEN"`
	SlackAppToken       string `env:"SLACK_APP_TOKEN"`
	SlackAPIURL         string `env:"SLACK_API_URL"`
	RedisURL            string `env:"REDIS_URL"`
	ConfigPath          string `env:"CCM_CONFIG"`
	HTTPAddr            string `env:"CCM_HTTP_ADDR" envDefault:":8080"`
}

// LoadEnv reads Env from the process environment.
func LoadEnv() (Env, error) {
	return ParseEnv(env.ToMap(os.Environ()))
}

// ParseEnv reads Env from environ (name → value) with the same rules as
// LoadEnv, and checks every endpoint that is set. A bad value is named in
// a *ValidationError without echoing any credential it may hold.
func ParseEnv(environ map[string]string) (Env, error) {
	if environ == nil {
		// env treats a nil map as "use the process environment".
		environ = map[string]string{}
	}
	e, err := env.ParseAsWithOptions[Env](env.Options{Environment: environ})
	if err != nil {
		return Env{}, fmt.Errorf("parse environment: %w", err)
	}
	if err := e.validate(); err != nil {
		return Env{}, fmt.Errorf("environment: %w", err)
	}
	return e, nil
}

func (e Env) validate() error {
	p := newProblems()
	for _, u := range []struct{ name, v string }{
		{"GITHUB_API_URL", e.GitHubAPIURL},
		{"OPENAI_BASE_URL", e.OpenAIBaseURL},
		{"SLACK_API_URL", e.SlackAPIURL},
	} {
		if u.v != "" {
			checkURL(p, u.name, u.v, "an absolute http(s) URL", "http", "https")
		}
	}
	if e.RedisURL != "" {
		// The parser the service opens Redis with, so what passes here
		// opens there; its errors never echo the URL.
		if _, err := redisurl.Parse(e.RedisURL); err != nil {
			p.add("REDIS_URL", "is not a redis://, rediss://, unix:// or redis+sentinel:// URL: %v", err)
		}
	}
	if _, _, err := net.SplitHostPort(e.HTTPAddr); err != nil {
		p.add("CCM_HTTP_ADDR", "%q is not host:port (like :8080): %v", e.HTTPAddr, err)
	}
	if strings.TrimSpace(e.OpenAIModel) == "" {
		p.add("OPENAI_MODEL", "is blank")
	}
	// Swapping the two Slack tokens is the classic setup mistake; catch it
	// by prefix without printing either.
	if strings.HasPrefix(e.SlackBotToken, "xapp-") {
		p.add("SLACK_BOT_TOKEN", "holds an app-level token (xapp-…); it belongs in SLACK_APP_TOKEN")
	}
	if strings.HasPrefix(e.SlackAppToken, "xoxb-") || strings.HasPrefix(e.SlackAppToken, "xoxp-") {
		p.add("SLACK_APP_TOKEN", "holds a bot or user token (xox…); Socket Mode needs the app-level token (xapp-…)")
	}
	return p.err()
}

// checkURL never prints the raw value: endpoints may carry a password.
func checkURL(p *problems, name, raw, want string, schemes ...string) {
	u, err := url.Parse(raw)
	if err != nil {
		p.add(name, "is not %s (it does not parse)", want)
		return
	}
	ok := false
	for _, s := range schemes {
		ok = ok || strings.EqualFold(u.Scheme, s)
	}
	host := u.Host != "" || strings.EqualFold(u.Scheme, "unix") && u.Path != ""
	if !ok || !host {
		p.add(name, "%q is not %s", u.Redacted(), want)
	}
}

// LogValue shows which secrets are set, never their values, and endpoints
// with any password masked.
func (e Env) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("github_token", setness(e.GitHubToken)),
		slog.String("github_api_url", redactURL(e.GitHubAPIURL)),
		slog.String("github_webhook_secret", setness(e.GitHubWebhookSecret)),
		slog.String("openai_api_key", setness(e.OpenAIAPIKey)),
		slog.String("openai_base_url", redactURL(e.OpenAIBaseURL)),
		slog.String("openai_model", e.OpenAIModel),
		slog.String("slack_bot_token", setness(e.SlackBotToken)),
		slog.String("slack_app_token", setness(e.SlackAppToken)),
		slog.String("slack_api_url", redactURL(e.SlackAPIURL)),
		slog.String("redis_url", redactURL(e.RedisURL)),
		slog.String("config_path", e.ConfigPath),
		slog.String("http_addr", e.HTTPAddr),
	)
}

func setness(s string) string {
	if s == "" {
		return "unset"
	}
	return "set"
}

// redactURL masks the password of a URL; one that does not parse is not
// shown at all, since there is no telling which part is secret.
func redactURL(raw string) string {
	if raw == "" {
		return "unset"
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "set (unparsable)"
	}
	if u.User != nil {
		if _, hasPw := u.User.Password(); !hasPw {
			// redis://secret@host puts the password where the user goes.
			u.User = url.User("xxxxx")
		}
	}
	// go-redis's URLs may carry passwords as options too
	// (?password=, and ccm's ?sentinel_password=).
	if q := u.Query(); len(q) > 0 {
		masked := false
		for k := range q {
			if strings.Contains(strings.ToLower(k), "password") {
				q.Set(k, "xxxxx")
				masked = true
			}
		}
		if masked {
			u.RawQuery = q.Encode()
		}
	}
	return u.Redacted()
}
