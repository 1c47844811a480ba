package tasks_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ccm-ci/ccm/integrations/github"
	"github.com/ccm-ci/ccm/sim/githubsim"
	"github.com/ccm-ci/ccm/tasks"
)

// TestIngestAPICallsBurst: k workflows failing on one push compare the
// same two commits (every workflow last ran on the push before), so the
// comparison is asked once: 2k+1 calls for the burst. Asked once, not
// answered 304: the client's ETag cache spares the rate limit only within
// one process, while ccm's comparison cache is in Redis, for every worker.
func TestIngestAPICallsBurst(t *testing.T) {
	for _, k := range []int{1, 3, 8} {
		h := newHarness(t, nil)
		ctx := context.Background()
		before := h.gh.PushCommit(testRepo, "main", map[string]string{"README.md": "a"})
		head := h.gh.PushCommit(testRepo, "main", map[string]string{"src/app.go": "b"})
		var runs []githubsim.Run
		for i := range k {
			name := "wf" + string(rune('a'+i))
			prev := h.gh.AddRun(testRepo, githubsim.Run{Name: name, HeadSHA: before, Conclusion: "success", CreatedAt: time.Now().Add(-time.Hour)})
			run := h.gh.AddRun(testRepo, githubsim.Run{Name: name, HeadSHA: head, Conclusion: "failure", Jobs: failingJobs()})
			h.deliver(t, prev, run)
			runs = append(runs, run)
		}
		total, compares := 0, 0
		var perFailure []int
		for _, run := range runs {
			routes, counted := h.apiCalls(t, func() error { return h.h.HandleIngest(ctx, webhookIngest(t, run)) })
			if routes[githubsim.RouteListWorkflowRuns] != 0 {
				t.Errorf("k=%d: run %d asked GitHub for its previous run, which a delivery named", k, run.ID)
			}
			total += counted
			compares += routes[githubsim.RouteCompare]
			perFailure = append(perFailure, counted)
			rec := h.record(t, tasks.FailureID(testRepo, run.ID, 1))
			if !slices.Equal(rec.ChangedFiles, []string{"src/app.go"}) || rec.ChangedFilesUnavailable || rec.ChangedFilesSource != "compare" {
				t.Errorf("k=%d run %d: files %v from %q unavailable %v, want the push's comparison, complete",
					k, run.ID, rec.ChangedFiles, rec.ChangedFilesSource, rec.ChangedFilesUnavailable)
			}
		}
		t.Logf("burst of %d workflows on one push: %d calls %v", k, total, perFailure)
		if compares != 1 {
			t.Errorf("k=%d: %d comparison requests, want 1 for the burst", k, compares)
		}
		if want := 2*k + 1; total != want {
			t.Errorf("burst of %d workflows on one push: %d calls %v, want %d", k, total, perFailure, want)
		}
	}
}

// TestIngestLostDelivery: the change a push's failure is judged by, when
// ccm's index misses runs. A lost delivery of the run in between makes the
// comparison start at an older run: more commits, every file the true
// previous run's comparison lists and more (the safe direction: more files,
// more likely application code) at no extra call. An index that knows no
// earlier run at all sends the ingest to GitHub's list.
func TestIngestLostDelivery(t *testing.T) {
	tests := []struct {
		name      string
		delivered []int // indexes into c1, c2, c3's runs
		want      []string
		calls     int
	}{
		{name: "every run delivered: the previous run's span", delivered: []int{0, 1, 2},
			want: []string{"README.md"}, calls: 3},
		{name: "the run in between lost: the older run's span, a superset", delivered: []int{0, 2},
			want: []string{"README.md", "src/app.go"}, calls: 3},
		{name: "only the failing run delivered: GitHub's list names the previous run", delivered: []int{2},
			want: []string{"README.md"}, calls: 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, nil)
			ctx := context.Background()
			c1 := h.gh.PushCommit(testRepo, "main", map[string]string{"src/app.go": "v1", "README.md": "a"})
			c2 := h.gh.PushCommit(testRepo, "main", map[string]string{"src/app.go": "v2"})
			c3 := h.gh.PushCommit(testRepo, "main", map[string]string{"README.md": "b"})
			now := time.Now()
			runs := []githubsim.Run{
				h.gh.AddRun(testRepo, githubsim.Run{HeadSHA: c1, Conclusion: "success", CreatedAt: now.Add(-2 * time.Hour)}),
				h.gh.AddRun(testRepo, githubsim.Run{HeadSHA: c2, Conclusion: "success", CreatedAt: now.Add(-time.Hour)}),
				h.gh.AddRun(testRepo, githubsim.Run{HeadSHA: c3, Conclusion: "failure", CreatedAt: now, Jobs: failingJobs()}),
			}
			for _, i := range tt.delivered {
				h.deliver(t, runs[i])
			}
			_, counted := h.apiCalls(t, func() error { return h.h.HandleIngest(ctx, webhookIngest(t, runs[2])) })
			rec := h.record(t, tasks.FailureID(testRepo, runs[2].ID, 1))
			if diff := cmp.Diff(tt.want, rec.ChangedFiles); diff != "" {
				t.Errorf("changed files (-want +got):\n%s", diff)
			}
			if rec.ChangedFilesUnavailable {
				t.Errorf("changed files marked unavailable; want a complete comparison")
			}
			// Whatever the index missed, the files include every file the
			// true previous run's comparison lists.
			truth, err := h.client.CompareFiles(ctx, testRepo, c2, c3)
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range truth {
				if !slices.Contains(rec.ChangedFiles, f) {
					t.Errorf("changed files %v lack %s, which the run in between's comparison lists", rec.ChangedFiles, f)
				}
			}
			if counted != tt.calls {
				t.Errorf("%d API calls, want %d", counted, tt.calls)
			}
		})
	}
}

// TestPollFeedsRunIndex: the poll's list adds its runs to an index a
// webhook delivery made (a lost "completed" delivery is made up for), and
// makes none on its own: its list names failures only.
func TestPollFeedsRunIndex(t *testing.T) {
	h := newHarness(t, nil)
	ctx := context.Background()
	old := h.gh.AddRun(testRepo, githubsim.Run{Conclusion: "success", HeadBranch: "release", CreatedAt: time.Now().Add(-2 * time.Hour)})
	polled := h.gh.AddRun(testRepo, githubsim.Run{Conclusion: "failure", HeadBranch: "release", CreatedAt: time.Now().Add(-time.Hour), Jobs: failingJobs()})
	h.gh.AddRun(testRepo, githubsim.Run{Conclusion: "failure", HeadBranch: "hotfix", CreatedAt: time.Now().Add(-time.Hour), Jobs: failingJobs()})
	h.deliver(t, old)
	if err := h.h.HandlePoll(ctx, pollTask(t, testRepo)); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		branch string
		want   string
		wantOK bool
	}{
		{branch: "release", want: polled.HeadSHA, wantOK: true},
		{branch: "hotfix"}, // no delivery made its index
	} {
		next := tasks.RunRef(github.Run{ID: polled.ID + 100, WorkflowID: polled.WorkflowID, HeadBranch: tt.branch,
			Event: "push", HeadSHA: "next", CreatedAt: time.Now()})
		got, ok, err := h.store.PreviousRun(ctx, testRepo, next)
		if err != nil {
			t.Fatal(err)
		}
		if got != tt.want || ok != tt.wantOK {
			t.Errorf("%s: previous run %q, %v; want %q, %v", tt.branch, got, ok, tt.want, tt.wantOK)
		}
	}
}
