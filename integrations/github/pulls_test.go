package github

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ccm-ci/ccm/sim/githubsim"
	"github.com/google/go-cmp/cmp"
)

const fixID = "acme/web#1.1"

var (
	routeTree   = githubsim.RouteCreateTree
	routeCommit = githubsim.RouteCreateGitCommit
	routeRef    = githubsim.RouteCreateRef
	routePull   = githubsim.RouteCreatePull
	// freshPR is every write of a fix PR opened from nothing.
	freshPR = []string{routeTree, routeCommit, routeRef, routePull}
)

// fixSetup is a fake with a failed run on main and the fix for it.
func fixSetup(t *testing.T, mod func(*Options)) (*Client, *githubsim.Server, FixPR) {
	t.Helper()
	c, s, _ := newTestClient(t, mod)
	run := s.AddRun(remRepo, failedRun(1, time.Now()))
	return c, s, FixPR{
		FailureID: fixID, Base: "main", BaseSHA: run.HeadSHA,
		Title: "Pin the flaky dependency", Body: "ccm found …",
		Files: []FileChange{{Path: "go.mod", Content: "module x\n"}, {Path: "src/app/config.yaml", Content: "retries: 3\n"}},
	}
}

// checkOneFixPR fails unless the fake holds exactly one PR (open as
// wanted) and, when open, the fix branch with the files.
func checkOneFixPR(t *testing.T, s *githubsim.Server, fix FixPR, wantState string) {
	t.Helper()
	pulls := s.Pulls(remRepo)
	if len(pulls) != 1 || pulls[0].State != wantState || pulls[0].Head != FixBranch(fix.FailureID) || pulls[0].Base != fix.Base {
		t.Fatalf("pulls = %+v, want one %s PR from %s", pulls, wantState, FixBranch(fix.FailureID))
	}
	if wantState != "open" {
		return
	}
	if diff := cmp.Diff([]string{FixBranch(fix.FailureID)}, s.Branches(remRepo)); diff != "" {
		t.Errorf("branches (-want +got):\n%s", diff)
	}
	for _, f := range fix.Files {
		if got, ok := s.FileAt(remRepo, FixBranch(fix.FailureID), f.Path); !ok || got != f.Content {
			t.Errorf("%s on the branch = %q (%v), want %q", f.Path, got, ok, f.Content)
		}
	}
}

func TestOpenFixPR(t *testing.T) {
	t.Parallel()
	c, s, fix := fixSetup(t, nil)
	pr, err := c.OpenFixPR(context.Background(), remRepo, fix)
	if err != nil {
		t.Fatal(err)
	}
	if pr.Number != 1 || pr.State != "open" || pr.Branch != "ccm/fix/acme-web-1.1" || pr.Base != "main" || pr.Reused ||
		!strings.HasSuffix(pr.URL, "/acme/web/pull/1") {
		t.Errorf("pr = %+v", pr)
	}
	checkOneFixPR(t, s, fix, "open")
	checkWrites(t, s, 4, freshPR...)
	// Reads: the open PR, the branch, the base commit's tree.
	if reads := len(s.Requests()) - len(s.Writes()); reads != 3 {
		t.Errorf("%d reads, want 3", reads)
	}
}

// TestOpenFixPR_Idempotent: a second call, or a retry after a crash
// between the branch and the PR, never makes a second branch or PR.
func TestOpenFixPR_Idempotent(t *testing.T) {
	t.Parallel()
	t.Run("called twice", func(t *testing.T) {
		t.Parallel()
		c, s, fix := fixSetup(t, nil)
		first, err := c.OpenFixPR(context.Background(), remRepo, fix)
		if err != nil {
			t.Fatal(err)
		}
		s.ResetWrites()
		second, err := c.OpenFixPR(context.Background(), remRepo, fix)
		if err != nil || second.Number != first.Number || !second.Reused {
			t.Fatalf("second call = %+v, %v; want PR %d reused", second, err, first.Number)
		}
		checkOneFixPR(t, s, fix, "open")
		checkWrites(t, s, 0)
	})
	t.Run("crash after the branch, before the PR", func(t *testing.T) {
		t.Parallel()
		crash := &crashOn{route: "/pulls", method: http.MethodPost}
		c, s, fix := fixSetup(t, func(o *Options) { o.HTTPClient = &http.Client{Transport: crash} })
		ctx, cancel := context.WithCancel(context.Background())
		crash.cancel = cancel
		if _, err := c.OpenFixPR(ctx, remRepo, fix); err == nil || !strings.Contains(err.Error(), "kept for a retry") {
			t.Fatalf("crashed call: err = %v, want the branch kept for a retry", err)
		}
		if len(s.Pulls(remRepo)) != 0 || len(s.Branches(remRepo)) != 1 {
			t.Fatalf("after the crash: pulls %+v, branches %v; want none and one", s.Pulls(remRepo), s.Branches(remRepo))
		}
		s.ResetWrites()
		pr, err := c.OpenFixPR(context.Background(), remRepo, fix)
		if err != nil || pr.Number != 1 {
			t.Fatalf("retry: %+v, %v", pr, err)
		}
		checkOneFixPR(t, s, fix, "open")
		checkWrites(t, s, 1, routePull)
	})
	t.Run("PR found only by its 422", func(t *testing.T) {
		t.Parallel()
		c, s, fix := fixSetup(t, nil)
		if _, err := c.OpenFixPR(context.Background(), remRepo, fix); err != nil {
			t.Fatal(err)
		}
		// The first look misses the PR (a replica lagging), so the create
		// meets GitHub's "already exists" and the existing PR is returned.
		s.FailNext(githubsim.RouteListPulls, githubsim.Fault{Status: 200, Body: `[]`})
		s.ResetWrites()
		pr, err := c.OpenFixPR(context.Background(), remRepo, fix)
		if err != nil || pr.Number != 1 || !pr.Reused {
			t.Fatalf("= %+v, %v; want PR 1 reused", pr, err)
		}
		checkOneFixPR(t, s, fix, "open")
		checkWrites(t, s, 0, routePull)
	})
}

