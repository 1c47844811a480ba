package github

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	gh "github.com/google/go-github/v60/github"
)

// Bounds on a fix PR: a fix the analysis proposes is a few small text
// files; anything bigger is not a fix ccm should open alone.
const (
	maxFixFiles     = 20
	maxFixFileBytes = 512 << 10
	maxTitle        = 256
	maxBody         = 65536 // GitHub's limit on a pull request body
)

// FixPR is a pull request ccm opens with a fix for one failure.
type FixPR struct {
	FailureID string // e.g. "acme/web#123.1"; names the branch
	Base      string // branch the pull request targets
	BaseSHA   string // commit the fix branch starts from (the failing run's)
	Title     string
	Body      string
	Files     []FileChange
}

// FileChange is the whole new content of one file.
type FileChange struct {
	Path    string // relative to the repository root; see CheckFixPath
	Content string // UTF-8 text
}

// PullRequest is a pull request as ccm reports it.
type PullRequest struct {
	Number  int
	URL     string // html_url
	State   string // "open" or "closed"
	Branch  string // head branch
	Base    string
	HeadSHA string
	// Reused: it was already open for this failure (a retry after a
	// crash) and is returned instead of opening a second one.
	Reused bool
}

// trailer marks ccm's fix commits, so a retry can tell its own branch from
// someone else's of the same name.
const trailer = "Ccm-Failure: "

func (f FixPR) check() error {
	refuse := func(format string, a ...any) error {
		return fmt.Errorf("%w: %s", ErrRefused, fmt.Sprintf(format, a...))
	}
	switch {
	case strings.TrimSpace(f.FailureID) == "" || strings.ContainsAny(f.FailureID, "\r\n\x00"):
		return refuse("failure ID %q is empty or has line breaks", f.FailureID)
	case !validBranchName(f.Base) || strings.HasPrefix(f.Base, FixBranchPrefix):
		return refuse("base branch %q is not a branch a fix can target", f.Base)
	case !isHexSHA(f.BaseSHA):
		return refuse("base SHA %q is not a commit SHA", f.BaseSHA)
	case strings.TrimSpace(f.Title) == "" || len(f.Title) > maxTitle || strings.ContainsAny(f.Title, "\r\n"):
		return refuse("title must be one line of 1 to %d bytes", maxTitle)
	case len(f.Body) > maxBody:
		return refuse("body is %d bytes, GitHub takes at most %d", len(f.Body), maxBody)
	case len(f.Files) == 0 || len(f.Files) > maxFixFiles:
		return refuse("a fix changes 1 to %d files, not %d", maxFixFiles, len(f.Files))
	}
	seen := map[string]bool{}
	for _, file := range f.Files {
		if err := CheckFixPath(file.Path); err != nil {
			return err
		}
		if seen[file.Path] {
			return refuse("path %q given twice", file.Path)
		}
		seen[file.Path] = true
		if len(file.Content) > maxFixFileBytes || !utf8.ValidString(file.Content) {
			return refuse("content of %q is not UTF-8 text of at most %d bytes", file.Path, maxFixFileBytes)
		}
	}
	return nil
}

func isHexSHA(s string) bool {
	if len(s) != 40 && len(s) != 64 {
		return false
	}
	for _, r := range s {
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'f') {
			return false
		}
	}
	return true
}

// validBranchName is the part of git check-ref-format that matters here.
func validBranchName(b string) bool {
	if b == "" || strings.HasPrefix(b, "/") || strings.HasSuffix(b, "/") || strings.HasPrefix(b, "-") ||
		strings.HasSuffix(b, ".lock") || strings.HasSuffix(b, ".") || strings.Contains(b, "..") ||
		strings.Contains(b, "//") || strings.Contains(b, "@{") || b == "@" {
		return false
	}
	return !strings.ContainsFunc(b, func(r rune) bool { return r <= 0x20 || r == 0x7f || strings.ContainsRune("~^:?*[\\", r) })
}

