package github

import (
	"context"
	"fmt"

	gh "github.com/google/go-github/v60/github"
)

// CommitFiles lists the paths a commit changed: its first page, at most
// 300 (GitHub's page), so a list of 300 may be cut. A commit touching more
// is a refactor whose file list says little about one failure.
func (c *Client) CommitFiles(ctx context.Context, repo, sha string) ([]string, error) {
	what := fmt.Sprintf("commit files %s@%s", repo, sha)
	owner, name, err := splitRepo(repo)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	var commit *gh.RepositoryCommit
	err = c.call(ctx, func() (*gh.Response, error) {
		var resp *gh.Response
		var err error
		commit, resp, err = c.gh.Repositories.GetCommit(ctx, owner, name, sha, &gh.ListOptions{PerPage: maxChangedFiles})
		return resp, err
	})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	if commit == nil {
		return nil, fmt.Errorf("%s: %w: empty commit", what, ErrMalformedResponse)
	}
	return appendNames(make([]string, 0, len(commit.Files)), commit.Files), nil
}
