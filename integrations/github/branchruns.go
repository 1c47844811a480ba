package github

import (
	"context"
	"fmt"
	"sort"
	"time"

	gh "github.com/google/go-github/v60/github"
)

// branchRunPages bounds ListBranchRuns: the shadow follow-up wants the
// first passing run after a failure, which on one workflow and one branch
// is among the newest few hundred runs unless the failure is days old on
// a very busy branch.
const branchRunPages = 3

// ListBranchRuns returns the runs of one workflow on one branch created at
// or after since, oldest first (their latest attempts), so the shadow
// follow-up can find the first run that passed after a failure. It reads
// at most 300 runs.
func (c *Client) ListBranchRuns(ctx context.Context, repo string, workflowID int64, branch string, since time.Time) ([]Run, error) {
	what := fmt.Sprintf("list runs of workflow %d on %s@%s", workflowID, repo, branch)
	owner, name, err := splitRepo(repo)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	opts := &gh.ListWorkflowRunsOptions{Branch: branch, ListOptions: gh.ListOptions{PerPage: 100, Page: 1}}
	if !since.IsZero() {
		opts.Created = ">=" + since.UTC().Format(time.RFC3339)
	}
	var out []Run
	for page := 1; ; page++ {
		var list *gh.WorkflowRuns
		var resp *gh.Response
		err := c.call(ctx, func() (*gh.Response, error) {
			var err error
			list, resp, err = c.gh.Actions.ListWorkflowRunsByID(ctx, owner, name, workflowID, opts)
			return resp, err
		})
		if err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		if list == nil {
			return nil, fmt.Errorf("%s: %w: empty run list", what, ErrMalformedResponse)
		}
		for _, wr := range list.WorkflowRuns {
			if wr == nil || wr.ID == nil {
				continue
			}
			// Checked here, not trusted to the filters: a run of another
			// workflow or branch would judge the failure by someone else's run.
			r := toRun(repo, wr)
			if r.WorkflowID == workflowID && r.HeadBranch == branch && !r.CreatedAt.Before(since) {
				out = append(out, r)
			}
		}
		if resp.NextPage == 0 || page >= branchRunPages {
			break
		}
		opts.Page = resp.NextPage
	}
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].CreatedAt.Equal(out[j].CreatedAt) {
			return out[i].CreatedAt.Before(out[j].CreatedAt)
		}
		return out[i].ID < out[j].ID
	})
	return out, nil
}
