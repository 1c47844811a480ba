package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sashabaranov/go-openai"

	"github.com/ccm-ci/ccm/analysis"
	"github.com/ccm-ci/ccm/excerpt/excerpttest"
	"github.com/ccm-ci/ccm/sim/githubsim"
	"github.com/ccm-ci/ccm/sim/openaisim"
)

// runCLI runs the command in-process and returns stdout, stderr and the
// exit code main would use.
func runCLI(t *testing.T, stdin io.Reader, args ...string) (string, string, int) {
	t.Helper()
	var out, errOut bytes.Buffer
	if stdin == nil {
		stdin = strings.NewReader("")
	}
	err := run(context.Background(), args, stdin, &out, &errOut)
	code := 0
	if err != nil {
		code = 1
		var ee *exitError
		if errors.As(err, &ee) {
			code = ee.code
		}
		if errors.Is(err, errHelp) {
			code = 0
		}
		errOut.WriteString(err.Error())
	}
	return out.String(), errOut.String(), code
}

func offline(t *testing.T) {
	t.Helper()
	for _, k := range []string{"OPENAI_API_KEY", "GITHUB_TOKEN", "CCM_CONFIG", "REDIS_URL", "OPENAI_BASE_URL", "GITHUB_API_URL"} {
		t.Setenv(k, "")
	}
}

func TestAnalyzeShippedLogsJSON(t *testing.T) {
	offline(t)
	logs, err := filepath.Glob("../../testdata/logs/*.log")
	if err != nil || len(logs) == 0 {
		t.Fatalf("no shipped logs: %v", err)
	}
	for _, path := range logs {
		t.Run(filepath.Base(path), func(t *testing.T) {
			stdout, stderr, code := runCLI(t, nil, "analyze", "--json", path)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			var rep struct {
				FailureReason string                  `json:"failure_reason"`
				Fingerprint   string                  `json:"fingerprint"`
				Analysis      analysis.AnalysisResult `json:"analysis"`
				Gate          json.RawMessage         `json:"gate"`
			}
			if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
				t.Fatalf("stdout is not one JSON object: %v\n%s", err, stdout)
			}
			if rep.FailureReason == "" || rep.Fingerprint == "" {
				t.Errorf("reason %q, fingerprint %q: want both", rep.FailureReason, rep.Fingerprint)
			}
			if err := rep.Analysis.Validate(); err != nil {
				t.Errorf("analysis: %v", err)
			}
			if rep.Analysis.Source != analysis.SourceRules {
				t.Errorf("source = %q offline, want rules", rep.Analysis.Source)
			}
			// Offline, without --config: the defaults (mode shadow), and a
			// log file cannot say who triggered the run, so never auto.
			var g ReportGate
			if err := json.Unmarshal(rep.Gate, &g); err != nil {
				t.Fatalf("gate: %v in %s", err, rep.Gate)
			}
			if g.Mode != "shadow" || (g.Decision != "approval" && g.Decision != "none") || len(g.Reasons) == 0 {
				t.Errorf("gate %+v: want approval or none in shadow, with reasons", g)
			}
		})
	}
}

func TestAnalyzeTextAndStdin(t *testing.T) {
	offline(t)
	log, err := os.ReadFile("../../testdata/logs/npm-econnreset.log")
	if err != nil {
		t.Fatal(err)
	}
	stdout, stderr, code := runCLI(t, bytes.NewReader(log), "analyze", "-")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{"Reason:", "ECONNRESET", "Category:", "Risk:", "Proposed fix:", "What ccm would do", "Analyzer:", "rules"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("text output lacks %q:\n%s", want, stdout)
		}
	}
}

