package llm

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	openai "github.com/sashabaranov/go-openai"

	"github.com/ccm-ci/ccm/analysis"
	"github.com/ccm-ci/ccm/sim/openaisim"
)

// testSecret looks like a GitHub token; built at run time so no scanner
// mistakes this file for a leak.
var testSecret = "ghp_" + strings.Repeat("a1B2", 9)

var secretRE = regexp.MustCompile(`ghp_[A-Za-z0-9]{36}`)

// testRedact stands in for redact.Redact so these tests do not depend on
// its pattern list; it is idempotent like the real one.
func testRedact(s string) string { return secretRE.ReplaceAllString(s, "[REDACTED:github_token]") }

const (
	errLine  = "src/widget.go:42:7: undefined: NewGadget"
	tailLine = "##[error]Process completed with exit code 1."
)

func baseRequest() Request {
	return Request{
		FailureID:    "octo/widgets#101.1",
		Repo:         "octo/widgets",
		Workflow:     "CI",
		Job:          "build (ubuntu-latest)",
		FailingStep:  "Run go build ./...",
		Branch:       "main",
		Reason:       "undefined: NewGadget",
		Excerpt:      "Run go build ./...\n# octo/widgets\n" + errLine + "\n" + tailLine + "\n",
		ChangedFiles: []string{"src/widget.go", "README.md"},
	}
}

// validAnswer is an answer that passes every check for baseRequest.
func validAnswer() answer {
	return answer{
		Category:                "code",
		RiskScore:               7,
		Confidence:              90,
		Effort:                  "low",
		ProposedFix:             "Define NewGadget in src/widget.go or fix the call site, then push.",
		Actions:                 []answerAction{{Type: "none", Files: []answerFile{}}},
		AffectedComponents:      []string{"src/widget.go", "ci/build"},
		InvolvesApplicationCode: true,
		Evidence:                []string{errLine},
		Reasoning:               "The compiler reports an undefined identifier in the project's own code.",
	}
}

func jsonOf(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	return string(b)
}

func reply(t testing.TB, a answer) openaisim.Reply {
	t.Helper()
	return openaisim.Reply{Content: jsonOf(t, a), PromptTokens: 500, CompletionTokens: 120}
}

// sleeps records the waits the analyzer asked for instead of waiting.
type sleeps struct {
	mu sync.Mutex
	d  []time.Duration
}

func (s *sleeps) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.d = append(s.d, d)
	return ctx.Err()
}

func (s *sleeps) got() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.d...)
}

func newTestAnalyzer(t testing.TB, srv *openaisim.Server, mod func(*Options)) (*Analyzer, *sleeps) {
	t.Helper()
	sl := &sleeps{}
	opt := Options{
		APIKey:      "sk-test",
		BaseURL:     srv.URL,
		Timeout:     5 * time.Second,
		MaxAttempts: 3,
		Redact:      testRedact,
		Sleep:       sl.sleep,
		Logger:      slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	if mod != nil {
		mod(&opt)
	}
	a, err := New(opt)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return a, sl
}

// lastUser is the content of the last user message of a request.
func lastUser(req openai.ChatCompletionRequest) string {
	for i := len(req.Messages) - 1; i >= 0; i-- {
		if req.Messages[i].Role == openai.ChatMessageRoleUser {
			return req.Messages[i].Content
		}
	}
	return ""
}

// fataler is what both *testing.T and *rapid.T offer.
type fataler interface {
	Helper()
	Fatalf(format string, args ...any)
}

// loggedExcerpt returns the lines between the nonce markers of a request,
// the way a fake model would read them.
func loggedExcerpt(t fataler, req openai.ChatCompletionRequest) (nonce string, lines []string) {
	t.Helper()
	nonce, lines, err := excerptOf(req)
	if err != nil {
		t.Fatalf("%v", err)
	}
	return nonce, lines
}

func excerptOf(req openai.ChatCompletionRequest) (nonce string, lines []string, err error) {
	if len(req.Messages) < 2 {
		return "", nil, fmt.Errorf("request has %d messages", len(req.Messages))
	}
	user := req.Messages[1].Content
	m := beginMarker.FindStringSubmatchIndex(user)
	if m == nil {
		return "", nil, fmt.Errorf("no begin marker in user message:\n%s", user)
	}
	nonce = user[m[2]:m[3]]
	end := strings.Index(user, "<<<CI_LOG_END "+nonce+">>>")
	if end < m[1]-1 {
		return "", nil, fmt.Errorf("no end marker for nonce %s", nonce)
	}
	body := strings.TrimSuffix(user[m[1]:max(end, m[1])], "\n")
	if body == "" {
		return nonce, nil, nil
	}
	return nonce, strings.Split(body, "\n"), nil
}

var beginMarker = regexp.MustCompile(`<<<CI_LOG_BEGIN ([0-9a-f]+)>>>\n`)

// rulesStub is a rule-based verdict for Chain tests.
func rulesStub(risk, confidence int, appCode bool) func(Request) analysis.AnalysisResult {
	return func(req Request) analysis.AnalysisResult {
		return analysis.AnalysisResult{
			Category:                analysis.CategoryCode,
			RiskScore:               risk,
			Confidence:              confidence,
			Effort:                  analysis.EffortMedium,
			ProposedFix:             "Fix the compile error and push.",
			Actions:                 []analysis.Action{{Type: analysis.ActionNone}},
			AffectedComponents:      []string{"ci/build"},
			InvolvesApplicationCode: appCode,
			Reasoning:               "rules",
		}
	}
}
