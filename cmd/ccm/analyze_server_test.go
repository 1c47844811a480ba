package main

import (
	"strings"
	"testing"
)

// A GitHub Enterprise Server run URL with GITHUB_API_URL unset must not
// send the token to github.com: exit 2 before any request, naming the fix.
func TestAnalyzeRunOnAnotherServer(t *testing.T) {
	offline(t)
	t.Setenv("GITHUB_TOKEN", "ghp_for_ghe_only")
	_, stderr, code := runCLI(t, nil, "analyze", "--run", "https://ghe.example.com/acme/web/actions/runs/5")
	if code != 2 || !strings.Contains(stderr, "GITHUB_API_URL=https://ghe.example.com/api/v3/") {
		t.Fatalf("exit %d, stderr:\n%s\nwant exit 2 naming GITHUB_API_URL", code, stderr)
	}
	if strings.Contains(stderr, "api.github.com") {
		t.Errorf("a request went to github.com:\n%s", stderr)
	}
}
