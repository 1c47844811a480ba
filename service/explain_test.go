package service_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/sashabaranov/go-openai"

	"github.com/ccm-ci/ccm/analysis"
	"github.com/ccm-ci/ccm/config"
	"github.com/ccm-ci/ccm/excerpt"
	"github.com/ccm-ci/ccm/integrations/github"
	"github.com/ccm-ci/ccm/service"
	"github.com/ccm-ci/ccm/sim/githubsim"
	"github.com/ccm-ci/ccm/sim/openaisim"
)

const econnreset = "../testdata/logs/npm-econnreset.log"

func TestChooseAnalyzer(t *testing.T) {
	tests := []struct {
		name      string
		env       config.Env
		rulesOnly bool
		want      string
	}{
		{name: "nothing set", want: "rules only (OPENAI_API_KEY and OPENAI_BASE_URL unset)"},
		{name: "rules only asked", env: config.Env{OpenAIAPIKey: "sk-x"}, rulesOnly: true, want: "rules only (--rules-only)"},
		{name: "OpenAI", env: config.Env{OpenAIAPIKey: "sk-x"}, want: "model gpt-4o at https://api.openai.com/v1"},
		{name: "keyless local server", env: config.Env{OpenAIBaseURL: "http://localhost:11434/v1", OpenAIModel: "llama3"},
			want: "model llama3 at http://localhost:11434/v1 (no API key)"},
		{name: "credentials never shown", env: config.Env{OpenAIAPIKey: "sk-x", OpenAIBaseURL: "https://user:pw@llm.example.com/v1?key=s3cret"},
			want: "model gpt-4o at https://llm.example.com/v1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := service.ChooseAnalyzer(tt.env, tt.rulesOnly).String(); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func readLog(t *testing.T, path string) excerpt.Excerpt {
	t.Helper()
	ex, err := excerpt.ReadLogFile(path, nil, excerpt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return ex
}

// A keyless OpenAI-compatible server is asked, and gets no Authorization
// header at all (not "Bearer " with nothing after it, which some servers
// reject).
func TestExplainLogKeylessServer(t *testing.T) {
	ai := openaisim.New(t)
	ai.Default(func(openai.ChatCompletionRequest) openaisim.Reply {
		return openaisim.Reply{Content: `{"category":"infrastructure","risk_score":2,"confidence":88,"effort":"low",
"proposed_fix":"Re-run the failed jobs.","actions":[{"type":"rerun_failed_jobs","key":"","title":"","body":"","files":[]}],
"affected_components":["npm registry"],"involves_application_code":false,
"evidence":["npm error code ECONNRESET"],"reasoning":"The registry reset the connection."}`}
	})
	opt := service.ExplainOptions{Env: config.Env{OpenAIBaseURL: ai.URL, OpenAIModel: "llama3"}, Config: config.Default()}
	ex, err := service.ExplainLog(context.Background(), readLog(t, econnreset), "acme/web", opt)
	if err != nil {
		t.Fatal(err)
	}
	if ex.Outcome.Analysis.Source != analysis.SourceLLM || ex.Outcome.FallbackReason != "" || !ex.Analyzer.NoKey {
		t.Fatalf("analysis %+v, fallback %q, analyzer %v: want the keyless model's", ex.Outcome.Analysis, ex.Outcome.FallbackReason, ex.Analyzer)
	}
	hs := ai.Headers()
	if len(hs) != 1 {
		t.Fatalf("%d requests, want 1", len(hs))
	}
	if auth, ok := hs[0]["Authorization"]; ok {
		t.Errorf("keyless request sent Authorization %q", auth)
	}
	if ex.Request.Repo != "acme/web" || !strings.Contains(ex.Request.Reason, "ECONNRESET") || ex.Record.Fingerprint == "" {
		t.Errorf("request %+v / record fingerprint %q: want the log's reason for acme/web", ex.Request, ex.Record.Fingerprint)
	}
}

// GitHub's 404 blames the repository; when the repository exists, the
// error says the run or the attempt was not found.
func TestExplainRunNotFound(t *testing.T) {
	gh := githubsim.New(t)
	log, err := os.ReadFile(econnreset)
	if err != nil {
		t.Fatal(err)
	}
	run := gh.AddRun("acme/web", githubsim.Run{Conclusion: "failure", Jobs: []githubsim.Job{{Name: "build", Conclusion: "failure", Log: string(log)}}})
	opt := service.ExplainOptions{Env: config.Env{GitHubToken: "ghp_test", GitHubAPIURL: gh.URL}, Config: config.Default()}
	tests := []struct {
		name     string
		ref      github.RunRef
		want     string
		wantNot  string
		notFound bool
	}{
		{name: "found", ref: github.RunRef{Repo: "acme/web", RunID: run.ID}},
		{name: "run missing", ref: github.RunRef{Repo: "acme/web", RunID: run.ID + 1000},
			want: fmt.Sprintf("run %d not found in acme/web (the repository exists)", run.ID+1000), wantNot: "repository missing", notFound: true},
		{name: "attempt missing", ref: github.RunRef{Repo: "acme/web", RunID: run.ID, Attempt: 3},
			want: fmt.Sprintf("run %d of acme/web has no attempt 3 (its latest is attempt 1)", run.ID), wantNot: "repository missing", notFound: true},
		{name: "repository missing", ref: github.RunRef{Repo: "acme/gone", RunID: 1}, want: "repository missing", notFound: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ex, err := service.ExplainRun(context.Background(), tt.ref, opt)
			if tt.want == "" {
				if err != nil || ex.Record.ID == "" {
					t.Fatalf("err %v, record %q", err, ex.Record.ID)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) || (tt.wantNot != "" && strings.Contains(err.Error(), tt.wantNot)) {
				t.Fatalf("err = %v, want %q (and not %q)", err, tt.want, tt.wantNot)
			}
			if errors.Is(err, github.ErrNotFound) != tt.notFound {
				t.Errorf("errors.Is(err, ErrNotFound) = %v", !tt.notFound)
			}
		})
	}
}
