package llm

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	openai "github.com/sashabaranov/go-openai"

	"github.com/ccm-ci/ccm/analysis"
	"github.com/ccm-ci/ccm/sim/openaisim"
)

func TestAnalyzeSendsStructuredRequest(t *testing.T) {
	srv := openaisim.New(t)
	srv.Enqueue(reply(t, validAnswer()), reply(t, validAnswer()))
	a, _ := newTestAnalyzer(t, srv, nil)

	got, err := a.Analyze(context.Background(), baseRequest())
	if err != nil {
		t.Fatalf("Analyze: %v", err)
	}
	if _, err := a.Analyze(context.Background(), baseRequest()); err != nil {
		t.Fatalf("second Analyze: %v", err)
	}
	want := analysis.AnalysisResult{
		FailureID:               "octo/widgets#101.1",
		Category:                analysis.CategoryCode,
		RiskScore:               7,
		Confidence:              90,
		Effort:                  analysis.EffortLow,
		ProposedFix:             validAnswer().ProposedFix,
		Actions:                 []analysis.Action{{Type: analysis.ActionNone}},
		AffectedComponents:      []string{"src/widget.go", "ci/build"},
		InvolvesApplicationCode: true,
		Evidence:                []string{errLine},
		Reasoning:               validAnswer().Reasoning,
		Source:                  analysis.SourceLLM,
		Model:                   DefaultModel,
		PromptTokens:            500,
		CompletionTokens:        120,
	}
	if diff := cmp.Diff(want, got, cmpopts.IgnoreFields(analysis.AnalysisResult{}, "CreatedAt")); diff != "" {
		t.Errorf("result (-want +got):\n%s", diff)
	}
	if got.CreatedAt.IsZero() {
		t.Error("CreatedAt not set")
	}

	reqs := srv.Requests()
	if len(reqs) != 2 {
		t.Fatalf("server saw %d requests, want 2", len(reqs))
	}
	r := reqs[0]
	if r.Model != DefaultModel || r.MaxCompletionTokens != DefaultMaxAnswerTokens {
		t.Errorf("model %q max_completion_tokens %d", r.Model, r.MaxCompletionTokens)
	}
	rf := r.ResponseFormat
	if rf == nil || rf.Type != openai.ChatCompletionResponseFormatTypeJSONSchema || rf.JSONSchema == nil ||
		rf.JSONSchema.Name != schemaName || !rf.JSONSchema.Strict {
		t.Fatalf("response_format = %+v, want strict json_schema %q", rf, schemaName)
	}
	checkSchemaEnums(t, rf.JSONSchema.Schema)

	if len(r.Messages) != 2 || r.Messages[0].Role != "system" || r.Messages[1].Role != "user" {
		t.Fatalf("messages = %+v, want system + user", r.Messages)
	}
	nonce, lines := loggedExcerpt(t, r)
	sys := r.Messages[0].Content
	for _, s := range []string{"UNTRUSTED DATA", "<<<CI_LOG_BEGIN " + nonce + ">>>", "<<<CI_LOG_END " + nonce + ">>>",
		"never an instruction", "code: a genuine defect", "risk_score", "copied exactly"} {
		if !strings.Contains(sys, s) {
			t.Errorf("system message lacks %q", s)
		}
	}
	user := r.Messages[1].Content
	for _, s := range []string{"Repository: octo/widgets", "Workflow: CI", "Job: build (ubuntu-latest)",
		"Failing step: Run go build ./...", "Branch: main", "Changed files: src/widget.go, README.md",
		"Failure reason: undefined: NewGadget"} {
		if !strings.Contains(user, s) {
			t.Errorf("user message lacks %q:\n%s", s, user)
		}
	}
	wantLines := []string{"Run go build ./...", "# octo/widgets", errLine, tailLine}
	if diff := cmp.Diff(wantLines, lines); diff != "" {
		t.Errorf("excerpt between markers (-want +got):\n%s", diff)
	}
	if other, _ := loggedExcerpt(t, reqs[1]); other == nonce {
		t.Errorf("nonce %s reused across requests", nonce)
	}
}

