package service_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/ccm-ci/ccm/config"
	"github.com/ccm-ci/ccm/internal/logtest"
	"github.com/ccm-ci/ccm/service"
	"github.com/ccm-ci/ccm/sim/githubsim"
	"github.com/ccm-ci/ccm/sim/openaisim"
)

func options(t *testing.T, gh *githubsim.Server) (service.Options, *logtest.Buffer) {
	t.Helper()
	logs := &logtest.Buffer{}
	return service.Options{
		Env:    config.Env{GitHubToken: "ghp_test", GitHubAPIURL: gh.URL},
		Config: config.Default(),
		Roles:  []service.Role{service.RoleWorker},
		Logger: slog.New(slog.NewTextHandler(logs, nil)),
	}, logs
}

// Every setup mistake New can meet says what to change, and the ones
// only an operator can fix are SetupErrors (exit 2).
func TestNewSetupErrors(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	tests := []struct {
		name      string
		mod       func(*service.Options, *githubsim.Server)
		wantSetup bool
		want      []string
	}{
		{name: "no token", mod: func(o *service.Options, _ *githubsim.Server) { o.Env.GitHubToken = "" },
			wantSetup: true, want: []string{"GITHUB_TOKEN is not set"}},
		{name: "token rejected", mod: func(_ *service.Options, gh *githubsim.Server) { gh.RequireToken("ghp_other") },
			wantSetup: true, want: []string{"GITHUB_TOKEN was rejected"}},
		{name: "redis unreachable", mod: func(o *service.Options, _ *githubsim.Server) { o.Env.RedisURL = "redis://127.0.0.1:1/0" },
			want: []string{"REDIS_URL", "unset REDIS_URL", "embedded"}},
		{name: "port taken", mod: func(o *service.Options, _ *githubsim.Server) { o.HTTPAddr = taken.Addr().String() },
			want: []string{"--http-addr", "CCM_HTTP_ADDR", taken.Addr().String()}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gh := githubsim.New(t)
			opt, _ := options(t, gh)
			tt.mod(&opt, gh)
			svc, err := service.New(context.Background(), opt)
			if err == nil {
				_ = svc.Shutdown()
				t.Fatal("New succeeded")
			}
			var se *service.SetupError
			if errors.As(err, &se) != tt.wantSetup {
				t.Errorf("err %v: SetupError = %v, want %v", err, !tt.wantSetup, tt.wantSetup)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("err %q does not say %q", err, w)
				}
			}
		})
	}
}

// The start-up log says which analyzer answers and why; a keyless
// OpenAI-compatible server (Ollama, vLLM) is used, not skipped.
func TestNewLogsAnalyzerChoice(t *testing.T) {
	ai := openaisim.New(t)
	tests := []struct {
		name string
		env  func(*config.Env)
		want string
	}{
		{name: "nothing set", env: func(*config.Env) {}, want: "analysis: rules only (OPENAI_API_KEY and OPENAI_BASE_URL unset)"},
		{name: "keyless server", env: func(e *config.Env) { e.OpenAIBaseURL, e.OpenAIModel = ai.URL, "llama3" },
			want: "analysis: model llama3 at " + ai.URL + " (no API key)"},
		{name: "OpenAI", env: func(e *config.Env) { e.OpenAIAPIKey = "sk-test" }, want: "analysis: model gpt-4o at https://api.openai.com/v1\""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opt, logs := options(t, githubsim.New(t))
			tt.env(&opt.Env)
			svc, err := service.New(context.Background(), opt)
			if err != nil {
				t.Fatal(err)
			}
			_ = svc.Shutdown()
			if !strings.Contains(logs.String(), tt.want) {
				t.Errorf("logs lack %q:\n%s", tt.want, logs)
			}
		})
	}
}

// Start serves the HTTP endpoints on the bound address; Shutdown stops
// everything and may be called again.
func TestStartShutdown(t *testing.T) {
	opt, logs := options(t, githubsim.New(t))
	opt.HTTPAddr = "127.0.0.1:0"
	svc, err := service.New(context.Background(), opt)
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := client.Get("http://" + svc.Addr() + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "redis: ok") {
		t.Errorf("/readyz = %d %q", resp.StatusCode, body)
	}
	if err := svc.Start(context.Background()); err == nil {
		t.Error("second Start succeeded")
	}
	if err := svc.Shutdown(); err != nil {
		t.Errorf("Shutdown: %v", err)
	}
	if err := svc.Shutdown(); err != nil {
		t.Errorf("second Shutdown: %v", err)
	}
	if _, err := client.Get("http://" + svc.Addr() + "/healthz"); err == nil {
		t.Error("HTTP still answers after Shutdown")
	}
	if !strings.Contains(logs.String(), "ccm stopped") {
		t.Errorf("logs lack the stop:\n%s", logs)
	}
}

func TestParseRoles(t *testing.T) {
	tests := []struct {
		in      string
		want    []service.Role
		wantErr bool
	}{
		{in: "bot,worker,scheduler", want: service.AllRoles},
		{in: " worker , worker", want: []service.Role{service.RoleWorker}},
		{in: "worker,slack", wantErr: true},
		{in: "", wantErr: true},
	}
	for _, tt := range tests {
		got, err := service.ParseRoles(tt.in)
		if (err != nil) != tt.wantErr || !slices.Equal(got, tt.want) {
			t.Errorf("ParseRoles(%q) = %v, %v; want %v (error %v)", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}