// OpenFixPR opens the pull request for a failure's fix: branch
// FixBranch(FailureID) from BaseSHA with one commit writing Files, then a
// pull request into Base. It uses the git data API: the tree (file
// contents inline) and the commit are objects nothing points at until the
// branch is created on the finished commit, so the branch appears whole
// or not at all, and any number of files is four writes (tree, commit,
// ref, pull). The contents API would make one commit per file, each a
// visible half-done branch state, and need each file's current blob SHA.
//
// It is idempotent for a failure: an open PR from the branch is returned
// (Reused) without a write; a branch left by an earlier call that crashed
// before the PR (its head is ccm's commit for this failure on BaseSHA) is
// reused and only the PR is opened. A branch of that name holding
// anything else is ErrBranchExists. When opening the PR is refused
// outright (no pull-requests:write, base gone), a branch this call created
// is deleted again; after an uncertain outcome it is left for the retry.
// Paths are checked with CheckFixPath before anything is sent.
func (c *Client) OpenFixPR(ctx context.Context, repo string, fix FixPR) (PullRequest, error) {
	what := fmt.Sprintf("open fix PR %s for %s", repo, fix.FailureID)
	owner, name, err := splitRepo(repo)
	if err != nil {
		return PullRequest{}, fmt.Errorf("%s: %w", what, err)
	}
	if err := fix.check(); err != nil {
		return PullRequest{}, fmt.Errorf("%s: %w", what, err)
	}
	branch := FixBranch(fix.FailureID)
	if pr, ok, err := c.FindFixPR(ctx, repo, fix.FailureID); err != nil {
		return PullRequest{}, fmt.Errorf("%s: %w", what, err)
	} else if ok {
		pr.Reused = true
		return pr, nil
	}
	head, found, err := c.refSHA(ctx, owner, name, branch)
	if err != nil {
		return PullRequest{}, fmt.Errorf("%s: %w", what, err)
	}
	created := false
	if found {
		if err := c.checkOurs(ctx, owner, name, branch, head, fix); err != nil {
			return PullRequest{}, fmt.Errorf("%s: %w", what, err)
		}
	} else if head, created, err = c.commitFix(ctx, owner, name, branch, fix); err != nil {
		return PullRequest{}, fmt.Errorf("%s: %w", what, err)
	}
	pr, err := c.createPR(ctx, owner, name, repo, branch, fix)
	if err == nil {
		return pr, nil
	}
	var re *RetryError
	if created && !errors.Is(err, ErrUncertain) && !errors.As(err, &re) {
		if derr := c.DeleteBranch(ctx, repo, branch); derr != nil {
			return PullRequest{}, fmt.Errorf("%s: %w; branch %s at %s left behind: %v", what, err, branch, head, derr)
		}
		return PullRequest{}, fmt.Errorf("%s: %w (branch %s deleted again)", what, err, branch)
	}
	if created || found {
		// A retry finds the branch and only opens the PR; a rollback
		// deletes it with DeleteFixBranch, which first checks its head is
		// ccm's fix commit for the failure.
		return PullRequest{}, fmt.Errorf("%s: %w (branch %s at %s kept for a retry)", what, err, branch, head)
	}
	return PullRequest{}, fmt.Errorf("%s: %w", what, err)
}

// refSHA reads a branch's head through the git refs API.
func (c *Client) refSHA(ctx context.Context, owner, name, branch string) (sha string, found bool, err error) {
	var ref *gh.Reference
	err = c.call(ctx, func() (*gh.Response, error) {
		var resp *gh.Response
		var err error
		ref, resp, err = c.gh.Git.GetRef(ctx, owner, name, "heads/"+branch)
		return resp, err
	})
	switch {
	case errors.Is(err, ErrNotFound):
		return "", false, nil
	case err != nil:
		return "", false, fmt.Errorf("read branch %s: %w", branch, err)
	case ref.GetObject().GetSHA() == "":
		return "", false, fmt.Errorf("read branch %s: %w: no object", branch, ErrMalformedResponse)
	}
	return ref.GetObject().GetSHA(), true, nil
}

