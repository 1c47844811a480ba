package github

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	gh "github.com/google/go-github/v60/github"
)

// RerunResult is what a re-run request did.
type RerunResult struct {
	RunID int64
	// PreviousAttempt is the attempt that was re-run; Attempt the one the
	// re-run created, which verification follows.
	PreviousAttempt, Attempt int
	// Recovered: the answer was lost or a server error, and reading the
	// run back showed the re-run had been made (it was not sent again).
	Recovered bool
}

// RerunFailedJobs re-runs the failed jobs of a run's latest attempt
// (POST …/rerun-failed-jobs; needs actions:write). A re-run is not
// idempotent: every accepted request is a new attempt, so it is never
// repeated blindly. The run is read first; a lost answer or a 5xx is
// resolved by reading it again (a newer attempt means it was made), and a
// repeat that GitHub answers "already running" is checked the same way.
// A run whose latest attempt has not completed is refused without a write
// (ErrAlreadyRunning); a deleted run is ErrNotFound.
func (c *Client) RerunFailedJobs(ctx context.Context, repo string, runID int64) (RerunResult, error) {
	return c.rerun(ctx, repo, runID, true)
}

// RerunWorkflow re-runs every job of a run (POST …/rerun), with the same
// safety as RerunFailedJobs.
func (c *Client) RerunWorkflow(ctx context.Context, repo string, runID int64) (RerunResult, error) {
	return c.rerun(ctx, repo, runID, false)
}

func (c *Client) rerun(ctx context.Context, repo string, runID int64, onlyFailed bool) (RerunResult, error) {
	what := fmt.Sprintf("re-run %s#%d", repo, runID)
	if onlyFailed {
		what = fmt.Sprintf("re-run failed jobs of %s#%d", repo, runID)
	}
	owner, name, err := splitRepo(repo)
	if err != nil {
		return RerunResult{}, fmt.Errorf("%s: %w", what, err)
	}
	before, err := c.GetRun(ctx, repo, runID, 0)
	if err != nil {
		return RerunResult{}, fmt.Errorf("%s: %w", what, err)
	}
	if before.Status != "completed" {
		return RerunResult{}, fmt.Errorf("%s: %w", what, &ConflictError{Op: what, Kind: ErrAlreadyRunning,
			Message: fmt.Sprintf("attempt %d is %s", before.Attempt, before.Status)})
	}
	send := func() (*gh.Response, error) {
		if onlyFailed {
			return c.gh.Actions.RerunFailedJobsByID(ctx, owner, name, runID)
		}
		return c.gh.Actions.RerunWorkflowByID(ctx, owner, name, runID)
	}
	applied := func(ctx context.Context) (bool, error) {
		r, err := c.GetRun(ctx, repo, runID, 0)
		return err == nil && r.Attempt > before.Attempt, err
	}
	recovered, err := c.sendChecked(ctx, what, ScopeActions, send, applied)
	if err != nil {
		return RerunResult{}, fmt.Errorf("%s: %w", what, err)
	}
	res := RerunResult{RunID: runID, PreviousAttempt: before.Attempt, Attempt: before.Attempt + 1, Recovered: recovered}
	// GitHub numbers attempts one by one; reading the run back confirms
	// it, but the re-run is made whether or not that read works.
	if after, err := c.GetRun(ctx, repo, runID, 0); err == nil && after.Attempt > res.Attempt {
		res.Attempt = after.Attempt
	} else if err != nil {
		c.p.log.Warn("github re-run made, reading the new attempt failed", "op", what, "err", err)
	}
	return res, nil
}

// CancelRun cancels a run that is still going (POST …/cancel; needs
// actions:write), e.g. a re-run ccm started and must take back. A completed
// run is ErrRunCompleted. Cancelling twice ends the same way, but a repeat
// of a cancel that landed is refused as completed, so a lost answer is
// checked by reading the run (completed and cancelled = done) before it is
// sent again.
func (c *Client) CancelRun(ctx context.Context, repo string, runID int64) error {
	what := fmt.Sprintf("cancel %s#%d", repo, runID)
	owner, name, err := splitRepo(repo)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	_, err = c.sendChecked(ctx, what, ScopeActions,
		func() (*gh.Response, error) { return c.gh.Actions.CancelWorkflowRunByID(ctx, owner, name, runID) },
		func(ctx context.Context) (bool, error) {
			r, err := c.GetRun(ctx, repo, runID, 0)
			return err == nil && r.Status == "completed" && r.Conclusion == "cancelled", err
		})
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

// Branch is a branch and its head commit.
type Branch struct {
	Name, SHA string
	Protected bool
}

// GetBranch returns a branch's head (GET /branches/{branch}); a deleted
// branch is ErrNotFound.
func (c *Client) GetBranch(ctx context.Context, repo, branch string) (Branch, error) {
	what := fmt.Sprintf("get branch %s@%s", repo, branch)
	owner, name, err := splitRepo(repo)
	if err != nil {
		return Branch{}, fmt.Errorf("%s: %w", what, err)
	}
	if branch == "" {
		return Branch{}, fmt.Errorf("%s: %w: branch is empty", what, ErrRefused)
	}
	var b *gh.Branch
	err = c.call(ctx, func() (*gh.Response, error) {
		var resp *gh.Response
		var err error
		b, resp, err = c.gh.Repositories.GetBranch(ctx, owner, name, branch, 1)
		// go-github reads this endpoint by hand and reports an error
		// status as a plain error; give it the usual shape.
		if err != nil && resp != nil && resp.Response != nil && resp.StatusCode != http.StatusOK {
			return resp, &APIError{Op: c.opOf(resp.Response), Status: resp.StatusCode}
		}
		return resp, err
	})
	if err != nil {
		return Branch{}, fmt.Errorf("%s: %w", what, err)
	}
	if b == nil || b.GetCommit().GetSHA() == "" {
		return Branch{}, fmt.Errorf("%s: %w: no head commit", what, ErrMalformedResponse)
	}
	return Branch{Name: b.GetName(), SHA: b.GetCommit().GetSHA(), Protected: b.GetProtected()}, nil
}

// RunState is the world a remediation re-checks just before acting.
type RunState struct {
	Run Run // the latest attempt
	// BranchSHA is the current head of the run's branch; "" when the
	// branch is gone (deleted, or a fork's branch the token cannot see).
	BranchSHA string
}

// BranchMoved reports whether the branch got another commit (or went
// away) since the run's: a fix for the run's commit no longer fits.
func (s RunState) BranchMoved() bool { return s.BranchSHA != s.Run.HeadSHA }

// RunState reads a run's latest attempt and its branch's head, two reads
// and no write. A deleted run is ErrNotFound; a deleted branch is not an
// error (BranchSHA "").
func (c *Client) RunState(ctx context.Context, repo string, runID int64) (RunState, error) {
	run, err := c.GetRun(ctx, repo, runID, 0)
	if err != nil {
		return RunState{}, fmt.Errorf("run state: %w", err)
	}
	st := RunState{Run: run}
	if run.HeadBranch == "" {
		return st, nil
	}
	branchRepo := repo
	if run.HeadRepoFullName != "" {
		branchRepo = run.HeadRepoFullName
	}
	b, err := c.GetBranch(ctx, branchRepo, run.HeadBranch)
	switch {
	case err == nil:
		st.BranchSHA = b.SHA
	case errors.Is(err, ErrNotFound):
	default:
		return RunState{}, fmt.Errorf("run state %s#%d: %w", repo, runID, err)
	}
	return st, nil
}
