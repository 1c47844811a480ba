package main

import (
	"bytes"
	"errors"
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// An unreachable REDIS_URL is one clean error (exit 2), not go-redis's own
// pool lines first; the built binary runs, as go-redis logs to the
// process's own stderr.
func TestSandboxUnreachableRedisIsOneError(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there now
	bin := buildCCM(t, "-s -w")
	for _, cmd := range []string{"sandbox", "audit"} {
		t.Run(cmd, func(t *testing.T) {
			c := exec.Command(bin, cmd)
			c.Env = append(os.Environ(), "REDIS_URL=redis://"+addr+"/11", "OPENAI_API_KEY=")
			var stderr bytes.Buffer
			c.Stderr = &stderr
			err := c.Run()
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() == 0 {
				t.Fatalf("ccm %s: %v, want it to fail; stderr:\n%s", cmd, err, stderr.String())
			}
			got := strings.TrimSpace(stderr.String())
			if strings.Contains(got, "pool.go") || strings.Count(got, "\n") > 0 || !strings.Contains(got, addr) {
				t.Errorf("ccm %s: stderr:\n%s\nwant one line naming %s, none of go-redis's own", cmd, got, addr)
			}
			if cmd == "sandbox" && ee.ExitCode() != 2 {
				t.Errorf("ccm sandbox exited %d, want 2", ee.ExitCode())
			}
		})
	}
}
