package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestAnalyzeCleanLogSaysNoFailure: `ccm analyze` on a passing log says
// plainly that it found no failure line, instead of quoting the last line
// as the reason and blaming the application code.
func TestAnalyzeCleanLogSaysNoFailure(t *testing.T) {
	logs := map[string]string{
		"go":     "Run go test ./...\nok  \tgithub.com/acme/app\t0.012s\nok  \tgithub.com/acme/app/errors\t1.204s\n",
		"jest":   "> jest\n\nPASS src/sum.test.ts\nTest Suites: 3 passed, 3 total\nTests:       12 passed, 12 total\nTime:        2.1 s\n",
		"gradle": "> Task :test\n\nBUILD SUCCESSFUL in 41s\n7 actionable tasks: 7 executed\n",
		"pytest": "collected 5 items\n\ntests/test_api.py .....\n\n=== 5 passed in 0.1s ===\n",
	}
	for name, log := range logs {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), name+".log")
			if err := os.WriteFile(path, []byte(log), 0o600); err != nil {
				t.Fatal(err)
			}
			stdout, stderr, code := ccmRun(t, "analyze", path)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			for _, want := range []string{
				"Reason:      none: no failure line found in the log\n",
				"  - nothing: the log shows no failure to fix\n",
				"Why: No failure line was found in the log",
			} {
				if !strings.Contains(stdout, want) {
					t.Errorf("output lacks %q:\n%s", want, stdout)
				}
			}
			if strings.Contains(stdout, "involves application code") {
				t.Errorf("a passing log is blamed on application code:\n%s", stdout)
			}
		})
	}
}

// TestAnalyzeFailureLogKeepsReason: a real failure still prints its reason.
func TestAnalyzeFailureLogKeepsReason(t *testing.T) {
	stdout, stderr, code := ccmRun(t, "analyze", "../../testdata/logs/npm-econnreset.log")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "Reason:      npm error code ECONNRESET") || strings.Contains(stdout, "no failure line") {
		t.Errorf("the failure's reason is not printed:\n%s", stdout)
	}
}

func TestUnreachableHint(t *testing.T) {
	tests := []struct {
		fallback string
		hint     bool
	}{
		{"llm: attempt 3 of 3: Post \"http://127.0.0.1:9/v1/chat/completions\": dial tcp 127.0.0.1:9: connect: connection refused", true},
		{"llm: Post \"https://llm.internal/v1/chat/completions\": dial tcp: lookup llm.internal: no such host", true},
		{"llm: the API rejected the API key (401)", false},
		{"llm: answer rejected: evidence[0] \"ECONNREFUSED connection refused\" is not copied from the log", false},
		{"--rules-only", false},
	}
	for _, tt := range tests {
		if got := unreachableHint(tt.fallback) != ""; got != tt.hint {
			t.Errorf("unreachableHint(%q) hints %v, want %v", tt.fallback, got, tt.hint)
		}
	}
}
