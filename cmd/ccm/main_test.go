package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
	"time"
)

// ccmRun runs ccm in-process with the environment cleared of everything
// that would reach the network, and returns its output and exit code the
// way main computes it.
func ccmRun(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	for _, k := range []string{"OPENAI_API_KEY", "OPENAI_BASE_URL", "GITHUB_TOKEN", "GITHUB_API_URL", "CCM_CONFIG", "REDIS_URL"} {
		t.Setenv(k, "")
	}
	var out, errOut bytes.Buffer
	err := run(context.Background(), args, strings.NewReader(""), &out, &errOut)
	var ee *exitError
	switch {
	case err == nil, errors.Is(err, errHelp):
		code = 0
	case errors.As(err, &ee):
		code = ee.code
	default:
		code = 1
	}
	if err != nil && !errors.Is(err, errHelp) {
		errOut.WriteString("ccm: " + err.Error() + "\n")
	}
	return out.String(), errOut.String(), code
}

// TestMainProcess is not a test: runMain starts the test binary with
// CCM_TEST_MAIN set to run ccm's main, so a test sees exactly what a person
// at a terminal sees on the real stdout and stderr, exit code included.
func TestMainProcess(t *testing.T) {
	if os.Getenv("CCM_TEST_MAIN") == "" {
		t.Skip("helper process for runMain")
	}
	os.Args = append([]string{"ccm"}, strings.Split(os.Getenv("CCM_TEST_ARGS"), "\x1f")...)
	main()
	os.Exit(0)
}

// runMain runs ccm's main in a child process with env added to a cleared
// network environment.
func runMain(t *testing.T, env []string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestMainProcess$")
	cmd.Env = append(os.Environ(), "CCM_TEST_MAIN=1", "CCM_TEST_ARGS="+strings.Join(args, "\x1f"),
		"OPENAI_API_KEY=", "OPENAI_BASE_URL=", "GITHUB_TOKEN=", "GITHUB_API_URL=", "CCM_CONFIG=", "REDIS_URL=")
	cmd.Env = append(cmd.Env, env...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		code = ee.ExitCode()
	default:
		t.Fatalf("run the test binary: %v", err)
	}
	return out.String(), errOut.String(), code
}

// TestHelpExitsZero: every command's --help says what it does with an
// example and exits 0 (help asked for is not an error).
func TestHelpExitsZero(t *testing.T) {
	tests := [][]string{
		{"--help"}, {"-h"}, {"help"},
		{"audit", "--help"}, {"audit", "-h"}, {"stats", "--help"},
		{"version", "--help"}, {"version", "-h"},
		{"serve", "--help"}, {"analyze", "--help"}, {"sandbox", "--help"},
		{"slack-manifest", "--help"},
	}
	for _, args := range tests {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			stdout, stderr, code := ccmRun(t, args...)
			help := stdout + stderr
			if code != 0 {
				t.Fatalf("exit %d, want 0:\n%s", code, help)
			}
			if _, ex, ok := strings.Cut(help, "Example:\n  "); !ok || !strings.Contains(strings.SplitN(ex, "\n", 2)[0], "ccm ") {
				t.Errorf("no example in the help:\n%s", help)
			}
			if strings.Contains(help, "ccm: ") {
				t.Errorf("help printed an error:\n%s", help)
			}
		})
	}
}

func TestTopLevelUsageNamesEveryCommand(t *testing.T) {
	stdout, _, _ := ccmRun(t, "--help")
	for _, cmd := range []string{"serve", "analyze", "audit", "stats", "sandbox", "slack-manifest", "version"} {
		if !strings.Contains(stdout, "\n  "+cmd+"  ") {
			t.Errorf("usage does not describe %q:\n%s", cmd, stdout)
		}
	}
	if _, stderr, code := ccmRun(t); code != 2 || !strings.Contains(stderr, "Commands:") {
		t.Errorf("no command: exit %d, want 2 with the usage:\n%s", code, stderr)
	}
}

// setIdentity sets the -X variables for one test.
func setIdentity(t *testing.T, v, c, d string) {
	t.Helper()
	oldV, oldC, oldD := version, commit, date
	version, commit, date = v, c, d
	t.Cleanup(func() { version, commit, date = oldV, oldC, oldD })
}

