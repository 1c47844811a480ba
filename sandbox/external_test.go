package sandbox

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ccm-ci/ccm/config"
)

// startFake starts the test binary as a fake `ccm serve` in mode.
func startFake(t *testing.T, mode string) *external {
	t.Helper()
	c, err := startExternal(context.Background(), os.Args[0], config.Default(), "127.0.0.1:0", []string{fakeServeEnv + "=" + mode, "GORACE=atexit_sleep_ms=0"}) // -race would add 1 s to each exit
	if err != nil {
		t.Fatalf("start the fake serve (%s): %v", mode, err)
	}
	t.Cleanup(func() { _ = c.Shutdown() })
	return c
}

// How serve ended is recorded and, unless it exited 0 on SIGTERM, an
// error: the sandbox must not exit 0 over a serve that cannot stop.
func TestExternalShutdown(t *testing.T) {
	for _, tt := range []struct {
		mode, exit string
		fails      bool
	}{
		{fakeClean, "exit status 0 on SIGTERM", false},
		{fakeExit3, "exit status 3 on SIGTERM", true},
		{fakeStuck, "killed: still running 300ms after SIGTERM", true},
		{fakeDies, "had exited by itself: (pid ", true},
	} {
		t.Run(tt.mode, func(t *testing.T) {
			t.Parallel()
			c := startFake(t, tt.mode)
			if tt.mode == fakeStuck {
				c.stopTimeout = 300 * time.Millisecond // else serveStopTimeout: a loaded machine is slow to exit
			}
			if tt.mode == fakeDies {
				<-c.Died()
			}
			err := c.Shutdown()
			var se *ServeExitError
			if tt.fails != errors.As(err, &se) || (!tt.fails && err != nil) {
				t.Errorf("Shutdown() = %v; want a ServeExitError: %v", err, tt.fails)
			}
			if !strings.HasPrefix(c.Exit(), tt.exit) {
				t.Errorf("Exit() = %q, want %q…", c.Exit(), tt.exit)
			}
			if again := c.Shutdown(); !errors.Is(again, err) {
				t.Errorf("a second Shutdown() = %v, want the first's %v", again, err)
			}
			if !strings.Contains(c.Log(), "analysis: the fake's rules") {
				t.Errorf("Log() after Shutdown = %q: want the log kept", c.Log())
			}
		})
	}
}

// A serve whose file watcher does not see the edit (inotify unavailable:
// it polls every 30 s) gets a SIGHUP, and the scenario notes it. Config
// is the config serve applied, not the one written.
func TestExternalSetConfigSendsHUP(t *testing.T) {
	c := startFake(t, fakeHUPped)
	before := c.Config()
	cfg := config.Default()
	cfg.ApprovalTimeout = 7 * time.Minute
	start := time.Now()
	if err := c.SetConfig(context.Background(), cfg); err != nil {
		t.Fatalf("SetConfig: %v", err)
	}
	took := time.Since(start)
	if took < serveHUPAfter || took > serveHUPAfter+2*time.Second {
		t.Errorf("applied after %s: want the SIGHUP at %s", took, serveHUPAfter)
	}
	if c.Config() != cfg || before == cfg {
		t.Error("Config() is not the config applied")
	}
	notes := c.takeNotes()
	if len(notes) != 1 || !strings.Contains(notes[0], "SIGHUP") {
		t.Errorf("notes %q: want one saying SIGHUP was sent", notes)
	}
	if again := c.takeNotes(); len(again) != 0 {
		t.Errorf("notes taken twice: %q", again)
	}
}

// Only the simulators' settings and a short allow-list reach the child:
// the sandbox's own credentials must not (a real GITHUB_TOKEN would let
// serve reach real GitHub).
func TestChildEnv(t *testing.T) {
	t.Setenv("GITHUB_TOKEN", "ghp_real")
	t.Setenv("SLACK_BOT_TOKEN", "xoxb-real")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "aws-real")
	t.Setenv("HOME", "/home/someone")
	t.Setenv("TMPDIR", "")
	env := config.Env{GitHubToken: "sandbox", GitHubAPIURL: "http://127.0.0.1:1", SlackBotToken: "xoxb-sim",
		RedisURL: "redis://127.0.0.1:2/0", OpenAIBaseURL: "http://127.0.0.1:3/v1"}
	got := childEnv(env)
	for _, tt := range []struct {
		kv   string
		want bool
	}{
		{"GITHUB_TOKEN=sandbox", true},
		{"GITHUB_API_URL=http://127.0.0.1:1", true},
		{"SLACK_BOT_TOKEN=xoxb-sim", true},
		{"REDIS_URL=redis://127.0.0.1:2/0", true},
		{"OPENAI_BASE_URL=http://127.0.0.1:3/v1", true},
		{"HOME=/home/someone", true},
		{"PATH=" + os.Getenv("PATH"), true},
		{"GITHUB_TOKEN=ghp_real", false},
		{"SLACK_BOT_TOKEN=xoxb-real", false},
		{"AWS_SECRET_ACCESS_KEY=aws-real", false},
		{"TMPDIR=", false},
		{"OPENAI_API_KEY=", false},
	} {
		if slices.Contains(got, tt.kv) != tt.want {
			t.Errorf("childEnv has %q: %v, want %v (env %q)", tt.kv, !tt.want, tt.want, got)
		}
	}
	for _, kv := range got {
		if strings.Contains(kv, "real") {
			t.Errorf("childEnv passes the sandbox's own %q", kv)
		}
	}
}