func (c *Client) gitCommit(ctx context.Context, owner, name, sha string) (*gh.Commit, error) {
	var commit *gh.Commit
	err := c.call(ctx, func() (*gh.Response, error) {
		var resp *gh.Response
		var err error
		commit, resp, err = c.gh.Git.GetCommit(ctx, owner, name, sha)
		return resp, err
	})
	if err != nil {
		return nil, fmt.Errorf("read commit %s: %w", sha, err)
	}
	if commit == nil || commit.GetTree().GetSHA() == "" {
		return nil, fmt.Errorf("read commit %s: %w: no tree", sha, ErrMalformedResponse)
	}
	return commit, nil
}

// checkOurs accepts a branch head that is ccm's fix commit for this failure
// on BaseSHA, left by an earlier call.
func (c *Client) checkOurs(ctx context.Context, owner, name, branch, head string, fix FixPR) error {
	commit, err := c.gitCommit(ctx, owner, name, head)
	if err != nil {
		return err
	}
	parents := commit.Parents
	ours := len(parents) == 1 && parents[0].GetSHA() == fix.BaseSHA &&
		strings.Contains("\n"+commit.GetMessage()+"\n", "\n"+trailer+fix.FailureID+"\n")
	if !ours {
		return &ConflictError{Op: "branch " + branch, Kind: ErrBranchExists,
			Message: fmt.Sprintf("its head %s is not ccm's fix for %s on %s", head, fix.FailureID, fix.BaseSHA)}
	}
	return nil
}

// commitFix writes the tree and the commit and creates the branch on it.
// Tree and commit are unreferenced objects, so repeating their POST after
// a lost answer is harmless (at worst an orphan GitHub collects); the ref
// is checked before a repeat, and a "Reference already exists" is accepted
// when the branch holds ccm's commit for this fix.
func (c *Client) commitFix(ctx context.Context, owner, name, branch string, fix FixPR) (head string, created bool, err error) {
	base, err := c.gitCommit(ctx, owner, name, fix.BaseSHA)
	if err != nil {
		return "", false, fmt.Errorf("base: %w", err)
	}
	entries := make([]*gh.TreeEntry, 0, len(fix.Files))
	for _, f := range fix.Files {
		entries = append(entries, &gh.TreeEntry{Path: gh.String(f.Path), Mode: gh.String("100644"),
			Type: gh.String("blob"), Content: gh.String(f.Content)})
	}
	var tree *gh.Tree
	if _, err := c.sendChecked(ctx, "create tree", ScopeContents, func() (*gh.Response, error) {
		var resp *gh.Response
		var err error
		tree, resp, err = c.gh.Git.CreateTree(ctx, owner, name, base.GetTree().GetSHA(), entries)
		return resp, err
	}, never); err != nil {
		return "", false, fmt.Errorf("create tree: %w", err)
	}
	if tree.GetSHA() == "" {
		return "", false, fmt.Errorf("create tree: %w: no SHA", ErrMalformedResponse)
	}
	msg := fmt.Sprintf("%s\n\nFix proposed by ccm for failure %s.\n\n%s%s\n", fix.Title, fix.FailureID, trailer, fix.FailureID)
	var commit *gh.Commit
	if _, err := c.sendChecked(ctx, "create commit", ScopeContents, func() (*gh.Response, error) {
		var resp *gh.Response
		var err error
		commit, resp, err = c.gh.Git.CreateCommit(ctx, owner, name, &gh.Commit{Message: gh.String(msg),
			Tree: &gh.Tree{SHA: tree.SHA}, Parents: []*gh.Commit{{SHA: gh.String(fix.BaseSHA)}}}, nil)
		return resp, err
	}, never); err != nil {
		return "", false, fmt.Errorf("create commit: %w", err)
	}
	if commit.GetSHA() == "" {
		return "", false, fmt.Errorf("create commit: %w: no SHA", ErrMalformedResponse)
	}
	sha := commit.GetSHA()
	op := "create branch " + branch
	_, err = c.sendChecked(ctx, op, ScopeContents, func() (*gh.Response, error) {
		_, resp, err := c.gh.Git.CreateRef(ctx, owner, name, &gh.Reference{Ref: gh.String("refs/heads/" + branch),
			Object: &gh.GitObject{SHA: gh.String(sha)}})
		return resp, err
	}, func(ctx context.Context) (bool, error) {
		got, found, err := c.refSHA(ctx, owner, name, branch)
		return found && got == sha, err
	})
	if errors.Is(err, ErrBranchExists) {
		// Another call for the same failure got there first.
		got, found, rerr := c.refSHA(ctx, owner, name, branch)
		if rerr != nil || !found {
			return "", false, fmt.Errorf("%s: %w", op, err)
		}
		if cerr := c.checkOurs(ctx, owner, name, branch, got, fix); cerr != nil {
			return "", false, cerr
		}
		return got, false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("%s: %w", op, err)
	}
	return sha, true, nil
}

