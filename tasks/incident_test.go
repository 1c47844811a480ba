package tasks_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	dto "github.com/prometheus/client_model/go"

	"github.com/ccm-ci/ccm/config"
	"github.com/ccm-ci/ccm/policy"
	"github.com/ccm-ci/ccm/state"
	"github.com/ccm-ci/ccm/tasks"
)

// typeRemediate is ccm:remediate, spelled out so these tests do not
// depend on the remediation slice's constants.
const typeRemediate = "ccm:remediate"

func incidentAlerts(t *testing.T, h *harness, kind string) []state.AuditEntry {
	t.Helper()
	var out []state.AuditEntry
	for _, e := range h.audit(t, state.AuditQuery{ActionType: state.ActionAlert, Limit: 1000}) {
		if e.Details["kind"] == kind {
			out = append(out, e)
		}
	}
	return out
}

// openIncident opens an incident for fp the way three repositories
// failing with it would.
func openIncident(t *testing.T, h *harness, fp string) state.Incident {
	t.Helper()
	var inc state.Incident
	for i, repo := range []string{"acme/a", "acme/b", "acme/c"} {
		var err error
		inc, _, err = h.store.NoteOccurrence(context.Background(), fp, fmt.Sprintf("%s#%d.1", repo, 700+i), repo,
			time.Now(), state.IncidentThresholds{Repositories: 3, Runs: 10, Window: 15 * time.Minute})
		if err != nil {
			t.Fatal(err)
		}
	}
	if !inc.Open() {
		t.Fatalf("incident for %s not open: %+v", fp, inc)
	}
	return inc
}

