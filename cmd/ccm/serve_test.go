package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ccm-ci/ccm/sim/githubsim"
)

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func httpGet(url string) (int, string) {
	resp, err := http.Get(url)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// The whole service in-process on embedded Redis: a signed webhook for a
// failed run is recorded and analyzed, a bad config edit is rejected and
// the service keeps running, and SIGTERM (context cancel) stops it cleanly.
func TestServeEndToEnd(t *testing.T) {
	offline(t)
	gh := githubsim.New(t)
	log, err := os.ReadFile("../../testdata/logs/npm-econnreset.log")
	if err != nil {
		t.Fatal(err)
	}
	ghRun := gh.AddRun("acme/web", githubsim.Run{Conclusion: "failure", Jobs: []githubsim.Job{
		{Name: "build", Conclusion: "failure", Log: string(log)},
	}})
	secret := []byte("webhook-secret")
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "ccm.yaml")
	if err := os.WriteFile(cfgPath, []byte("poll_interval: 1m\nrepositories:\n  - name: acme/web\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	addr := freeAddr(t)
	t.Setenv("GITHUB_TOKEN", "ghp_test")
	t.Setenv("GITHUB_API_URL", gh.URL)
	t.Setenv("GITHUB_WEBHOOK_SECRET", string(secret))

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stderr syncWriter
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--config", cfgPath, "--http-addr", addr, "--log-level", "debug"}, nil, io.Discard, &stderr)
	}()
	base := "http://" + addr
	waitFor(t, "/readyz", func() bool { code, _ := httpGet(base + "/readyz"); return code == 200 })

	sendWebhook(t, base, secret, "acme/web", ghRun)
	waitFor(t, "the failure to be analyzed", func() bool {
		_, m := httpGet(base + "/metrics")
		return strings.Contains(m, `ccm_failures_detected_total{repo="acme/web"} 1`) &&
			strings.Contains(m, `ccm_analyses_total{category="infrastructure",source="rules"} 1`)
	})

	// A bad edit is rejected; the service keeps answering.
	if err := os.WriteFile(cfgPath, []byte("poll_interval: never\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the bad edit to be rejected", func() bool {
		_, m := httpGet(base + "/metrics")
		return strings.Contains(m, `ccm_config_reloads_total{outcome="rejected"} 1`)
	})
	if code, _ := httpGet(base + "/healthz"); code != 200 {
		t.Fatalf("/healthz after a bad edit = %d", code)
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve returned %v", err)
		}
	case <-time.After(40 * time.Second):
		t.Fatal("serve did not stop after the signal")
	}
	logs := stderr.String()
	for _, want := range []string{"nothing survives a restart", `"failure_id":"acme/web#`, "ccm stopped"} {
		if !strings.Contains(logs, want) {
			t.Errorf("logs lack %q", want)
		}
	}
}

// sendWebhook delivers a signed workflow_run "completed" event for run, as
// GitHub would, and expects it accepted.
func sendWebhook(t *testing.T, base string, secret []byte, repo string, run githubsim.Run) {
	t.Helper()
	body := githubsim.WorkflowRunEventBody(repo, run, "completed")
	req, _ := http.NewRequest(http.MethodPost, base+"/webhooks/github", bytes.NewReader(body))
	req.Header.Set("X-GitHub-Event", "workflow_run")
	req.Header.Set("X-Hub-Signature-256", githubsim.SignWebhook(secret, body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("webhook for %s#%d: status %d", repo, run.ID, resp.StatusCode)
	}
}

type syncWriter struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (w *syncWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.Write(p)
}

func (w *syncWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// writeConfig writes a config file watching acme/web.
func writeConfig(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "ccm.yaml")
	if err := os.WriteFile(p, []byte("repositories:\n  - name: acme/web\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// A file with no repositories runs and waits for an edit (the file is
// watched); no file at all could never learn one, so it is a usage error.
func TestServeConfigFile(t *testing.T) {
	offline(t)
	gh := githubsim.New(t)
	t.Setenv("GITHUB_TOKEN", "ghp_test")
	t.Setenv("GITHUB_API_URL", gh.URL)

	// An unreachable Redis makes serve fail fast should it get past the
	// check, instead of running for good.
	t.Setenv("REDIS_URL", "redis://127.0.0.1:1/0")
	_, stderr, code := runCLI(t, nil, "serve", "--http-addr", freeAddr(t))
	t.Setenv("REDIS_URL", "")
	if code != 2 || !strings.Contains(stderr, "nothing to watch") || !strings.Contains(stderr, "--config or CCM_CONFIG") {
		t.Errorf("no config file: exit %d, stderr %q; want 2 naming --config and CCM_CONFIG", code, stderr)
	}

	empty := filepath.Join(t.TempDir(), "ccm.yaml")
	if err := os.WriteFile(empty, []byte("poll_interval: 1m\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	addr := freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var logs syncWriter
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--config", empty, "--http-addr", addr}, nil, io.Discard, &logs)
	}()
	waitFor(t, "/readyz", func() bool {
		select {
		case err := <-done:
			t.Fatalf("serve stopped: %v\n%s", err, logs.String())
		default:
		}
		code, _ := httpGet("http://" + addr + "/readyz")
		return code == 200
	})
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logs.String(), "nothing to poll until the file lists some") {
		t.Errorf("logs do not say there is nothing to poll yet:\n%s", logs.String())
	}
}

func TestServeRejectedTokenExits2(t *testing.T) {
	offline(t)
	gh := githubsim.New(t)
	gh.RequireToken("ghp_right")
	t.Setenv("GITHUB_TOKEN", "ghp_wrong")
	t.Setenv("GITHUB_API_URL", gh.URL)
	_, stderr, code := runCLI(t, nil, "serve", "--config", writeConfig(t), "--http-addr", freeAddr(t))
	if code != 2 || !strings.Contains(stderr, "GITHUB_TOKEN was rejected") {
		t.Fatalf("exit %d, stderr %q; want 2 and a clear message", code, stderr)
	}
}

// Errors at start say what to change.
func TestServeStartErrors(t *testing.T) {
	offline(t)
	gh := githubsim.New(t)
	t.Setenv("GITHUB_TOKEN", "ghp_test")
	t.Setenv("GITHUB_API_URL", gh.URL)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	tests := []struct {
		name     string
		redisURL string
		addr     string
		want     []string
	}{
		{name: "port in use", addr: l.Addr().String(), want: []string{"address already in use", "--http-addr", "CCM_HTTP_ADDR"}},
		{name: "redis unreachable", redisURL: "redis://127.0.0.1:1/0", addr: freeAddr(t), want: []string{"REDIS_URL", "unset REDIS_URL"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("REDIS_URL", tt.redisURL)
			_, stderr, code := runCLI(t, nil, "serve", "--config", writeConfig(t), "--http-addr", tt.addr)
			if code != 1 || strings.Contains(stderr, "ccm is running") {
				t.Fatalf("exit %d, stderr:\n%s", code, stderr)
			}
			for _, w := range tt.want {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr does not say %q:\n%s", w, stderr)
				}
			}
		})
	}
}

func TestServeBadFlags(t *testing.T) {
	offline(t)
	t.Setenv("GITHUB_TOKEN", "ghp_test")
	// Should a flag get through, serve fails on Redis instead of running.
	t.Setenv("REDIS_URL", "redis://127.0.0.1:1/0")
	tests := []struct {
		name string
		args []string
		want string
	}{
		{name: "negative shutdown timeout", args: []string{"--shutdown-timeout", "-1s"}, want: "--shutdown-timeout -1s"},
		{name: "zero shutdown timeout", args: []string{"--shutdown-timeout", "0s"}, want: "--shutdown-timeout 0s"},
		{name: "negative concurrency", args: []string{"--concurrency", "-5"}, want: "--concurrency -5"},
		{name: "zero concurrency", args: []string{"--concurrency", "0"}, want: "--concurrency 0"},
		{name: "unknown role", args: []string{"--roles", "worker,slack"}, want: `unknown role "slack"`},
		{name: "extra argument", args: []string{"now"}, want: `unexpected argument "now"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, stderr, code := runCLI(t, nil, append([]string{"serve", "--config", writeConfig(t)}, tt.args...)...)
			if code != 2 || !strings.Contains(stderr, tt.want) {
				t.Errorf("exit %d, stderr %q: want 2 and %q", code, stderr, tt.want)
			}
		})
	}
}

// Each subcommand's --help says what it does, with an example, and exits 0.
func TestSubcommandHelp(t *testing.T) {
	offline(t)
	tests := []struct {
		cmd  string
		want []string
	}{
		{cmd: "serve", want: []string{"Runs ccm as a service", "Example:\n  GITHUB_TOKEN=ghp_... ccm serve --config ccm.yaml", "-shutdown-timeout"}},
		{cmd: "analyze", want: []string{"Explains one failed CI job", "Example:\n  ccm analyze --json testdata/logs/npm-econnreset.log", "-rules-only"}},
		{cmd: "sandbox", want: []string{"Plays scenarios on ccm's real pipeline", "Example:\n  ccm sandbox\n", "-interactive", "-logs"}},
	}
	for _, tt := range tests {
		t.Run(tt.cmd, func(t *testing.T) {
			_, stderr, code := runCLI(t, nil, tt.cmd, "--help")
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			for _, w := range tt.want {
				if !strings.Contains(stderr, w) {
					t.Errorf("help lacks %q:\n%s", w, stderr)
				}
			}
		})
	}
}

// The start-up line reports what is in force: the flags over the
// environment, and the binary's version even when no -X set one.
func TestServeStartLineSaysWhatIsInForce(t *testing.T) {
	offline(t)
	t.Setenv("GITHUB_TOKEN", "ghp_test")
	t.Setenv("REDIS_URL", "redis://127.0.0.1:1/0") // stop right after the line
	t.Setenv("CCM_HTTP_ADDR", ":8080")
	cfgPath, addr := writeConfig(t), freeAddr(t)
	_, stderr, _ := runCLI(t, nil, "serve", "--config", cfgPath, "--http-addr", addr)
	var start map[string]any
	for _, line := range strings.Split(stderr, "\n") {
		if strings.Contains(line, `"msg":"starting ccm"`) {
			if err := json.Unmarshal([]byte(line), &start); err != nil {
				t.Fatalf("start line %q: %v", line, err)
			}
		}
	}
	if start == nil {
		t.Fatalf("no start line in:\n%s", stderr)
	}
	env, _ := start["env"].(map[string]any)
	if env["http_addr"] != addr || env["config_path"] != cfgPath {
		t.Errorf("start line env = %v, want http_addr %s and config_path %s", env, addr, cfgPath)
	}
	if v, _ := start["version"].(string); v == "" {
		t.Errorf("start line has no version: %v", start)
	}
}

// go-redis logs a warning per failed dial through a process-wide logger,
// which only a child process shows reliably: none may come before the
// one line that says what to do about REDIS_URL.
func TestServeUnreachableRedisSaysOneThing(t *testing.T) {
	cfg := writeConfig(t)
	_, stderr, code := runMain(t, []string{"GITHUB_TOKEN=ghp_test", "REDIS_URL=redis://" + closedAddr(t) + "/0"},
		"serve", "--config", cfg, "--http-addr", freeAddr(t))
	if code != 1 || !strings.Contains(stderr, "unset REDIS_URL") {
		t.Fatalf("exit %d, want 1 and advice about REDIS_URL:\n%s", code, stderr)
	}
	if strings.Contains(stderr, "connection pool") {
		t.Errorf("go-redis pool lines before the error:\n%s", stderr)
	}
}
