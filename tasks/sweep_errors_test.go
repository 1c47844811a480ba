package tasks_test

import (
	"context"
	"errors"
	"testing"

	"github.com/ccm-ci/ccm/state"
	"github.com/ccm-ci/ccm/tasks"
)

// brokenList is a store whose listing of one status fails.
type brokenList struct {
	tasks.Store
	status state.Status
}

var errBrokenList = errors.New("injected: list failures")

func (s brokenList) ListFailures(ctx context.Context, q state.FailureQuery) ([]state.FailureRecord, error) {
	if q.Status == s.status {
		return nil, errBrokenList
	}
	return s.Store.ListFailures(ctx, q)
}

// TestPollRunsEverySweepDespiteAnError: one sweep failing (the listing of
// stale detected failures) leaves the others to run — the lost work is
// enqueued again and an outdated request is expired early — and the poll
// still reports the error.
func TestPollRunsEverySweepDespiteAnError(t *testing.T) {
	h := newHarness(t, nil)
	a := pendingOnRun(t, h, 81)
	h.gh.SetBranch(testRepo, "main", newCommit)
	lost := decidedRecord(82, state.StatusApproved)
	storeRecord(t, h, lost)
	d := h.deps
	d.Store = brokenList{Store: d.Store, status: state.StatusDetected}
	err := tasks.NewHandlers(d).HandlePoll(context.Background(), pollTask(t, testRepo))
	if !errors.Is(err, errBrokenList) {
		t.Errorf("poll returned %v, want the sweep's error", err)
	}
	expiredEarly(t, h, a, "branch main has a new commit d1e2f3a")
	if ids := pendingIDs(t, h, tasks.TypeRemediate); len(ids) != 1 || ids[0] != tasks.RemediateTaskID(lost.ID) {
		t.Errorf("remediate tasks %v: want the lost one enqueued again", ids)
	}
}
