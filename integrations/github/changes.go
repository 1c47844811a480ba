package github

import (
	"context"
	"fmt"
	"strings"
	"time"

	gh "github.com/google/go-github/v60/github"
)

// maxChangedFiles is the longest file list ccm reads for one change. GitHub
// caps a comparison and a commit's first page at 300 files; a pull request
// would page on to 3000, but past 300 the list can only say "application
// code" to the safety gate, which is what an unknown list says too, so the
// pages after the third are not worth their calls.
const maxChangedFiles = 300

// pullFilesPerPage is GitHub's largest page for a pull request's files.
const pullFilesPerPage = 100

// Where a change's file list came from (Changes.Source).
const (
	SourcePullRequest = "pull_request"
	SourceCompare     = "compare"
	SourceCommit      = "commit"
)

// Changes is what the change a run tested touched, as far as GitHub says.
type Changes struct {
	Files  []string
	Source string
	// Complete: Files are every path the change touched. False when GitHub
	// capped the list, when it is only the head commit's while the change
	// may span more commits, or when it is empty (a list that says nothing
	// changed is not believed): the safety gate then assumes application
	// code (docs/ARCHITECTURE.md §3.2).
	Complete bool
}

// ChangedFiles says which paths the change behind a run touched, at the
// fewest calls that can say it:
//   - a pull_request run: the pull request's files (one call per 100
//     files), complete only when they were listed at the commit the run
//     tested — which the files' links say; one call more, for the pull
//     request's head, when they do not;
//   - any other run (a push, a schedule, a workflow_dispatch): the
//     comparison from the head of the previous run of the same workflow
//     and event on the branch to this run's head (one call when ccm's run
//     index names that run, hint.PreviousSHA, two when GitHub's list must;
//     none when another workflow of the push compared the same pair within
//     the hour, hint.Compares). The previous
//     run, not the push's "before": GitHub gives a run no "before" (only
//     its check suite has it, behind the separate Checks permission), and
//     the commits since the workflow last ran are what can have broken it,
//     including those of pushes whose runs were cancelled or skipped. A
//     scheduled run failing from a change three commits back is no less a
//     change than a push: its head commit alone is not the whole of it;
//   - when those cannot be read: the head commit's files (one call), never
//     complete (the gate then assumes application code).
//
// An error means GitHub could not say at all; callers record the change as
// unknown and go on.
//
// hint spares calls from what ccm already knows (see ChangeHint).
func (c *Client) ChangedFiles(ctx context.Context, repo string, run Run, hint ChangeHint) (Changes, error) {
	var why error
	switch {
	case strings.HasPrefix(run.Event, "pull_request"):
		if len(run.PullRequests) == 0 {
			// GitHub names no pull request for a run from a fork.
			why = fmt.Errorf("run %d names no pull request of %s", run.ID, repo)
			break
		}
		// GitHub lists a pull request's files as of its head now: when
		// that is no longer the commit the run tested (a re-run of an older
		// commit, or a push since), they are not the run's change. The
		// files' own links name the commit they were listed at; only when
		// they do not all name the run's commit is the head asked for.
		files, truncated, listedAt, err := c.pullFiles(ctx, repo, run.PullRequests[0])
		if err != nil {
			why = err
			break
		}
		head := listedAt
		if head != run.HeadSHA {
			if head, err = c.pullHeadSHA(ctx, repo, run.PullRequests[0]); err != nil {
				why = err
				break
			}
		}
		return changes(SourcePullRequest, files, !truncated && head == run.HeadSHA), nil
	default:
		base, err := hint.PreviousSHA, error(nil)
		if base == "" {
			base, err = c.previousRunSHA(ctx, repo, run)
		}
		switch {
		case err != nil:
			why = err
		case base == "":
			why = fmt.Errorf("no earlier %q run on %s to compare with", run.Name, run.HeadBranch)
		case base == run.HeadSHA:
			// The workflow ran this very commit before: the commit is
			// the change.
			files, err := c.CommitFiles(ctx, repo, run.HeadSHA)
			if err != nil {
				return Changes{}, err
			}
			return changes(SourceCommit, files, len(files) < maxChangedFiles), nil
		default:
			files, err := c.compareCached(ctx, repo, base, run.HeadSHA, hint.Compares)
			if err == nil {
				return changes(SourceCompare, files, len(files) < maxChangedFiles), nil
			}
			why = err
		}
	}
	// The head commit is a part of the change, shown to the analysis; it
	// is never taken for the whole.
	c.p.log.Info("github: change list unavailable; reading the head commit only", "repo", repo, "run_id", run.ID, "reason", why)
	files, err := c.CommitFiles(ctx, repo, run.HeadSHA)
	if err != nil {
		return Changes{}, fmt.Errorf("%w (after: %w)", err, why)
	}
	return changes(SourceCommit, files, false), nil
}

