package state_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ccm-ci/ccm/state"
	"github.com/ccm-ci/ccm/state/statetest"
)

// TestPreviousRun: the index names the run GitHub's list would (created
// before, in whole seconds; same workflow, branch and event; not the run
// itself), and says "don't know" rather than "none" when it holds none.
func TestPreviousRun(t *testing.T) {
	const repo = "acme/web"
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	ref := func(id int64, sha string, at time.Time) state.RunRef {
		return state.RunRef{RunID: id, WorkflowID: 7, Branch: "main", Event: "push", HeadSHA: sha, CreatedAt: at}
	}
	this := ref(10, "head", t0)
	tests := []struct {
		name    string
		webhook []state.RunRef
		poll    []state.RunRef
		want    string
		wantOK  bool
	}{
		{name: "nothing delivered: don't know"},
		{name: "only the run itself: don't know", webhook: []state.RunRef{this}},
		{name: "the newest earlier run, any of them", webhook: []state.RunRef{
			ref(1, "old", t0.Add(-2*time.Hour)), ref(5, "prev", t0.Add(-time.Hour)), this, ref(11, "next", t0.Add(time.Minute)),
		}, want: "prev", wantOK: true},
		{name: "same second as the run: not before it, as for GitHub's created:<T", webhook: []state.RunRef{
			ref(5, "prev", t0.Add(-time.Hour)), ref(9, "same-second", t0.Add(500*time.Millisecond)), this,
		}, want: "prev", wantOK: true},
		{name: "two runs in one earlier second: the later-numbered", webhook: []state.RunRef{
			ref(5, "five", t0.Add(-time.Hour)), ref(6, "six", t0.Add(-time.Hour)),
		}, want: "six", wantOK: true},
		{name: "another workflow, branch or event is no predecessor", webhook: []state.RunRef{
			{RunID: 2, WorkflowID: 8, Branch: "main", Event: "push", HeadSHA: "wf", CreatedAt: t0.Add(-time.Hour)},
			{RunID: 3, WorkflowID: 7, Branch: "dev", Event: "push", HeadSHA: "br", CreatedAt: t0.Add(-time.Hour)},
			{RunID: 4, WorkflowID: 7, Branch: "main", Event: "schedule", HeadSHA: "ev", CreatedAt: t0.Add(-time.Hour)},
		}},
		{name: "the poll alone makes no index (it lists failures only)", poll: []state.RunRef{ref(5, "failed-prev", t0.Add(-time.Hour))}},
		{name: "the poll adds to an index a delivery made", webhook: []state.RunRef{ref(1, "old", t0.Add(-2*time.Hour))},
			poll: []state.RunRef{ref(5, "failed-prev", t0.Add(-time.Hour))}, want: "failed-prev", wantOK: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := statetest.New(t)
			ctx := context.Background()
			if err := s.NoteRuns(ctx, repo, tt.webhook, true); err != nil {
				t.Fatal(err)
			}
			if err := s.NoteRuns(ctx, repo, tt.poll, false); err != nil {
				t.Fatal(err)
			}
			got, ok, err := s.PreviousRun(ctx, repo, this)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("PreviousRun = %q, %v; want %q, %v", got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

// TestRunIndexBounded: an index keeps its newest RunIndexSize runs, for a
// day, so it never grows with a busy branch; a run whose predecessor was
// trimmed gets "don't know", never an older run.
func TestRunIndexBounded(t *testing.T) {
	s := statetest.New(t)
	ctx := context.Background()
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	var refs []state.RunRef
	for i := range state.RunIndexSize + 10 {
		refs = append(refs, state.RunRef{RunID: int64(i + 1), WorkflowID: 7, Branch: "main", Event: "push",
			HeadSHA: fmt.Sprintf("sha%d", i+1), CreatedAt: t0.Add(time.Duration(i) * time.Minute)})
	}
	if err := s.NoteRuns(ctx, "acme/web", refs, true); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		run    state.RunRef
		want   string
		wantOK bool
	}{
		{run: refs[len(refs)-1], want: fmt.Sprintf("sha%d", len(refs)-1), wantOK: true},
		{run: refs[10], wantOK: false}, // its predecessor, run 10, was trimmed
		{run: refs[11], want: "sha11", wantOK: true},
	} {
		got, ok, err := s.PreviousRun(ctx, "acme/web", tt.run)
		if err != nil {
			t.Fatal(err)
		}
		if got != tt.want || ok != tt.wantOK {
			t.Errorf("PreviousRun(run %d) = %q, %v; want %q, %v", tt.run.RunID, got, ok, tt.want, tt.wantOK)
		}
	}
}

// TestCompareCache: what GitHub listed for a pair is read back whole; an
// empty list is not kept (it is not believed anyway).
func TestCompareCache(t *testing.T) {
	s := statetest.New(t)
	ctx := context.Background()
	files := []string{"README.md", "src/app.go", "src/app.go"}
	if err := s.CacheCompare(ctx, "acme/web", "aaa", "bbb", files); err != nil {
		t.Fatal(err)
	}
	if err := s.CacheCompare(ctx, "acme/web", "aaa", "ccc", nil); err != nil {
		t.Fatal(err)
	}
	got, ok, err := s.CachedCompare(ctx, "acme/web", "aaa", "bbb")
	if err != nil || !ok {
		t.Fatalf("CachedCompare = %v, %v, %v; want the list", got, ok, err)
	}
	if diff := cmp.Diff(files, got); diff != "" {
		t.Errorf("cached files (-want +got):\n%s", diff)
	}
	for _, pair := range [][2]string{{"aaa", "ccc"}, {"bbb", "aaa"}} {
		if got, ok, err := s.CachedCompare(ctx, "acme/web", pair[0], pair[1]); err != nil || ok {
			t.Errorf("CachedCompare(%s...%s) = %v, %v, %v; want none", pair[0], pair[1], got, ok, err)
		}
	}
}
