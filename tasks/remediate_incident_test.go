package tasks_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ccm-ci/ccm/state"
)

// An incident that opens after the gate let a re-run go (the task was
// already queued) still pauses it: ccm re-checks just before acting, and
// writes nothing to GitHub. The incident itself is the alert.
func TestRemediatePausedByAnIncidentOpenedAfterTheGate(t *testing.T) {
	h := newHarness(t, nil)
	ctx := context.Background()
	rec, _ := h.remediable(t, "main", nil, rerunFailed)
	th := state.IncidentThresholds{Repositories: 2, Runs: 100, Window: time.Hour}
	for i, repo := range []string{"acme/a", "acme/b"} {
		if _, _, err := h.store.NoteOccurrence(ctx, rec.Fingerprint, fmt.Sprintf("%s#%d.1", repo, i+1), repo, time.Now(), th); err != nil {
			t.Fatal(err)
		}
	}
	if err := h.h.HandleRemediate(ctx, remediateTask(t, rec.ID)); err != nil {
		t.Fatal(err)
	}
	if w := h.gh.Writes(); len(w) != 0 {
		t.Fatalf("writes %+v during an open incident: want none", w)
	}
	got := h.record(t, rec.ID)
	if got.Status != state.StatusFailed || !strings.Contains(got.Remediation.Reason, "incident is open") {
		t.Fatalf("%s %+v: want stopped by the incident", got.Status, got.Remediation)
	}
	if a := criticalAlerts(t, h, rec.ID); len(a) != 0 {
		t.Errorf("%d critical alerts for this failure: the incident already alerted", len(a))
	}
}
