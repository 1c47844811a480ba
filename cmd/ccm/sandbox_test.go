package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ccm-ci/ccm/analysis"
	"github.com/ccm-ci/ccm/state"
)

func TestSandboxText(t *testing.T) {
	offline(t)
	stdout, stderr, code := runCLI(t, nil, "sandbox", "--logs", "8")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{
		"ccm sandbox: 8 real failed runs from public projects, GitHub and Redis simulated locally; nothing leaves this machine\n",
		"ccm still recorded the failed attempt 1",
		"Would do:  re-run the failed jobs\n",
		"Would do:  nothing automatic: a person has to fix this\n",
		"Recorded:  8 failures after 2 polls (nothing recorded twice)",
		"Audit:     detection 8, analysis 8, validation 8\n",
		"(8 in shadow: nothing done)\n",
		"Took:",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, stdout)
		}
	}
	if n := strings.Count(stdout, "\n--- sandbox/demo#"); n != 8 {
		t.Errorf("%d failure blocks, want 8", n)
	}
}

func TestSandboxJSON(t *testing.T) {
	offline(t)
	stdout, stderr, code := runCLI(t, nil, "sandbox", "--json", "--logs", "3")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var got struct {
		Failures []struct {
			ID         string                   `json:"id"`
			Status     state.Status             `json:"status"`
			Analysis   *analysis.AnalysisResult `json:"analysis"`
			LogSource  string                   `json:"log_source"`
			AuditTrail []string                 `json:"audit_trail"`
		} `json:"failures"`
		Audit map[string]int `json:"audit"`
	}
	if err := json.Unmarshal([]byte(stdout), &got); err != nil {
		t.Fatalf("not one JSON object: %v\n%s", err, stdout)
	}
	if len(got.Failures) != 3 {
		t.Fatalf("%d failures, want 3", len(got.Failures))
	}
	for _, f := range got.Failures {
		if f.Status != state.StatusAnalyzed || f.Analysis == nil || f.Analysis.Validate() != nil || !strings.HasPrefix(f.LogSource, "https://") {
			t.Errorf("failure %+v: want analyzed with a valid analysis and its source", f)
		}
	}
	if diff := cmp.Diff(map[string]int{"detection": 3, "analysis": 3, "validation": 3}, got.Audit); diff != "" {
		t.Errorf("audit (-want +got):\n%s", diff)
	}
}

func TestSandboxBadFlags(t *testing.T) {
	offline(t)
	tests := []struct {
		name string
		args []string
		want string
	}{
		{name: "no logs", args: []string{"sandbox", "--logs", "0"}, want: "--logs 0"},
		{name: "extra argument", args: []string{"sandbox", "now"}, want: `unexpected argument "now"`},
		{name: "bad timeout", args: []string{"sandbox", "--timeout", "-1s"}, want: "--timeout"},
		{name: "bad log level", args: []string{"sandbox", "--log-level", "loud"}, want: "--log-level"},
		{name: "unknown flag", args: []string{"sandbox", "--slack"}, want: "flag provided but not defined"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, stderr, code := runCLI(t, nil, tt.args...)
			if code != 2 || !strings.Contains(stderr, tt.want) {
				t.Errorf("exit %d, stderr %q: want 2 and %q", code, stderr, tt.want)
			}
		})
	}
}

// --help prints no default the sandbox does not use: --logs is off unless
// set, and --timeout's 0 means each mode's own deadline, which it names.
func TestSandboxHelpDefaults(t *testing.T) {
	_, stderr, code := runCLI(t, nil, "sandbox", "--help")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, flag := range []string{"-logs N", "-timeout duration"} {
		i := strings.Index(stderr, "  "+flag+"\n")
		if i < 0 {
			t.Fatalf("no %s in:\n%s", flag, stderr)
		}
		usage, _, _ := strings.Cut(stderr[i+len(flag)+3:], "\n  -")
		if strings.Contains(usage, "(default") {
			t.Errorf("%s prints a default it does not use: %s", flag, usage)
		}
	}
	for _, want := range []string{"20s per scenario, 60s with --binary; 60s with --logs", "off unless set"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("--help lacks %q:\n%s", want, stderr)
		}
	}
}
