package llm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	openai "github.com/sashabaranov/go-openai"

	"github.com/ccm-ci/ccm/analysis"
)

// Defaults for Options.
const (
	DefaultModel             = "gpt-4o"
	DefaultTimeout           = 60 * time.Second
	DefaultMaxAttempts       = 3
	DefaultPromptTokenBudget = 6000
	DefaultMaxAnswerTokens   = 2000
)

// Errors callers can tell apart with errors.Is.
var (
	// ErrNoAPIKey: no key and no custom endpoint; run the rules alone.
	ErrNoAPIKey = errors.New("no API key")
	// ErrUnauthorized: the server rejected the key (401/403); retrying is
	// pointless until someone fixes the configuration.
	ErrUnauthorized = errors.New("unauthorized")
	// ErrInvalidAnswer: the model's answer failed validation, and so did
	// its one repair.
	ErrInvalidAnswer = errors.New("invalid answer")
	// ErrNoLog: neither an excerpt nor a failure reason to analyse.
	ErrNoLog = errors.New("no log text to analyse")
)

// Options configures an Analyzer. Zero values take the defaults above.
type Options struct {
	APIKey string
	// BaseURL is the API root including /v1 ("" = OpenAI). Azure OpenAI,
	// Ollama and vLLM expose OpenAI-compatible endpoints here.
	BaseURL string
	Model   string
	// Timeout bounds one HTTP request, reading its answer included.
	Timeout time.Duration
	// MaxAnalysisTime bounds one Analyze call end to end: retries, waits
	// and the repair included. 0 means 3 × Timeout.
	MaxAnalysisTime time.Duration
	// MaxResponseBytes bounds one HTTP answer (0 = DefaultMaxResponseBytes);
	// a longer one fails with ErrResponseTooLarge and is not retried.
	MaxResponseBytes int64
	// MaxAttempts counts the first try: 429, 5xx, timeouts and network
	// errors are retried up to MaxAttempts-1 times.
	MaxAttempts int
	// PromptTokenBudget bounds system + user message, as counted by
	// CountTokens. The log excerpt is shrunk to fit. A repair request adds
	// the rejected answer (clipped to 8,000 characters) and the problems on
	// top; the schema sent as response_format (~760 tokens) is not counted
	// unless it has to go into the prompt (json_object mode).
	PromptTokenBudget int
	// MaxAnswerTokens caps the completion (max_completion_tokens).
	MaxAnswerTokens int
	// Redact scrubs secrets from everything sent and from the model's text.
	// Required: ccm never sends an unredacted log (wire redact.Redact).
	Redact     func(string) string
	HTTPClient *http.Client
	// Sleep waits between retries; tests record instead of waiting.
	Sleep  func(ctx context.Context, d time.Duration) error
	Logger *slog.Logger
}

// Analyzer asks an OpenAI-compatible model to analyse failures. It is safe
// for concurrent use.
type Analyzer struct {
	client      *openai.Client
	model       string
	timeout     time.Duration
	maxTime     time.Duration
	maxAttempts int
	budget      int
	maxAnswer   int
	redact      func(string) string
	sleep       func(ctx context.Context, d time.Duration) error
	log         *slog.Logger
	schema      json.Marshaler
	schemaText  string
	// jsonObject is set once the server refused json_schema; from then on
	// this Analyzer asks for json_object with the schema in the prompt.
	jsonObject atomic.Bool
}

