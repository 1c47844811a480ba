package tasks_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/ccm-ci/ccm/analysis"
	"github.com/ccm-ci/ccm/config"
	"github.com/ccm-ci/ccm/sim/githubsim"
	"github.com/ccm-ci/ccm/state"
	"github.com/ccm-ci/ccm/tasks"
)

// shadowWorld is one shadow decision on a failed run of the GitHub fake,
// and a clock for the follow-up.
type shadowWorld struct {
	h   *harness
	hs  *tasks.Handlers
	run githubsim.Run
	rec state.FailureRecord
	now time.Time
}

var (
	rerunAction = []analysis.Action{{Type: analysis.ActionRerunFailedJobs}}
	fixPRAction = []analysis.Action{{Type: analysis.ActionOpenFixPR, Title: "Pin the registry", Body: "b",
		Files: []analysis.FileChange{{Path: ".npmrc", Content: "registry=https://registry.npmjs.org/\n"}}}}
)

// newShadowWorld stores a failure of a new failed run of the fake,
// decided in shadow mode as decision with actions; edit may change the
// record before it is stored.
func newShadowWorld(t *testing.T, h *harness, decision string, actions []analysis.Action, edit func(*state.FailureRecord)) *shadowWorld {
	t.Helper()
	ctx := context.Background()
	run := h.failedRun(t, npmLog)
	rec := cleanRecord(run.ID)
	rec.CommitSHA, rec.RunStartedAt, rec.RunUpdatedAt = run.HeadSHA, run.RunStartedAt, run.UpdatedAt
	rec.Analysis.Actions = actions
	if edit != nil {
		edit(&rec)
	}
	storeRecord(t, h, rec)
	g := state.GateDecision{Decision: decision, Reasons: []string{"test"}, Mode: string(config.ModeShadow),
		Actions: actions, DecidedAt: rec.DetectedAt}
	ev := state.AuditEntry{Actor: "ccm", Outcome: state.OutcomeSuccess}
	if _, err := h.store.SaveGate(ctx, rec.ID, state.StatusAnalyzed, g, ev, nil); err != nil {
		t.Fatal(err)
	}
	w := &shadowWorld{h: h, run: run, rec: rec, now: rec.DetectedAt.Add(time.Hour)}
	deps := h.deps
	deps.Now = func() time.Time { return w.now }
	w.hs = tasks.NewHandlers(deps)
	return w
}

