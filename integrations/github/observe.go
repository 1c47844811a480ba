package github

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Observation is one HTTP exchange with GitHub, reported through
// Options.Observe (retries are reported one by one).
type Observation struct {
	Method string
	// Route is the path with its variable parts named, e.g.
	// "/repos/{owner}/{repo}/actions/runs/{run_id}", so it can be a metric
	// label; log downloads from blob storage report RouteLogDownload.
	Route string
	// Code is the HTTP status; 0 when no answer came (network error).
	Code int
	// RateRemaining is X-RateLimit-Remaining, -1 when absent.
	RateRemaining int
	RateReset     time.Time
	// FromCache: GitHub answered 304 and the cached body was served.
	FromCache bool
}

// RouteLogDownload is the Route of a log download from the signed URL.
const RouteLogDownload = "{log_download}"

// observeTransport reports every exchange; it sits next to the network so
// it sees each retry and the real 304s.
type observeTransport struct {
	next     http.RoundTripper
	basePath string
	route    string // fixed route; "" = derived from the path
	observe  func(Observation)
}

func (t *observeTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.next.RoundTrip(req)
	if t.observe == nil {
		return resp, err
	}
	route := t.route
	if route == "" {
		route = routeTemplate(apiPath(t.basePath, req.URL.Path))
	}
	o := Observation{Method: req.Method, Route: route, RateRemaining: -1}
	if resp != nil {
		o.Code = resp.StatusCode
		if n, err := strconv.Atoi(resp.Header.Get("X-RateLimit-Remaining")); err == nil {
			o.RateRemaining = n
		}
		o.RateReset = parseUnix(resp.Header.Get("X-RateLimit-Reset"))
		o.FromCache = resp.StatusCode == http.StatusNotModified && req.Header.Get("If-None-Match") != ""
	}
	t.observe(o)
	return resp, err
}

// paramNames names a numeric path segment after the collection before it.
var paramNames = map[string]string{
	"runs": "{run_id}", "jobs": "{job_id}", "attempts": "{attempt_number}",
	"caches": "{cache_id}", "pulls": "{pull_number}", "issues": "{issue_number}",
	"workflows": "{workflow_id}", "check-runs": "{check_run_id}", "check-suites": "{check_suite_id}",
}

// namedParams names a segment after the collection before it whatever it
// holds: a SHA, or a comparison.
var namedParams = map[string]string{
	"commits": "{sha}", "trees": "{sha}", "blobs": "{sha}", "compare": "{basehead}",
}

// restParams name everything after the segment before them: branch and
// ref names may hold slashes (ccm/fix/acme-web-1.1).
var restParams = map[string]string{"branches": "{branch}", "ref": "{ref}", "refs": "{ref}"}

// routeTemplate replaces the variable parts of an API path (owner,
// repository, numeric IDs, SHAs, branch and ref names) with names, keeping
// label cardinality bounded: one label value per route, not per failure.
func routeTemplate(path string) string {
	segs := strings.Split(strings.Trim(path, "/"), "/")
	for i, s := range segs {
		if i > 2 && segs[0] == "repos" {
			if name, ok := restParams[segs[i-1]]; ok && (segs[i-1] == "branches" || segs[i-2] == "git") {
				segs = append(segs[:i], name)
				break
			}
			if name, ok := namedParams[segs[i-1]]; ok {
				segs[i] = name
				continue
			}
		}
		switch {
		case segs[0] == "repos" && i == 1:
			segs[i] = "{owner}"
		case segs[0] == "repos" && i == 2:
			segs[i] = "{repo}"
		case i > 0 && s != "" && strings.Trim(s, "0123456789") == "":
			name, ok := paramNames[segs[i-1]]
			if !ok {
				name = "{id}"
			}
			segs[i] = name
		}
	}
	return "/" + strings.Join(segs, "/")
}
