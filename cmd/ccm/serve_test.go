package main

import (
	"bytes"
	"context"
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

	body := githubsim.WorkflowRunEventBody("acme/web", ghRun, "completed")
	req, _ := http.NewRequest(http.MethodPost, base+"/webhooks/github", bytes.NewReader(body))
	req.Header.Set("X-GitHub-Event", "workflow_run")
	req.Header.Set("X-Hub-Signature-256", githubsim.SignWebhook(secret, body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("webhook status %d", resp.StatusCode)
	}
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

// With no config file ccm runs on the defaults (and says there is nothing
// to poll) instead of failing on an empty path.
func TestServeWithoutConfigFileRunsOnDefaults(t *testing.T) {
	offline(t)
	gh := githubsim.New(t)
	t.Setenv("GITHUB_TOKEN", "ghp_test")
	t.Setenv("GITHUB_API_URL", gh.URL)
	addr := freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stderr syncWriter
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"serve", "--http-addr", addr}, nil, io.Discard, &stderr) }()
	waitFor(t, "/readyz", func() bool {
		select {
		case err := <-done:
			t.Fatalf("serve stopped: %v\n%s", err, stderr.String())
		default:
		}
		code, _ := httpGet("http://" + addr + "/readyz")
		return code == 200
	})
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stderr.String(), "nothing to poll") {
		t.Errorf("logs do not say there is nothing to poll:\n%s", stderr.String())
	}
}

func TestServeRejectedTokenExits2(t *testing.T) {
	offline(t)
	gh := githubsim.New(t)
	gh.RequireToken("ghp_right")
	t.Setenv("GITHUB_TOKEN", "ghp_wrong")
	t.Setenv("GITHUB_API_URL", gh.URL)
	_, stderr, code := runCLI(t, nil, "serve", "--http-addr", freeAddr(t))
	if code != 2 || !strings.Contains(stderr, "GITHUB_TOKEN was rejected") {
		t.Fatalf("exit %d, stderr %q; want 2 and a clear message", code, stderr)
	}
}

func TestServePortInUse(t *testing.T) {
	offline(t)
	gh := githubsim.New(t)
	t.Setenv("GITHUB_TOKEN", "ghp_test")
	t.Setenv("GITHUB_API_URL", gh.URL)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	_, stderr, code := runCLI(t, nil, "serve", "--http-addr", l.Addr().String())
	if code != 1 || !strings.Contains(stderr, "address already in use") || strings.Contains(stderr, "ccm is running") {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr)
	}
}
