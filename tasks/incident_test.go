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
// alert) and enqueues a ccm:regate per failure it paused, under its
// re-gate task ID. Run, they re-gate: a request a person was asked keeps
// waiting but its record now says auto (validation entry, regated), and a
// failure paused before its decision was saved is decided.
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
	ids := h.runRegates(t)
	slices.Sort(ids)
	if want := []string{tasks.RegateTaskID(asked.ID, inc.OpenedAt), tasks.RegateTaskID(undecided.ID, inc.OpenedAt)}; !slices.Equal(ids, want) {
		t.Errorf("ccm:regate tasks %v, want %v: one per paused failure under its incident", ids, want)
	}

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
	if g := h.gated(t, undecided.ID); g.rec.Gate == nil || g.rec.Gate.Decision != "auto" {
		t.Errorf("undecided failure after the close: status %s, gate %+v; want decided auto", g.rec.Status, g.rec.Gate)
	}
	if w := h.gh.Writes(); len(w) != 0 {
		t.Errorf("GitHub writes: %+v", w)
	}
}

// runRegates runs the pending ccm:regate tasks and returns their IDs.
func (h *harness) runRegates(t *testing.T) []string {
	t.Helper()
	var ids []string
	for _, ti := range h.queue.Pending(t, tasks.QueueCritical, tasks.TypeRegate) {
		if err := h.h.HandleRegate(context.Background(), asynq.NewTask(ti.Type, ti.Payload)); err != nil {
			t.Fatalf("regate %s: %v", ti.ID, err)
		}
		ids = append(ids, ti.ID)
	}
	return ids
}

// pollAt polls testRepo as if d had passed, with the harness's deps as
// mod changes them.
func (h *harness) pollAt(t *testing.T, d time.Duration, mod ...func(*tasks.Deps)) error {
	t.Helper()
	deps := h.deps
	deps.Now = func() time.Time { return time.Now().Add(d) }
	for _, m := range mod {
		m(&deps)
	}
	task, err := tasks.NewPollTask(testRepo)
	if err != nil {
		t.Fatal(err)
	}
	return tasks.NewHandlers(deps).HandlePoll(context.Background(), task)
}

// TestIncidentRegateSurvivesAQueueOutage: the queue is down when the poll
// closes an incident, so the re-gate of what it paused cannot be enqueued;
// the failure stays pending and the next poll enqueues its ccm:regate,
// once.
func TestIncidentRegateSurvivesAQueueOutage(t *testing.T) {
	h := newHarness(t, nil)
	ctx := context.Background()
	inc := openIncident(t, h, "fp-outage")
	rec := pausedRecord(t, h, 43, "fp-outage")
	down := func(d *tasks.Deps) { d.Queue = refusingQueue{Enqueuer: d.Queue, refuse: tasks.TypeRegate} }
	if err := h.pollAt(t, 31*time.Minute, down); err != nil {
		t.Fatal(err) // the poll itself carries on
	}
	if open, _ := h.store.IncidentOpen(ctx, "fp-outage"); open {
		t.Fatal("the incident did not close")
	}
	if n := len(h.queue.Pending(t, tasks.QueueCritical, tasks.TypeRegate)); n != 0 {
		t.Fatalf("%d re-gates enqueued while the queue was down", n)
	}
	for range 2 {
		if err := h.pollAt(t, 32*time.Minute); err != nil {
			t.Fatal(err)
		}
	}
	regates := h.queue.Pending(t, tasks.QueueCritical, tasks.TypeRegate)
	if len(regates) != 1 || regates[0].ID != tasks.RegateTaskID(rec.ID, inc.OpenedAt) {
		t.Fatalf("re-gates after the outage %+v: want one for %s", regates, rec.ID)
	}
	// The pending entry is forgotten once the re-gate has run, not when
	// it is enqueued (an archived re-gate is enqueued again).
	if err := h.h.HandleRegate(ctx, asynq.NewTask(regates[0].Type, regates[0].Payload)); err != nil {
		t.Fatal(err)
	}
	if left, err := h.store.PendingRegates(ctx); err != nil || len(left) != 0 {
		t.Errorf("still pending after the re-gate ran: %+v, %v", left, err)
	}
}

// refusingQueue fails every enqueue of one task type, as a queue that
// went down just then would.
type refusingQueue struct {
	tasks.Enqueuer
	refuse string
}

func (q refusingQueue) EnqueueContext(ctx context.Context, t *asynq.Task, opts ...asynq.Option) (*asynq.TaskInfo, error) {
	if t.Type() == q.refuse {
		return nil, fmt.Errorf("enqueue %s: the queue is down", t.Type())
	}
	return q.Enqueuer.EnqueueContext(ctx, t, opts...)
}

// TestIncidentClosesWhenQuiet: with no new occurrence for two windows the
// poll closes the incident; before that it stays open.
func TestIncidentClosesWhenQuiet(t *testing.T) {
	h := newHarness(t, nil)
	ctx := context.Background()
	openIncident(t, h, "fp-quiet")
	pollAt := func(d time.Duration) {
		t.Helper()
		if err := h.pollAt(t, d); err != nil {
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

// pausedRecord stores an analyzed failure of run with fingerprint fp and
// has the open incident of fp pause it, as the gate does.
func pausedRecord(t *testing.T, h *harness, run int64, fp string) state.FailureRecord {
	t.Helper()
	rec := cleanRecord(run)
	rec.Fingerprint = fp
	storeRecord(t, h, rec)
	if ok, err := h.store.PauseIfOpen(context.Background(), fp, rec.ID); err != nil || !ok {
		t.Fatal(ok, err)
	}
	return rec
}
