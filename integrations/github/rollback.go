package github

import (
	"context"
	"errors"
	"fmt"
	"strings"

	gh "github.com/google/go-github/v60/github"
)

// Taking a fix back: the pull request is closed and ccm's branch deleted.
// A re-run ccm started is taken back with CancelRun.

// ClosePR closes a pull request (PATCH state=closed; needs
// pull-requests:write), to take back a fix. Closing is idempotent, so a
// lost answer or a 5xx is simply sent again.
func (c *Client) ClosePR(ctx context.Context, repo string, number int) error {
	what := fmt.Sprintf("close pull request %s#%d", repo, number)
	owner, name, err := splitRepo(repo)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if number <= 0 {
		return fmt.Errorf("%s: %w: no pull request number", what, ErrRefused)
	}
	_, err = c.sendChecked(ctx, what, ScopePulls, func() (*gh.Response, error) {
		_, resp, err := c.gh.PullRequests.Edit(ctx, owner, name, number, &gh.PullRequest{State: gh.String("closed")})
		return resp, err
	}, never)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

// DeleteBranch deletes one of ccm's fix branches (DELETE
// /git/refs/heads/…; needs contents:write); any other branch is refused
// without a request. A branch already gone is success: the goal of a
// rollback is that it does not exist. GitHub closes the open pull
// requests from a deleted branch.
func (c *Client) DeleteBranch(ctx context.Context, repo, branch string) error {
	what := fmt.Sprintf("delete branch %s@%s", repo, branch)
	owner, name, err := splitRepo(repo)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if !strings.HasPrefix(branch, FixBranchPrefix) || len(branch) == len(FixBranchPrefix) || !validBranchName(branch) {
		return fmt.Errorf("%s: %w: only ccm's own %s branches are deleted", what, ErrRefused, FixBranchPrefix)
	}
	err = c.write(ctx, ScopeContents, func() (*gh.Response, error) {
		return c.gh.Git.DeleteRef(ctx, owner, name, "heads/"+branch)
	})
	var ce *ConflictError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &ce) && strings.Contains(strings.ToLower(ce.Message), "does not exist"):
		// GitHub's 422 for a missing ref; a 404 means the repository.
		return nil
	}
	return fmt.Errorf("%s: %w", what, err)
}
