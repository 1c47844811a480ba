package main

import (
	"net/http"
	"strings"
	"testing"

	openai "github.com/sashabaranov/go-openai"

	"github.com/ccm-ci/ccm/config"
	"github.com/ccm-ci/ccm/sim/openaisim"
)

const shutdownLine = "Error: The runner has received a shutdown signal."

// TestModel measures a fake model that answers config for every log but
// one, which it refuses: the figure is the model's answers, the refused
// log is the rules' and is counted as such.
func TestModel(t *testing.T) {
	ai := openaisim.New(t)
	ai.Default(func(req openai.ChatCompletionRequest) openaisim.Reply {
		for _, m := range req.Messages {
			if strings.Contains(m.Content, "refuse-me") {
				return openaisim.Reply{Status: http.StatusBadRequest, Content: "no"}
			}
		}
		return openaisim.Reply{Content: `{"category":"config","risk_score":3,"confidence":70,"effort":"low",` +
			`"proposed_fix":"Fix the runner label.","actions":[{"type":"none","key":"","title":"","body":"","files":[]}],` +
			`"affected_components":["runner"],"involves_application_code":false,` +
			`"evidence":["` + shutdownLine + `"],"reasoning":"The runner label is wrong."}`}
	})
	env, err := config.ParseEnv(map[string]string{"OPENAI_API_KEY": "sk-test", "OPENAI_BASE_URL": ai.URL})
	if err != nil {
		t.Fatal(err)
	}
	ans, err := modelAnswerer(env, config.Default(), 2)
	if err != nil {
		t.Fatal(err)
	}
	const jsonl = `{"id":"x-infra","source":"https://example.com/1","ci":"github-actions","category":"infrastructure","transient":true,"key_line":"` + shutdownLine + `","log":"Run make test\n` + shutdownLine + `"}
{"id":"x-config","source":"https://example.com/2","ci":"github-actions","category":"config","transient":false,"key_line":"` + shutdownLine + `","log":"Run make test\n` + shutdownLine + `"}
{"id":"x-refused","source":"https://example.com/3","ci":"github-actions","category":"infrastructure","transient":true,"key_line":"` + shutdownLine + `","log":"Run refuse-me\n` + shutdownLine + `"}
`
	got := runOn(t, jsonl, ans, false)
	// x-config right by the model, x-refused right by the rules' fallback.
	wantAll(t, got, "3 logs", "category    2/3", "reason      3/3", "the model did not answer 1: the rules did", "MISS x-infra  category want infrastructure got config")
	if n := len(ai.Requests()); n < 3 {
		t.Errorf("the model was asked %d times, want every log", n)
	}
}

// Without a model configured -model says what to set.
func TestModelNeedsAModel(t *testing.T) {
	env, err := config.ParseEnv(map[string]string{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := modelAnswerer(env, config.Default(), 4); err == nil || !strings.Contains(err.Error(), "OPENAI_API_KEY") {
		t.Fatalf("err = %v, want one naming OPENAI_API_KEY", err)
	}
}

func TestCheckFlags(t *testing.T) {
	tests := []struct {
		name                  string
		bySig, model, visible bool
		want                  string // "" = accepted
	}{
		{name: "signatures of the visible sets", bySig: true, visible: true},
		{name: "the model on any set", model: true},
		{name: "signatures with the model", bySig: true, model: true, visible: true, want: "not with -model"},
		{name: "signatures of the sealed sets alone", bySig: true, want: "needs -sets or files"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := checkFlags(tt.bySig, tt.model, tt.visible)
			if tt.want == "" && err != nil || tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)) {
				t.Errorf("checkFlags = %v, want %q", err, tt.want)
			}
		})
	}
}