// ChangeHint is what ccm knows that spares ChangedFiles calls.
type ChangeHint struct {
	// PreviousSHA is the head of the previous run of the workflow on the
	// branch, from ccm's run index (state.Store.PreviousRun); "" asks
	// GitHub (one call). When the index missed a run in between (a lost
	// delivery), this is an older run's head: the comparison then spans
	// more commits, every one the true previous run's span covers and
	// more, so it lists every file whose content differs from what the
	// older run tested — more files, the safe direction for the gate
	// (more files, more likely application code). A file changed and
	// changed back inside the wider span is the one it can leave out: at
	// the head that file is as the older run tested it.
	PreviousSHA string
	// Compares, when set, keeps comparisons for the other workflows of
	// the same push (same base, same head: same files).
	Compares CompareCache
}

// CompareCache keeps what GitHub listed for a comparison of two commits.
type CompareCache interface {
	CachedCompare(ctx context.Context, repo, base, head string) ([]string, bool, error)
	CacheCompare(ctx context.Context, repo, base, head string, files []string) error
}

// compareCached is CompareFiles through cache: commits are immutable, so
// a comparison's files never change. A cache that fails is passed over.
func (c *Client) compareCached(ctx context.Context, repo, base, head string, cache CompareCache) ([]string, error) {
	if cache == nil {
		return c.CompareFiles(ctx, repo, base, head)
	}
	files, ok, err := cache.CachedCompare(ctx, repo, base, head)
	if err != nil {
		c.p.log.Warn("github: compare cache unreadable; asking GitHub", "repo", repo, "err", err)
	}
	if ok {
		return files, nil
	}
	files, err = c.CompareFiles(ctx, repo, base, head)
	if err != nil {
		return nil, err
	}
	if err := cache.CacheCompare(ctx, repo, base, head, files); err != nil {
		c.p.log.Warn("github: compare not cached", "repo", repo, "err", err)
	}
	return files, nil
}

func changes(source string, files []string, complete bool) Changes {
	return Changes{Files: files, Source: source, Complete: complete && len(files) > 0}
}

// pullHeadSHA is a pull request's head commit now: one call.
func (c *Client) pullHeadSHA(ctx context.Context, repo string, number int) (string, error) {
	what := fmt.Sprintf("pull request %s#%d", repo, number)
	owner, name, err := splitRepo(repo)
	if err != nil {
		return "", fmt.Errorf("%s: %w", what, err)
	}
	var pr *gh.PullRequest
	err = c.call(ctx, func() (*gh.Response, error) {
		var resp *gh.Response
		var err error
		pr, resp, err = c.gh.PullRequests.Get(ctx, owner, name, number)
		return resp, err
	})
	if err != nil {
		return "", fmt.Errorf("%s: %w", what, err)
	}
	if pr.GetHead().GetSHA() == "" {
		return "", fmt.Errorf("%s: %w: no head commit", what, ErrMalformedResponse)
	}
	return pr.GetHead().GetSHA(), nil
}

// pullFiles lists a pull request's files, at most maxChangedFiles;
// truncated when it has more. listedAt is the commit every file's link
// names (the head the list was made at), "" when they do not all name one.
func (c *Client) pullFiles(ctx context.Context, repo string, number int) (files []string, truncated bool, listedAt string, _ error) {
	what := fmt.Sprintf("pull request files %s#%d", repo, number)
	owner, name, err := splitRepo(repo)
	if err != nil {
		return nil, false, "", fmt.Errorf("%s: %w", what, err)
	}
	var at listedCommit
	for page := 1; page != 0; {
		if len(files) >= maxChangedFiles {
			return files, true, at.sha(), nil
		}
		var list []*gh.CommitFile
		var resp *gh.Response
		err := c.call(ctx, func() (*gh.Response, error) {
			var err error
			list, resp, err = c.gh.PullRequests.ListFiles(ctx, owner, name, number, &gh.ListOptions{PerPage: pullFilesPerPage, Page: page})
			return resp, err
		})
		if err != nil {
			return nil, false, "", fmt.Errorf("%s: %w", what, err)
		}
		for _, f := range list {
			at.add(repo, f)
		}
		files = appendNames(files, list)
		page = resp.NextPage
	}
	return files, false, at.sha(), nil
}