// TestIncidentOpensAtIngest: ingest counts each recorded failure once, with
// the thresholds of the config in force at that moment (a reload applies),
// and the failure that crosses one opens the incident with one critical
// alert entry and one ccm_alerts_total{critical}.
func TestIncidentOpensAtIngest(t *testing.T) {
	h := newHarness(t, nil)
	ctx := context.Background()
	var runs []*asynq.Task
	for range 3 {
		runs = append(runs, ingestTask(t, h.failedRun(t, npmLog)))
	}
	for _, r := range runs[:2] {
		if err := h.h.HandleIngest(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(incidentAlerts(t, h, state.IncidentKindOpened)); n != 0 {
		t.Fatalf("%d incidents after 2 runs with the defaults (10 runs)", n)
	}
	// A reload lowers the runs threshold: the next failure sees it.
	cfg := *h.cfg
	cfg.Incident.Runs = 3
	h.cfg = &cfg
	if err := h.h.HandleIngest(ctx, runs[2]); err != nil {
		t.Fatal(err)
	}
	// The same failure delivered again counts once and alerts no more.
	if err := h.h.HandleIngest(ctx, runs[2]); err != nil {
		t.Fatal(err)
	}
	got := incidentAlerts(t, h, state.IncidentKindOpened)
	if len(got) != 1 {
		t.Fatalf("%d opening alerts, want 1", len(got))
	}
	e := got[0]
	if e.Details["severity"] != "critical" || e.Details["runs"] != float64(3) || e.Details["repos"] != float64(1) {
		t.Errorf("opening alert %+v", e)
	}
	rec, err := h.store.GetFailure(ctx, e.FailureID)
	if err != nil || e.Details["fingerprint"] != rec.Fingerprint {
		t.Fatalf("the alert names failure %s (%v) and fingerprint %v", e.FailureID, err, e.Details["fingerprint"])
	}
	if open, err := h.store.IncidentOpen(ctx, rec.Fingerprint); err != nil || !open {
		t.Errorf("IncidentOpen = %v, %v", open, err)
	}
	var m dto.Metric
	if err := h.metrics.Alerts.WithLabelValues(tasks.SeverityCritical).Write(&m); err != nil {
		t.Fatal(err)
	}
	if n := m.GetCounter().GetValue(); n != 1 {
		t.Errorf("ccm_alerts_total{critical} = %v, want 1", n)
	}
	// The opening is not audited a second time as an error or alert.
	if n := len(h.audit(t, state.AuditQuery{ActionType: state.ActionAlert})); n != 1 {
		t.Errorf("%d alert entries, want only the incident's", n)
	}
}

// TestGatePausesDuringIncident: a failure the gate would let through
// unattended goes to a person while an incident is open for its
// fingerprint, with the incident's reason; nothing is enqueued to act and
// nothing is written to GitHub. It is listed as paused.
func TestGatePausesDuringIncident(t *testing.T) {
	for _, open := range []bool{false, true} {
		t.Run(fmt.Sprintf("incident open %v", open), func(t *testing.T) {
			h := newHarness(t, nil)
			h.cfg.Mode = config.ModeAuto
			h.cfg.Approvers = []string{"U012ABCDEF"}
			rec := cleanRecord(41)
			storeRecord(t, h, rec)
			if open {
				openIncident(t, h, rec.Fingerprint)
			}
			ctx := context.Background()
			if err := h.h.HandleGate(ctx, gateTask(t, rec.ID)); err != nil {
				t.Fatal(err)
			}
			g := h.gated(t, rec.ID)
			paused, err := h.store.PausedFailures(ctx, rec.Fingerprint)
			if err != nil {
				t.Fatal(err)
			}
			if !open {
				if g.rec.Gate.Decision != "auto" || len(paused) != 0 {
					t.Fatalf("no incident: decision %s, paused %v; want auto, none paused", g.rec.Gate.Decision, paused)
				}
				return
			}
			if g.rec.Gate.Decision != "approval" || !slices.Contains(g.rec.Gate.Failed, string(policy.CheckIncident)) ||
				!strings.Contains(strings.Join(g.rec.Gate.Reasons, "\n"), "incident is open") {
				t.Fatalf("gate %+v: want approval for the incident", g.rec.Gate)
			}
			if g.rec.Status != state.StatusAwaitingApproval || g.request == nil {
				t.Errorf("status %s, request %v: want a person asked", g.rec.Status, g.request)
			}
			if n := len(h.queue.Pending(t, tasks.QueueCritical, typeRemediate)); n != 0 {
				t.Errorf("%d remediations enqueued during the incident", n)
			}
			if w := h.gh.Writes(); len(w) != 0 {
				t.Errorf("GitHub writes during the incident: %+v", w)
			}
			if !slices.Equal(paused, []string{rec.ID}) {
				t.Errorf("paused = %v, want [%s]", paused, rec.ID)
			}
		})
	}
}

// TestIncidentClosesOnPassAndRegates: a re-run of a run that failed with
// the fingerprint passes; the next poll closes the incident (one info
// alert) and re-gates what it paused: a request a person was asked keeps
// waiting but its record now says auto (validation entry, regated), and a
// failure paused before its decision was saved gets a ccm:gate under its
// re-gate task ID.
func TestIncidentClosesOnPassAndRegates(t *testing.T) {
	h := newHarness(t, nil)
	h.cfg.Mode = config.ModeAuto
	h.cfg.Approvers = []string{"U012ABCDEF"}
	ctx := context.Background()
	run := h.failedRun(t, npmLog)
	if err := h.h.HandleIngest(ctx, ingestTask(t, run)); err != nil {
		t.Fatal(err)
	}
	first, err := h.store.GetFailure(ctx, tasks.FailureID(testRepo, run.ID, 1))
	if err != nil {
		t.Fatal(err)
	}
	fp := first.Fingerprint
	inc := openIncident(t, h, fp)

	asked := cleanRecord(41)
	asked.Fingerprint, asked.CommitSHA = fp, run.HeadSHA // main's head: still pending after each poll
	storeRecord(t, h, asked)
	if err := h.h.HandleGate(ctx, gateTask(t, asked.ID)); err != nil {
		t.Fatal(err)
	}
	if g := h.gated(t, asked.ID); g.rec.Status != state.StatusAwaitingApproval {
		t.Fatalf("during the incident: status %s", g.rec.Status)
	}
	undecided := cleanRecord(42)
	undecided.Fingerprint = fp
	storeRecord(t, h, undecided)
	if ok, err := h.store.PauseIfOpen(ctx, fp, undecided.ID); err != nil || !ok {
		t.Fatal(ok, err)
	}

	// Polling before anything passed closes nothing.
	poll := func() {
		t.Helper()
		task, err := tasks.NewPollTask(testRepo)
		if err != nil {
			t.Fatal(err)
		}
		if err := h.h.HandlePoll(ctx, task); err != nil {
			t.Fatal(err)
		}
	}
	poll()
	if open, _ := h.store.IncidentOpen(ctx, fp); !open {
		t.Fatal("closed before any run passed")
	}

	passed := run
	passed.Attempt, passed.Conclusion = 2, "success"
	for i := range passed.Jobs {
		passed.Jobs[i].Conclusion = "success"
		for j := range passed.Jobs[i].Steps {
			passed.Jobs[i].Steps[j].Conclusion = "success"
		}
	}
	h.gh.AddRun(testRepo, passed)
	poll()
	poll() // a second sweep finds nothing to close

	if open, err := h.store.IncidentOpen(ctx, fp); err != nil || open {
		t.Fatalf("IncidentOpen after the pass = %v, %v", open, err)
	}
	closed := incidentAlerts(t, h, state.IncidentKindClosed)
	if len(closed) != 1 || closed[0].Details["closed_by"] != "pass" || closed[0].Details["severity"] != "info" {
		t.Fatalf("closing alerts %+v: want one, closed by the pass", closed)
	}
	g := h.gated(t, asked.ID)
	if g.rec.Gate.Decision != "auto" || g.rec.Status != state.StatusAwaitingApproval ||
		g.request == nil || g.request.Status != state.ApprovalPending {
		t.Errorf("asked failure after the close: status %s, gate %+v, request %+v", g.rec.Status, g.rec.Gate, g.request)
	}
	last := g.validation[0] // newest first
	if len(g.validation) != 2 || last.Details["regated"] == nil || last.Details["previous_decision"] != "approval" ||
		last.Details["decision"] != "auto" {
		t.Errorf("validation entries %+v: want a second one, regated from approval to auto", g.validation)
	}
	var ids []string
	for _, ti := range h.queue.Pending(t, tasks.QueueCritical, tasks.TypeGate) {
		ids = append(ids, ti.ID)
	}
	if want := tasks.RegateTaskID(undecided.ID, inc.OpenedAt); !slices.Contains(ids, want) {
		t.Errorf("pending gate tasks %v: want %s", ids, want)
	}
	if w := h.gh.Writes(); len(w) != 0 {
		t.Errorf("GitHub writes: %+v", w)
	}
}

// TestIncidentClosesWhenQuiet: with no new occurrence for two windows the
// poll closes the incident; before that it stays open.
func TestIncidentClosesWhenQuiet(t *testing.T) {
	h := newHarness(t, nil)
	ctx := context.Background()
	openIncident(t, h, "fp-quiet")
	pollAt := func(d time.Duration) {
		t.Helper()
		deps := h.deps
		deps.Now = func() time.Time { return time.Now().Add(d) }
		task, err := tasks.NewPollTask(testRepo)
		if err != nil {
			t.Fatal(err)
		}
		if err := tasks.NewHandlers(deps).HandlePoll(ctx, task); err != nil {
			t.Fatal(err)
		}
	}
	pollAt(29 * time.Minute)
	if open, _ := h.store.IncidentOpen(ctx, "fp-quiet"); !open {
		t.Fatal("closed after 29 minutes; the quiet period is 2 x 15m")
	}
	pollAt(31 * time.Minute)
	if open, _ := h.store.IncidentOpen(ctx, "fp-quiet"); open {
		t.Fatal("still open after 31 quiet minutes")
	}
	closed := incidentAlerts(t, h, state.IncidentKindClosed)
	if len(closed) != 1 || closed[0].Details["closed_by"] != "quiet" {
		t.Errorf("closing alerts %+v", closed)
	}
}