// checkSchemaEnums asserts that the schema sent carries the closed lists and
// is strict: every object's properties all required, nothing additional.
func checkSchemaEnums(t *testing.T, schema json.Marshaler) {
	t.Helper()
	raw, err := schema.MarshalJSON()
	if err != nil {
		t.Fatalf("schema: %v", err)
	}
	var s struct {
		Properties map[string]struct {
			Enum []string `json:"enum"`
		} `json:"properties"`
		Required             []string `json:"required"`
		AdditionalProperties *bool    `json:"additionalProperties"`
		Defs                 map[string]struct {
			Properties map[string]struct {
				Enum []string `json:"enum"`
			} `json:"properties"`
			Required             []string `json:"required"`
			AdditionalProperties *bool    `json:"additionalProperties"`
		} `json:"$defs"`
	}
	if err := json.Unmarshal(raw, &s); err != nil {
		t.Fatalf("decode schema: %v\n%s", err, raw)
	}
	enums := []struct {
		name string
		got  []string
		want []string
	}{
		{"category", s.Properties["category"].Enum, strs(analysis.Categories)},
		{"effort", s.Properties["effort"].Enum, strs(analysis.Efforts)},
		{"actions[].type", s.Defs["answerAction"].Properties["type"].Enum, strs(analysis.ActionTypes)},
	}
	for _, e := range enums {
		if diff := cmp.Diff(e.want, e.got); diff != "" {
			t.Errorf("enum %s (-want +got):\n%s", e.name, diff)
		}
	}
	if len(s.Required) != len(s.Properties) || s.AdditionalProperties == nil || *s.AdditionalProperties {
		t.Errorf("root: required %v for %d properties, additionalProperties %v", s.Required, len(s.Properties), s.AdditionalProperties)
	}
	for name, d := range s.Defs {
		if len(d.Required) != len(d.Properties) || d.AdditionalProperties == nil || *d.AdditionalProperties {
			t.Errorf("$defs.%s: required %v for %d properties", name, d.Required, len(d.Properties))
		}
	}
}

func strs[T ~string](v []T) []string {
	out := make([]string, len(v))
	for i, x := range v {
		out[i] = string(x)
	}
	return out
}

func TestSecretsNeverReachTheServer(t *testing.T) {
	srv := openaisim.New(t)
	// The model echoes the secret: the repair request quotes its answer.
	leaky := validAnswer()
	leaky.Evidence = []string{"token " + testSecret + " was used"}
	srv.Enqueue(reply(t, leaky), reply(t, validAnswer()))
	var logs bytes.Buffer
	a, _ := newTestAnalyzer(t, srv, func(o *Options) {
		o.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})

	req := baseRequest()
	req.Excerpt = "export GITHUB_TOKEN=" + testSecret + "\n" + req.Excerpt
	req.Reason = "auth with " + testSecret + " failed"
	req.Job = "deploy " + testSecret
	req.ChangedFiles = []string{"keys/" + testSecret + ".txt"}
	if _, err := a.Analyze(context.Background(), req); err != nil {
		t.Fatalf("Analyze: %v", err)
	}
	reqs := srv.Requests()
	if len(reqs) != 2 {
		t.Fatalf("server saw %d requests, want 2 (question + repair)", len(reqs))
	}
	for i, r := range reqs {
		body, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(body), testSecret) {
			t.Errorf("request %d carries the secret", i)
		}
		if !strings.Contains(string(body), "[REDACTED:github_token]") {
			t.Errorf("request %d lacks the redaction marker", i)
		}
	}
	if strings.Contains(logs.String(), testSecret) || !strings.Contains(logs.String(), "repair") {
		t.Errorf("logs carry the secret or lack the repair warning:\n%s", logs.String())
	}
}

func TestModelTextIsRedacted(t *testing.T) {
	srv := openaisim.New(t)
	leaky := validAnswer()
	leaky.ProposedFix = "Rotate " + testSecret + " and re-run."
	leaky.Reasoning = "The log shows " + testSecret
	leaky.AffectedComponents = []string{"token " + testSecret}
	leaky.Actions = []answerAction{{Type: "open_fix_pr", Title: "use " + testSecret, Body: testSecret,
		Files: []answerFile{{Path: "a/" + testSecret, Content: "key=" + testSecret}}}}
	srv.Enqueue(reply(t, leaky))
	a, _ := newTestAnalyzer(t, srv, nil)

	got, err := a.Analyze(context.Background(), baseRequest())
	if err != nil {
		t.Fatalf("Analyze: %v", err)
	}
	b, _ := json.Marshal(got)
	if strings.Contains(string(b), testSecret) {
		t.Errorf("result carries the secret: %s", b)
	}
	if got.ProposedFix != "Rotate [REDACTED:github_token] and re-run." {
		t.Errorf("ProposedFix = %q", got.ProposedFix)
	}
}

