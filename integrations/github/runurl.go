package github

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	gh "github.com/google/go-github/v60/github"
)

// RunRef names one run (and optionally one attempt) as its web URL does.
type RunRef struct {
	Host    string // the web host: github.com, or a GitHub Enterprise Server's
	Repo    string // OWNER/REPO
	RunID   int64
	Attempt int // 0: the URL names no attempt
}

// CheckServer refuses a run on another server than the one the token is
// sent to. With GITHUB_API_URL unset (apiURL "") that server is github.com,
// and a GitHub Enterprise Server URL would send that server's token to
// github.com: the user is told to set GITHUB_API_URL instead. A set
// GITHUB_API_URL is the user's choice (a proxy may front either server),
// so it is not second-guessed.
func (r RunRef) CheckServer(apiURL string) error {
	if apiURL != "" {
		return nil
	}
	if h := strings.ToLower(r.Host); h == "github.com" || h == "www.github.com" {
		return nil
	}
	return fmt.Errorf("the run is on %s, not github.com: set GITHUB_API_URL=https://%s/api/v3/ "+
		"(GitHub Enterprise Server) so the token goes to that server", r.Host, r.Host)
}

// ParseRunURL reads OWNER/REPO and the run ID (and attempt) from a run's
// web URL, on github.com or a GitHub Enterprise Server host:
// https://HOST/OWNER/REPO/actions/runs/ID[/attempts/N][/job/…].
func ParseRunURL(raw string) (RunRef, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return RunRef{}, fmt.Errorf("%q is not a URL", raw)
	}
	parts := strings.Split(strings.Trim(u.Path, "/"), "/")
	if len(parts) < 5 || parts[2] != "actions" || parts[3] != "runs" {
		return RunRef{}, fmt.Errorf("%q: want https://HOST/OWNER/REPO/actions/runs/ID", raw)
	}
	ref := RunRef{Host: u.Host, Repo: parts[0] + "/" + parts[1]}
	ref.RunID, err = strconv.ParseInt(parts[4], 10, 64)
	if err != nil || ref.RunID <= 0 {
		return RunRef{}, fmt.Errorf("%q: run ID %q is not a number", raw, parts[4])
	}
	if len(parts) >= 7 && parts[5] == "attempts" {
		if ref.Attempt, err = strconv.Atoi(parts[6]); err != nil || ref.Attempt < 1 {
			return RunRef{}, fmt.Errorf("%q: attempt %q is not a number", raw, parts[6])
		}
	}
	return ref, nil
}

// RepoVisible reports whether the token can see repo. GitHub answers 404
// alike for a missing repository, one the token may not read, and a run
// that does not exist; this tells the first two from the third.
func (c *Client) RepoVisible(ctx context.Context, repo string) (bool, error) {
	owner, name, err := splitRepo(repo)
	if err != nil {
		return false, fmt.Errorf("get repository %s: %w", repo, err)
	}
	err = c.call(ctx, func() (*gh.Response, error) {
		_, resp, err := c.gh.Repositories.Get(ctx, owner, name)
		return resp, err
	})
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, ErrNotFound):
		return false, nil
	default:
		return false, fmt.Errorf("get repository %s: %w", repo, err)
	}
}