// crashOn stands for the process dying at one request, once: it cancels
// the call's context and fails that request without sending it.
type crashOn struct {
	route, method string
	cancel        context.CancelFunc
	done          atomic.Bool
}

func (c *crashOn) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Method == c.method && strings.HasSuffix(r.URL.Path, c.route) && c.done.CompareAndSwap(false, true) {
		c.cancel()
		return nil, context.Canceled
	}
	return http.DefaultTransport.RoundTrip(r)
}

func TestOpenFixPR_Faults(t *testing.T) {
	t.Parallel()
	applied502 := githubsim.Fault{Apply: true, Status: 502, Body: `{"message":"Server Error"}`}
	tests := []struct {
		name      string
		fault     func(s *githubsim.Server, fix FixPR)
		mod       func(*Options)
		wantErr   error // nil = PR opened
		wantScope string
		writes    []string
		applied   int
		branches  int // fix branches left
	}{
		{name: "5xx on the tree: sent again",
			fault:  func(s *githubsim.Server, _ FixPR) { s.FailNext(routeTree, githubsim.ServerError(500)) },
			writes: []string{routeTree, routeTree, routeCommit, routeRef, routePull}, applied: 4, branches: 1},
		{name: "branch created, answer lost: checked, not repeated",
			fault: func(s *githubsim.Server, _ FixPR) { s.FailNext(routeRef, githubsim.Timeout(true)) }, mod: withTimeout,
			writes: freshPR, applied: 4, branches: 1},
		{name: "PR created, 502: checked, not repeated",
			fault:  func(s *githubsim.Server, _ FixPR) { s.FailNext(routePull, applied502) },
			writes: freshPR, applied: 4, branches: 1},
		{name: "no contents:write",
			fault:   func(s *githubsim.Server, _ FixPR) { s.FailNext(routeTree, githubsim.NoPermission()) },
			wantErr: ErrForbidden, wantScope: ScopeContents, writes: []string{routeTree}},
		{name: "no pull-requests:write: the new branch is deleted again",
			fault:   func(s *githubsim.Server, _ FixPR) { s.FailNext(routePull, githubsim.NoPermission()) },
			wantErr: ErrForbidden, wantScope: ScopePulls,
			writes: []string{routeTree, routeCommit, routeRef, routePull, githubsim.RouteDeleteRef}, applied: 4},
		{name: "branch exists and is not ccm's",
			fault: func(s *githubsim.Server, fix FixPR) {
				s.PushCommit(remRepo, FixBranch(fix.FailureID), map[string]string{"x": "someone else's"})
			},
			wantErr: ErrBranchExists, branches: 1},
		{name: "422 branch exists (made between the read and the create)",
			fault: func(s *githubsim.Server, fix FixPR) {
				s.PushCommit(remRepo, FixBranch(fix.FailureID), map[string]string{"x": "someone else's"})
				s.FailNext(githubsim.RouteGetRef, githubsim.NotFound())
			},
			wantErr: ErrBranchExists, writes: []string{routeTree, routeCommit, routeRef}, applied: 2, branches: 1},
		{name: "GitHub down at the PR: branch kept for the retry",
			fault:   func(s *githubsim.Server, _ FixPR) { s.FailNext(routePull, githubsim.ServerError(503).WithCount(-1)) },
			wantErr: &RetryError{}, writes: []string{routeTree, routeCommit, routeRef, routePull, routePull, routePull},
			applied: 3, branches: 1},
		{name: "base commit unknown",
			fault: func(s *githubsim.Server, _ FixPR) {
				s.FailNext(githubsim.RouteGetGitCommit, githubsim.NotFound())
			},
			wantErr: ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, s, fix := fixSetup(t, tt.mod)
			tt.fault(s, fix)
			pr, err := c.OpenFixPR(context.Background(), remRepo, fix)
			checkErr(t, err, tt.wantErr)
			if tt.wantErr == nil {
				if pr.Number != 1 {
					t.Errorf("pr = %+v", pr)
				}
				checkOneFixPR(t, s, fix, "open")
			}
			if tt.wantScope != "" {
				var pe *PermissionError
				if !errors.As(err, &pe) || pe.Scope != tt.wantScope || !strings.Contains(err.Error(), tt.wantScope) {
					t.Errorf("err = %v, want a permission error naming %s", err, tt.wantScope)
				}
			}
			checkWrites(t, s, tt.applied, tt.writes...)
			if got := len(s.Branches(remRepo)); got != tt.branches {
				t.Errorf("%d branches left (%v), want %d", got, s.Branches(remRepo), tt.branches)
			}
		})
	}
}