// New checks opt and builds an Analyzer.
func New(opt Options) (*Analyzer, error) {
	if opt.APIKey == "" && opt.BaseURL == "" {
		return nil, fmt.Errorf("new llm analyzer: %w (set OPENAI_API_KEY, or OPENAI_BASE_URL for a local server)", ErrNoAPIKey)
	}
	if opt.Redact == nil {
		return nil, errors.New("new llm analyzer: a Redact function is required")
	}
	if opt.Timeout < 0 || opt.MaxAnalysisTime < 0 || opt.MaxResponseBytes < 0 || opt.MaxAttempts < 0 ||
		opt.PromptTokenBudget < 0 || opt.MaxAnswerTokens < 0 {
		return nil, errors.New("new llm analyzer: timeouts, sizes, attempts and token limits must not be negative")
	}
	a := &Analyzer{
		model:       or(opt.Model, DefaultModel),
		timeout:     or(opt.Timeout, DefaultTimeout),
		maxAttempts: or(opt.MaxAttempts, DefaultMaxAttempts),
		budget:      or(opt.PromptTokenBudget, DefaultPromptTokenBudget),
		maxAnswer:   or(opt.MaxAnswerTokens, DefaultMaxAnswerTokens),
		redact:      opt.Redact,
		sleep:       opt.Sleep,
		log:         opt.Logger,
	}
	a.maxTime = or(opt.MaxAnalysisTime, 3*a.timeout)
	if a.sleep == nil {
		a.sleep = sleepCtx
	}
	if a.log == nil {
		a.log = slog.Default()
	}
	a.log = a.log.With("component", "llm")
	def, err := answerSchema()
	if err != nil {
		return nil, fmt.Errorf("new llm analyzer: %w", err)
	}
	text, err := json.Marshal(def)
	if err != nil {
		return nil, fmt.Errorf("new llm analyzer: marshal schema: %w", err)
	}
	a.schema, a.schemaText = json.RawMessage(text), string(text)

	cfg := openai.DefaultConfig(opt.APIKey)
	if opt.BaseURL != "" {
		cfg.BaseURL = opt.BaseURL
	}
	cfg.HTTPClient = newHTTPClient(opt.HTTPClient, or(opt.MaxResponseBytes, DefaultMaxResponseBytes))
	a.client = openai.NewClientWithConfig(cfg)
	return a, nil
}

