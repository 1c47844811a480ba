package sandbox

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/goccy/go-yaml"

	"github.com/ccm-ci/ccm/config"
)

// Bounds of the child's life: how long it may take to be ready, to apply
// an edit of its config file, and to stop on SIGTERM before it is killed.
const (
	serveReadyTimeout  = 30 * time.Second
	serveReloadTimeout = 10 * time.Second
	serveStopTimeout   = 10 * time.Second
	// serveHUPAfter is how long an edit may go unapplied before the
	// sandbox sends SIGHUP: without inotify (instance limits) ccm serve's
	// watcher polls the file every 30 s, but reloads on HUP at once.
	serveHUPAfter = 2 * time.Second
	// serveShutdown is the child's --shutdown-timeout: what the in-process
	// ccm is given too.
	serveShutdown = 3 * time.Second
	serveLogTail  = 4000 // bytes of the child's log a failure shows
)

// external is `BINARY serve` run as a child process against the
// simulators, with its config in a file the sandbox rewrites (ccm serve
// watches it) and its log in a file whose end is shown when it fails.
type external struct {
	cmd    *exec.Cmd
	dir    string // the config file and the log
	path   string // the config file
	logf   *os.File
	addr   string
	client *http.Client

	stopTimeout time.Duration // SIGTERM to SIGKILL (serveStopTimeout)

	mu       sync.Mutex
	cfg      *config.Config // in force: applied by serve
	written  []byte
	analyzer string
	notes    []string // what the sandbox had to do for serve (takeNotes)

	died    chan struct{}
	cause   error // set before died closes
	waitErr error // cmd.Wait's, set before died closes
	stop    sync.Once
	exit    string // how serve ended (Exit), set by Shutdown
	exitErr error  // a serve that did not stop cleanly
	lastLog string // the log's end, kept when its file is removed
}

// startExternal writes cfg where the child reads it and starts `bin serve`
// with the roles the sandbox plays (the Slack bot and the worker; the
// scenarios poll through the queue themselves) on addr, with env (the
// simulators' endpoints, REDIS_URL). It returns once the child is ready
// (/readyz), or an error saying why not with the end of its log.
func startExternal(ctx context.Context, bin string, cfg *config.Config, addr string, env []string) (_ *external, err error) {
	dir, err := os.MkdirTemp("", "ccm-sandbox-")
	if err != nil {
		return nil, fmt.Errorf("sandbox: a directory for ccm serve's config: %w", err)
	}
	c := &external{dir: dir, path: filepath.Join(dir, "ccm.yaml"), client: &http.Client{Timeout: 5 * time.Second},
		died: make(chan struct{}), stopTimeout: serveStopTimeout}
	defer func() {
		if err != nil {
			_ = c.Shutdown()
		}
	}()
	if _, err := c.write(cfg); err != nil {
		return c, err
	}
	c.cfg = cfg // what serve reads when it starts
	if c.addr, err = loopbackAddr(addr); err != nil {
		return c, &SetupError{Err: err}
	}
	if c.logf, err = os.Create(filepath.Join(dir, "serve.log")); err != nil {
		return c, fmt.Errorf("ccm serve's log: %w", err)
	}
	c.cmd = exec.Command(bin, "serve", "--config", c.path, "--roles", "bot,worker", "--http-addr", c.addr,
		"--concurrency", "8", "--shutdown-timeout", serveShutdown.String(), "--log-level", "info")
	c.cmd.Env = env
	c.cmd.Stdout, c.cmd.Stderr = c.logf, c.logf
	c.cmd.SysProcAttr = childAttr()
	// Pdeathsig fires when the OS thread that forked the child ends, not
	// the process: the fork and the wait share one locked thread, which
	// lives as long as the child does.
	started := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		if err := c.cmd.Start(); err != nil {
			started <- err
			return
		}
		started <- nil
		err := c.cmd.Wait()
		c.waitErr = err
		c.cause = fmt.Errorf("(pid %d) %s", c.cmd.Process.Pid, exitWords(err))
		close(c.died)
	}()
	if err := <-started; err != nil {
		return c, &SetupError{Err: fmt.Errorf("start %s serve: %w", bin, err)}
	}
	if err := c.ready(ctx); err != nil {
		return c, err
	}
	c.analyzer = c.logged("analysis: ")
	return c, nil
}

// loopbackAddr is addr with a free port when it asks for port 0: the
// child cannot tell the sandbox which one it picked. A small race with
// another program taking it first is accepted (it then fails to listen,
// and says so).
func loopbackAddr(addr string) (string, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("--http-addr %q: %w", addr, err)
	}
	if port != "0" {
		return addr, nil
	}
	l, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		return "", fmt.Errorf("a free port for ccm serve on %s: %w", host, err)
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// ready waits for /readyz, the signal an orchestrator waits for. A child
// that exits first is a setup problem (a bad binary or environment): the
// person running the sandbox must fix it, and waiting would not.
func (c *external) ready(ctx context.Context) error {
	end := time.Now().Add(serveReadyTimeout)
	for {
		resp, err := c.get(ctx, "/readyz")
		if err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return ErrInterrupted
		case <-c.died:
			return &SetupError{Err: &ServeDiedError{Err: fmt.Errorf("%w before it was ready", c.cause), Log: c.Log()}}
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(end) {
			return &SetupError{Err: fmt.Errorf("ccm serve (pid %d) was not ready on http://%s/readyz within %s%s",
				c.cmd.Process.Pid, c.addr, serveReadyTimeout, logTail(c.Log()))}
		}
	}
}

