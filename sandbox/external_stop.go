package sandbox

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// Log is the end of the child's log, whole lines (what it was when the
// files were removed, after Shutdown).
func (c *external) Log() string {
	if c.logf == nil {
		return ""
	}
	c.mu.Lock()
	last := c.lastLog
	c.mu.Unlock()
	if last != "" {
		return last
	}
	return tailLines(c.logf.Name(), serveLogTail)
}

// tailLines is the end of the file at path, at most max bytes, whole
// lines only.
func tailLines(path string, max int64) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	trimmed := false
	if st, err := f.Stat(); err == nil && st.Size() > max {
		if _, err := f.Seek(st.Size()-max, io.SeekStart); err == nil {
			trimmed = true
		}
	}
	// The file may grow while it is read: read at most max bytes, and drop
	// the first (partial) line whenever the start was skipped.
	b, _ := io.ReadAll(io.LimitReader(f, max))
	if trimmed {
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

// Exit says how ccm serve ended ("" while it runs and was not stopped).
func (c *external) Exit() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.exit
}

// Shutdown stops the child as an orchestrator does (SIGTERM, then
// SIGKILL once stopTimeout passed) and waits for it, then removes its
// files. Nothing it started is left running. It returns an error when
// serve did not stop cleanly: it had exited by itself, exited non-zero on
// SIGTERM, or had to be killed; Exit says which.
func (c *external) Shutdown() error {
	c.stop.Do(func() {
		var exit string
		var err error
		if c.cmd != nil && c.cmd.Process != nil {
			select {
			case <-c.died:
				exit = "had exited by itself: " + c.cause.Error()
				err = fmt.Errorf("ccm serve %s before the sandbox stopped it", c.cause)
			default:
				_ = c.cmd.Process.Signal(syscall.SIGTERM)
				select {
				case <-c.died:
					exit = describeExit(c.waitErr) + " on SIGTERM"
					if c.waitErr != nil {
						err = fmt.Errorf("ccm serve (pid %d) %s on SIGTERM, want status 0", c.cmd.Process.Pid, exitWords(c.waitErr))
					}
				case <-time.After(c.stopTimeout):
					_ = c.cmd.Process.Kill()
					<-c.died
					exit = fmt.Sprintf("killed: still running %s after SIGTERM", c.stopTimeout)
					err = fmt.Errorf("ccm serve (pid %d) did not stop within %s of SIGTERM: the sandbox killed it", c.cmd.Process.Pid, c.stopTimeout)
				}
			}
		}
		log := c.Log()
		c.mu.Lock()
		c.exit, c.lastLog = exit, log
		if err != nil {
			c.exitErr = &ServeExitError{Err: err}
		}
		c.mu.Unlock()
		if c.logf != nil {
			_ = c.logf.Close()
		}
		_ = os.RemoveAll(c.dir)
	})
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.exitErr
}

// describeExit is cmd.Wait's error as Report.ServeExit gives it: "exit
// status 0" for nil (a value scripts may read: kept as it was).
func describeExit(err error) string {
	if err == nil {
		return "exit status 0"
	}
	return err.Error()
}

// exitWords says how the child ended, one wording for every message:
// "exited with status 3", "was killed by signal 9 (killed)".
func exitWords(err error) string {
	var ee *exec.ExitError
	switch {
	case err == nil:
		return "exited with status 0"
	case errors.As(err, &ee):
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return fmt.Sprintf("was killed by signal %d (%s)", int(ws.Signal()), ws.Signal())
		}
		return fmt.Sprintf("exited with status %d", ee.ExitCode())
	}
	return "ended: " + err.Error() // Wait's own failure, not an exit
}

// logTail ends a message about the child with the end of its log, or
// says there is none (an empty log is news: it died before writing).
func logTail(log string) string {
	if strings.TrimSpace(log) == "" {
		return " (its log is empty)"
	}
	return "; the end of its log:\n" + log
}
