// Package githubsim is the shared fake GitHub: an HTTP server that speaks
// GitHub's REST wire format for the Actions endpoints ccm uses (runs, jobs,
// job logs via a signed blob redirect, re-runs, cancels, caches, rate
// limits, and the branches, git objects and pull requests of a fix PR)
// under /api/v3/, the prefix go-github adds to an Enterprise base URL.
// Tests and `ccm sandbox` seed it with runs and logs, inject faults (rate
// limits, server errors, broken downloads, writes that land but whose
// answer is lost) and read back what it was asked and what it wrote. It
// imports nothing of ccm so it cannot agree with the client by accident.
package githubsim

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// maxRecorded bounds the request log so a long sandbox session does not
// grow without limit; tests see far fewer requests.
const maxRecorded = 10000

// Request is one request the server received.
type Request struct {
	Method string
	Path   string // as received, including /api/v3
	Route  string // the matched route, e.g. RouteListRuns; "" when unknown
	Query  url.Values
	Header http.Header
}

// Server is a running fake GitHub. URL is the base to give a client
// (as GitHub Enterprise base URL, with or without /api/v3/).
type Server struct {
	URL string
	api string // URL + "/api/v3": prefix of the url fields in responses
	hs  *httptest.Server
	mux *http.ServeMux
	key []byte // signs blob URLs

	mu         sync.Mutex
	repos      map[string]*repoState // by lower-case full name
	logs       map[int64]logSource   // by job ID
	nextID     int64
	requests   []Request
	writes     []Write
	unexpected []string
	faults     []*faultEntry
	token      string
	login      string // the token's user; "" = DefaultLogin
	rate       rateState
	ignoreFilt bool
	// compareRuns: a comparison neither set nor made of pushed commits
	// is derived from the runs' history (CompareFromRuns).
	compareRuns bool
	now         func() time.Time
}

type repoState struct {
	name    string
	runs    map[int64][]Run // attempts in ascending order
	caches  []Cache
	git     *gitRepo       // branches, commits, trees, blobs; nil until used
	pulls   []*PullRequest // by number - 1
	scripts map[int64]*attemptScript
	// compares are the files of base...head comparisons set by tests.
	compares map[string][]string
}

type logSource struct {
	size int64
	open func() io.Reader
}

// New starts a server that is closed when the test ends; any request to a
// route the fake does not know, or a log download carrying a token, fails
// the test then.
func New(t testing.TB) *Server {
	t.Helper()
	s := NewServer()
	t.Cleanup(func() {
		s.Close()
		for _, u := range s.Unexpected() {
			t.Errorf("githubsim: %s", u)
		}
	})
	return s
}

// NewServer starts a server for use outside tests (ccm sandbox); the caller
// must Close it.
func NewServer() *Server {
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	s := &Server{
		mux:   http.NewServeMux(),
		key:   key,
		repos: map[string]*repoState{},
		logs:  map[int64]logSource{},
		now:   time.Now,
	}
	s.rate = rateState{limit: defaultRateLimit, remaining: defaultRateLimit, reset: time.Now().Add(time.Hour)}
	s.routes()
	s.hs = httptest.NewServer(s)
	s.URL = s.hs.URL
	s.api = s.URL + "/api/v3"
	return s
}

// Close shuts the server down.
func (s *Server) Close() { s.hs.Close() }

// SetClock replaces the server's clock (rate-limit resets, blob URL
// expiry, default run timestamps).
func (s *Server) SetClock(now func() time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.now = now
}

// RequireToken makes every API request without "Authorization: Bearer
// <token>" (or "token <token>") fail with 401 Bad credentials, as a revoked
// or wrong token does. "" accepts any request.
func (s *Server) RequireToken(token string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.token = token
}

// IgnoreStatusFilter makes the run list ignore its status and created
// filters, like a server (or proxy) that returns more than was asked for.
func (s *Server) IgnoreStatusFilter(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ignoreFilt = on
}

// CompareFromRuns makes a comparison that was neither set with
// [Server.SetCompare] nor made of commits pushed with [Server.PushCommit]
// answer from the runs' history (the files the runs on the branch between
// the two commits changed) instead of 404. Tests that script a branch's
// life as runs (the shadow check's) turn it on; the default 404 is what
// GitHub says of a commit it does not know.
func (s *Server) CompareFromRuns(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.compareRuns = on
}

