package github

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ccm-ci/ccm/sim/githubsim"
)

func paths(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s/f%04d.go", prefix, i)
	}
	return out
}

// TestChangedFiles: each source of a change's files, what each costs in
// calls, and that a capped, partial or empty list is never complete.
func TestChangedFiles(t *testing.T) {
	const repo = "acme/web"
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	pushRun := func(s *githubsim.Server, id int64, sha string, at time.Time, files ...string) githubsim.Run {
		return s.AddRun(repo, githubsim.Run{ID: id, Conclusion: "failure", HeadBranch: "main", HeadSHA: sha, CreatedAt: at, ChangedFiles: files})
	}
	prRun := func(s *githubsim.Server, files []string) githubsim.Run {
		p := s.AddPull(repo, githubsim.PullRequest{Head: "feature", Base: "main", HeadSHA: "f00d", Files: files})
		return s.AddRun(repo, githubsim.Run{ID: 7, Event: "pull_request", Conclusion: "failure", HeadBranch: "feature",
			HeadSHA: "f00d", ChangedFiles: []string{"src/last.go"}, PullRequests: []int{p.Number}})
	}
	// As on GitHub: full SHAs, which the files' links name. (prRun's
	// short ones name no commit a link can be trusted for: the head is
	// asked for.)
	shaPRRun := func(s *githubsim.Server, files []string) githubsim.Run {
		head := sha40("head")
		s.SetBranch(repo, "feature", head)
		p := s.AddPull(repo, githubsim.PullRequest{Head: "feature", Base: "main", HeadSHA: head, Files: files})
		return s.AddRun(repo, githubsim.Run{ID: 7, Event: "pull_request", Conclusion: "failure", HeadBranch: "feature",
			HeadSHA: head, PullRequests: []int{p.Number}})
	}
	tests := []struct {
		name  string
		setup func(s *githubsim.Server) githubsim.Run
		hint  ChangeHint
		want  Changes
		calls map[string]int
		err   bool
	}{
		{name: "pull request: its files, page by page", setup: func(s *githubsim.Server) githubsim.Run {
			return prRun(s, paths("src", 150))
		}, want: Changes{Files: paths("src", 150), Source: SourcePullRequest, Complete: true},
			calls: map[string]int{githubsim.RouteGetPull: 1, githubsim.RoutePullFiles: 2}},
		{name: "pull request pushed since the run: its files now, not complete", setup: func(s *githubsim.Server) githubsim.Run {
			r := prRun(s, []string{"README.md"})
			s.SetBranch(repo, "feature", "beef") // the author pushed again
			return r
		}, want: Changes{Files: []string{"README.md"}, Source: SourcePullRequest},
			calls: map[string]int{githubsim.RouteGetPull: 1, githubsim.RoutePullFiles: 1}},
		{name: "pull request over 300 files: cut, not complete", setup: func(s *githubsim.Server) githubsim.Run {
			return prRun(s, paths("docs", 450))
		}, want: Changes{Files: paths("docs", 300), Source: SourcePullRequest},
			calls: map[string]int{githubsim.RouteGetPull: 1, githubsim.RoutePullFiles: 3}},
		{name: "pull request files unreadable: the head commit, as a part", setup: func(s *githubsim.Server) githubsim.Run {
			r := prRun(s, paths("src", 3))
			s.FailNext(githubsim.RoutePullFiles, githubsim.Fault{Status: http.StatusNotFound, Body: `{"message":"Not Found"}`})
			return r
		}, want: Changes{Files: []string{"src/last.go"}, Source: SourceCommit},
			calls: map[string]int{githubsim.RoutePullFiles: 1, githubsim.RouteGetCommit: 1}},
		{name: "pull request whose files' links name the run's commit: its files, no head asked", setup: func(s *githubsim.Server) githubsim.Run {
			return shaPRRun(s, paths("src", 150))
		}, want: Changes{Files: paths("src", 150), Source: SourcePullRequest, Complete: true},
			calls: map[string]int{githubsim.RoutePullFiles: 2}},
		{name: "pull request whose files' links name a later push: head asked, not complete", setup: func(s *githubsim.Server) githubsim.Run {
			r := shaPRRun(s, []string{"README.md"})
			s.SetBranch(repo, "feature", sha40("later")) // the author pushed again
			return r
		}, want: Changes{Files: []string{"README.md"}, Source: SourcePullRequest},
			calls: map[string]int{githubsim.RouteGetPull: 1, githubsim.RoutePullFiles: 1}},
		{name: "push, previous run from ccm's index: the comparison only", setup: func(s *githubsim.Server) githubsim.Run {
			pushRun(s, 1, "aaa1", t0.Add(-time.Hour))
			r := pushRun(s, 4, "bbb4", t0)
			s.SetCompare(repo, "aaa1", "bbb4", []string{"README.md"})
			s.SetCompare(repo, "iii0", "bbb4", []string{"README.md", "src/app.go"})
			return r
		}, hint: ChangeHint{PreviousSHA: "iii0"}, want: Changes{Files: []string{"README.md", "src/app.go"}, Source: SourceCompare, Complete: true},
			calls: map[string]int{githubsim.RouteCompare: 1}},
		{name: "push, comparison cached by another workflow of the push: no call", setup: func(s *githubsim.Server) githubsim.Run {
			return pushRun(s, 4, "bbb4", t0)
		}, hint: ChangeHint{PreviousSHA: "aaa1", Compares: compareCache{repo + " aaa1...bbb4": {"docs/a.md"}}},
			want: Changes{Files: []string{"docs/a.md"}, Source: SourceCompare, Complete: true}, calls: map[string]int{}},
		{name: "pull request from a fork names none: the head commit, as a part", setup: func(s *githubsim.Server) githubsim.Run {
			return s.AddRun(repo, githubsim.Run{ID: 8, Event: "pull_request", Conclusion: "failure", FromFork: true,
				HeadBranch: "patch-1", ChangedFiles: []string{"README.md"}})
		}, want: Changes{Files: []string{"README.md"}, Source: SourceCommit},
			calls: map[string]int{githubsim.RouteGetCommit: 1}},
		{name: "push: compared with the workflow's previous run on the branch", setup: func(s *githubsim.Server) githubsim.Run {
			pushRun(s, 1, "aaa1", t0.Add(-2*time.Hour))
			s.AddRun(repo, githubsim.Run{ID: 2, Name: "Docs", Conclusion: "success", HeadBranch: "main", HeadSHA: "ddd2", CreatedAt: t0.Add(-time.Hour)})
			s.AddRun(repo, githubsim.Run{ID: 3, Conclusion: "success", HeadBranch: "other", HeadSHA: "ooo3", CreatedAt: t0.Add(-time.Hour)})
			r := pushRun(s, 4, "bbb4", t0, "README.md")
			pushRun(s, 5, "ccc5", t0.Add(time.Hour)) // a later push is not the base
			s.SetCompare(repo, "aaa1", "bbb4", []string{"README.md", "src/app.go"})
			return r
		}, want: Changes{Files: []string{"README.md", "src/app.go"}, Source: SourceCompare, Complete: true},
			calls: map[string]int{githubsim.RouteListWorkflowRuns: 1, githubsim.RouteCompare: 1}},
		{name: "push comparison of 300 files is capped", setup: func(s *githubsim.Server) githubsim.Run {
			pushRun(s, 1, "aaa1", t0.Add(-time.Hour))
			r := pushRun(s, 4, "bbb4", t0)
			s.SetCompare(repo, "aaa1", "bbb4", paths("docs", 420))
			return r
		}, want: Changes{Files: paths("docs", 300), Source: SourceCompare},
			calls: map[string]int{githubsim.RouteListWorkflowRuns: 1, githubsim.RouteCompare: 1}},
		{name: "push, base commit gone (force push): the head commit, as a part", setup: func(s *githubsim.Server) githubsim.Run {
			pushRun(s, 1, "aaa1", t0.Add(-time.Hour))
			return pushRun(s, 4, "bbb4", t0, "docs/a.md")
		}, want: Changes{Files: []string{"docs/a.md"}, Source: SourceCommit},
			calls: map[string]int{githubsim.RouteListWorkflowRuns: 1, githubsim.RouteCompare: 1, githubsim.RouteGetCommit: 1}},
		{name: "first push of a branch: the head commit, as a part", setup: func(s *githubsim.Server) githubsim.Run {
			return pushRun(s, 4, "bbb4", t0, "docs/a.md")
		}, want: Changes{Files: []string{"docs/a.md"}, Source: SourceCommit},
			calls: map[string]int{githubsim.RouteListWorkflowRuns: 1, githubsim.RouteGetCommit: 1}},
		{name: "push of a commit the workflow ran before: that commit", setup: func(s *githubsim.Server) githubsim.Run {
			pushRun(s, 1, "bbb4", t0.Add(-time.Hour), "docs/a.md")
			return pushRun(s, 4, "bbb4", t0, "docs/a.md")
		}, want: Changes{Files: []string{"docs/a.md"}, Source: SourceCommit, Complete: true},
			calls: map[string]int{githubsim.RouteListWorkflowRuns: 1, githubsim.RouteGetCommit: 1}},
		{name: "schedule: compared with the workflow's previous scheduled run on the branch", setup: func(s *githubsim.Server) githubsim.Run {
			s.AddRun(repo, githubsim.Run{ID: 1, Event: "schedule", Conclusion: "success", HeadBranch: "main", HeadSHA: "aaa1", CreatedAt: t0.Add(-24 * time.Hour)})
			pushRun(s, 2, "ppp2", t0.Add(-time.Hour)) // a push run is not the schedule's base
			r := s.AddRun(repo, githubsim.Run{ID: 9, Event: "schedule", Conclusion: "failure", HeadBranch: "main", HeadSHA: "bbb4",
				CreatedAt: t0, ChangedFiles: []string{"README.md"}})
			s.SetCompare(repo, "aaa1", "bbb4", []string{"README.md", "src/app.go"})
			return r
		}, want: Changes{Files: []string{"README.md", "src/app.go"}, Source: SourceCompare, Complete: true},
			calls: map[string]int{githubsim.RouteListWorkflowRuns: 1, githubsim.RouteCompare: 1}},
		{name: "schedule with no earlier run: the head commit, as a part", setup: func(s *githubsim.Server) githubsim.Run {
			return s.AddRun(repo, githubsim.Run{ID: 9, Event: "schedule", Conclusion: "failure", ChangedFiles: []string{"docs/a.md"}})
		}, want: Changes{Files: []string{"docs/a.md"}, Source: SourceCommit},
			calls: map[string]int{githubsim.RouteListWorkflowRuns: 1, githubsim.RouteGetCommit: 1}},
		{name: "workflow_dispatch, base commit gone: the head commit, as a part", setup: func(s *githubsim.Server) githubsim.Run {
			s.AddRun(repo, githubsim.Run{ID: 1, Event: "workflow_dispatch", Conclusion: "success", HeadBranch: "main", HeadSHA: "aaa1", CreatedAt: t0.Add(-time.Hour)})
			return s.AddRun(repo, githubsim.Run{ID: 9, Event: "workflow_dispatch", Conclusion: "failure", HeadBranch: "main", HeadSHA: "bbb4",
				CreatedAt: t0, ChangedFiles: []string{"docs/a.md"}})
		}, want: Changes{Files: []string{"docs/a.md"}, Source: SourceCommit},
			calls: map[string]int{githubsim.RouteListWorkflowRuns: 1, githubsim.RouteCompare: 1, githubsim.RouteGetCommit: 1}},
		{name: "an empty list is not complete", setup: func(s *githubsim.Server) githubsim.Run {
			pushRun(s, 1, "bbb4", t0.Add(-time.Hour))
			return pushRun(s, 4, "bbb4", t0)
		}, want: Changes{Files: []string{}, Source: SourceCommit},
			calls: map[string]int{githubsim.RouteListWorkflowRuns: 1, githubsim.RouteGetCommit: 1}},
		{name: "nothing readable: an error", setup: func(s *githubsim.Server) githubsim.Run {
			pushRun(s, 1, "aaa1", t0.Add(-time.Hour))
			r := pushRun(s, 4, "bbb4", t0)
			s.FailNext(githubsim.RouteGetCommit, githubsim.Fault{Status: http.StatusInternalServerError, Count: -1})
			return r
		}, err: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, s, _ := newTestClient(t, func(o *Options) { o.MaxAttempts = 1 })
			s.AddRepo(repo)
			sr := tt.setup(s)
			run, err := c.GetRun(context.Background(), repo, sr.ID, 0)
			if err != nil {
				t.Fatal(err)
			}
			s.ResetRequests()
			got, err := c.ChangedFiles(context.Background(), repo, run, tt.hint)
			if tt.err {
				if err == nil {
					t.Fatalf("got %+v, want an error", got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("changes (-want +got):\n%s", diff)
			}
			calls := map[string]int{}
			for _, r := range s.Requests() {
				calls[r.Route]++
			}
			if diff := cmp.Diff(tt.calls, calls); diff != "" {
				t.Errorf("calls (-want +got):\n%s", diff)
			}
		})
	}
}

// TestRunPullRequests: a run names its own repository's pull requests,
// not another repository's whose head is the same branch.
func TestRunPullRequests(t *testing.T) {
	c, s, _ := newTestClient(t, nil)
	p := s.AddPull("acme/web", githubsim.PullRequest{Head: "feature", Base: "main"})
	sr := s.AddRun("acme/web", githubsim.Run{Event: "pull_request", Conclusion: "failure", PullRequests: []int{p.Number}})
	run, err := c.GetRun(context.Background(), "acme/web", sr.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]int{p.Number}, run.PullRequests); diff != "" {
		t.Errorf("pull requests (-want +got):\n%s", diff)
	}
	body := `{"id": 5, "run_attempt": 1, "repository": {"full_name": "acme/web"},
		"pull_requests": [{"number": 3, "base": {"repo": {"url": "https://api.github.com/repos/other/lib"}}},
		{"number": 4, "base": {"repo": {"url": "https://api.github.com/repos/Acme/Web"}}}]}`
	s.FailNext(githubsim.RouteGetRun, githubsim.Fault{Status: http.StatusOK, Body: body})
	run, err = c.GetRun(context.Background(), "acme/web", 5, 0)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]int{4}, run.PullRequests); diff != "" {
		t.Errorf("pull requests (-want +got):\n%s", diff)
	}
}

func sha40(seed string) string {
	sum := sha1.Sum([]byte(seed))
	return hex.EncodeToString(sum[:])
}

// compareCache is a CompareCache in a map ("repo base...head").
type compareCache map[string][]string

func (c compareCache) CachedCompare(_ context.Context, repo, base, head string) ([]string, bool, error) {
	f, ok := c[repo+" "+base+"..."+head]
	return f, ok, nil
}

func (c compareCache) CacheCompare(_ context.Context, repo, base, head string, files []string) error {
	c[repo+" "+base+"..."+head] = files
	return nil
}
