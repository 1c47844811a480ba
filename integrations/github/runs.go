package github

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	gh "github.com/google/go-github/v60/github"
)

// Run is one attempt of a workflow run.
type Run struct {
	ID                                                   int64
	Attempt                                              int
	Name, Event, Status, Conclusion                      string
	HeadBranch, HeadSHA, HTMLURL, Actor, TriggeringActor string
	// HeadRepoFullName is where the commit came from; FromFork is set when
	// that is another repository than the run's (a pull request from a
	// fork, whose code ccm must never re-run unattended).
	HeadRepoFullName string
	FromFork         bool
	// PullRequests are the numbers of this repository's pull requests the
	// run tested (none for a pull request from a fork: GitHub lists none).
	PullRequests                       []int
	WorkflowID                         int64
	CreatedAt, UpdatedAt, RunStartedAt time.Time
	// ActorIsBot: GitHub gives the actor's or the triggering actor's type
	// as "Bot", which also catches bots whose login lacks "[bot]". Either
	// counts: a person re-running a bot's run is still running the bot's
	// change, and the safety gate keeps a person in the loop for both.
	ActorIsBot bool
}

// Job is one job of a run attempt.
type Job struct {
	ID                                            int64
	RunID                                         int64
	Attempt                                       int
	Name, Status, Conclusion, HTMLURL, RunnerName string
	StartedAt, CompletedAt                        time.Time
	Steps                                         []Step
}

// Step is one step of a job.
type Step struct {
	Number                   int64
	Name, Status, Conclusion string
}

// FailedConclusions are the conclusions ccm treats as a failure to look
// at: failure, timed_out (a job hit its time limit) and startup_failure
// (the workflow could not start, e.g. invalid YAML). cancelled is left out:
// a person or a newer push stopped the run.
var FailedConclusions = []string{"failure", "timed_out", "startup_failure"}

// Failed reports whether the run completed with one of FailedConclusions.
func (r Run) Failed() bool {
	if r.Status != "completed" {
		return false
	}
	for _, c := range FailedConclusions {
		if r.Conclusion == c {
			return true
		}
	}
	return false
}

// maxJobPages bounds ListJobs; a run has at most 256 jobs per matrix, so
// a server still paging beyond this is misbehaving.
const maxJobPages = 30

// ListFailedRuns returns the runs of repo ("owner/name") created at or
// after since (zero = any time) whose latest attempt completed with one of
// FailedConclusions, newest first. It asks the list endpoint once per
// conclusion (status=<conclusion>, per_page=100, created>=since) and
// re-checks every run itself, so a server that returns more than asked
// cannot smuggle in other runs. Pagination stops at the first page that
// reaches back before since, or after Options.MaxPages pages.
func (c *Client) ListFailedRuns(ctx context.Context, repo string, since time.Time) ([]Run, error) {
	return c.listRuns(ctx, "list failed runs "+repo, repo, since, FailedConclusions, c.maxPages, Run.Failed)
}

// rerunPages bounds ListRerunRuns: every completed run is listed to find
// the few that were re-run, so on a busy repository only the newest 200
// are read per poll (webhooks see the rest).
const rerunPages = 2

// ListRerunRuns returns the completed runs of repo created at or after
// since that were re-run (latest attempt > 1), newest first, among the
// newest 200 completed runs. Their earlier attempts may have failed even
// when the latest passed: a flaky failure someone re-ran by hand before the
// next poll.
func (c *Client) ListRerunRuns(ctx context.Context, repo string, since time.Time) ([]Run, error) {
	return c.listRuns(ctx, "list re-run runs "+repo, repo, since, []string{"completed"}, min(rerunPages, c.maxPages),
		func(r Run) bool { return r.Status == "completed" && r.Attempt > 1 })
}