// check runs check n and returns the record after it.
func (w *shadowWorld) check(t *testing.T, n int) state.FailureRecord {
	t.Helper()
	task, err := tasks.NewShadowCheckTask(w.rec.ID, n, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.hs.HandleShadowCheck(context.Background(), task); err != nil {
		t.Fatalf("HandleShadowCheck: %v", err)
	}
	rec, err := w.h.store.GetFailure(context.Background(), w.rec.ID)
	if err != nil {
		t.Fatal(err)
	}
	return rec
}

// rerun adds attempt 2 of the failed run, as a person re-running it.
func (w *shadowWorld) rerun(conclusion string) {
	w.h.gh.AddRun(testRepo, githubsim.Run{ID: w.run.ID, Attempt: 2, Conclusion: conclusion, Name: "CI",
		CreatedAt: w.run.CreatedAt, RunStartedAt: w.run.CreatedAt.Add(30 * time.Minute), UpdatedAt: w.run.CreatedAt.Add(40 * time.Minute)})
}

// push adds a later run of the workflow on the branch, on a new commit
// that changed files.
func (w *shadowWorld) push(conclusion string, files ...string) {
	w.h.gh.AddRun(testRepo, githubsim.Run{Conclusion: conclusion, Name: "CI", ChangedFiles: files,
		CreatedAt: w.run.CreatedAt.Add(2 * time.Hour), UpdatedAt: w.run.CreatedAt.Add(150 * time.Minute)})
}

// TestShadowCheckOutcomes: each thing that can become of a shadow failure,
// the outcome ccm records and its verdict on the would-be decision.
func TestShadowCheckOutcomes(t *testing.T) {
	tests := []struct {
		name      string
		decision  string
		actions   []analysis.Action
		edit      func(*state.FailureRecord)
		world     func(*shadowWorld)
		cfg       func(*config.Config)
		after     time.Duration // since the decision; default 1h
		want      string        // "" = not known yet
		wantFixed bool
		wantCode  bool
	}{
		{name: "re-run passed, ccm would have re-run", decision: "auto", actions: rerunAction,
			world: func(w *shadowWorld) { w.rerun("success") }, want: state.ShadowRerunPassed, wantFixed: true},
		{name: "re-run passed, ccm would have asked to re-run", decision: "approval", actions: rerunAction,
			world: func(w *shadowWorld) { w.rerun("success") }, want: state.ShadowRerunPassed, wantFixed: true},
		{name: "re-run passed, ccm left it alone", decision: "none", actions: rerunAction,
			world: func(w *shadowWorld) { w.rerun("success") }, want: state.ShadowRerunPassed},
		{name: "re-run passed, ccm would have opened a PR", decision: "approval", actions: fixPRAction,
			world: func(w *shadowWorld) { w.rerun("success") }, want: state.ShadowRerunPassed},
		{name: "re-run failed, ccm would have re-run", decision: "auto", actions: rerunAction,
			world: func(w *shadowWorld) { w.rerun("failure") }, want: state.ShadowRerunFailed},
		{name: "re-run failed, a fix PR waits for a fix", decision: "approval", actions: fixPRAction,
			world: func(w *shadowWorld) { w.rerun("failure") }},
		{name: "fix landed on the named file", decision: "approval", actions: fixPRAction,
			world: func(w *shadowWorld) { w.push("success", "docs/a.md", ".npmrc") }, want: state.ShadowFixLanded, wantFixed: true},
		{name: "fix landed, ccm would have re-run", decision: "auto", actions: rerunAction,
			edit:  func(r *state.FailureRecord) { r.Analysis.Actions = append(rerunAction, fixPRAction...) },
			world: func(w *shadowWorld) { w.push("success", ".npmrc") }, want: state.ShadowFixLanded},
		{name: "passed later, the failed commit force-pushed away", decision: "approval", actions: fixPRAction,
			edit:  func(r *state.FailureRecord) { r.CommitSHA = "0000000000000000000000000000000000000000" },
			world: func(w *shadowWorld) { w.push("success", ".npmrc") }, want: state.ShadowPassedLater},
		{name: "passed later on other files", decision: "approval", actions: fixPRAction,
			world: func(w *shadowWorld) { w.push("success", "src/app.ts") }, want: state.ShadowPassedLater},
		{name: "a later run still fails", decision: "approval", actions: fixPRAction,
			world: func(w *shadowWorld) { w.push("failure", ".npmrc") }},
		{name: "nothing yet", decision: "auto", actions: rerunAction},
		{name: "horizon passed", decision: "auto", actions: rerunAction,
			after: config.DefaultShadowHorizon, want: state.ShadowNothingHelped},
		{name: "horizon unset: the default applies", decision: "auto", actions: rerunAction,
			cfg: func(c *config.Config) { c.ShadowHorizon = 0 }, after: 2 * time.Hour},
		{name: "horizon shortened", decision: "auto", actions: rerunAction,
			cfg: func(c *config.Config) { c.ShadowHorizon = time.Hour }, after: time.Hour, want: state.ShadowNothingHelped},
		{name: "run deleted", decision: "auto", actions: rerunAction,
			world: func(w *shadowWorld) {
				w.h.gh.FailNext(githubsim.RouteGetRun, githubsim.Fault{Status: http.StatusNotFound})
			},
			want: state.ShadowUnknown},
		{name: "GitHub down before the horizon", decision: "auto", actions: rerunAction,
			world: func(w *shadowWorld) {
				for range 3 {
					w.h.gh.FailNext(githubsim.RouteGetRun, githubsim.Fault{Status: http.StatusBadGateway})
				}
			}},
		{name: "auto on application code touches code", decision: "auto", actions: rerunAction,
			edit:  func(r *state.FailureRecord) { r.Analysis.InvolvesApplicationCode = true },
			world: func(w *shadowWorld) { w.rerun("success") }, want: state.ShadowRerunPassed, wantFixed: true, wantCode: true},
		{name: "approval on application code does not", decision: "approval", actions: rerunAction,
			edit:  func(r *state.FailureRecord) { r.Analysis.Category = analysis.CategoryCode },
			world: func(w *shadowWorld) { w.rerun("success") }, want: state.ShadowRerunPassed, wantFixed: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, nil)
			h.gh.CompareFromRuns(true)
			if tt.cfg != nil {
				tt.cfg(h.cfg)
			}
			w := newShadowWorld(t, h, tt.decision, tt.actions, tt.edit)
			if tt.world != nil {
				tt.world(w)
			}
			w.now = w.rec.DetectedAt.Add(time.Hour)
			if tt.after > 0 {
				w.now = w.rec.DetectedAt.Add(tt.after)
			}
			got := w.check(t, 0).ShadowOutcome
			scheduled, _ := h.queue.Inspector.ListScheduledTasks(tasks.QueueLow)
			if tt.want == "" {
				if got != nil {
					t.Fatalf("outcome %+v, want none yet", got)
				}
				if len(scheduled) != 1 || scheduled[0].ID != tasks.ShadowCheckTaskID(w.rec.ID, 1) {
					t.Errorf("scheduled %d tasks, want check 1 of %s", len(scheduled), w.rec.ID)
				}
				return
			}
			if got == nil {
				t.Fatalf("no outcome, want %s", tt.want)
			}
			if got.Outcome != tt.want || got.WouldHaveFixed != tt.wantFixed || got.TouchedCode != tt.wantCode || !got.At.Equal(w.now) {
				t.Errorf("outcome %+v, want %s fixed %v touched code %v at %s", got, tt.want, tt.wantFixed, tt.wantCode, w.now)
			}
			if len(scheduled) != 0 {
				t.Errorf("%d checks scheduled after the outcome, want none", len(scheduled))
			}
		})
	}
}

