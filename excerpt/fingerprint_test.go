package excerpt

import (
	"regexp"
	"strings"
	"testing"

	"github.com/ccm-ci/ccm/cilogs"
)

func TestMaskVolatile(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{name: "plain text", in: "cannot find symbol", want: "cannot find symbol"},
		{name: "line and column", in: "Program.java:[27,32] error: cannot find symbol", want: "Program.java:[<n>,<n>] error: cannot find symbol"},
		{name: "names keep digits", in: "error TS2322 on x64 with sha256 and python3", want: "error TS2322 on x64 with sha256 and python3"},
		{name: "commit sha", in: "HEAD is now at 3a2844b7e9c422d3c10d287c895573f7108da1b3", want: "HEAD is now at <n>"},
		{name: "short sha", in: "Merge 0a5e089 into d1994ae", want: "Merge <n> into <n>"},
		{name: "all-digit short sha", in: "Merge 1234567 into", want: "Merge <n> into"},
		{name: "go pointer offsets", in: "testing.go:2241 +0x3c5 (0xc822799f08, 0x0)", want: "testing.go:<n> +<hex> (<hex>, <hex>)"},
		{name: "uuid", in: "request 123e4567-e89b-12d3-a456-426614174000 failed", want: "request <uuid> failed"},
		{name: "iso timestamp", in: "at 2024-01-02T03:04:05.123Z ok", want: "at <ts> ok"},
		{name: "clock time", in: "[01:19:59] error", want: "[<ts>] error"},
		// Netlify's 12-hour clock: the same failure at another hour of the day.
		{name: "12-hour clock", in: "7:30:00 AM: Build exceeded maximum allowed runtime", want: "<ts>: Build exceeded maximum allowed runtime"},
		{name: "12-hour clock, two-digit hour", in: "10:05:12 PM: Build exceeded maximum allowed runtime", want: "<ts>: Build exceeded maximum allowed runtime"},
		{name: "a word after a clock is no meridiem", in: "12:00:01 amd64 build", want: "<ts> amd64 build"},
		{name: "durations", in: "panic: test timed out after 10m0s (5000ms, 1.5s)", want: "panic: test timed out after <dur> (<dur>, <dur>)"},
		{name: "ip and port", in: "dial tcp 10.1.2.3:5432: connect: connection refused", want: "dial tcp <ip>:<n>: connect: connection refused"},
		{name: "localhost port", in: "listen tcp 127.0.0.1:34567: bind", want: "listen tcp <ip>:<n>: bind"},
		{name: "tmp path", in: "open /tmp/go-build1234/b001/x.test: no such file", want: "open <tmp> no such file"},
		{name: "runner temp script", in: "/home/runner/work/_temp/8f1c.sh: line 1: foo: command not found", want: "<tmp> line <n>: foo: command not found"},
		{name: "workspace path keeps repo-relative part", in: "/home/runner/work/B4D/B4D/src/main/Program.java:[27,32]", want: "<work>/src/main/Program.java:[<n>,<n>]"},
		{name: "self-hosted workspace", in: "/opt/actions-runner/_work/app/app/main.go:3", want: "<work>/main.go:<n>"},
		{name: "windows workspace", in: `D:\a\repo\repo\src\x.cs(3,4): error CS1002`, want: `<work>\src\x.cs(<n>,<n>): error CS1002`},
		{name: "windows temp", in: `C:\Users\RUNNER~1\AppData\Local\Temp\tmp123.ps1 failed`, want: `<tmp> failed`},
		{name: "exit code kept", in: "Process completed with exit code 137.", want: "Process completed with exit code 137."},
		{name: "http status kept", in: "failed with status code 429", want: "failed with status code 429"},
		{name: "counts masked", in: "2 failing, 459 passing", want: "<n> failing, <n> passing"},
		{name: "underscore separates", in: "Worker_20250304-005208-utc.log", want: "Worker_<n>-<n>-utc.log"},
		{name: "short hex word kept", in: "cafe bad", want: "cafe bad"},
		{name: "letter-only sha", in: "at abcdefab", want: "at <n>"},
		{name: "version", in: "node 20.11.1 and 3.5", want: "node <n> and <n>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := MaskVolatile(tt.in)
			if got != tt.want {
				t.Errorf("MaskVolatile(%q)\n got %q\nwant %q", tt.in, got, tt.want)
			}
			if again := MaskVolatile(got); again != got {
				t.Errorf("not idempotent: %q -> %q", got, again)
			}
		})
	}
}