// listRuns pages through the run list once per status filter and keeps
// the runs keep accepts, each once, newest first.
func (c *Client) listRuns(ctx context.Context, what, repo string, since time.Time, statuses []string, maxPages int, keep func(Run) bool) ([]Run, error) {
	owner, name, err := splitRepo(repo)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	seen := map[int64]bool{}
	var out []Run
	for _, status := range statuses {
		opts := &gh.ListWorkflowRunsOptions{Status: status, ListOptions: gh.ListOptions{PerPage: 100, Page: 1}}
		if !since.IsZero() {
			opts.Created = ">=" + since.UTC().Format(time.RFC3339)
		}
		for page := 1; ; page++ {
			var list *gh.WorkflowRuns
			var resp *gh.Response
			err := c.call(ctx, func() (*gh.Response, error) {
				var err error
				list, resp, err = c.gh.Actions.ListRepositoryWorkflowRuns(ctx, owner, name, opts)
				return resp, err
			})
			if err != nil {
				return nil, fmt.Errorf("%s: %w", what, err)
			}
			if list == nil {
				return nil, fmt.Errorf("%s: %w: empty run list", what, ErrMalformedResponse)
			}
			reachedSince := false
			for _, wr := range list.WorkflowRuns {
				if wr == nil || wr.ID == nil {
					continue
				}
				r := toRun(repo, wr)
				if !since.IsZero() && r.CreatedAt.Before(since) {
					reachedSince = true
					continue
				}
				if keep(r) && !seen[r.ID] {
					seen[r.ID] = true
					out = append(out, r)
				}
			}
			if reachedSince || resp.NextPage == 0 {
				break
			}
			if page >= maxPages {
				c.p.log.Warn("github run list truncated", "repo", repo, "status", status, "pages", page)
				break
			}
			opts.Page = resp.NextPage
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].CreatedAt.Equal(out[j].CreatedAt) {
			return out[i].CreatedAt.After(out[j].CreatedAt)
		}
		return out[i].ID > out[j].ID
	})
	return out, nil
}

// GetRun returns one attempt of a run; attempt 0 is the latest.
func (c *Client) GetRun(ctx context.Context, repo string, runID int64, attempt int) (Run, error) {
	what := fmt.Sprintf("get run %s#%d", repo, runID)
	if attempt > 0 {
		what += fmt.Sprintf(".%d", attempt)
	}
	owner, name, err := splitRepo(repo)
	if err != nil {
		return Run{}, fmt.Errorf("%s: %w", what, err)
	}
	var wr *gh.WorkflowRun
	err = c.call(ctx, func() (*gh.Response, error) {
		var resp *gh.Response
		var err error
		if attempt > 0 {
			wr, resp, err = c.gh.Actions.GetWorkflowRunAttempt(ctx, owner, name, runID, attempt, nil)
		} else {
			wr, resp, err = c.gh.Actions.GetWorkflowRunByID(ctx, owner, name, runID)
		}
		return resp, err
	})
	if err != nil {
		return Run{}, fmt.Errorf("%s: %w", what, err)
	}
	if wr == nil || wr.GetID() != runID {
		return Run{}, fmt.Errorf("%s: %w: answer is not run %d", what, ErrMalformedResponse, runID)
	}
	// An answer for another attempt would be recorded under the attempt
	// asked for: a run re-run before ccm first saw it must not become
	// "#run.1" with attempt 2's commit, jobs and conclusion.
	if attempt > 0 && wr.GetRunAttempt() != attempt {
		return Run{}, fmt.Errorf("%s: %w: answer is attempt %d", what, ErrAttemptMismatch, wr.GetRunAttempt())
	}
	return toRun(repo, wr), nil
}

// ErrAttemptMismatch is GitHub answering a request for one attempt of a
// run with another attempt. It is an ErrMalformedResponse: nothing is
// recorded from it, and the caller retries later like any bad answer.
var ErrAttemptMismatch = fmt.Errorf("%w: the answer is another attempt of the run", ErrMalformedResponse)

