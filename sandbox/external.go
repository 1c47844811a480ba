package sandbox

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
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

	mu       sync.Mutex
	cfg      *config.Config
	written  []byte
	analyzer string

	died  chan struct{}
	cause error // set before died closes
	stop  sync.Once
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
		died: make(chan struct{})}
	defer func() {
		if err != nil {
			_ = c.Shutdown()
		}
	}()
	if _, err := c.write(cfg); err != nil {
		return c, err
	}
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
	if err := c.cmd.Start(); err != nil {
		return c, &SetupError{Err: fmt.Errorf("start %s serve: %w", bin, err)}
	}
	go func() {
		err := c.cmd.Wait()
		if err == nil {
			err = errors.New("exited (status 0)")
		} else {
			err = fmt.Errorf("exited: %w", err)
		}
		c.cause = fmt.Errorf("(pid %d) %w", c.cmd.Process.Pid, err)
		close(c.died)
	}()
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
		resp, err := c.client.Get("http://" + c.addr + "/readyz")
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
			return &SetupError{Err: fmt.Errorf("ccm serve (pid %d) was not ready on http://%s/readyz within %s; the end of its log:\n%s",
				c.cmd.Process.Pid, c.addr, serveReadyTimeout, c.Log())}
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
	c.written, c.cfg = data, cfg
	return true, nil
}

// SetConfig rewrites the file and waits until ccm serve applied it: its
// ccm_config_reloads_total{outcome="applied"} counts one more (a
// rejection counts under "rejected" and is an error, with the log).
func (c *external) SetConfig(ctx context.Context, cfg *config.Config) error {
	applied, rejected, err := c.reloads()
	if err != nil {
		return err
	}
	changed, err := c.write(cfg)
	if err != nil || !changed {
		return err
	}
	end := time.Now().Add(serveReloadTimeout)
	for {
		a, r, err := c.reloads()
		switch {
		case err != nil:
			return err
		case r > rejected:
			return fmt.Errorf("ccm serve rejected the config the sandbox wrote; the end of its log:\n%s", c.Log())
		case a > applied:
			return nil
		}
		select {
		case <-ctx.Done():
			return ErrInterrupted
		case <-c.died:
			return errServeDied
		case <-time.After(25 * time.Millisecond):
		}
		if time.Now().After(end) {
			return fmt.Errorf("ccm serve did not apply its edited config within %s; the end of its log:\n%s", serveReloadTimeout, c.Log())
		}
	}
}

// reloads reads ccm serve's reload counters from /metrics.
func (c *external) reloads() (applied, rejected int, err error) {
	resp, err := c.client.Get("http://" + c.addr + "/metrics")
	if err != nil {
		return 0, 0, fmt.Errorf("ccm serve's /metrics: %w", err)
	}
	defer resp.Body.Close()
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

// Log is the end of the child's log, whole lines.
func (c *external) Log() string {
	if c.logf == nil {
		return ""
	}
	f, err := os.Open(c.logf.Name())
	if err != nil {
		return ""
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.Size() > serveLogTail {
		_, _ = f.Seek(st.Size()-serveLogTail, io.SeekStart)
	}
	b, _ := io.ReadAll(f)
	if len(b) == serveLogTail {
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			b = b[i+1:]
		}
	}
	return strings.TrimRight(string(b), "\n")
}

// PID is the child's process ID (0 before it started).
func (c *external) PID() int {
	if c.cmd == nil || c.cmd.Process == nil {
		return 0
	}
	return c.cmd.Process.Pid
}

// Shutdown stops the child as an orchestrator does (SIGTERM, then
// SIGKILL once serveStopTimeout passed) and waits for it, then removes its
// files. Nothing it started is left running.
func (c *external) Shutdown() error {
	c.stop.Do(func() {
		if c.cmd != nil && c.cmd.Process != nil {
			select {
			case <-c.died:
			default:
				_ = c.cmd.Process.Signal(syscall.SIGTERM)
				select {
				case <-c.died:
				case <-time.After(serveStopTimeout):
					_ = c.cmd.Process.Kill()
					<-c.died
				}
			}
		}
		if c.logf != nil {
			_ = c.logf.Close()
		}
		_ = os.RemoveAll(c.dir)
	})
	return nil
}