// Requests returns what the server received, oldest first.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// RequestsTo returns the recorded requests whose Route is route.
func (s *Server) RequestsTo(route string) []Request {
	var out []Request
	for _, r := range s.Requests() {
		if r.Route == route {
			out = append(out, r)
		}
	}
	return out
}

// ResetRequests forgets the recorded requests.
func (s *Server) ResetRequests() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = nil
}

// Unexpected lists requests the fake could not serve honestly: unknown
// routes and log downloads that carried an Authorization header.
func (s *Server) Unexpected() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.unexpected...)
}

func (s *Server) clock() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.now()
}

// ServeHTTP records the request, then applies faults, authentication and
// the rate limit before the route's handler runs. Writes (any method but
// GET and HEAD) are also logged with what the client was answered and
// whether the change took effect, see [Server.Writes].
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	_, pattern := s.mux.Handler(r)
	route := routeOf(pattern)
	s.record(r, route)
	var sw *statusWriter
	if isWrite(r.Method) {
		sw = &statusWriter{ResponseWriter: w}
		w = sw
		defer func() { s.recordWrite(r, route, sw) }()
	}
	if route == "" {
		s.addUnexpected(fmt.Sprintf("unexpected route %s %s", r.Method, r.URL.RequestURI()))
		s.writeJSON(w, r, http.StatusNotFound, errorJSON{Message: "Not Found", DocumentationURL: docsURL, Status: "404"})
		return
	}
	f := s.takeFault(r.Method, route)
	if f != nil && !f.Apply {
		if w = s.applyFault(w, r, f); w == nil {
			return
		}
	}
	if !strings.HasPrefix(route, "GET /_blobs/") {
		if !s.authorized(r) {
			s.writeJSON(w, r, http.StatusUnauthorized, errorJSON{Message: "Bad credentials", DocumentationURL: docsURL, Status: "401"})
			return
		}
		if route != RouteRateLimit && s.exhausted() {
			s.writePrimaryLimit(w, r)
			return
		}
	}
	if f != nil && f.Apply {
		// The change happens, the answer is lost or replaced: what a
		// client sees when GitHub committed a write and then timed out.
		rec := httptest.NewRecorder()
		s.mux.ServeHTTP(rec, r)
		if sw != nil {
			sw.ranHandler, sw.applied = true, rec.Code >= 200 && rec.Code < 300
		}
		s.applyFault(w, r, f)
		return
	}
	s.mux.ServeHTTP(w, r)
	if sw != nil {
		sw.ranHandler, sw.applied = true, sw.status >= 200 && sw.status < 300
	}
}

// routeOf turns a mux pattern into the route name used for faults and
// recording: the API prefix is dropped so routes read like GitHub's docs.
func routeOf(pattern string) string {
	method, path, ok := strings.Cut(pattern, " ")
	if !ok {
		return ""
	}
	return method + " " + strings.TrimPrefix(path, "/api/v3")
}

func (s *Server) record(r *http.Request, route string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.requests) >= maxRecorded {
		s.requests = s.requests[1:]
	}
	s.requests = append(s.requests, Request{
		Method: r.Method, Path: r.URL.Path, Route: route,
		Query: r.URL.Query(), Header: r.Header.Clone(),
	})
}

func (s *Server) addUnexpected(msg string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.unexpected) < maxRecorded {
		s.unexpected = append(s.unexpected, msg)
	}
}

func (s *Server) authorized(r *http.Request) bool {
	s.mu.Lock()
	token := s.token
	s.mu.Unlock()
	if token == "" {
		return true
	}
	h := r.Header.Get("Authorization")
	return h == "Bearer "+token || h == "token "+token
}

const docsURL = "https://docs.github.com/rest"

// writeJSON writes v as GitHub does: successful GETs carry a weak ETag and
// answer a matching If-None-Match with 304, which does not count against
// the rate limit; everything else consumes one request.
func (s *Server) writeJSON(w http.ResponseWriter, r *http.Request, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("X-GitHub-Request-Id", requestID())
	if r.Method == http.MethodGet && status == http.StatusOK {
		etag := weakETag(body)
		h.Set("ETag", etag)
		if etagMatches(r.Header.Get("If-None-Match"), etag) {
			s.rateHeaders(w, false)
			w.WriteHeader(http.StatusNotModified)
			return
		}
	}
	s.rateHeaders(w, r.URL.Path != "/api/v3/rate_limit")
	h.Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

func requestID() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return fmt.Sprintf("%X", b)
}
