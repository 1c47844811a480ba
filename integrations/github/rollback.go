package github

import (
	"context"
	"errors"
	"fmt"
	"strings"

	gh "github.com/google/go-github/v60/github"
)

// Taking a fix back: the pull request is closed and ccm's branch deleted
// (only once its head is proved to be ccm's commit: DeleteFixBranch).
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

// ErrNotOurBranch: a branch in ccm's namespace whose head is not ccm's fix
// commit for the failure (someone else's branch of that name, or ccm's
// branch someone pushed to). DeleteFixBranch leaves it.
var ErrNotOurBranch = fmt.Errorf("%w: the branch is not ccm's", ErrRefused)

// DeleteFixBranch deletes a failure's fix branch, FixBranch(failureID),
// only when it can prove the branch is ccm's: its head is ccm's fix
// commit for failureID on baseSHA (the Ccm-Failure trailer and the single
// parent baseSHA, the check OpenFixPR makes before reusing a branch). A
// branch that is not is refused with ErrNotOurBranch and nothing is
// written. When the check itself cannot be made (GitHub unavailable, a
// malformed answer) nothing is deleted either, and the error says why. A
// branch already gone is success: the goal of a rollback is that ccm's
// branch does not exist.
//
// GitHub's ref DELETE takes no expected SHA, so a push landing between the
// check and the DELETE (one round trip) is not seen.
func (c *Client) DeleteFixBranch(ctx context.Context, repo, failureID, baseSHA string) error {
	branch := FixBranch(failureID)
	what := fmt.Sprintf("delete fix branch %s@%s", repo, branch)
	owner, name, err := splitRepo(repo)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	fix := FixPR{FailureID: failureID, BaseSHA: baseSHA}
	if strings.TrimSpace(failureID) == "" || strings.ContainsAny(failureID, "\r\n\x00") || !isHexSHA(baseSHA) {
		return fmt.Errorf("%s: %w: no failure ID and base SHA to prove the branch is ccm's; nothing deleted", what, ErrRefused)
	}
	head, found, err := c.refSHA(ctx, owner, name, branch)
	if err != nil {
		return fmt.Errorf("%s: whose the branch is could not be checked; nothing deleted: %w", what, err)
	}
	if !found {
		return nil
	}
	if err := c.checkOurs(ctx, owner, name, branch, head, fix); err != nil {
		if errors.Is(err, ErrBranchExists) {
			return fmt.Errorf("%s: %w: its head %s is not ccm's fix commit for %s on %s; left as it is",
				what, ErrNotOurBranch, head, failureID, baseSHA)
		}
		return fmt.Errorf("%s: whose the branch is could not be checked (head %s); nothing deleted: %w", what, head, err)
	}
	return c.deleteRef(ctx, what, owner, name, branch)
}

// DeleteBranch deletes a branch in ccm's fix namespace (DELETE
// /git/refs/heads/…; needs contents:write); any other name is refused
// without a request. It checks only the name, which proves nothing about
// whose the branch is: it is for a branch the caller has just created
// (OpenFixPR taking back its own branch). A rollback uses DeleteFixBranch,
// which checks the head first. A branch already gone is success. GitHub
// closes the open pull requests from a deleted branch.
func (c *Client) DeleteBranch(ctx context.Context, repo, branch string) error {
	what := fmt.Sprintf("delete branch %s@%s", repo, branch)
	owner, name, err := splitRepo(repo)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if !strings.HasPrefix(branch, FixBranchPrefix) || len(branch) == len(FixBranchPrefix) || !validBranchName(branch) {
		return fmt.Errorf("%s: %w: only ccm's own %s branches are deleted", what, ErrRefused, FixBranchPrefix)
	}
	return c.deleteRef(ctx, what, owner, name, branch)
}

func (c *Client) deleteRef(ctx context.Context, what, owner, name, branch string) error {
	err := c.write(ctx, ScopeContents, func() (*gh.Response, error) {
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