// write puts cfg in the config file atomically (a temporary file renamed
// over it, as an editor saves): the watcher never reads half a file. It
// says whether the bytes changed (the same bytes apply nothing).
func (c *external) write(cfg *config.Config) (bool, error) {
	data, err := yaml.Marshal(cfg)
	if err != nil {
		return false, fmt.Errorf("ccm serve's config: %w", err)
	}
	data = append([]byte("# Written by ccm sandbox for the ccm serve it plays against.\n"), data...)
	c.mu.Lock()
	defer c.mu.Unlock()
	if bytes.Equal(data, c.written) {
		return false, nil
	}
	tmp, err := os.CreateTemp(c.dir, ".ccm.yaml.*")
	if err != nil {
		return false, fmt.Errorf("sandbox: write ccm serve's config: %w", err)
	}
	_, werr := tmp.Write(data)
	if err := errors.Join(werr, tmp.Close()); err != nil {
		_ = os.Remove(tmp.Name())
		return false, fmt.Errorf("sandbox: write ccm serve's config: %w", err)
	}
	if err := os.Rename(tmp.Name(), c.path); err != nil {
		_ = os.Remove(tmp.Name())
		return false, fmt.Errorf("sandbox: write ccm serve's config: %w", err)
	}
	c.written = data
	return true, nil
}

// get asks ccm serve's HTTP endpoint path, for no longer than ctx allows.
func (c *external) get(ctx context.Context, path string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+c.addr+path, nil)
	if err != nil {
		return nil, fmt.Errorf("ccm serve's %s: %w", path, err)
	}
	return c.client.Do(req)
}

// SetConfig rewrites the file and waits until ccm serve applied it: its
// ccm_config_reloads_total{outcome="applied"} counts one more (a
// rejection counts under "rejected" and is an error, with the log). An
// edit not applied within serveHUPAfter gets a SIGHUP (noted).
func (c *external) SetConfig(ctx context.Context, cfg *config.Config) error {
	applied, rejected, err := c.reloads(ctx)
	if err != nil {
		return err
	}
	changed, err := c.write(cfg)
	if err != nil || !changed {
		return err
	}
	start := time.Now()
	hupped := false
	for {
		a, r, err := c.reloads(ctx)
		switch {
		case ctx.Err() != nil:
			return ErrInterrupted
		case err != nil:
			return err
		case r > rejected:
			return fmt.Errorf("ccm serve rejected the config the sandbox wrote%s", logTail(c.Log()))
		case a > applied:
			c.mu.Lock()
			c.cfg = cfg
			c.mu.Unlock()
			return nil
		}
		if !hupped && time.Since(start) >= serveHUPAfter {
			hupped = true
			if err := c.cmd.Process.Signal(syscall.SIGHUP); err == nil {
				c.note(fmt.Sprintf("ccm serve had not applied its edited config within %s (its file watcher may be polling, as it does "+
					"without inotify): the sandbox sent it SIGHUP", serveHUPAfter))
			}
		}
		select {
		case <-ctx.Done():
			return ErrInterrupted
		case <-c.died:
			return errServeDied
		case <-time.After(25 * time.Millisecond):
		}
		if time.Since(start) > serveReloadTimeout {
			return fmt.Errorf("ccm serve did not apply its edited config within %s%s", serveReloadTimeout, logTail(c.Log()))
		}
	}
}

func (c *external) note(n string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.notes = append(c.notes, n)
}

// takeNotes returns what the sandbox had to do for serve since it was
// last asked (the scenario's notes say it).
func (c *external) takeNotes() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := c.notes
	c.notes = nil
	return n
}

// answers says whether ccm serve's HTTP endpoint answers at all.
func (c *external) answers(ctx context.Context) bool {
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	resp, err := c.get(ctx, "/healthz")
	if err != nil {
		return false
	}
	_ = resp.Body.Close()
	return true
}

// reloads reads ccm serve's reload counters from /metrics.
func (c *external) reloads(ctx context.Context) (applied, rejected int, err error) {
	resp, err := c.get(ctx, "/metrics")
	if err != nil {
		return 0, 0, fmt.Errorf("ccm serve's /metrics: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, 0, fmt.Errorf("ccm serve's /metrics: %s", resp.Status)
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		for name, n := range map[string]*int{"applied": &applied, "rejected": &rejected} {
			if v, ok := strings.CutPrefix(line, `ccm_config_reloads_total{outcome="`+name+`"} `); ok {
				f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
				if err != nil {
					return 0, 0, fmt.Errorf("ccm serve's /metrics: %q: %w", line, err)
				}
				*n = int(f)
			}
		}
	}
	if err := sc.Err(); err != nil {
		return 0, 0, fmt.Errorf("ccm serve's /metrics: %w", err)
	}
	return applied, rejected, nil
}

// logged is the message of the child's first log line starting with
// prefix, without it ("" when there is none).
func (c *external) logged(prefix string) string {
	f, err := os.Open(c.logf.Name())
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		var l struct {
			Msg string `json:"msg"`
		}
		if json.Unmarshal(sc.Bytes(), &l) == nil && strings.HasPrefix(l.Msg, prefix) {
			return strings.TrimPrefix(l.Msg, prefix)
		}
	}
	return ""
}

func (c *external) Addr() string { return c.addr }

func (c *external) Analyzer() string {
	a := c.analyzer
	if a == "" {
		a = "unknown (ccm serve's log does not say)"
	}
	return fmt.Sprintf("%s, by `ccm serve` (pid %d)", a, c.cmd.Process.Pid)
}

func (c *external) Config() *config.Config {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.cfg
}

func (c *external) Died() <-chan struct{} { return c.died }
func (c *external) Cause() error          { return c.cause }