func TestBuildIdentity(t *testing.T) {
	const rev = "0123456789abcdef0123456789abcdef01234567"
	vcs := func(modified string) *debug.BuildInfo {
		return &debug.BuildInfo{GoVersion: "go1.99.1", Main: debug.Module{Path: "github.com/ccm-ci/ccm", Version: "(devel)"},
			Settings: []debug.BuildSetting{{Key: "vcs", Value: "git"}, {Key: "vcs.revision", Value: rev},
				{Key: "vcs.time", Value: "2026-12-01T10:00:00Z"}, {Key: "vcs.modified", Value: modified}}}
	}
	tests := []struct {
		name          string
		x             [3]string // -X version, commit, date
		bi            *debug.BuildInfo
		ok            bool
		want          identity
		wantFirstLine string
	}{
		{name: "no build info", ok: false,
			want: identity{Version: "(devel)", GoVersion: runtime.Version()}, wantFirstLine: "ccm (devel)"},
		{name: "Dockerfile default dev means unset", x: [3]string{"dev", "", ""}, ok: false,
			want: identity{Version: "(devel)", GoVersion: runtime.Version()}, wantFirstLine: "ccm (devel)"},
		{name: "checkout build", bi: vcs("false"), ok: true,
			want: identity{Version: "(devel)", Commit: rev, Date: "2026-12-01T10:00:00Z", GoVersion: "go1.99.1"}},
		{name: "uncommitted changes", bi: vcs("true"), ok: true,
			want: identity{Version: "(devel)", Commit: rev, Date: "2026-12-01T10:00:00Z", GoVersion: "go1.99.1", Modified: true}},
		{name: "module version", ok: true,
			bi:   &debug.BuildInfo{GoVersion: "go1.99.1", Main: debug.Module{Version: "v1.4.0"}},
			want: identity{Version: "v1.4.0", GoVersion: "go1.99.1"}, wantFirstLine: "ccm v1.4.0"},
		{name: "-X wins", x: [3]string{"v2.0.0", "feedbeef", "2027-01-01T00:00:00Z"}, bi: vcs("true"), ok: true,
			want: identity{Version: "v2.0.0", Commit: "feedbeef", Date: "2027-01-01T00:00:00Z", GoVersion: "go1.99.1"}, wantFirstLine: "ccm v2.0.0"},
		{name: "-X version only", x: [3]string{"v2.0.0", "", ""}, bi: vcs("false"), ok: true,
			want: identity{Version: "v2.0.0", Commit: rev, Date: "2026-12-01T10:00:00Z", GoVersion: "go1.99.1"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			setIdentity(t, tc.x[0], tc.x[1], tc.x[2])
			got := buildIdentity(tc.bi, tc.ok)
			if got != tc.want {
				t.Errorf("identity = %+v, want %+v", got, tc.want)
			}
			text := got.String()
			if tc.wantFirstLine != "" && !strings.HasPrefix(text, tc.wantFirstLine+"\n") {
				t.Errorf("first line of %q, want %q", text, tc.wantFirstLine)
			}
			wantCommit := tc.want.Commit
			switch {
			case wantCommit == "":
				wantCommit = "unknown"
			case tc.want.Modified:
				wantCommit += " (modified)"
			}
			if !strings.Contains(text, "\ncommit: "+wantCommit) {
				t.Errorf("%q does not say commit %q", text, wantCommit)
			}
		})
	}
}

func TestVersionCommand(t *testing.T) {
	stdout, stderr, code := ccmRun(t, "version")
	if code != 0 || !strings.HasPrefix(stdout, "ccm ") {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	for _, k := range []string{"\ncommit: ", "\ndate:   ", "\ngo:     "} {
		if !strings.Contains(stdout, k) {
			t.Errorf("version output lacks %q:\n%s", k, stdout)
		}
	}
	if again, _, _ := ccmRun(t, "--version"); again != stdout {
		t.Errorf("--version printed %q, version %q", again, stdout)
	}
	if _, stderr, code := ccmRun(t, "version", "extra"); code != 2 {
		t.Errorf("version extra: exit %d, want 2 (%s)", code, stderr)
	}
}

// buildCCM builds the ccm binary with the Dockerfile's flags and ldflags
// and returns its path.
func buildCCM(t *testing.T, ldflags string) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "ccm")
	build := exec.Command("go", "build", "-trimpath", "-ldflags", ldflags, "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// TestVersionLdflags builds ccm the way the Dockerfile does: the -X name
// it passes must stay the variable `ccm version` prints.
func TestVersionLdflags(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := buildCCM(t, "-s -w -X main.version=v7.7.7-test")
	out, err := exec.Command(bin, "version").Output()
	if err != nil {
		t.Fatalf("ccm version: %v", err)
	}
	if !strings.HasPrefix(string(out), "ccm v7.7.7-test\n") {
		t.Errorf("ccm version printed %q, want the -X version first", out)
	}
}

// lateDuration is resolved by the handler before ReplaceAttr sees it.
type lateDuration time.Duration

func (d lateDuration) LogValue() slog.Value { return slog.DurationValue(time.Duration(d)) }

// TestLoggerDurations: durations are logged as "1m30s", at the top level,
// in groups (nested, and from WithGroup) and behind a LogValuer.
func TestLoggerDurations(t *testing.T) {
	var buf bytes.Buffer
	logger, err := newLogger(&buf, "info")
	if err != nil {
		t.Fatal(err)
	}
	logger.Info("m", slog.Duration("took", 90*time.Second), "n", 5,
		slog.Group("g", slog.Duration("d", 1500*time.Millisecond), slog.Group("inner", slog.Duration("x", time.Hour+time.Minute))),
		"any", 3*time.Millisecond, "late", lateDuration(2*time.Minute))
	logger.WithGroup("req").With(slog.Duration("with", 2*time.Second)).Info("m2", slog.Duration("d", 250*time.Microsecond))

	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("want 2 lines, got %q", buf.String())
	}
	var first, second map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &first); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(lines[1]), &second); err != nil {
		t.Fatal(err)
	}
	g := first["g"].(map[string]any)
	req := second["req"].(map[string]any)
	tests := []struct {
		name string
		got  any
		want any
	}{
		{"top level", first["took"], "1m30s"},
		{"group", g["d"], "1.5s"},
		{"nested group", g["inner"].(map[string]any)["x"], "1h1m0s"},
		{"any value", first["any"], "3ms"},
		{"LogValuer", first["late"], "2m0s"},
		{"With in WithGroup", req["with"], "2s"},
		{"WithGroup", req["d"], "250µs"},
		{"not a duration", first["n"], float64(5)},
	}
	for _, tc := range tests {
		if tc.got != tc.want {
			t.Errorf("%s: got %#v, want %#v", tc.name, tc.got, tc.want)
		}
	}
}