// createPR opens the pull request; a lost answer is checked by looking
// for it before sending again, and "already exists" returns the one there.
func (c *Client) createPR(ctx context.Context, owner, name, repo, branch string, fix FixPR) (PullRequest, error) {
	var pr *gh.PullRequest
	op := "create pull request from " + branch
	recovered, err := c.sendChecked(ctx, op, ScopePulls, func() (*gh.Response, error) {
		var resp *gh.Response
		var err error
		pr, resp, err = c.gh.PullRequests.Create(ctx, owner, name, &gh.NewPullRequest{
			Title: gh.String(fix.Title), Head: gh.String(branch), Base: gh.String(fix.Base),
			Body: gh.String(fix.Body), MaintainerCanModify: gh.Bool(false),
		})
		return resp, err
	}, func(ctx context.Context) (bool, error) {
		_, ok, err := c.FindFixPR(ctx, repo, fix.FailureID)
		return ok, err
	})
	if errors.Is(err, ErrPRExists) || (err == nil && recovered) {
		found, ok, ferr := c.FindFixPR(ctx, repo, fix.FailureID)
		if ferr != nil || !ok {
			return PullRequest{}, fmt.Errorf("%s: %w", op, errors.Join(err, ferr))
		}
		found.Reused = err != nil
		return found, nil
	}
	if err != nil {
		return PullRequest{}, fmt.Errorf("%s: %w", op, err)
	}
	if pr == nil || pr.GetNumber() == 0 {
		return PullRequest{}, fmt.Errorf("%s: %w: no number", op, ErrMalformedResponse)
	}
	return toPR(pr), nil
}

func toPR(p *gh.PullRequest) PullRequest {
	return PullRequest{
		Number: p.GetNumber(), URL: p.GetHTMLURL(), State: p.GetState(), Branch: p.GetHead().GetRef(),
		Base: p.GetBase().GetRef(), HeadSHA: p.GetHead().GetSHA(),
	}
}

// FindFixPR returns the open pull request from a failure's fix branch, if
// there is one (one read).
func (c *Client) FindFixPR(ctx context.Context, repo, failureID string) (PullRequest, bool, error) {
	what := fmt.Sprintf("find fix PR %s for %s", repo, failureID)
	owner, name, err := splitRepo(repo)
	if err != nil {
		return PullRequest{}, false, fmt.Errorf("%s: %w", what, err)
	}
	var list []*gh.PullRequest
	err = c.call(ctx, func() (*gh.Response, error) {
		var resp *gh.Response
		var err error
		list, resp, err = c.gh.PullRequests.List(ctx, owner, name, &gh.PullRequestListOptions{
			State: "open", Head: owner + ":" + FixBranch(failureID), ListOptions: gh.ListOptions{PerPage: 10},
		})
		return resp, err
	})
	if err != nil {
		return PullRequest{}, false, fmt.Errorf("%s: %w", what, err)
	}
	for _, p := range list {
		// The head filter is GitHub's; check it so a server that ignores
		// it cannot hand back someone else's pull request.
		if p != nil && p.GetNumber() != 0 && p.GetHead().GetRef() == FixBranch(failureID) && p.GetState() == "open" {
			return toPR(p), true, nil
		}
	}
	return PullRequest{}, false, nil
}
