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
	Repo    string // OWNER/REPO
	RunID   int64
	Attempt int // 0: the URL names no attempt
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
	ref := RunRef{Repo: parts[0] + "/" + parts[1]}
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
