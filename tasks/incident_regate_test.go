package tasks_test

import (
	"context"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/ccm-ci/ccm/tasks"
)

// TestIncidentRegateArchivedIsEnqueuedAgain: a re-gate archived after its
// retries (a long outage of what it needs) is not lost: its failure stays
// pending until a re-gate has run, so the next poll enqueues it again, and
// once it ran nothing is pending.
func TestIncidentRegateArchivedIsEnqueuedAgain(t *testing.T) {
	h := newHarness(t, nil)
	ctx := context.Background()
	inc := openIncident(t, h, "fp-archived")
	rec := pausedRecord(t, h, 44, "fp-archived")
	if err := h.pollAt(t, 31*time.Minute); err != nil {
		t.Fatal(err)
	}
	id := tasks.RegateTaskID(rec.ID, inc.OpenedAt)
	if err := h.queue.Inspector.ArchiveTask(tasks.QueueCritical, id); err != nil {
		t.Fatalf("archive %s: %v", id, err)
	}
	if err := h.pollAt(t, 32*time.Minute); err != nil {
		t.Fatal(err)
	}
	regates := h.queue.Pending(t, tasks.QueueCritical, tasks.TypeRegate)
	if len(regates) != 1 || regates[0].ID != id {
		t.Fatalf("re-gates after the archive %+v: want %s enqueued again", regates, id)
	}
	if err := h.h.HandleRegate(ctx, asynq.NewTask(regates[0].Type, regates[0].Payload)); err != nil {
		t.Fatal(err)
	}
	if left, err := h.store.PendingRegates(ctx); err != nil || len(left) != 0 {
		t.Errorf("still pending after the re-gate ran: %+v, %v", left, err)
	}
}
