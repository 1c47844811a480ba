package sandbox

import (
	"net/http"
	"regexp"
	"slices"
	"strings"

	openai "github.com/sashabaranov/go-openai"

	"github.com/ccm-ci/ccm/integrations/llm"
	"github.com/ccm-ci/ccm/sim/openaisim"
)

// ccmLine matches the lines ccm writes into an excerpt itself (block
// titles, job headers, cut notes): the rules may cite them, a model must
// quote the log.
var ccmLine = regexp.MustCompile(`^(?:=== job: .* ===|Failing step: .*|Exit code: -?\d+|--- [a-z ]+ ---` +
	`|\[excerpt truncated\]|\(excerpt: .*\)|\[\.\.\. \d+ lines cut by ccm \.\.\.\])$`)

// beginMarker opens the untrusted log in ccm's prompt; the nonce it
// carries names the only marker that closes it.
var beginMarker = regexp.MustCompile(`<<<CI_LOG_BEGIN ([0-9a-f]+)>>>\n`)

// modelAnswer plays the model: it answers each chat request with the rules'
// analysis of the log the prompt carries, so the real LLM path (schema,
// validation, evidence check, risk floor, cache) runs offline on what ccm
// actually sent, not on a canned reply.
func modelAnswer(req openai.ChatCompletionRequest) openaisim.Reply {
	in, ok := requestFromPrompt(req)
	if !ok {
		return openaisim.Reply{Status: http.StatusBadRequest, Content: "sandbox model: no CI log between markers in the request"}
	}
	a := llm.Classify(in)
	a.Evidence = quotedEvidence(a.Evidence, in.Reason)
	content, err := llm.AnswerJSON(a)
	if err != nil {
		return openaisim.Reply{Status: http.StatusInternalServerError, Content: "sandbox model: " + err.Error()}
	}
	return openaisim.Reply{Content: content}
}

// requestFromPrompt rebuilds the analysis input from the first user
// message holding a log (a repair request repeats it further on).
func requestFromPrompt(req openai.ChatCompletionRequest) (llm.Request, bool) {
	for _, m := range req.Messages {
		if m.Role != openai.ChatMessageRoleUser {
			continue
		}
		loc := beginMarker.FindStringSubmatchIndex(m.Content)
		if loc == nil {
			continue
		}
		nonce := m.Content[loc[2]:loc[3]]
		rest := m.Content[loc[1]:]
		excerpt, _, found := strings.Cut(rest, "<<<CI_LOG_END "+nonce+">>>")
		if !found {
			continue
		}
		h := headerFields(m.Content[:loc[0]])
		return llm.Request{
			Repo: h["Repository"], Workflow: h["Workflow"], Job: h["Job"],
			FailingStep: h["Failing step"], Branch: h["Branch"], Reason: h["Failure reason"],
			Excerpt: excerpt,
		}, true
	}
	return llm.Request{}, false
}

// headerFields reads the "Name: value" lines ccm writes above the log;
// "unknown" is how the prompt says a field is empty.
func headerFields(header string) map[string]string {
	out := map[string]string{}
	for _, line := range strings.Split(header, "\n") {
		k, v, ok := strings.Cut(line, ": ")
		if ok && v != "unknown" {
			out[k] = v
		}
	}
	return out
}

// quotedEvidence keeps what a careful model would quote: log lines, with
// ccm's "Reason: " label taken off (the reason itself is a log line) and
// ccm's own lines left out; the reason stands in when nothing is left.
func quotedEvidence(ev []string, reason string) []string {
	out := []string{}
	for _, e := range ev {
		e = strings.TrimPrefix(e, "Reason: ")
		if e != "" && !ccmLine.MatchString(e) && !slices.Contains(out, e) {
			out = append(out, e)
		}
	}
	if len(out) == 0 && reason != "" {
		out = append(out, reason)
	}
	return out
}
