package llm

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/sashabaranov/go-openai/jsonschema"

	"github.com/ccm-ci/ccm/analysis"
	"github.com/ccm-ci/ccm/sim/openaisim"
)

func TestSchema(t *testing.T) {
	def, err := answerSchema()
	if err != nil {
		t.Fatalf("answerSchema: %v", err)
	}
	raw, err := json.Marshal(def)
	if err != nil {
		t.Fatal(err)
	}
	checkSchemaEnums(t, json.RawMessage(raw))
	// The schema must describe exactly what parseAnswer accepts: a valid
	// answer round-trips, and go-openai's own validator agrees.
	content := jsonOf(t, validAnswer())
	if _, err := parseAnswer(content); err != nil {
		t.Errorf("parseAnswer(valid): %v", err)
	}
	var v map[string]any
	if err := def.Unmarshal(content, &v); err != nil {
		t.Errorf("go-openai rejects a valid answer against the schema: %v", err)
	}
	t.Logf("schema: %d bytes, ~%d tokens (sent as response_format, or in the prompt in json_object mode)", len(raw), CountTokens(string(raw)))
}

func TestCheckStrictCatchesOptionalFields(t *testing.T) {
	type loose struct {
		A string `json:"a"`
		B string `json:"b,omitempty"`
	}
	def, err := jsonschema.GenerateSchemaForType(loose{})
	if err != nil {
		t.Fatal(err)
	}
	if err := checkStrict(*def, "$"); err == nil || !strings.Contains(err.Error(), "$.b") {
		t.Errorf("checkStrict = %v, want an error naming $.b", err)
	}
	def.AdditionalProperties = nil
	def.Required = []string{"a", "b"}
	if err := checkStrict(*def, "$"); err == nil || !strings.Contains(err.Error(), "additionalProperties") {
		t.Errorf("checkStrict = %v, want an additionalProperties error", err)
	}
}

func TestStripFence(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"plain", `{"a":1}`, `{"a":1}`},
		{"json fence", "```json\n{\"a\":1}\n```", `{"a":1}`},
		{"bare fence", "```\n{\"a\":1}\n```  ", `{"a":1}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := strings.TrimSpace(stripFence(tt.in)); got != tt.want {
				t.Errorf("stripFence(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestAnswerJSONRoundTrips(t *testing.T) {
	srv := openaisim.New(t)
	want := validAnswer().result(testRedact)
	want.Actions = []analysis.Action{{Type: analysis.ActionOpenFixPR, Title: "Fix", Body: "b",
		Files: []analysis.FileChange{{Path: "src/widget.go", Content: "package widget"}}}}
	content, err := AnswerJSON(want)
	if err != nil {
		t.Fatalf("AnswerJSON: %v", err)
	}
	srv.Enqueue(openaisim.Reply{Content: content})
	a, _ := newTestAnalyzer(t, srv, nil)
	got, err := a.Analyze(context.Background(), baseRequest())
	if err != nil {
		t.Fatalf("Analyze: %v", err)
	}
	opts := cmpopts.IgnoreFields(analysis.AnalysisResult{}, "FailureID", "Model", "PromptTokens", "CompletionTokens", "CreatedAt")
	if diff := cmp.Diff(want, got, opts); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
}
