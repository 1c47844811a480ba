package tasks_test

import (
	"context"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/ccm-ci/ccm/sim/githubsim"
	"github.com/ccm-ci/ccm/state"
	"github.com/ccm-ci/ccm/tasks"
)

// GitHub unreadable while ccm follows a re-run, before the deadline: the
// next check is scheduled as for a run still going, rather than spending
// asynq's retries in a minute and leaving the record remediating forever.
func TestVerifyRidesOutAGitHubOutage(t *testing.T) {
	h := newHarness(t, nil)
	ctx := context.Background()
	rec, _ := h.remediable(t, "main", nil, rerunFailed)
	if err := h.h.HandleRemediate(ctx, remediateTask(t, rec.ID)); err != nil {
		t.Fatal(err)
	}
	h.gh.FailNext(githubsim.RouteGetAttempt, githubsim.Fault{Status: 502, Count: -1})
	h.gh.FailNext(githubsim.RouteGetRun, githubsim.Fault{Status: 502, Count: -1})
	acted := h.record(t, rec.ID).Remediation.ActedAt
	if err := h.at(acted.Add(time.Minute)).HandleVerify(ctx, verifyTask(t, rec.ID, 0)); err != nil {
		t.Fatalf("verify during an outage returned %v: want the next check scheduled instead", err)
	}
	if got := h.record(t, rec.ID); got.Status != state.StatusRemediating {
		t.Fatalf("status %s during the outage, want still remediating", got.Status)
	}
	next, err := h.queue.Inspector.GetTaskInfo(tasks.QueueCritical, tasks.VerifyTaskID(rec.ID, 1))
	if err != nil || next.State != asynq.TaskStateScheduled {
		t.Fatalf("next check %+v, %v: want verify:<id>:1 scheduled", next, err)
	}
}
