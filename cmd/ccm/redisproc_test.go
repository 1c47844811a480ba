package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ccm-ci/ccm/sim/githubsim"
)

// needBinaries skips the test when a Redis program it starts itself is
// not installed, unless CCM_REQUIRE_REDIS is set (CI), where that fails.
func needBinaries(t *testing.T, names ...string) {
	t.Helper()
	for _, n := range names {
		if _, err := exec.LookPath(n); err != nil {
			if os.Getenv("CCM_REQUIRE_REDIS") != "" {
				t.Fatalf("%s is not installed and CCM_REQUIRE_REDIS is set (Debian: apt-get install redis-server redis-sentinel)", n)
			}
			t.Skipf("%s is not installed (Debian: apt-get install redis-server redis-sentinel)", n)
		}
	}
}

// redisProc is a redis-server (or redis-sentinel) the test started on a
// loopback port of its own, with its files in a temporary directory. The
// port and directory outlive a stop, so start brings back the same server
// with what it persisted.
type redisProc struct {
	t      *testing.T
	bin    string
	port   int
	dir    string
	args   []string
	cmd    *exec.Cmd
	exited chan struct{}
}

// startRedis starts bin (redis-server or redis-sentinel) with args on a
// free loopback port and waits until it answers PING. Cleanup kills it.
// A sentinel takes its config file as the first argument (conf != "").
func startRedis(t *testing.T, bin, conf string, args ...string) *redisProc {
	t.Helper()
	dir := t.TempDir()
	p := &redisProc{t: t, bin: bin, port: freePort(t), dir: dir}
	if conf != "" {
		path := filepath.Join(dir, "sentinel.conf")
		if err := os.WriteFile(path, []byte(conf), 0o600); err != nil {
			t.Fatal(err)
		}
		p.args = append(p.args, path)
	}
	p.args = append(p.args, "--bind", "127.0.0.1", "--port", strconv.Itoa(p.port), "--dir", dir,
		"--save", "", "--logfile", filepath.Join(dir, "redis.log"))
	p.args = append(p.args, args...)
	t.Cleanup(func() {
		if p.cmd != nil {
			_ = p.cmd.Process.Kill()
			<-p.exited
		}
		if t.Failed() {
			if b, err := os.ReadFile(filepath.Join(dir, "redis.log")); err == nil {
				t.Logf("%s :%d log (last 3000 bytes):\n%s", filepath.Base(bin), p.port, tail(string(b), 3000))
			}
		}
	})
	p.start()
	return p
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

// freePort is a loopback port nothing listens on (a small race with other
// programs picking it is accepted, as for freeAddr).
func freePort(t *testing.T) int {
	t.Helper()
	_, port, _ := net.SplitHostPort(freeAddr(t))
	n, err := strconv.Atoi(port)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func (p *redisProc) addr() string { return fmt.Sprintf("127.0.0.1:%d", p.port) }

// start (re)starts the server on its port and directory and waits for PING.
func (p *redisProc) start() {
	p.t.Helper()
	cmd := exec.Command(p.bin, p.args...)
	cmd.Dir = p.dir
	if err := cmd.Start(); err != nil {
		p.t.Fatalf("start %s: %v", p.bin, err)
	}
	p.cmd, p.exited = cmd, make(chan struct{})
	go func(c *exec.Cmd, done chan struct{}) { _ = c.Wait(); close(done) }(cmd, p.exited)
	c := redis.NewClient(&redis.Options{Addr: p.addr(), MaxRetries: -1, DialTimeout: 200 * time.Millisecond})
	defer c.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		err := c.Ping(ctx).Err()
		cancel()
		// A server loading its AOF answers LOADING: not up yet.
		if err == nil {
			return
		}
		select {
		case <-p.exited:
			p.t.Fatalf("%s on %s exited at start: %v", p.bin, p.addr(), err)
		default:
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("%s on %s does not answer: %v", p.bin, p.addr(), err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// stop signals the server (SIGTERM: Redis writes its files and exits;
// SIGKILL: it dies on the spot) and waits for it to exit.
func (p *redisProc) stop(sig syscall.Signal) {
	p.t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		p.t.Fatalf("signal %s: %v", p.bin, err)
	}
	select {
	case <-p.exited:
		p.cmd = nil
	case <-time.After(10 * time.Second):
		p.t.Fatalf("%s on %s did not exit after %v", p.bin, p.addr(), sig)
	}
}

// client is a plain client of this server for the test's own checks.
func (p *redisProc) client() *redis.Client {
	c := redis.NewClient(&redis.Options{Addr: p.addr()})
	p.t.Cleanup(func() { _ = c.Close() })
	return c
}

// info reads one field of INFO section.
func (p *redisProc) info(section, field string) string {
	p.t.Helper()
	c := redis.NewClient(&redis.Options{Addr: p.addr(), MaxRetries: -1})
	defer c.Close()
	s, err := c.Info(context.Background(), section).Result()
	if err != nil {
		return ""
	}
	for line := range strings.SplitSeq(s, "\r\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			return v
		}
	}
	return ""
}

// webhookServe is a `ccm serve` that hears of failures only through
// webhooks (it polls once a day, so a lost delivery cannot be found again
// and hide the loss), on redisURL, against its own GitHub simulator: what
// the Redis restart and failover tests drive.
type webhookServe struct {
	base   string
	gh     *githubsim.Server
	secret []byte
	proc   *serveProc
	out    *syncWriter
	log    []byte // a real failed job's log: a compile error, never remediated
}

const webhookRepo = "acme/web"

func startWebhookServe(t *testing.T, bin, redisURL string) *webhookServe {
	t.Helper()
	compile, err := os.ReadFile("../../testdata/logs/typescript-type-errors.log")
	if err != nil {
		t.Fatal(err)
	}
	w := &webhookServe{gh: githubsim.New(t), secret: []byte("webhook-secret"), out: &syncWriter{}, log: compile}
	cfgPath := filepath.Join(t.TempDir(), "ccm.yaml")
	cfg := "poll_interval: 24h\nretry:\n  initial_backoff: 200ms\n  max_backoff: 2s\nrepositories:\n  - name: " + webhookRepo + "\n"
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	addr := freeAddr(t)
	cmd := exec.Command(bin, "serve", "--config", cfgPath, "--http-addr", addr, "--log-level", "debug")
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(), "GITHUB_TOKEN=ghp_test",
		"GITHUB_API_URL=" + w.gh.URL, "GITHUB_WEBHOOK_SECRET=" + string(w.secret), "REDIS_URL=" + redisURL}
	cmd.Stdout, cmd.Stderr = w.out, w.out
	w.proc = startServe(t, cmd)
	w.base = "http://" + addr
	waitFor(t, "/readyz", func() bool { code, _ := httpGet(w.base + "/readyz"); return code == 200 })
	return w
}

// newFailure seeds failed run i (its own branch) in the simulator.
func (w *webhookServe) newFailure(i int) githubsim.Run {
	return w.gh.AddRun(webhookRepo, githubsim.Run{Conclusion: "failure", Name: "CI", HeadBranch: fmt.Sprintf("b%d", i),
		Jobs: []githubsim.Job{{Name: "build", Conclusion: "failure", Log: string(w.log)}}})
}
