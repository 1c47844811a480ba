package tasks_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/hibiken/asynq"

	"github.com/ccm-ci/ccm/analysis"
	"github.com/ccm-ci/ccm/integrations/github"
	"github.com/ccm-ci/ccm/sim/githubsim"
	"github.com/ccm-ci/ccm/state"
	"github.com/ccm-ci/ccm/tasks"
)

// TestRemediateRollbackKeepsSomeoneElsesFixBranch: a branch with the fix
// branch's name that is not ccm's is there, and GitHub answers 503 before
// OpenFixPR can tell whose it is (on the pulls list, or on reading the
// branch head's commit) through the last delivery. The rollback must not
// delete the branch: ccm deletes only a branch it proves is its own, and
// when it cannot check, it leaves the branch and says so.
func TestRemediateRollbackKeepsSomeoneElsesFixBranch(t *testing.T) {
	fix := analysis.Action{Type: analysis.ActionOpenFixPR, Title: "Fix", Body: "ccm",
		Files: []analysis.FileChange{{Path: "docs/ci.md", Content: "x\n"}}}
	for _, tt := range []struct {
		name  string
		route string
		// checked: the rollback could read the branch head and proved it
		// is not ccm's (the fault was on another route).
		checked bool
	}{
		{name: "503 on the pulls list", route: githubsim.RouteListPulls, checked: true},
		{name: "503 on the ownership check", route: githubsim.RouteGetGitCommit},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, nil)
			ctx := context.Background()
			rec, _ := h.remediable(t, "main", nil, fix)
			branch := github.FixBranch(rec.ID)
			theirs := h.gh.PushCommit(testRepo, branch, map[string]string{"other.txt": "someone's work\n"})
			h.gh.FailNext(tt.route, githubsim.ServerError(503).WithCount(-1))

			var err error
			for range 3 { // deliveries before the last: retried
				if err = h.h.HandleRemediate(ctx, remediateTask(t, rec.ID)); err == nil || errors.Is(err, asynq.SkipRetry) {
					got := h.record(t, rec.ID)
					t.Fatalf("delivery: err %v, want a retry; %s %+v", err, got.Status, got.Remediation)
				}
			}
			err = h.h.HandleRemediate(tasks.LastDelivery(ctx), remediateTask(t, rec.ID))
			got := h.record(t, rec.ID)
			if got.Status != state.StatusFailed {
				t.Fatalf("%s %+v (err %v): want failed", got.Status, got.Remediation, err)
			}
			if head, ok := h.gh.Branch(testRepo, branch); !ok || head != theirs {
				t.Errorf("branch %s: head %q, exists %v: want it kept at %s", branch, head, ok, theirs)
			}
			if n := len(h.gh.WritesTo(githubsim.RouteDeleteRef)); n != 0 {
				t.Errorf("%d DELETEs of a ref, want 0", n)
			}
			var entry *state.AuditEntry
			for _, e := range h.remediationEntries(t, rec.ID, "rollback") {
				if e.Details["action"] == string(analysis.ActionOpenFixPR) {
					entry = &e
				}
			}
			if entry == nil {
				t.Fatal("no rollback entry for open_fix_pr")
			}
			if entry.Details["undone"] != false || entry.Details["note"] == nil || entry.Details["deleted_branch"] != nil {
				t.Errorf("rollback entry %+v: want undone false with a note, nothing deleted", entry.Details)
			}
			note, _ := entry.Details["note"].(string)
			if tt.checked {
				if entry.Outcome != state.OutcomeSuccess || !strings.Contains(note, "not ccm's") {
					t.Errorf("rollback entry %s %+v: want success, the branch left as not ccm's", entry.Outcome, entry.Details)
				}
			} else if entry.Outcome != state.OutcomeFailure || !strings.Contains(entry.Error, "503") {
				t.Errorf("rollback entry %s %q %+v: want failure saying the check could not be made", entry.Outcome, entry.Error, entry.Details)
			}
		})
	}
}
