package main

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	ccmsandbox "github.com/ccm-ci/ccm/sandbox"
)

// `ccm sandbox`, the built binary: every scenario reaches its end, exit
// 0, well within the minute the issue allows.
func TestSandboxScenariosBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := buildCCM(t, "-s -w")
	cmd := exec.Command(bin, "sandbox")
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	start := time.Now()
	err := cmd.Run()
	took := time.Since(start)
	if err != nil {
		t.Fatalf("ccm sandbox: %v\nstderr:\n%s\nstdout:\n%s", err, errOut.String(), out.String())
	}
	for _, want := range []string{"Scenarios:  9 of 9 reached their expected end", "[Approve] [Reject]", "Took:"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("stdout lacks %q", want)
		}
	}
	if errOut.Len() > 0 {
		t.Errorf("stderr not empty (the scenarios log nothing by default):\n%s", errOut.String())
	}
	if took > time.Minute {
		t.Errorf("ccm sandbox took %s, over a minute", took)
	}
	t.Logf("ccm sandbox: %s wall", took.Round(time.Millisecond))
}

// A scenario that does not reach its end makes the sandbox exit 1, naming
// it and where it stopped.
func TestSandboxScenarioMissExits1(t *testing.T) {
	offline(t)
	sandboxWithhold = []string{"approved"}
	defer func() { sandboxWithhold = nil }()
	stdout, stderr, code := runCLI(t, nil, "sandbox", "--scenario", "app-code,approved", "--timeout", "2s")
	if code != 1 {
		t.Fatalf("exit %d, want 1\nstderr: %s", code, stderr)
	}
	if !regexp.MustCompile(`approved did not reach its end: stopped at: wait for acme/billing#\d+\.1 to be remediated.*awaiting_approval`).MatchString(stderr) {
		t.Errorf("stderr does not name the scenario and where it stopped:\n%s", stderr)
	}
	if !strings.Contains(stdout, "✓ app-code") || !strings.Contains(stdout, "✗ approved") {
		t.Errorf("summary does not tell them apart:\n%s", stdout)
	}
}

// --interactive reads the person's decision from stdin.
func TestSandboxInteractiveStdin(t *testing.T) {
	offline(t)
	stdout, stderr, code := runCLI(t, strings.NewReader("@ccm failures\napprove\n"), "sandbox", "--interactive", "--scenario", "approved")
	if code != 0 {
		t.Fatalf("exit %d: %s\n%s", code, stderr, stdout)
	}
	if !strings.Contains(stdout, "ccm> ") || !strings.Contains(stdout, "Approved by @alice") {
		t.Errorf("no prompt or no approval in:\n%s", stdout)
	}
}

func TestSandboxSetupErrors(t *testing.T) {
	offline(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	dir := t.TempDir()
	notExec := filepath.Join(dir, "ccm.txt")
	if err := os.WriteFile(notExec, []byte("not a program"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, redis string
		args        []string
		want        string
	}{
		{name: "port taken", args: []string{"--http-addr", l.Addr().String()}, want: "cannot listen on " + l.Addr().String()},
		{name: "REDIS_URL nowhere", redis: "redis://127.0.0.1:1/0", want: "connect to redis at 127.0.0.1:1"},
		{name: "unknown scenario", args: []string{"--scenario", "nope"}, want: `no scenario "nope"`},
		{name: "llm without logs", args: []string{"--llm"}, want: "--llm goes with --logs"},
		{name: "interactive with logs", args: []string{"--interactive", "--logs", "3"}, want: "choose one"},
		{name: "binary missing", args: []string{"--binary", filepath.Join(dir, "nope")}, want: "--binary " + filepath.Join(dir, "nope") + ": stat"},
		{name: "binary a directory", args: []string{"--binary", dir}, want: "is a directory"},
		{name: "binary not executable", args: []string{"--binary", notExec}, want: "is not executable"},
		{name: "binary with logs", args: []string{"--binary", notExec, "--logs", "3"}, want: "choose one"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("REDIS_URL", tt.redis)
			_, stderr, code := runCLI(t, nil, append([]string{"sandbox"}, tt.args...)...)
			if code != 2 || !strings.Contains(stderr, tt.want) {
				t.Errorf("exit %d, stderr %q: want 2 and %q", code, stderr, tt.want)
			}
		})
	}
}

// Ctrl-C while the sandbox waits at an approval: exit 130, "interrupted",
// and nothing left listening or running, the `ccm serve` child of
// --binary included.
func TestSandboxInterruptBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := buildCCM(t, "-s -w")
	for _, tt := range []struct {
		name string
		args []string
	}{
		{"in-process", nil},
		{"ccm serve child", []string{"--binary", bin}},
	} {
		t.Run(tt.name, func(t *testing.T) { interruptSandbox(t, bin, tt.args...) })
	}
}

func interruptSandbox(t *testing.T, bin string, args ...string) {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"sandbox", "--interactive", "--scenario", "approved"}, args...)...)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	defer stdin.Close()
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var errOut syncWriter
	cmd.Stderr = &errOut
	proc := startServe(t, cmd)
	addr := make(chan string, 1)
	child := make(chan int, 1)
	prompt := make(chan struct{})
	go func() {
		r := bufio.NewReader(stdout)
		re := regexp.MustCompile(`ccm's HTTP endpoints: http://(\S+)`)
		pidRE := regexp.MustCompile("serve` \\(pid (\\d+)\\)")
		var line []byte
		for {
			b, err := r.ReadByte()
			if err != nil {
				return
			}
			line = append(line, b)
			if m := re.FindSubmatch(line); m != nil && b == '\n' {
				addr <- string(m[1])
			}
			if m := pidRE.FindSubmatch(line); m != nil && b == '\n' {
				pid, _ := strconv.Atoi(string(m[1]))
				select { // named twice (the process, the analysis)
				case child <- pid:
				default:
				}
			}
			if bytes.HasSuffix(line, []byte("ccm> ")) {
				close(prompt)
				_, _ = io.Copy(io.Discard, r)
				return
			}
			if b == '\n' {
				line = line[:0]
			}
		}
	}()
	// With --binary, ccm serve keeps its production pacing: the prompt may
	// take as long as a scenario's deadline there.
	wait := 30 * time.Second
	if len(args) > 0 {
		wait = ccmsandbox.ExternalScenarioDeadline
	}
	select {
	case <-prompt:
	case <-time.After(wait):
		t.Fatalf("no prompt; stderr:\n%s", errOut.String())
	}
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	proc.waitExit(t, 130, 15*time.Second, "ccm sandbox after SIGINT", &errOut)
	if !strings.Contains(errOut.String(), "interrupted") {
		t.Errorf("stderr %q: want \"interrupted\"", errOut.String())
	}
	select {
	case a := <-addr:
		if c, err := net.DialTimeout("tcp", a, time.Second); err == nil {
			c.Close()
			t.Errorf("%s still accepts connections after the exit", a)
		}
	default:
		t.Error("the header did not print the HTTP address")
	}
	if len(args) == 0 {
		return
	}
	select {
	case pid := <-child:
		// The sandbox reaped it before exiting: it is gone, not a zombie.
		if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
			t.Errorf("ccm serve (pid %d) after the sandbox's exit: kill -0 gives %v, want no such process", pid, err)
		}
	default:
		t.Error("the header did not name ccm serve's pid")
	}
}
