package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"

	ccmsandbox "github.com/ccm-ci/ccm/sandbox"
)

// lockedBuffer is stderr written by the sandbox while the test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestSandboxSlackUI plays one scenario with --slack-ui: the page draws
// its channels and messages, stays up after the scenario ends with
// REDIS_URL's data kept for ccm audit, and Ctrl-C ends the sandbox with
// the scenario's result (0: it reached its end), emptying the database.
func TestSandboxSlackUI(t *testing.T) {
	offline(t)
	m := miniredis.RunT(t)
	t.Setenv("REDIS_URL", "redis://"+m.Addr()+"/0")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stderr lockedBuffer
	done := make(chan error, 1)
	scenario := ccmsandbox.ScenarioNames()[0]
	go func() {
		done <- run(ctx, []string{"sandbox", "--slack-ui", "127.0.0.1:0", "--scenario", scenario}, strings.NewReader(""), io.Discard, &stderr)
	}()
	over := regexp.MustCompile(`the scenarios are over; Slack stays at (http://127\.0\.0\.1:\d+/) until Ctrl-C; REDIS_URL's database keeps`)
	deadline := time.After(2 * time.Minute)
	var url string
	for url == "" {
		select {
		case err := <-done:
			t.Fatalf("the sandbox ended before the Ctrl-C (%v); stderr:\n%s", err, stderr.String())
		case <-deadline:
			t.Fatalf("the scenario did not end in 2 minutes; stderr:\n%s", stderr.String())
		case <-time.After(50 * time.Millisecond):
		}
		if m := over.FindStringSubmatch(stderr.String()); m != nil {
			url = m[1]
		}
	}
	if !strings.Contains(stderr.String(), "Slack as your team sees it: "+url) {
		t.Errorf("the URL was not printed at the start; stderr:\n%s", stderr.String())
	}
	page := fetch(t, url)
	for _, want := range []string{"# " + scenario, `<span class="author">ccm</span>`, `<div class="header">`} {
		if !strings.Contains(page, want) {
			t.Errorf("after the scenario the page lacks %s:\n%s", want, page)
		}
	}
	if len(m.Keys()) == 0 {
		t.Error("REDIS_URL's database was emptied while the page is up")
	}
	if out, stderr, code := runCLI(t, nil, "audit"); code != 0 || !strings.Contains(out, "detection") {
		t.Errorf("ccm audit while the page is up: exit %d, %s%s", code, out, stderr)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("after Ctrl-C the sandbox returned %v, want nil (the scenario reached its end)", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the sandbox did not end 30s after Ctrl-C")
	}
	if keys := m.Keys(); len(keys) != 0 {
		t.Errorf("after Ctrl-C REDIS_URL's database holds %d keys, want it emptied", len(keys))
	}
	if _, err := net.DialTimeout("tcp", strings.TrimSuffix(strings.TrimPrefix(url, "http://"), "/"), time.Second); err == nil {
		t.Error("the page is still served after the sandbox ended")
	}
}

func TestSandboxSlackUIPortTaken(t *testing.T) {
	offline(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	_, stderr, code := runCLI(t, nil, "sandbox", "--slack-ui", ln.Addr().String())
	if code != 2 || !strings.Contains(stderr, "--slack-ui "+ln.Addr().String()) || !strings.Contains(stderr, "address already in use") {
		t.Errorf("exit %d, stderr %q: want 2 naming the taken address", code, stderr)
	}
	if _, stderr, code := runCLI(t, nil, "sandbox", "--slack-ui", "localhost:http:x"); code != 2 || !strings.Contains(stderr, "want HOST:PORT or PORT") {
		t.Errorf("a malformed address: exit %d, stderr %q: want 2 and what to give", code, stderr)
	}
	if _, stderr, code := runCLI(t, nil, "sandbox", "--logs", "2", "--slack-ui", "127.0.0.1:0"); code != 2 || !strings.Contains(stderr, "--slack-ui plays the scenarios") {
		t.Errorf("--logs with --slack-ui: exit %d, stderr %q: want 2", code, stderr)
	}
}
