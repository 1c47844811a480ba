package github

import (
	"context"
	"io"
	"strings"
	"testing"

	"github.com/ccm-ci/ccm/sim/githubsim"
)

func TestEnterpriseBaseURL(t *testing.T) {
	tests := []struct {
		name   string
		suffix string
	}{
		{name: "bare host", suffix: ""},
		{name: "trailing slash", suffix: "/"},
		{name: "with api/v3", suffix: "/api/v3"},
		{name: "with api/v3/", suffix: "/api/v3/"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := githubsim.New(t)
			clock := newFakeClock()
			s.AddRun("acme/web", failedRun(1, clock.Now()))
			opt := testOptions(s, clock, nil)
			opt.BaseURL = s.URL + tt.suffix
			c, err := New(opt)
			if err != nil {
				t.Fatalf("New: %v", err)
			}
			if _, err := c.ListFailedRuns(context.Background(), "acme/web", testNow()); err != nil {
				t.Fatalf("ListFailedRuns: %v", err)
			}
			if err := c.JobLog(context.Background(), "acme/web", 11, func(r io.Reader) error { return nil }); err != nil {
				t.Fatalf("JobLog: %v", err)
			}
			for _, r := range s.Requests() {
				if r.Route != githubsim.RouteLogBlob && !strings.HasPrefix(r.Path, "/api/v3/repos/acme/web/") {
					t.Errorf("request to %s, want it under /api/v3/", r.Path)
				}
			}
		})
	}
}

func TestDefaultBaseURLIsGitHubDotCom(t *testing.T) {
	c, err := New(Options{Token: "t"})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if got := c.gh.BaseURL.String(); got != "https://api.github.com/" {
		t.Errorf("base URL = %q, want https://api.github.com/", got)
	}
	if c.basePath != "" {
		t.Errorf("base path = %q, want none", c.basePath)
	}
}

func TestRouteTemplate(t *testing.T) {
	tests := []struct {
		name, path, want string
	}{
		{name: "runs", path: "/repos/acme/web/actions/runs", want: "/repos/{owner}/{repo}/actions/runs"},
		{name: "run", path: "/repos/acme/web/actions/runs/123", want: "/repos/{owner}/{repo}/actions/runs/{run_id}"},
		{name: "attempt jobs", path: "/repos/a/b/actions/runs/1/attempts/2/jobs", want: "/repos/{owner}/{repo}/actions/runs/{run_id}/attempts/{attempt_number}/jobs"},
		{name: "job logs", path: "/repos/a/b/actions/jobs/9/logs", want: "/repos/{owner}/{repo}/actions/jobs/{job_id}/logs"},
		{name: "numeric repo name", path: "/repos/a/2024/actions/caches/7", want: "/repos/{owner}/{repo}/actions/caches/{cache_id}"},
		{name: "unknown collection", path: "/repos/a/b/things/5", want: "/repos/{owner}/{repo}/things/{id}"},
		{name: "rate limit", path: "/rate_limit", want: "/rate_limit"},
		// One label value per route, not one per failure: names and SHAs go.
		{name: "fix branch ref", path: "/repos/a/b/git/ref/heads/ccm/fix/acme-web-1.1", want: "/repos/{owner}/{repo}/git/ref/{ref}"},
		{name: "delete ref", path: "/repos/a/b/git/refs/heads/ccm/fix/x", want: "/repos/{owner}/{repo}/git/refs/{ref}"},
		{name: "create ref", path: "/repos/a/b/git/refs", want: "/repos/{owner}/{repo}/git/refs"},
		{name: "branch with slashes", path: "/repos/a/b/branches/release/2.x", want: "/repos/{owner}/{repo}/branches/{branch}"},
		{name: "commit", path: "/repos/a/b/commits/0123abcd", want: "/repos/{owner}/{repo}/commits/{sha}"},
		{name: "git commit", path: "/repos/a/b/git/commits/0123abcd", want: "/repos/{owner}/{repo}/git/commits/{sha}"},
		{name: "compare", path: "/repos/a/b/compare/aaa...bbb", want: "/repos/{owner}/{repo}/compare/{basehead}"},
		{name: "a repo named branches", path: "/repos/a/branches/actions/runs/1", want: "/repos/{owner}/{repo}/actions/runs/{run_id}"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := routeTemplate(tt.path); got != tt.want {
				t.Errorf("routeTemplate(%q) = %q, want %q", tt.path, got, tt.want)
			}
		})
	}
}
