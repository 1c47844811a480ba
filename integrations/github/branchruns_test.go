package github

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ccm-ci/ccm/sim/githubsim"
)

// TestListBranchRuns: one workflow's runs on one branch since a time,
// oldest first, even when the server ignores the filters.
func TestListBranchRuns(t *testing.T) {
	for _, ignoreFilters := range []bool{false, true} {
		name := "server filters"
		if ignoreFilters {
			name = "server ignores the filters"
		}
		t.Run(name, func(t *testing.T) {
			c, s, clock := newTestClient(t, nil)
			s.IgnoreStatusFilter(ignoreFilters)
			at := func(h int) time.Time { return clock.Now().Add(time.Duration(h) * time.Hour) }
			add := func(h int, wf, branch, conclusion string) int64 {
				return s.AddRun("acme/web", githubsim.Run{Name: wf, HeadBranch: branch, Conclusion: conclusion, CreatedAt: at(h)}).ID
			}
			add(-2, "CI", "main", "failure") // before since
			first := add(1, "CI", "main", "failure")
			add(2, "CI", "feature", "success")
			add(3, "Lint", "main", "success")
			second := add(4, "CI", "main", "success")
			run, _ := s.LatestRun("acme/web", first)
			got, err := c.ListBranchRuns(context.Background(), "acme/web", run.WorkflowID, "main", at(0))
			if err != nil {
				t.Fatal(err)
			}
			var ids []int64
			for _, r := range got {
				ids = append(ids, r.ID)
			}
			if diff := cmp.Diff([]int64{first, second}, ids); diff != "" {
				t.Errorf("run IDs (-want +got):\n%s", diff)
			}
		})
	}
}

// TestCompareFiles: the files changed after base up to head, each once.
func TestCompareFiles(t *testing.T) {
	c, s, clock := newTestClient(t, nil)
	s.CompareFromRuns(true)
	at := func(h int) time.Time { return clock.Now().Add(time.Duration(h) * time.Hour) }
	base := s.AddRun("acme/web", githubsim.Run{Conclusion: "failure", CreatedAt: at(0), ChangedFiles: []string{"src/a.go"}})
	s.AddRun("acme/web", githubsim.Run{Conclusion: "failure", CreatedAt: at(1), ChangedFiles: []string{"docs/x.md"}})
	s.AddRun("acme/web", githubsim.Run{Conclusion: "failure", HeadBranch: "other", CreatedAt: at(2), ChangedFiles: []string{"other.go"}})
	head := s.AddRun("acme/web", githubsim.Run{Conclusion: "success", CreatedAt: at(3), ChangedFiles: []string{"src/a.go", "docs/x.md"}})
	tests := []struct {
		name       string
		base, head string
		fault      *githubsim.Fault
		want       []string
		wantErr    error
		status     int
	}{
		{name: "commits since the failure", base: base.HeadSHA, head: head.HeadSHA, want: []string{"docs/x.md", "src/a.go"}},
		{name: "identical", base: head.HeadSHA, head: head.HeadSHA, want: nil},
		{name: "unknown commit", base: "0000000000000000000000000000000000000000", head: head.HeadSHA, status: http.StatusNotFound},
		{name: "garbage answer", base: base.HeadSHA, head: head.HeadSHA,
			fault: &githubsim.Fault{Status: http.StatusOK, Body: `{"files": 3}`}, wantErr: ErrMalformedResponse},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.fault != nil {
				s.FailNext(githubsim.RouteCompare, *tt.fault)
			}
			got, err := c.CompareFiles(context.Background(), "acme/web", tt.base, tt.head)
			var apiErr *APIError
			switch {
			case tt.status != 0:
				if !errors.As(err, &apiErr) || apiErr.Status != tt.status {
					t.Fatalf("err = %v, want an API error %d", err, tt.status)
				}
			case tt.wantErr != nil:
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
			case err != nil:
				t.Fatal(err)
			default:
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("files (-want +got):\n%s", diff)
				}
			}
		})
	}
}