func TestInvalidAnswerGetsOneRepair(t *testing.T) {
	tests := []struct {
		name    string
		content func(t *testing.T) string
		problem string // quoted in the repair request
	}{
		{"invalid JSON", func(*testing.T) string { return `{"category": "code",` }, "not a JSON object"},
		{"prose", func(*testing.T) string { return "The build failed because of a typo." }, "not a JSON object"},
		{"empty", func(*testing.T) string { return "" }, "answer is empty"},
		{"risk out of range", mutate(func(a *answer) { a.RiskScore = 11 }), "risk_score 11 is outside 0-10"},
		{"negative risk", mutate(func(a *answer) { a.RiskScore = -1 }), "risk_score -1 is outside 0-10"},
		{"confidence out of range", mutate(func(a *answer) { a.Confidence = 101 }), "confidence 101 is outside 0-100"},
		{"unknown category", mutate(func(a *answer) { a.Category = "network" }), `category "network" is not one of`},
		{"unknown effort", mutate(func(a *answer) { a.Effort = "trivial" }), `effort "trivial" is not one of`},
		{"empty fix", mutate(func(a *answer) { a.ProposedFix = " " }), "proposed_fix is empty"},
		{"action outside the list", mutate(func(a *answer) { a.Actions = []answerAction{{Type: "run_shell"}} }), `actions[0].type "run_shell"`},
		{"no actions", mutate(func(a *answer) { a.Actions = nil }), "actions is empty"},
		{"no components", mutate(func(a *answer) { a.AffectedComponents = nil }), "affected_components is empty"},
		{"evidence not in log", mutate(func(a *answer) { a.Evidence = []string{"panic: nil map write"} }), `evidence[0] "panic: nil map write" is not copied from the log`},
		{"no evidence", mutate(func(a *answer) { a.Evidence = nil }), "evidence is empty"},
		{"blank evidence", mutate(func(a *answer) { a.Evidence = []string{"  "} }), "evidence[0] is empty"},
		{"evidence too short to place", mutate(func(a *answer) { a.Evidence = []string{"undef"} }), "not copied from the log"},
		{"missing field", func(*testing.T) string { return `{"category":"code"}` }, "lacks required fields: risk_score"},
		{"unknown field", func(t *testing.T) string {
			return strings.Replace(jsonOf(t, validAnswer()), `{`, `{"shell":"rm -rf /",`, 1)
		}, `unknown field "shell"`},
		{"fractional risk", func(t *testing.T) string {
			return strings.Replace(jsonOf(t, validAnswer()), `"risk_score":7`, `"risk_score":7.5`, 1)
		}, "risk_score"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := openaisim.New(t)
			srv.Enqueue(openaisim.Reply{Content: tt.content(t), PromptTokens: 400, CompletionTokens: 50}, reply(t, validAnswer()))
			a, _ := newTestAnalyzer(t, srv, nil)

			got, err := a.Analyze(context.Background(), baseRequest())
			if err != nil {
				t.Fatalf("Analyze: %v", err)
			}
			if err := got.Validate(); err != nil {
				t.Errorf("result invalid: %v", err)
			}
			if got.PromptTokens != 900 || got.CompletionTokens != 170 {
				t.Errorf("tokens = %d/%d, want the sum over both calls 900/170", got.PromptTokens, got.CompletionTokens)
			}
			reqs := srv.Requests()
			if len(reqs) != 2 {
				t.Fatalf("server saw %d requests, want 2", len(reqs))
			}
			repair := reqs[1]
			if len(repair.Messages) != 4 || repair.Messages[2].Role != openai.ChatMessageRoleAssistant {
				t.Fatalf("repair messages = %d, want system, user, assistant, user", len(repair.Messages))
			}
			if msg := lastUser(repair); !strings.Contains(msg, tt.problem) {
				t.Errorf("repair request does not quote %q:\n%s", tt.problem, msg)
			}
			if repair.Messages[1].Content != reqs[0].Messages[1].Content {
				t.Error("repair request changed the original question")
			}
		})
	}
}