func TestAnalyzeBadInput(t *testing.T) {
	offline(t)
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	badConfig := write("bad.yaml", []byte("risk_threshold: 11\nmode: yolo\n"))
	tests := []struct {
		name     string
		args     []string
		stdin    io.Reader
		wantCode int
		wantErr  string
	}{
		{name: "empty file", args: []string{"analyze", write("empty.log", nil)}, wantCode: 2, wantErr: "empty"},
		{name: "blank file", args: []string{"analyze", write("blank.log", []byte("\n\n  \n"))}, wantCode: 2, wantErr: "empty"},
		{name: "binary file", args: []string{"analyze", write("bin.log", []byte{0x7f, 'E', 'L', 'F', 0, 0, 1, 2, 3})}, wantCode: 2, wantErr: "not a text log"},
		{name: "directory", args: []string{"analyze", dir}, wantCode: 2, wantErr: "is a directory"},
		{name: "missing file", args: []string{"analyze", filepath.Join(dir, "nope.log")}, wantCode: 2, wantErr: "no such file"},
		{name: "no file", args: []string{"analyze"}, wantCode: 2, wantErr: "want one FILE"},
		{name: "two inputs", args: []string{"analyze", "--run", "https://github.com/a/b/actions/runs/1", "x.log"}, wantCode: 2, wantErr: "not both"},
		{name: "bad run URL", args: []string{"analyze", "--run", "https://github.com/a/b/pulls/1"}, wantCode: 2, wantErr: "actions/runs"},
		{name: "run without token", args: []string{"analyze", "--run", "https://github.com/a/b/actions/runs/12"}, wantCode: 2, wantErr: "GITHUB_TOKEN"},
		{name: "bad config", args: []string{"analyze", "--config", badConfig, "../../testdata/logs/npm-econnreset.log"}, wantCode: 2, wantErr: "risk_threshold"},
		{name: "unknown flag", args: []string{"analyze", "--frobnicate", "x"}, wantCode: 2, wantErr: "frobnicate"},
		{name: "unknown command", args: []string{"frobnicate"}, wantCode: 2, wantErr: "unknown command"},
		{name: "colour codes only", args: []string{"analyze", "-"}, stdin: strings.NewReader("\x1b[0m\n2024-01-01T00:00:00.0000000Z \x1b[36;1m\x1b[0m\n"), wantCode: 2, wantErr: "empty"},
		{name: "bad --repo", args: []string{"analyze", "--repo", "notarepo", "../../testdata/logs/npm-econnreset.log"}, wantCode: 2, wantErr: "OWNER/NAME"},
		{name: "help", args: []string{"analyze", "--help"}, wantCode: 0},
		{name: "other CI's format", args: []string{"analyze", "-"}, stdin: strings.NewReader("[Pipeline] sh\n+ make test\nmake: *** [test] Error 2\nFinished: FAILURE\n"), wantCode: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, stderr, code := runCLI(t, tt.stdin, tt.args...)
			if code != tt.wantCode {
				t.Fatalf("exit %d, want %d: %s", code, tt.wantCode, stderr)
			}
			if tt.wantErr != "" && !strings.Contains(stderr, tt.wantErr) {
				t.Errorf("stderr %q does not mention %q", stderr, tt.wantErr)
			}
		})
	}
}

func TestServeWithoutTokenSaysNothingToPoll(t *testing.T) {
	offline(t)
	_, stderr, code := runCLI(t, nil, "serve")
	if code != 2 || !strings.Contains(stderr, "nothing to poll") {
		t.Fatalf("exit %d, stderr %q: want 2 and 'nothing to poll'", code, stderr)
	}
}

