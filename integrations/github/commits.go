package github

import (
	"context"
	"fmt"

	gh "github.com/google/go-github/v60/github"
)

// maxCommitFiles bounds the paths read from one commit: GitHub lists 300
// per page, and a commit touching more is a refactor whose file list says
// little about one failure.
const maxCommitFiles = 300

// CommitFiles lists the paths a commit changed (its first page, at most
// 300), which tells the analysis and the safety gate whether a failure
// follows a change to application code.
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
		commit, resp, err = c.gh.Repositories.GetCommit(ctx, owner, name, sha, &gh.ListOptions{PerPage: maxCommitFiles})
		return resp, err
	})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	if commit == nil {
		return nil, fmt.Errorf("%s: %w: empty commit", what, ErrMalformedResponse)
	}
	files := make([]string, 0, len(commit.Files))
	for _, f := range commit.Files {
		if n := f.GetFilename(); n != "" && len(files) < maxCommitFiles {
			files = append(files, n)
		}
	}
	return files, nil
}