func or[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

// stats is what one analysis cost.
type stats struct {
	calls            int
	promptTokens     int
	completionTokens int
}

// Analyze sends one failure to the model and returns its validated answer
// with Source "llm". An answer that fails validation gets one repair request
// quoting the problems; a second failure is ErrInvalidAnswer. The whole
// call is bounded by Options.MaxAnalysisTime.
func (a *Analyzer) Analyze(ctx context.Context, req Request) (analysis.AnalysisResult, error) {
	res, _, err := a.analyze(ctx, req)
	return res, err
}

func (a *Analyzer) analyze(ctx context.Context, req Request) (analysis.AnalysisResult, stats, error) {
	var st stats
	log := a.log.With("failure_id", req.FailureID, "repo", req.Repo)
	ctx, cancel := context.WithTimeoutCause(ctx, a.maxTime,
		fmt.Errorf("analysis took longer than its %s limit: %w", a.maxTime, context.DeadlineExceeded))
	defer cancel()
	for {
		jsonObject := a.jsonObject.Load()
		res, err := a.run(ctx, log, &st, req, jsonObject)
		if err != nil && !jsonObject && errors.Is(err, errSchemaRefused) && !errors.Is(err, errRepair) {
			// Refused on the first question: ask again, once, in
			// json_object mode. A refusal of the repair does not restart
			// the analysis (run switched the mode for the next ones).
			a.useJSONObject(log, err)
			continue
		}
		if err != nil {
			if req.FailureID == "" { // a log file (ccm analyze FILE) has no failure ID
				return analysis.AnalysisResult{}, st, err
			}
			return analysis.AnalysisResult{}, st, fmt.Errorf("analyze %s: %w", req.FailureID, err)
		}
		return res, st, nil
	}
}

// errRepair marks a failure of the repair request.
var errRepair = errors.New("repair")

func (a *Analyzer) useJSONObject(log *slog.Logger, err error) {
	if a.jsonObject.CompareAndSwap(false, true) {
		log.Warn("server refused json_schema output; using json_object with the schema in the prompt", "err", err)
	}
}

// run is one analysis in one output mode: the question, then at most one
// repair.
func (a *Analyzer) run(ctx context.Context, log *slog.Logger, st *stats, req Request, jsonObject bool) (analysis.AnalysisResult, error) {
	schemaText := ""
	if jsonObject {
		schemaText = a.schemaText
	}
	p, err := buildPrompt(req, a.redact, a.budget, schemaText)
	if err != nil {
		return analysis.AnalysisResult{}, err
	}
	if len(p.quotable()) == 0 {
		// Evidence must quote the log; without one every answer would be
		// rejected, so do not pay for two calls.
		return analysis.AnalysisResult{}, ErrNoLog
	}
	log.Debug("asking the model", "prompt_tokens_estimate", p.tokens(), "log_lines_cut", p.cutLines, "json_object", jsonObject)
	msgs := p.messages()
	content, model, err := a.complete(ctx, st, msgs, jsonObject)
	if err != nil {
		return analysis.AnalysisResult{}, err
	}
	res, problem := a.check(content, p)
	if problem != nil {
		log.Warn("model answer rejected; asking once for a repair", "problem", problem)
		msgs = append(msgs,
			openai.ChatCompletionMessage{Role: openai.ChatMessageRoleAssistant, Content: a.redact(clip(content, 8000))},
			openai.ChatCompletionMessage{Role: openai.ChatMessageRoleUser, Content: a.redact(repairText(problem))},
		)
		if content, model, err = a.complete(ctx, st, msgs, jsonObject); err != nil {
			if !jsonObject && errors.Is(err, errSchemaRefused) {
				a.useJSONObject(log, err)
			}
			return analysis.AnalysisResult{}, fmt.Errorf("%w: %w", errRepair, err)
		}
		if res, problem = a.check(content, p); problem != nil {
			return analysis.AnalysisResult{}, fmt.Errorf("%w after one repair: %w", ErrInvalidAnswer, problem)
		}
	}
	res.FailureID = req.FailureID
	res.Model = modelName(model, a.model, a.redact)
	res.PromptTokens = clampTokens(st.promptTokens)
	res.CompletionTokens = clampTokens(st.completionTokens)
	res.CreatedAt = time.Now().UTC()
	return res, nil
}

// repairText quotes the validation problems so one repair can fix them all.
func repairText(problem error) string {
	return "Your answer was rejected by validation: " + problem.Error() +
		"\nReply again with one corrected JSON object that follows the schema. Use only the listed categories, efforts and action types, keep the numbers in range, and copy evidence lines exactly from between the log markers."
}

// errAnswer carries validation problems in words the model can act on.
// Its text is bounded: problems quote the model's own (possibly huge)
// values.
type errAnswer struct{ problems []string }

func (e *errAnswer) Error() string {
	return clipBytes(strings.Join(e.problems, "; "), maxProblemBytes)
}

// check parses, redacts and cleans the model's text, checks the evidence
// against the log that was sent and validates the result. All problems are
// reported together.
func (a *Analyzer) check(content string, p *prompt) (analysis.AnalysisResult, error) {
	ans, err := parseAnswer(content)
	if err != nil {
		return analysis.AnalysisResult{}, &errAnswer{problems: []string{safeText(a.redact(err.Error()), maxProblemBytes)}}
	}
	res := ans.result(a.redact)
	problems := p.checkEvidence(res.Evidence)
	if err := res.Validate(); err != nil {
		problems = append(problems, strings.TrimPrefix(err.Error(), analysis.ErrInvalidAnalysis.Error()+": "))
	}
	if len(problems) > 0 {
		// Problems quote the model's text; they reach logs, the repair
		// request and the returned error, so they are scrubbed here once.
		for i, p := range problems {
			problems[i] = safeText(a.redact(p), maxProblemBytes)
		}
		return analysis.AnalysisResult{}, &errAnswer{problems: problems}
	}
	return res, nil
}

// chatRequest builds the request for one call.
func (a *Analyzer) chatRequest(msgs []openai.ChatCompletionMessage, jsonObject bool) openai.ChatCompletionRequest {
	req := openai.ChatCompletionRequest{
		Model:               a.model,
		Messages:            msgs,
		MaxCompletionTokens: a.maxAnswer,
	}
	if !reasoningModel(a.model) {
		// Classification wants the likeliest reading, not variety.
		// Reasoning models reject any temperature but the default.
		req.Temperature = 0.1
	}
	if jsonObject {
		req.ResponseFormat = &openai.ChatCompletionResponseFormat{Type: openai.ChatCompletionResponseFormatTypeJSONObject}
	} else {
		req.ResponseFormat = &openai.ChatCompletionResponseFormat{
			Type: openai.ChatCompletionResponseFormatTypeJSONSchema,
			JSONSchema: &openai.ChatCompletionResponseFormatJSONSchema{
				Name:   schemaName,
				Schema: a.schema,
				Strict: true,
			},
		}
	}
	return req
}

func reasoningModel(model string) bool {
	for _, p := range []string{"o1", "o3", "o4", "gpt-5"} {
		if strings.HasPrefix(model, p) {
			return true
		}
	}
	return false
}
