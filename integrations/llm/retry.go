package llm

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	openai "github.com/sashabaranov/go-openai"

	"github.com/ccm-ci/ccm/internal/backoff"
)

const (
	baseBackoff = time.Second
	maxBackoff  = 20 * time.Second
	// maxRetryAfter is the longest server-requested wait ccm sits through
	// inside a task; beyond it the analysis falls back to the rules and
	// the task carries on rather than blocking a worker.
	maxRetryAfter = 2 * time.Minute
)

// errErrorIn200 marks a 2xx answer that carries an OpenAI error object
// instead of a completion; treated like a 5xx.
var errErrorIn200 = errors.New("the server answered with an error")

// errSchemaRefused marks a 400 that rejects the response_format: after a
// refused json_schema the caller switches to json_object.
var errSchemaRefused = errors.New("server refused the response_format")

// complete sends one chat request, retrying transient failures, and returns
// the assistant's content and the model that answered. Its errors carry
// bounded text (see boundedError).
func (a *Analyzer) complete(ctx context.Context, st *stats, msgs []openai.ChatCompletionMessage, jsonObject bool) (string, string, error) {
	req := a.chatRequest(msgs, jsonObject)
	for attempt := 1; ; attempt++ {
		st.calls++
		info := &responseInfo{}
		actx, cancel := context.WithTimeout(withResponseInfo(ctx, info), a.timeout)
		resp, err := a.client.CreateChatCompletion(actx, req)
		cancel()
		if err == nil {
			st.promptTokens += clampTokens(resp.Usage.PromptTokens)
			st.completionTokens += clampTokens(resp.Usage.CompletionTokens)
			if len(resp.Choices) > 0 {
				msg := resp.Choices[0].Message
				if msg.Refusal != "" && msg.Content == "" {
					return "model refused: " + clipBytes(msg.Refusal, 1000), resp.Model, nil
				}
				return msg.Content, resp.Model, nil
			}
			if info.bodyError == "" {
				return "", resp.Model, nil // rejected by check as an empty answer
			}
			err = fmt.Errorf("%w: %s", errErrorIn200, info.bodyError)
		}
		if ctx.Err() != nil {
			return "", "", bounded(fmt.Errorf("attempt %d: %w", attempt, context.Cause(ctx)))
		}
		retry, wait, err := a.classify(err, info, attempt)
		err = bounded(err)
		if !retry || attempt >= a.maxAttempts {
			return "", "", bounded(fmt.Errorf("attempt %d of %d: %w", attempt, a.maxAttempts, err))
		}
		if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) < wait {
			// Sleeping would only run into the deadline.
			return "", "", bounded(fmt.Errorf("attempt %d of %d: no time left to wait %s before retrying: %w", attempt, a.maxAttempts, wait.Round(time.Millisecond), err))
		}
		a.log.Warn("model request failed; retrying", "attempt", attempt, "wait", wait, "err", err)
		if err := a.sleep(ctx, wait); err != nil {
			return "", "", fmt.Errorf("wait before attempt %d: %w", attempt+1, err)
		}
	}
}

// classify decides whether err is worth another attempt and how long to
// wait first. The returned error is the one to report.
func (a *Analyzer) classify(err error, info *responseInfo, attempt int) (bool, time.Duration, error) {
	// Exponential with jitter: attempt 1 waits 0.5-1 s, attempt 2 1-2 s,
	// ... up to maxBackoff, so concurrent workers do not retry in step.
	wait := backoff.Delay(attempt, baseBackoff, maxBackoff, nil)
	if errors.Is(err, context.DeadlineExceeded) {
		return true, wait, fmt.Errorf("request timed out after %s: %w", a.timeout, err)
	}
	if errors.Is(err, ErrResponseTooLarge) {
		return false, 0, err
	}
	if errors.Is(err, errErrorIn200) {
		return true, wait, err
	}
	status, msg, code := httpError(err)
	switch {
	case status == 0:
		// Transport failure or an undecodable body: worth another try.
		return true, wait, err
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return false, 0, fmt.Errorf("%w: the server rejected the API key (%d): %s", ErrUnauthorized, status, msg)
	case (status == http.StatusBadRequest || status == http.StatusUnprocessableEntity) && schemaRefusal(msg):
		return false, 0, fmt.Errorf("%w: %w", errSchemaRefused, err)
	case status == http.StatusTooManyRequests && code == "insufficient_quota":
		return false, 0, fmt.Errorf("quota exhausted: %w", err)
	case status == http.StatusTooManyRequests || status >= 500:
		if d, ok := info.retryAfter(); ok {
			if d > maxRetryAfter {
				return false, 0, fmt.Errorf("server asks to wait %s, longer than %s: %w", d, maxRetryAfter, err)
			}
			return true, d, err
		}
		return true, wait, err
	default:
		return false, 0, err
	}
}

// httpError digs the status, message and error code out of go-openai's
// error types; status 0 means the request never got an HTTP answer.
func httpError(err error) (status int, msg, code string) {
	var apiErr *openai.APIError
	if errors.As(err, &apiErr) {
		if c, ok := apiErr.Code.(string); ok {
			code = c
		}
		return apiErr.HTTPStatusCode, apiErr.Message, code
	}
	var reqErr *openai.RequestError
	if errors.As(err, &reqErr) {
		return reqErr.HTTPStatusCode, string(reqErr.Body), ""
	}
	return 0, err.Error(), ""
}

func schemaRefusal(msg string) bool {
	m := strings.ToLower(msg)
	return strings.Contains(m, "response_format") || strings.Contains(m, "json_schema") ||
		strings.Contains(m, "response format") || strings.Contains(m, "structured output")
}

// sleepCtx is the analyzer's real wait between attempts (tests swap in
// Options.Sleep).
var sleepCtx = backoff.Sleep