// TestShadowCheckCountsOnce: a check delivered again after it recorded the
// outcome, and the gate delivered again, change nothing.
func TestShadowCheckCountsOnce(t *testing.T) {
	h := newHarness(t, nil)
	h.gh.CompareFromRuns(true)
	w := newShadowWorld(t, h, "auto", rerunAction, nil)
	w.rerun("success")
	for range 3 {
		w.check(t, 0)
	}
	if err := h.h.HandleGate(context.Background(), gateTask(t, w.rec.ID)); err != nil {
		t.Fatal(err)
	}
	card, err := h.store.Scorecard(context.Background(), testRepo)
	if err != nil {
		t.Fatal(err)
	}
	if card.Judged != 1 || card.WouldHaveFixed != 1 || card.Outcomes[state.ShadowRerunPassed] != 1 {
		t.Errorf("scorecard %+v, want one judged decision that would have fixed it", card)
	}
	es := h.audit(t, state.AuditQuery{FailureID: w.rec.ID, ActionType: state.ActionValidation})
	if len(es) != 2 || es[0].Details["shadow_outcome"] != state.ShadowRerunPassed || es[0].Actor != "ccm" {
		t.Errorf("validation entries %+v: want the decision and one shadow_outcome", es)
	}
	if scheduled, _ := h.queue.Inspector.ListScheduledTasks(tasks.QueueLow); len(scheduled) != 0 {
		t.Errorf("%d shadow checks scheduled for a judged decision, want none", len(scheduled))
	}
}

// TestGateSchedulesShadowCheck: a shadow decision schedules its first
// follow-up once, however often the gate is delivered.
func TestGateSchedulesShadowCheck(t *testing.T) {
	h := newHarness(t, nil)
	h.gh.CompareFromRuns(true)
	rec := cleanRecord(77)
	storeRecord(t, h, rec)
	for range 3 {
		if err := h.h.HandleGate(context.Background(), gateTask(t, rec.ID)); err != nil {
			t.Fatal(err)
		}
	}
	scheduled, err := h.queue.Inspector.ListScheduledTasks(tasks.QueueLow)
	if err != nil {
		t.Fatal(err)
	}
	if len(scheduled) != 1 || scheduled[0].ID != tasks.ShadowCheckTaskID(rec.ID, 0) || scheduled[0].Type != tasks.TypeShadowCheck {
		t.Errorf("scheduled %+v, want one %s", scheduled, tasks.ShadowCheckTaskID(rec.ID, 0))
	}
}