func TestServeRejectsBadConfig(t *testing.T) {
	offline(t)
	t.Setenv("GITHUB_TOKEN", "ghp_test")
	p := filepath.Join(t.TempDir(), "ccm.yaml")
	if err := os.WriteFile(p, []byte("poll_interval: soon\nrepositories:\n  - name: not-a-repo\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, stderr, code := runCLI(t, nil, "serve", "--config", p)
	if code != 2 {
		t.Fatalf("exit %d, want 2: %s", code, stderr)
	}
	for _, field := range []string{"poll_interval"} {
		if !strings.Contains(stderr, field) {
			t.Errorf("error does not name %s: %s", field, stderr)
		}
	}
}

func TestAnalyzeRunFromGitHub(t *testing.T) {
	offline(t)
	gh := githubsim.New(t)
	log, err := os.ReadFile("../../testdata/logs/dockerhub-rate-limit.log")
	if err != nil {
		t.Fatal(err)
	}
	run := gh.AddRun("acme/web", githubsim.Run{Conclusion: "failure", Jobs: []githubsim.Job{
		{Name: "build", Conclusion: "failure", Log: string(log), Steps: []githubsim.Step{{Number: 1, Name: "Build image", Status: "completed", Conclusion: "failure"}}},
	}})
	t.Setenv("GITHUB_TOKEN", "ghp_test")
	t.Setenv("GITHUB_API_URL", gh.URL)
	stdout, stderr, code := runCLI(t, nil, "analyze", "--json", "--run", fmt.Sprintf("https://github.com/acme/web/actions/runs/%d", run.ID))
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var rep Report
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.FailureID != fmt.Sprintf("acme/web#%d.1", run.ID) || rep.FailingStep != "Build image" || rep.FailureReason == "" {
		t.Errorf("report = %+v", rep)
	}
	if rep.Analysis.Category != analysis.CategoryInfrastructure {
		t.Errorf("category = %s, want infrastructure (Docker Hub rate limit)", rep.Analysis.Category)
	}
}

func TestAnalyzeWithLLM(t *testing.T) {
	offline(t)
	ai := openaisim.New(t)
	ai.Default(func(openai.ChatCompletionRequest) openaisim.Reply {
		return openaisim.Reply{Content: `{"category":"infrastructure","risk_score":2,"confidence":88,"effort":"low",
"proposed_fix":"Re-run the failed jobs.","actions":[{"type":"rerun_failed_jobs","key":"","title":"","body":"","files":[]}],
"affected_components":["npm registry"],"involves_application_code":false,
"evidence":["npm error code ECONNRESET"],"reasoning":"The registry reset the connection."}`, PromptTokens: 700, CompletionTokens: 90}
	})
	t.Setenv("OPENAI_API_KEY", "sk-test")
	t.Setenv("OPENAI_BASE_URL", ai.URL)
	stdout, stderr, code := runCLI(t, nil, "analyze", "--json", "../../testdata/logs/npm-econnreset.log")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var rep Report
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Analysis.Source != analysis.SourceLLM || rep.Analysis.Model != "gpt-4o" || rep.FallbackReason != "" || rep.Analysis.PromptTokens != 700 {
		t.Errorf("analysis = %+v, fallback %q: want the model's", rep.Analysis, rep.FallbackReason)
	}
	// --rules-only never calls the model.
	before := len(ai.Requests())
	if _, stderr, code := runCLI(t, nil, "analyze", "--rules-only", "../../testdata/logs/npm-econnreset.log"); code != 0 {
		t.Fatalf("--rules-only: exit %d: %s", code, stderr)
	}
	if len(ai.Requests()) != before {
		t.Error("--rules-only called the model")
	}
}

func TestAnalyzeFlagsAfterFile(t *testing.T) {
	offline(t)
	stdout, stderr, code := runCLI(t, nil, "analyze", "../../testdata/logs/go-test-timeout.log", "--json")
	if code != 0 || !json.Valid([]byte(stdout)) {
		t.Fatalf("exit %d, stdout %q, stderr %s: want JSON", code, stdout, stderr)
	}
}

// A run re-run until it passed: --run without an attempt explains the
// latest attempt that failed; a run that never failed is an error.
func TestAnalyzeRunPicksTheLatestFailedAttempt(t *testing.T) {
	offline(t)
	gh := githubsim.New(t)
	log, err := os.ReadFile("../../testdata/logs/npm-econnreset.log")
	if err != nil {
		t.Fatal(err)
	}
	first := gh.AddRun("acme/web", githubsim.Run{Conclusion: "failure", Jobs: []githubsim.Job{{Name: "build", Conclusion: "failure", Log: string(log)}}})
	gh.AddRun("acme/web", githubsim.Run{ID: first.ID, Attempt: 2, Conclusion: "success", Jobs: []githubsim.Job{{Name: "build", Conclusion: "success"}}})
	passed := gh.AddRun("acme/web", githubsim.Run{Conclusion: "success"})
	t.Setenv("GITHUB_TOKEN", "ghp_test")
	t.Setenv("GITHUB_API_URL", gh.URL)

	stdout, stderr, code := runCLI(t, nil, "analyze", "--json", "--run", fmt.Sprintf("https://github.com/acme/web/actions/runs/%d", first.ID))
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var rep Report
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.FailureID != fmt.Sprintf("acme/web#%d.1", first.ID) || !strings.Contains(rep.FailureReason, "ECONNRESET") {
		t.Errorf("report = %+v, want attempt 1's failure", rep)
	}
	_, stderr, code = runCLI(t, nil, "analyze", "--run", fmt.Sprintf("https://github.com/acme/web/actions/runs/%d", passed.ID))
	if code != 1 || !strings.Contains(stderr, "did not fail") {
		t.Errorf("run that passed: exit %d, %q", code, stderr)
	}
}

// OPENAI_BASE_URL alone (Ollama, vLLM, LocalAI take no key) uses the
// model instead of falling back to the rules.
func TestAnalyzeKeylessServer(t *testing.T) {
	offline(t)
	ai := openaisim.New(t)
	ai.Default(func(openai.ChatCompletionRequest) openaisim.Reply {
		return openaisim.Reply{Content: `{"category":"infrastructure","risk_score":2,"confidence":88,"effort":"low",
"proposed_fix":"Re-run the failed jobs.","actions":[{"type":"rerun_failed_jobs","key":"","title":"","body":"","files":[]}],
"affected_components":["npm registry"],"involves_application_code":false,
"evidence":["npm error code ECONNRESET"],"reasoning":"The registry reset the connection."}`}
	})
	t.Setenv("OPENAI_BASE_URL", ai.URL)
	t.Setenv("OPENAI_MODEL", "llama3")
	stdout, stderr, code := runCLI(t, nil, "analyze", "--json", "--log-level", "info", "../../testdata/logs/npm-econnreset.log")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var rep Report
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Analysis.Source != analysis.SourceLLM || rep.Analysis.Model != "llama3" || rep.FallbackReason != "" {
		t.Errorf("analysis = %+v, fallback %q: want the keyless model's", rep.Analysis, rep.FallbackReason)
	}
	if want := "analysis: model llama3 at " + ai.URL + " (no API key)"; !strings.Contains(stderr, want) {
		t.Errorf("log lacks %q:\n%s", want, stderr)
	}
}

// A 404 for a run of a repository that exists blames the run, not the
// repository.
func TestAnalyzeRunNotFound(t *testing.T) {
	offline(t)
	gh := githubsim.New(t)
	run := gh.AddRun("acme/web", githubsim.Run{Conclusion: "failure"})
	t.Setenv("GITHUB_TOKEN", "ghp_test")
	t.Setenv("GITHUB_API_URL", gh.URL)
	tests := []struct {
		name, url, want string
	}{
		{name: "run", url: fmt.Sprintf("https://github.com/acme/web/actions/runs/%d", run.ID+7), want: fmt.Sprintf("run %d not found in acme/web", run.ID+7)},
		{name: "attempt", url: fmt.Sprintf("https://github.com/acme/web/actions/runs/%d/attempts/4", run.ID), want: "has no attempt 4"},
		{name: "repository", url: "https://github.com/acme/gone/actions/runs/1", want: "repository missing or token lacks access"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, stderr, code := runCLI(t, nil, "analyze", "--run", tt.url)
			if code != 1 || !strings.Contains(stderr, tt.want) {
				t.Errorf("exit %d, stderr %q: want 1 and %q", code, stderr, tt.want)
			}
			if tt.name != "repository" && strings.Contains(stderr, "repository missing") {
				t.Errorf("stderr %q blames the repository", stderr)
			}
		})
	}
}

// TestAnalyzeFailureContext: the contract's failure_context carries the
// lines a person needs with the reason, in the JSON and the text, and is
// absent when there are none.
func TestAnalyzeFailureContext(t *testing.T) {
	offline(t)
	path := filepath.Join(t.TempDir(), "jest.log")
	log := strings.Join(excerpttest.JestFailure, "\n")
	if err := os.WriteFile(path, []byte(log), 0o600); err != nil {
		t.Fatal(err)
	}
	stdout, stderr, code := runCLI(t, nil, "analyze", "--json", path)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var rep Report
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatal(err)
	}
	want := excerpttest.JestContext
	if !strings.Contains(rep.FailureReason, "expect(received).toBe(expected)") || fmt.Sprint(rep.FailureContext) != fmt.Sprint(want) {
		t.Errorf("reason %q, context %q; want the assertion and %q", rep.FailureReason, rep.FailureContext, want)
	}
	text, _, _ := runCLI(t, nil, "analyze", path)
	for _, w := range want {
		if !strings.Contains(text, w) {
			t.Errorf("text output lacks %q:\n%s", w, text)
		}
	}

	stdout, _, _ = runCLI(t, nil, "analyze", "--json", "../../testdata/logs/npm-econnreset.log")
	var raw map[string]json.RawMessage
	if err := json.Unmarshal([]byte(stdout), &raw); err != nil {
		t.Fatal(err)
	}
	if c, ok := raw["failure_context"]; ok {
		t.Errorf("failure_context = %s for a log with none, want the key absent", c)
	}
}