var hex16 = regexp.MustCompile(`^[0-9a-f]{16}$`)

func TestFingerprint_SameFailureAcrossRuns(t *testing.T) {
	// The same failure, as two different runs print it.
	run1 := ghLog(withSetup(
		"##[group]Run go test ./...",
		"##[endgroup]",
		"=== RUN   TestUpload",
		"    upload_test.go:42: dial tcp 10.1.0.17:43817: i/o timeout after 30.2s",
		"--- FAIL: TestUpload (30.21s)",
		"panic: test timed out after 10m0s",
		"goroutine 71402 [running]:",
		"FAIL\tgithub.com/o/r/upload\t600.123s",
		"open /tmp/go-build2349871/b001/upload.test: run 8d3c1f2a9b at 2024-01-02T03:04:05Z",
		"##[error]Process completed with exit code 1.",
	)...)
	run2 := ghLog(withSetup(
		"##[group]Run go test ./...",
		"##[endgroup]",
		"=== RUN   TestUpload",
		"    upload_test.go:42: dial tcp 10.1.3.9:39001: i/o timeout after 31.9s",
		"--- FAIL: TestUpload (31.95s)",
		"panic: test timed out after 10m0s",
		"goroutine 8812 [running]:",
		"FAIL\tgithub.com/o/r/upload\t601.9s",
		"open /tmp/go-build9911/b001/upload.test: run 77aa01ff3c at 2024-02-03T11:22:33Z",
		"##[error]Process completed with exit code 1.",
	)...)
	ex1, ex2 := extract(t, run1, Options{}), extract(t, run2, Options{})
	fp1, fp2 := Fingerprint(ex1.Reason, ex1.ErrorLines), Fingerprint(ex2.Reason, ex2.ErrorLines)
	if !hex16.MatchString(fp1) {
		t.Fatalf("fingerprint %q is not 16 hex characters", fp1)
	}
	if fp1 != fp2 {
		t.Errorf("same failure, different fingerprints %s != %s\nrun1: %q %q\nrun2: %q %q", fp1, fp2, ex1.Reason, ex1.ErrorLines, ex2.Reason, ex2.ErrorLines)
	}
}

func TestFingerprint(t *testing.T) {
	base := Fingerprint("npm error code ECONNRESET", []string{"npm error code ECONNRESET", "npm error network aborted"})
	tests := []struct {
		name   string
		reason string
		lines  []string
		same   bool
	}{
		{name: "identical", reason: "npm error code ECONNRESET", lines: []string{"npm error code ECONNRESET", "npm error network aborted"}, same: true},
		{name: "lines reordered and repeated", reason: "npm error code ECONNRESET", lines: []string{"npm error network aborted", "npm error code ECONNRESET", "npm error network aborted"}, same: true},
		{name: "whitespace and marker", reason: "  npm error code   ECONNRESET ", lines: []string{"##[error]npm error code ECONNRESET", "npm error network aborted"}, same: true},
		{name: "different reason", reason: "npm error code ETIMEDOUT", lines: []string{"npm error code ECONNRESET", "npm error network aborted"}},
		{name: "different lines", reason: "npm error code ECONNRESET", lines: []string{"npm error code ECONNRESET"}},
		{name: "different exit code", reason: "Process completed with exit code 137", lines: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Fingerprint(tt.reason, tt.lines)
			if (got == base) != tt.same {
				t.Errorf("Fingerprint = %s, base %s, want same=%v", got, base, tt.same)
			}
		})
	}
	if Fingerprint("Process completed with exit code 137", nil) == Fingerprint("Process completed with exit code 1", nil) {
		t.Error("exit code 137 and 1 share a fingerprint")
	}
}

// Different real failures get different fingerprints. The exception is
// known: a Go test timeout prints one error line, "panic: test timed out
// after 10m0s", whatever test hung, so those logs share a value.
func TestFingerprint_DifferentFixturesDiffer(t *testing.T) {
	seen := map[string]string{}
	for _, fx := range cilogs.Labelled() {
		ex := extract(t, fx.Log, Options{})
		fp := Fingerprint(ex.Reason, ex.ErrorLines)
		if other, dup := seen[fp]; dup && !strings.HasPrefix(ex.Reason, "panic: test timed out") {
			t.Errorf("%s and %s share fingerprint %s", fx.ID, other, fp)
		}
		seen[fp] = fx.ID
	}
}
