package llm

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"
)

// DefaultMaxResponseBytes bounds one HTTP answer. A real completion of
// MaxAnswerTokens is a few kilobytes; a proxy or a broken server streaming
// an endless body must not take the process's memory.
const DefaultMaxResponseBytes = 1 << 20

// ErrResponseTooLarge: the server's answer was longer than MaxResponseBytes.
// It is not retried: the same server would likely do it again.
var ErrResponseTooLarge = errors.New("response body too large")

// go-openai returns only the error body of a failed request, not its
// headers, so the transport hands the retry hints (and an error object in a
// 200 body) back through the request's context.
type responseInfo struct {
	header http.Header
	// bodyError is the message of an OpenAI error object the server sent
	// with a 2xx status; go-openai would decode it as an empty answer.
	bodyError string
}

type responseInfoKey struct{}

func withResponseInfo(ctx context.Context, info *responseInfo) context.Context {
	return context.WithValue(ctx, responseInfoKey{}, info)
}

// retryAfter reads retry-after-ms (Azure OpenAI) or Retry-After, in seconds
// or as an HTTP date.
func (r *responseInfo) retryAfter() (time.Duration, bool) {
	if r.header == nil {
		return 0, false
	}
	if v := r.header.Get("retry-after-ms"); v != "" {
		if ms, err := strconv.ParseFloat(v, 64); err == nil && ms >= 0 {
			return time.Duration(ms * float64(time.Millisecond)), true
		}
	}
	v := r.header.Get("Retry-After")
	if v == "" {
		return 0, false
	}
	if s, err := strconv.ParseFloat(v, 64); err == nil && s >= 0 {
		return time.Duration(s * float64(time.Second)), true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(time.Until(t), 0), true
	}
	return 0, false
}

// transport reads every answer whole, within maxBody bytes and within the
// request's context, before go-openai decodes it. go-openai decodes
// straight from the connection with no limit, so without this an endless
// 200 body grows until memory runs out.
type transport struct {
	base    http.RoundTripper
	maxBody int64
}

func (t transport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(r)
	if err != nil {
		return nil, err
	}
	info, _ := r.Context().Value(responseInfoKey{}).(*responseInfo)
	if info != nil {
		info.header = resp.Header.Clone()
	}
	body, err := readBody(r.Context(), resp.Body, t.maxBody)
	if err != nil {
		return nil, err
	}
	if info != nil && resp.StatusCode/100 == 2 {
		info.bodyError = errorObject(body)
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	resp.ContentLength = int64(len(body))
	resp.Header.Del("Content-Length")
	return resp, nil
}

// readBody reads and closes body. The body is closed as soon as ctx ends,
// so a server that trickles bytes cannot hold a read past the request's
// timeout, whatever the underlying transport does about it.
func readBody(ctx context.Context, body io.ReadCloser, limit int64) ([]byte, error) {
	stop := context.AfterFunc(ctx, func() { _ = body.Close() })
	defer func() {
		stop()
		_ = body.Close()
	}()
	b, err := io.ReadAll(io.LimitReader(body, limit+1))
	if ctx.Err() != nil {
		return nil, fmt.Errorf("read response: %w", context.Cause(ctx))
	}
	if err != nil {
		return nil, fmt.Errorf("read response: %w", err)
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%w: over %d bytes", ErrResponseTooLarge, limit)
	}
	return b, nil
}

// errorObject returns the message of an OpenAI error object with no
// choices ({"error":{"message":...}}), "" for anything else.
func errorObject(body []byte) string {
	var v struct {
		Error   json.RawMessage `json:"error"`
		Choices json.RawMessage `json:"choices"`
	}
	if json.Unmarshal(body, &v) != nil || len(v.Error) == 0 || string(v.Error) == "null" || len(v.Choices) > 0 {
		return ""
	}
	var e struct {
		Message string `json:"message"`
	}
	if json.Unmarshal(v.Error, &e) == nil && e.Message != "" {
		return e.Message
	}
	return string(v.Error)
}

// newHTTPClient copies c (never mutating the caller's client) with the
// transport in front.
func newHTTPClient(c *http.Client, maxBody int64) *http.Client {
	var out http.Client
	if c != nil {
		out = *c
	}
	base := out.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	out.Transport = transport{base: base, maxBody: maxBody}
	return &out
}