// TestOpenFixPR_Refused: what a fix may not touch is refused before any
// request, whatever the model proposed.
func TestOpenFixPR_Refused(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		edit func(*FixPR)
	}{
		{"workflow", func(f *FixPR) { f.Files[0].Path = ".github/workflows/ci.yml" }},
		{"github dir any case", func(f *FixPR) { f.Files[1].Path = ".GitHub/dependabot.yml" }},
		{"nested .github", func(f *FixPR) { f.Files[1].Path = "docs/.github/x.md" }},
		{"CODEOWNERS at root", func(f *FixPR) { f.Files[0].Path = "CODEOWNERS" }},
		{"CODEOWNERS in docs", func(f *FixPR) { f.Files[0].Path = "docs/CODEOWNERS" }},
		{"absolute", func(f *FixPR) { f.Files[0].Path = "/etc/passwd" }},
		{"dot-dot", func(f *FixPR) { f.Files[0].Path = "src/../../x" }},
		{"not clean", func(f *FixPR) { f.Files[0].Path = "src//x.go" }},
		{"dot segment", func(f *FixPR) { f.Files[0].Path = "./x.go" }},
		{"git internals", func(f *FixPR) { f.Files[0].Path = ".git/hooks/pre-commit" }},
		{"duplicate path", func(f *FixPR) { f.Files[1].Path = f.Files[0].Path }},
		{"no files", func(f *FixPR) { f.Files = nil }},
		{"binary content", func(f *FixPR) { f.Files[0].Content = "\xff\xfe" }},
		{"no failure ID", func(f *FixPR) { f.FailureID = "" }},
		{"base SHA not a SHA", func(f *FixPR) { f.BaseSHA = "main" }},
		{"base is a fix branch", func(f *FixPR) { f.Base = "ccm/fix/other" }},
		{"bad base", func(f *FixPR) { f.Base = "main..dev" }},
		{"empty title", func(f *FixPR) { f.Title = " " }},
		{"two-line title", func(f *FixPR) { f.Title = "a\nb" }},
		{"body over GitHub's limit", func(f *FixPR) { f.Body = strings.Repeat("x", maxBody+1) }},
		{"too many files", func(f *FixPR) {
			for i := range maxFixFiles {
				f.Files = append(f.Files, FileChange{Path: fmt.Sprintf("f%d.txt", i)})
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, s, fix := fixSetup(t, nil)
			fix.Files = append([]FileChange(nil), fix.Files...)
			tt.edit(&fix)
			s.ResetRequests()
			_, err := c.OpenFixPR(context.Background(), remRepo, fix)
			if !errors.Is(err, ErrRefused) {
				t.Fatalf("err = %v, want ErrRefused", err)
			}
			if n := len(s.Requests()); n != 0 {
				t.Errorf("%d requests sent, want none", n)
			}
		})
	}
}

func TestCheckFixPath(t *testing.T) {
	t.Parallel()
	for _, p := range []string{"go.mod", "src/main.go", "docs/guide.md", "github/notes.md", "a/.githubx/y", "CODEOWNERS.md"} {
		if err := CheckFixPath(p); err != nil {
			t.Errorf("CheckFixPath(%q) = %v, want allowed", p, err)
		}
	}
	for _, p := range []string{"", "/abs", "..", "../x", "a/..", "a/./b", "a/", "a\\b", "a\x00b", "a\nb",
		".github", ".github/CODEOWNERS", "x/.GITHUB/y", "CODEOWNERS", "docs/codeowners", ".git/config", "sub/.git"} {
		if err := CheckFixPath(p); !errors.Is(err, ErrRefused) {
			t.Errorf("CheckFixPath(%q) = %v, want refused", p, err)
		}
	}
}

