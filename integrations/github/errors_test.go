package github

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/ccm-ci/ccm/sim/githubsim"
)

func TestErrors_Descriptive(t *testing.T) {
	tests := []struct {
		name    string
		setup   func(s *githubsim.Server)
		call    func(c *Client) error
		want    error    // errors.Is target
		mention []string // substrings of the message
	}{
		{
			name:  "unknown repository is ErrNotFound naming the repo",
			setup: func(s *githubsim.Server) {},
			call: func(c *Client) error {
				_, err := c.ListFailedRuns(context.Background(), "acme/missing", testNow())
				return err
			},
			want:    ErrNotFound,
			mention: []string{"list failed runs acme/missing", "GET /repos/acme/missing/actions/runs", "404"},
		},
		{
			name:  "unknown run is ErrNotFound",
			setup: func(s *githubsim.Server) { s.AddRepo("acme/web") },
			call: func(c *Client) error {
				_, err := c.GetRun(context.Background(), "acme/web", 77, 2)
				return err
			},
			want:    ErrNotFound,
			mention: []string{"get run acme/web#77.2", "/attempts/2"},
		},
		{
			name:  "revoked token is ErrUnauthorized",
			setup: func(s *githubsim.Server) { s.AddRepo("acme/web"); s.RequireToken("another-token") },
			call: func(c *Client) error {
				_, err := c.ListJobs(context.Background(), "acme/web", 1, 0)
				return err
			},
			want:    ErrUnauthorized,
			mention: []string{"list jobs acme/web#1", "token revoked or invalid", "Bad credentials"},
		},
		{
			name: "403 without rate limit is ErrForbidden",
			setup: func(s *githubsim.Server) {
				s.AddRepo("acme/web")
				s.FailNext(githubsim.RouteListJobs, githubsim.Fault{Status: http.StatusForbidden, Body: `{"message":"Resource not accessible by integration"}`})
			},
			call: func(c *Client) error {
				_, err := c.ListJobs(context.Background(), "acme/web", 1, 0)
				return err
			},
			want:    ErrForbidden,
			mention: []string{"list jobs acme/web#1", "Resource not accessible by integration"},
		},
		{
			name: "malformed JSON names the route",
			setup: func(s *githubsim.Server) {
				s.AddRepo("acme/web")
				s.FailNext(githubsim.RouteListRuns, githubsim.Fault{Status: 200, Body: `{"total_count": 1, "workflow_runs": [{"id": "x"`})
			},
			call: func(c *Client) error {
				_, err := c.ListFailedRuns(context.Background(), "acme/web", testNow())
				return err
			},
			want:    ErrMalformedResponse,
			mention: []string{"list failed runs acme/web", "GET /repos/acme/web/actions/runs"},
		},
		{
			name: "wrong JSON type names the route",
			setup: func(s *githubsim.Server) {
				s.AddRepo("acme/web")
				s.FailNext(githubsim.RouteListRuns, githubsim.Fault{Status: 200, Body: `{"workflow_runs": "nope"}`})
			},
			call: func(c *Client) error {
				_, err := c.ListFailedRuns(context.Background(), "acme/web", testNow())
				return err
			},
			want:    ErrMalformedResponse,
			mention: []string{"list failed runs acme/web"},
		},
		{
			name: "null body",
			setup: func(s *githubsim.Server) {
				s.AddRepo("acme/web")
				s.FailNext(githubsim.RouteGetRun, githubsim.Fault{Status: 200, Body: `null`})
			},
			call: func(c *Client) error {
				_, err := c.GetRun(context.Background(), "acme/web", 5, 0)
				return err
			},
			want:    ErrMalformedResponse,
			mention: []string{"get run acme/web#5"},
		},
		{
			name: "null job list",
			setup: func(s *githubsim.Server) {
				s.AddRepo("acme/web")
				s.FailNext(githubsim.RouteListJobs, githubsim.Fault{Status: 200, Body: `null`})
			},
			call: func(c *Client) error {
				_, err := c.ListJobs(context.Background(), "acme/web", 5, 0)
				return err
			},
			want:    ErrMalformedResponse,
			mention: []string{"list jobs acme/web#5"},
		},
		{
			name:  "log of unknown job is ErrNotFound",
			setup: func(s *githubsim.Server) { s.AddRepo("acme/web") },
			call: func(c *Client) error {
				return c.JobLog(context.Background(), "acme/web", 999, func(r io.Reader) error { return nil })
			},
			want:    ErrNotFound,
			mention: []string{"job log acme/web job 999", "/actions/jobs/999/logs"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, s, _ := newTestClient(t, nil)
			tt.setup(s)
			err := tt.call(c)
			t.Logf("error: %v", err)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want errors.Is %v", err, tt.want)
			}
			var re *RetryError
			if errors.As(err, &re) {
				t.Errorf("err is a *RetryError; a final error must not promise a retry")
			}
			for _, m := range tt.mention {
				if !strings.Contains(err.Error(), m) {
					t.Errorf("error %q does not mention %q", err, m)
				}
			}
		})
	}
}

func TestErrors_BadRepoName(t *testing.T) {
	c, _, _ := newTestClient(t, nil)
	for _, repo := range []string{"", "acme", "acme/", "/web", "acme/web/x", "ac me/web"} {
		t.Run(repo, func(t *testing.T) {
			if _, err := c.ListFailedRuns(context.Background(), repo, testNow()); err == nil || !strings.Contains(err.Error(), "owner/name") {
				t.Errorf("err = %v, want an owner/name error", err)
			}
		})
	}
}

func TestNew_Validation(t *testing.T) {
	tests := []struct {
		name string
		opt  Options
	}{
		{name: "no token", opt: Options{}},
		{name: "relative base URL", opt: Options{Token: "t", BaseURL: "ghe.example.com"}},
		{name: "unparsable base URL", opt: Options{Token: "t", BaseURL: "http://[::1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := New(tt.opt); err == nil {
				t.Error("New succeeded, want an error")
			}
		})
	}
}
