package service

import (
	"cmp"
	"fmt"
	"log/slog"
	"net/url"

	"github.com/ccm-ci/ccm/config"
	"github.com/ccm-ci/ccm/integrations/llm"
	"github.com/ccm-ci/ccm/redact"
)

// openAIURL is where go-openai sends requests when no base URL is set.
const openAIURL = "https://api.openai.com/v1"

// AnalyzerChoice says which analyzer answers and why, for the start-up log
// and `ccm analyze`: an operator who set OPENAI_BASE_URL for a local model
// must be able to see that it is used.
type AnalyzerChoice struct {
	Model   string // "" when the rules answer alone
	BaseURL string // where the model is reached, without credentials
	NoKey   bool   // a keyless OpenAI-compatible server (Ollama, vLLM, LocalAI)
	// RulesWhy says why the rules answer alone; "" when a model is used.
	RulesWhy string
}

// UsesModel is true when a model answers (the rules stay the fallback).
func (c AnalyzerChoice) UsesModel() bool { return c.Model != "" }

// String is the log line's text: "model llama3 at http://… (no API key)"
// or "rules only (OPENAI_API_KEY and OPENAI_BASE_URL unset)".
func (c AnalyzerChoice) String() string {
	if !c.UsesModel() {
		return "rules only (" + c.RulesWhy + ")"
	}
	s := "model " + c.Model + " at " + c.BaseURL
	if c.NoKey {
		s += " (no API key)"
	}
	return s
}

// ChooseAnalyzer decides from the environment alone. A key or a base URL
// is enough for a model: OpenAI itself needs the key, while local
// OpenAI-compatible servers (Ollama, vLLM, LocalAI) usually take none, and
// falling back to the rules for them silently would hide the model the
// operator configured.
func ChooseAnalyzer(env config.Env, rulesOnly bool) AnalyzerChoice {
	switch {
	case rulesOnly:
		return AnalyzerChoice{RulesWhy: "--rules-only"}
	case env.OpenAIAPIKey == "" && env.OpenAIBaseURL == "":
		return AnalyzerChoice{RulesWhy: "OPENAI_API_KEY and OPENAI_BASE_URL unset"}
	}
	return AnalyzerChoice{
		Model:   cmp.Or(env.OpenAIModel, llm.DefaultModel),
		BaseURL: displayURL(cmp.Or(env.OpenAIBaseURL, openAIURL)),
		NoKey:   env.OpenAIAPIKey == "",
	}
}

// displayURL drops what may be secret (user, password, query) from a URL
// before it is logged.
func displayURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	u.User, u.RawQuery, u.Fragment = nil, "", ""
	return u.String()
}

// AnalyzerOptions tune NewAnalyzer.
type AnalyzerOptions struct {
	// RulesOnly skips the model even when one is configured.
	RulesOnly bool
	// Breaker skips a model that keeps failing; nil for a single run,
	// which has nothing to protect.
	Breaker *llm.Breaker
	Logger  *slog.Logger
}

// NewAnalyzer is the model with the rules as fallback, or the rules alone,
// as ChooseAnalyzer decides. The service and `ccm analyze` both use it, so
// they never disagree about which analyzer a setup gets.
func NewAnalyzer(env config.Env, cfg *config.Config, opt AnalyzerOptions) (llm.Chain, AnalyzerChoice, error) {
	choice := ChooseAnalyzer(env, opt.RulesOnly)
	chain := llm.Chain{Logger: opt.Logger, Breaker: opt.Breaker}
	if !choice.UsesModel() {
		return chain, choice, nil
	}
	a, err := llm.New(llm.Options{
		APIKey: env.OpenAIAPIKey, BaseURL: env.OpenAIBaseURL, Model: env.OpenAIModel,
		Timeout: cfg.LLM.Timeout, MaxAttempts: cfg.LLM.MaxAttempts, PromptTokenBudget: cfg.LLM.PromptTokenBudget,
		Redact: redact.Redact, Logger: opt.Logger,
	})
	if err != nil {
		return llm.Chain{}, choice, &SetupError{Err: fmt.Errorf("llm: %w", err)}
	}
	chain.LLM = a
	return chain, choice, nil
}
