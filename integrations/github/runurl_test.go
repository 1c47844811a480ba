package github

import (
	"context"
	"strings"
	"testing"

	"github.com/ccm-ci/ccm/sim/githubsim"
)

func TestParseRunURL(t *testing.T) {
	tests := []struct {
		url     string
		want    RunRef
		wantErr bool
	}{
		{url: "https://github.com/acme/web/actions/runs/123", want: RunRef{Host: "github.com", Repo: "acme/web", RunID: 123}},
		{url: "https://github.com/acme/web/actions/runs/123/attempts/2", want: RunRef{Host: "github.com", Repo: "acme/web", RunID: 123, Attempt: 2}},
		{url: "https://ghe.example.com/acme/web/actions/runs/9/job/5", want: RunRef{Host: "ghe.example.com", Repo: "acme/web", RunID: 9}},
		{url: "https://github.com/acme/web/actions/runs/abc", wantErr: true},
		{url: "https://github.com/acme/web/actions/runs/1/attempts/0", wantErr: true},
		{url: "https://github.com/acme/web", wantErr: true},
		{url: "not a url", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			got, err := ParseRunURL(tt.url)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestRepoVisible(t *testing.T) {
	c, s, _ := newTestClient(t, nil)
	s.AddRun("acme/web", githubsim.Run{Conclusion: "failure"})
	tests := []struct {
		repo string
		want bool
	}{
		{repo: "acme/web", want: true},
		{repo: "acme/gone", want: false},
	}
	for _, tt := range tests {
		got, err := c.RepoVisible(context.Background(), tt.repo)
		if err != nil || got != tt.want {
			t.Errorf("RepoVisible(%s) = %v, %v; want %v", tt.repo, got, err, tt.want)
		}
	}
}

// A GitHub Enterprise Server run with GITHUB_API_URL unset would send that
// server's token to api.github.com: refused, naming the fix.
func TestRunRefCheckServer(t *testing.T) {
	tests := []struct {
		name, host, apiURL string
		wantErr            string
	}{
		{name: "github.com by default", host: "github.com"},
		{name: "case-blind", host: "GitHub.com"},
		{name: "GHES without GITHUB_API_URL", host: "ghe.example.com", wantErr: "GITHUB_API_URL=https://ghe.example.com/api/v3/"},
		{name: "GHES with GITHUB_API_URL", host: "ghe.example.com", apiURL: "https://ghe.example.com/api/v3/"},
		{name: "a proxy is the user's choice", host: "github.com", apiURL: "https://gh-proxy.corp/"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := RunRef{Host: tt.host, Repo: "acme/web", RunID: 1}.CheckServer(tt.apiURL)
			if (err != nil) != (tt.wantErr != "") || (err != nil && !strings.Contains(err.Error(), tt.wantErr)) {
				t.Errorf("CheckServer(%q) on %s = %v, want error containing %q", tt.apiURL, tt.host, err, tt.wantErr)
			}
		})
	}
}