// The log's end is whole lines, at most serveLogTail bytes.
func TestTailLines(t *testing.T) {
	dir := t.TempDir()
	for _, tt := range []struct {
		name  string
		lines int
	}{
		{"short", 3},
		{"longer than the tail", 400},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var b strings.Builder
			for i := range tt.lines {
				fmt.Fprintf(&b, "line %04d of the log\n", i)
			}
			path := filepath.Join(dir, tt.name)
			if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
				t.Fatal(err)
			}
			got := tailLines(path, serveLogTail)
			if len(got) > serveLogTail || !strings.HasSuffix(got, fmt.Sprintf("line %04d of the log", tt.lines-1)) {
				t.Errorf("%d bytes ending %q: want at most %d ending with the last line", len(got), got[max(0, len(got)-30):], serveLogTail)
			}
			for _, l := range strings.Split(got, "\n") {
				if !strings.HasPrefix(l, "line ") {
					t.Fatalf("partial line %q", l)
				}
			}
		})
	}
}

// The same bytes are not written again (they would apply nothing, and
// SetConfig would wait for a reload that never comes).
func TestExternalWrite(t *testing.T) {
	c := &external{dir: t.TempDir()}
	c.path = filepath.Join(c.dir, "ccm.yaml")
	cfg := config.Default()
	for i, want := range []bool{true, false} {
		changed, err := c.write(cfg.Clone())
		if err != nil || changed != want {
			t.Errorf("write %d = %v, %v; want changed %v", i+1, changed, err, want)
		}
	}
	cfg.ApprovalTimeout = 3 * time.Minute
	if changed, err := c.write(cfg); err != nil || !changed {
		t.Errorf("write of an edit = %v, %v; want changed", changed, err)
	}
	if _, err := config.Load(c.path); err != nil {
		t.Errorf("the file written does not load: %v", err)
	}
}

// reloads reads serve's counters from /metrics, and says what went wrong.
func TestExternalReloads(t *testing.T) {
	for _, tt := range []struct {
		name, body      string
		status          int
		applied, reject int
		err             string
	}{
		{"counts", "# HELP x\nccm_config_reloads_total{outcome=\"applied\"} 4\nccm_config_reloads_total{outcome=\"rejected\"} 1\nother 9\n", 200, 4, 1, ""},
		{"none yet", "go_goroutines 12\n", 200, 0, 0, ""},
		{"garbled", "ccm_config_reloads_total{outcome=\"applied\"} four\n", 200, 0, 0, `"four"`},
		{"not served", "", 503, 0, 0, "503"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path != "/metrics" {
					http.NotFound(w, r)
					return
				}
				w.WriteHeader(tt.status)
				fmt.Fprint(w, tt.body)
			}))
			defer srv.Close()
			c := &external{addr: strings.TrimPrefix(srv.URL, "http://"), client: srv.Client()}
			a, r, err := c.reloads(context.Background())
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Errorf("err %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil || a != tt.applied || r != tt.reject {
				t.Errorf("reloads() = %d, %d, %v; want %d, %d", a, r, err, tt.applied, tt.reject)
			}
		})
	}
}

// After a missed scenario: a serve that answers costs no wait; one that
// no longer answers but is not reaped yet is given a second to be.
func TestDiedInScenario(t *testing.T) {
	ctx := context.Background()
	c := startFake(t, fakeFading)
	w := &World{ccm: c}
	start := time.Now()
	if w.diedInScenario(ctx) {
		t.Fatal("a serve that answers counted as dead")
	}
	if took := time.Since(start); took > 500*time.Millisecond {
		t.Errorf("took %s for a serve that answers", took)
	}
	if err := c.cmd.Process.Signal(syscall.SIGUSR1); err != nil {
		t.Fatal(err)
	}
	for c.answers(ctx) {
		time.Sleep(10 * time.Millisecond)
	}
	if !w.diedInScenario(ctx) {
		t.Error("a serve that stopped answering and exited half a second later did not count as dead")
	}
}
