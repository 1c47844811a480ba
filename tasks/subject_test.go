package tasks_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/hibiken/asynq"

	"github.com/ccm-ci/ccm/state"
	"github.com/ccm-ci/ccm/tasks"
)

// A task about one failure that is given up on names that failure in its
// audit entries, whatever its type, so an operator can find what was lost.
func TestGivenUpTaskNamesItsFailure(t *testing.T) {
	const id = "acme/web#77.1"
	for _, tt := range []struct {
		name string
		task func() (*asynq.Task, error)
	}{
		{"analyze", func() (*asynq.Task, error) { return tasks.NewAnalyzeTask(id) }},
		{"gate", func() (*asynq.Task, error) { return tasks.NewGateTask(id) }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, nil)
			task, err := tt.task()
			if err != nil {
				t.Fatal(err)
			}
			h.h.HandleError(context.Background(), task, fmt.Errorf("poison: %w", asynq.SkipRetry))
			evs := h.audit(t, state.AuditQuery{FailureID: id})
			if len(evs) == 0 {
				t.Fatalf("no audit entry names %s", id)
			}
			for _, e := range evs {
				if e.Repo != "acme/web" {
					t.Errorf("entry %s: repo %q, want acme/web", e.ActionType, e.Repo)
				}
			}
		})
	}
}