// CompareFiles lists the files changed from base to head (GitHub's
// three-dot comparison: since their merge base), at most 300. Ingest uses
// it for a push's changes and the shadow check for what landed on a branch
// between a failed run and a passing one.
func (c *Client) CompareFiles(ctx context.Context, repo, base, head string) ([]string, error) {
	what := fmt.Sprintf("compare %s %.12s...%.12s", repo, base, head)
	owner, name, err := splitRepo(repo)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	var cmp *gh.CommitsComparison
	err = c.call(ctx, func() (*gh.Response, error) {
		var resp *gh.Response
		var err error
		cmp, resp, err = c.gh.Repositories.CompareCommits(ctx, owner, name, base, head, nil)
		return resp, err
	})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	if cmp == nil {
		return nil, fmt.Errorf("%s: %w: empty comparison", what, ErrMalformedResponse)
	}
	return appendNames(nil, cmp.Files), nil
}

// previousRunSHA is the head commit of the newest run of run's workflow on
// its branch created before it ("" when there is none): one call.
func (c *Client) previousRunSHA(ctx context.Context, repo string, run Run) (string, error) {
	what := fmt.Sprintf("previous run of %s#%d", repo, run.ID)
	owner, name, err := splitRepo(repo)
	if err != nil {
		return "", fmt.Errorf("%s: %w", what, err)
	}
	if run.WorkflowID == 0 || run.HeadBranch == "" || run.CreatedAt.IsZero() {
		return "", nil
	}
	opts := &gh.ListWorkflowRunsOptions{Branch: run.HeadBranch, Event: run.Event,
		Created: "<" + run.CreatedAt.UTC().Format(time.RFC3339), ListOptions: gh.ListOptions{PerPage: 1}}
	var list *gh.WorkflowRuns
	err = c.call(ctx, func() (*gh.Response, error) {
		var resp *gh.Response
		var err error
		list, resp, err = c.gh.Actions.ListWorkflowRunsByID(ctx, owner, name, run.WorkflowID, opts)
		return resp, err
	})
	if err != nil {
		return "", fmt.Errorf("%s: %w", what, err)
	}
	if list == nil {
		return "", fmt.Errorf("%s: %w: empty run list", what, ErrMalformedResponse)
	}
	for _, wr := range list.WorkflowRuns {
		if wr.GetID() != run.ID && wr.GetHeadSHA() != "" {
			return wr.GetHeadSHA(), nil
		}
	}
	return "", nil
}

func appendNames(files []string, list []*gh.CommitFile) []string {
	for _, f := range list {
		if n := f.GetFilename(); n != "" && len(files) < maxChangedFiles {
			files = append(files, n)
		}
	}
	return files
}

// listedCommit finds the one commit a pull request's file list names in
// its files' links (blob_url: https://github.com/{repo}/blob/{sha}/{path}),
// the head GitHub listed the files at. A link that names no commit or
// another one than the rest makes it none: the caller then asks for the
// head (one call), so an unexpected link costs a call, never a wrong
// "complete". Removed files are passed over: their link may name the base.
type listedCommit struct {
	commit string
	mixed  bool
}

func (l *listedCommit) add(repo string, f *gh.CommitFile) {
	if f.GetStatus() == "removed" {
		return
	}
	_, rest, ok := strings.Cut(strings.ToLower(f.GetBlobURL()), "/"+strings.ToLower(repo)+"/blob/")
	sha, _, _ := strings.Cut(rest, "/")
	switch {
	case !ok || !isHexSHA(sha):
		l.mixed = true
	case l.commit == "":
		l.commit = sha
	case l.commit != sha:
		l.mixed = true
	}
}

func (l *listedCommit) sha() string {
	if l.mixed {
		return ""
	}
	return l.commit
}