// ListJobs returns the jobs of one attempt of a run (0 = the latest),
// following every page.
func (c *Client) ListJobs(ctx context.Context, repo string, runID int64, attempt int) ([]Job, error) {
	what := fmt.Sprintf("list jobs %s#%d", repo, runID)
	if attempt > 0 {
		what += fmt.Sprintf(".%d", attempt)
	}
	owner, name, err := splitRepo(repo)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	var out []Job
	page := 1
	for n := 0; page != 0; n++ {
		if n >= maxJobPages {
			return nil, fmt.Errorf("%s: %w: still paging after %d pages", what, ErrMalformedResponse, n)
		}
		var jobs *gh.Jobs
		var resp *gh.Response
		err := c.call(ctx, func() (*gh.Response, error) {
			var err error
			lo := gh.ListOptions{PerPage: 100, Page: page}
			if attempt > 0 {
				jobs, resp, err = c.gh.Actions.ListWorkflowJobsAttempt(ctx, owner, name, runID, int64(attempt), &lo)
			} else {
				jobs, resp, err = c.gh.Actions.ListWorkflowJobs(ctx, owner, name, runID,
					&gh.ListWorkflowJobsOptions{Filter: "latest", ListOptions: lo})
			}
			return resp, err
		})
		if err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		if jobs == nil {
			return nil, fmt.Errorf("%s: %w: empty job list", what, ErrMalformedResponse)
		}
		for _, j := range jobs.Jobs {
			if j != nil && j.ID != nil {
				out = append(out, toJob(j))
			}
		}
		page = resp.NextPage
	}
	return out, nil
}

func toRun(repo string, wr *gh.WorkflowRun) Run {
	r := Run{
		ID: wr.GetID(), Attempt: wr.GetRunAttempt(), Name: wr.GetName(), Event: wr.GetEvent(),
		Status: wr.GetStatus(), Conclusion: wr.GetConclusion(), HeadBranch: wr.GetHeadBranch(),
		HeadSHA: wr.GetHeadSHA(), HTMLURL: wr.GetHTMLURL(), Actor: wr.GetActor().GetLogin(),
		TriggeringActor: wr.GetTriggeringActor().GetLogin(), WorkflowID: wr.GetWorkflowID(),
		HeadRepoFullName: wr.GetHeadRepository().GetFullName(),
		CreatedAt:        wr.GetCreatedAt().Time, UpdatedAt: wr.GetUpdatedAt().Time,
		RunStartedAt: wr.GetRunStartedAt().Time,
		ActorIsBot: strings.EqualFold(wr.GetActor().GetType(), "Bot") ||
			strings.EqualFold(wr.GetTriggeringActor().GetType(), "Bot"),
	}
	own := wr.GetRepository().GetFullName()
	if own == "" {
		own = repo
	}
	r.FromFork = r.HeadRepoFullName != "" && !strings.EqualFold(r.HeadRepoFullName, own)
	for _, pr := range wr.PullRequests {
		// A run lists pull requests of other repositories whose head is
		// this branch too; only this repository's say what it tested.
		if u := pr.GetBase().GetRepo().GetURL(); pr.GetNumber() > 0 && (u == "" || strings.HasSuffix(strings.ToLower(u), "/repos/"+strings.ToLower(own))) {
			r.PullRequests = append(r.PullRequests, pr.GetNumber())
		}
	}
	return r
}

func toJob(j *gh.WorkflowJob) Job {
	out := Job{
		ID: j.GetID(), RunID: j.GetRunID(), Attempt: int(j.GetRunAttempt()), Name: j.GetName(),
		Status: j.GetStatus(), Conclusion: j.GetConclusion(), HTMLURL: j.GetHTMLURL(),
		RunnerName: j.GetRunnerName(), StartedAt: j.GetStartedAt().Time, CompletedAt: j.GetCompletedAt().Time,
	}
	for _, s := range j.Steps {
		if s == nil {
			continue
		}
		out.Steps = append(out.Steps, Step{Number: s.GetNumber(), Name: s.GetName(), Status: s.GetStatus(), Conclusion: s.GetConclusion()})
	}
	return out
}