func TestFixBranch(t *testing.T) {
	t.Parallel()
	tests := []struct{ id, want string }{
		{"acme/web#123.1", "ccm/fix/acme-web-123.1"},
		{"a/b#1.2", "ccm/fix/a-b-1.2"},
	}
	for _, tt := range tests {
		if got := FixBranch(tt.id); got != tt.want {
			t.Errorf("FixBranch(%q) = %q, want %q", tt.id, got, tt.want)
		}
	}
	// Changed beyond / and #: a hash keeps IDs apart; the result is a
	// branch git accepts.
	odd := []string{"a b#1", "a:b#1", "a..b#1", "a~b#1", strings.Repeat("x", 200), "#", "ü/ß#1.lock"}
	seen := map[string]string{}
	for _, id := range odd {
		b := FixBranch(id)
		if !validBranchName(b) || !strings.HasPrefix(b, FixBranchPrefix) || len(b) > len(FixBranchPrefix)+maxBranchID+9 {
			t.Errorf("FixBranch(%q) = %q, not a valid fix branch", id, b)
		}
		if prev, ok := seen[b]; ok {
			t.Errorf("FixBranch(%q) = FixBranch(%q) = %q", id, prev, b)
		}
		seen[b] = id
		if FixBranch(id) != b {
			t.Errorf("FixBranch(%q) is not stable", id)
		}
	}
}

// TestRollback takes a fix PR back: close it and delete its branch.
func TestRollback(t *testing.T) {
	t.Parallel()
	c, s, fix := fixSetup(t, nil)
	ctx := context.Background()
	pr, err := c.OpenFixPR(ctx, remRepo, fix)
	if err != nil {
		t.Fatal(err)
	}
	s.ResetWrites()
	// A 5xx on the close is sent again (closing twice is harmless).
	s.FailNext(githubsim.RouteUpdatePull, githubsim.ServerError(502))
	if err := c.ClosePR(ctx, remRepo, pr.Number); err != nil {
		t.Fatal(err)
	}
	if err := c.DeleteBranch(ctx, remRepo, pr.Branch); err != nil {
		t.Fatal(err)
	}
	checkOneFixPR(t, s, fix, "closed")
	if b := s.Branches(remRepo); len(b) != 0 {
		t.Errorf("branches left: %v", b)
	}
	checkWrites(t, s, 2, githubsim.RouteUpdatePull, githubsim.RouteUpdatePull, githubsim.RouteDeleteRef)
	if _, ok, err := c.FindFixPR(ctx, remRepo, fix.FailureID); ok || err != nil {
		t.Errorf("FindFixPR after rollback: found %v, %v", ok, err)
	}

	// A rollback repeated after a crash finds the branch gone: done.
	if err := c.DeleteBranch(ctx, remRepo, pr.Branch); err != nil {
		t.Errorf("deleting a deleted branch: %v", err)
	}
	s.ResetRequests()
	for _, b := range []string{"main", "ccm/fix/", "feature/ccm/fix/x"} {
		if err := c.DeleteBranch(ctx, remRepo, b); !errors.Is(err, ErrRefused) {
			t.Errorf("DeleteBranch(%q) = %v, want ErrRefused", b, err)
		}
	}
	if n := len(s.Requests()); n != 0 {
		t.Errorf("refused deletes sent %d requests", n)
	}
	if err := c.ClosePR(ctx, remRepo, 42); !errors.Is(err, ErrNotFound) {
		t.Errorf("closing a missing PR: %v, want ErrNotFound", err)
	}
	s.FailNext(githubsim.RouteDeleteRef, githubsim.NoPermission())
	var pe *PermissionError
	if err := c.DeleteBranch(ctx, remRepo, "ccm/fix/x"); !errors.As(err, &pe) || pe.Scope != ScopeContents {
		t.Errorf("delete without contents:write: %v", err)
	}
}

// TestOpenFixPR_Concurrent: two workers opening the same fix at once end
// with one branch and one PR, both told its number.
func TestOpenFixPR_Concurrent(t *testing.T) {
	t.Parallel()
	c, s, fix := fixSetup(t, nil)
	prs := make([]PullRequest, 2)
	errs := make([]error, 2)
	var wg sync.WaitGroup
	for i := range 2 {
		wg.Go(func() { prs[i], errs[i] = c.OpenFixPR(context.Background(), remRepo, fix) })
	}
	wg.Wait()
	for i := range 2 {
		if errs[i] != nil || prs[i].Number != 1 {
			t.Errorf("worker %d: %+v, %v", i, prs[i], errs[i])
		}
	}
	checkOneFixPR(t, s, fix, "open")
}