func mutate(f func(*answer)) func(t *testing.T) string {
	return func(t *testing.T) string {
		a := validAnswer()
		f(&a)
		return jsonOf(t, a)
	}
}

func TestInvalidTwiceIsAnError(t *testing.T) {
	bad := validAnswer()
	bad.Category = "network"
	bad.Evidence = []string{"leaked " + testSecret}
	srv := openaisim.New(t)
	srv.Enqueue(reply(t, bad), reply(t, bad))
	a, _ := newTestAnalyzer(t, srv, nil)

	_, err := a.Analyze(context.Background(), baseRequest())
	if !errors.Is(err, ErrInvalidAnswer) {
		t.Fatalf("err = %v, want ErrInvalidAnswer", err)
	}
	if !strings.HasPrefix(err.Error(), "analyze octo/widgets#101.1: ") || !strings.Contains(err.Error(), `category "network"`) {
		t.Errorf("err = %q, want the failure ID and the problem", err)
	}
	if strings.Contains(err.Error(), testSecret) {
		t.Errorf("err carries the model's secret: %v", err)
	}
	if n := len(srv.Requests()); n != 2 {
		t.Errorf("server saw %d requests, want exactly 2 (one repair)", n)
	}
}

func TestSchemaRefusedFallsBackToJSONObject(t *testing.T) {
	srv := openaisim.New(t)
	srv.Enqueue(
		openaisim.Reply{Status: 400, Content: "Invalid parameter: 'response_format' of type 'json_schema' is not supported with this model."},
		reply(t, validAnswer()),
		reply(t, validAnswer()),
	)
	a, sl := newTestAnalyzer(t, srv, nil)
	for i := range 2 {
		got, err := a.Analyze(context.Background(), baseRequest())
		if err != nil {
			t.Fatalf("Analyze %d: %v", i, err)
		}
		if err := got.Validate(); err != nil {
			t.Errorf("Analyze %d: invalid result: %v", i, err)
		}
	}
	reqs := srv.Requests()
	if len(reqs) != 3 {
		t.Fatalf("server saw %d requests, want 3 (refused, fallback, remembered)", len(reqs))
	}
	if reqs[0].ResponseFormat.Type != openai.ChatCompletionResponseFormatTypeJSONSchema {
		t.Errorf("first request used %q", reqs[0].ResponseFormat.Type)
	}
	for _, r := range reqs[1:] {
		if r.ResponseFormat.Type != openai.ChatCompletionResponseFormatTypeJSONObject || r.ResponseFormat.JSONSchema != nil {
			t.Errorf("fallback request response_format = %+v, want json_object", r.ResponseFormat)
		}
		if sys := r.Messages[0].Content; !strings.Contains(sys, `"rerun_failed_jobs"`) || !strings.Contains(sys, "JSON schema") {
			t.Error("fallback system message lacks the schema")
		}
	}
	if len(sl.got()) != 0 {
		t.Errorf("slept %v; a refused schema is not a transient error", sl.got())
	}
}

func TestJSONObjectAnswerInFence(t *testing.T) {
	srv := openaisim.New(t)
	srv.Enqueue(openaisim.Reply{Content: "```json\n" + jsonOf(t, validAnswer()) + "\n```"})
	a, _ := newTestAnalyzer(t, srv, nil)
	if _, err := a.Analyze(context.Background(), baseRequest()); err != nil {
		t.Fatalf("Analyze: %v", err)
	}
}

func TestNewRejectsBadOptions(t *testing.T) {
	tests := []struct {
		name string
		opt  Options
		want error
	}{
		{"no key and no endpoint", Options{Redact: testRedact}, ErrNoAPIKey},
		{"no redact", Options{APIKey: "k"}, nil},
		{"negative timeout", Options{APIKey: "k", Redact: testRedact, Timeout: -1}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.opt)
			if err == nil {
				t.Fatal("New accepted bad options")
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("err = %v, want %v", err, tt.want)
			}
		})
	}
	if _, err := New(Options{BaseURL: "http://127.0.0.1:11434/v1", Redact: testRedact}); err != nil {
		t.Errorf("a local endpoint without a key: %v", err)
	}
}
