package tasks_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/ccm-ci/ccm/analysis"
	"github.com/ccm-ci/ccm/config"
	"github.com/ccm-ci/ccm/sim/githubsim"
	"github.com/ccm-ci/ccm/state"
	"github.com/ccm-ci/ccm/tasks"
)

var rerunFailed = analysis.Action{Type: analysis.ActionRerunFailedJobs}

// tb is what the helpers need of a test: *testing.T and *rapid.T both.
type tb interface {
	Helper()
	Fatal(args ...any)
	Fatalf(format string, args ...any)
}

// remediable adds a failed run on its own branch (so cases sharing a
// simulator never move each other's branch) and stores its analyzed
// record with the gate decision given (auto, not shadow, unless changed).
func (h *harness) remediable(t tb, branch string, change func(*state.FailureRecord), acts ...analysis.Action) (state.FailureRecord, githubsim.Run) {
	t.Helper()
	// ccm acts only in a repository whose mode is auto now (an approved
	// request needs any mode but shadow); the records here were decided so.
	h.cfg.Mode = config.ModeAuto
	sha := h.gh.PushCommit(testRepo, branch, map[string]string{"README.md": "docs for " + branch + "\n"})
	run := h.gh.AddRun(testRepo, githubsim.Run{
		Conclusion: "failure", Name: "CI", HeadBranch: branch, HeadSHA: sha,
		Jobs: []githubsim.Job{{Name: "test", Conclusion: "failure", Log: npmLog}},
	})
	rec := cleanRecord(run.ID)
	rec.Branch, rec.CommitSHA = branch, sha
	rec.Gate = &state.GateDecision{Decision: "auto", Mode: "auto", Reasons: []string{"test"}, Actions: acts, DecidedAt: time.Now().UTC()}
	if change != nil {
		change(&rec)
	}
	ev := state.AuditEntry{Timestamp: rec.DetectedAt, Actor: "test", ActionType: state.ActionDetection, Outcome: state.OutcomeSuccess}
	if created, err := h.store.CreateFailure(context.Background(), rec, ev); err != nil || !created {
		t.Fatalf("create %s: created %v, %v", rec.ID, created, err)
	}
	return rec, run
}

// approve asks a person about rec (its gate decision approval) and has
// them approve, through the store as tasks.Approve does: the record moves
// to approved and the request carries the gate's actions.
func (h *harness) approve(t tb, rec state.FailureRecord) {
	t.Helper()
	ctx, now := context.Background(), time.Now().UTC()
	req := state.Approval{FailureID: rec.ID, Repo: rec.Repo, Actions: rec.Gate.Actions, Reasons: rec.Gate.Reasons,
		RequestedAt: now, ExpiresAt: now.Add(time.Hour)}
	a, _, err := h.store.RequestApproval(ctx, req, state.AuditEntry{Timestamp: now, Actor: "ccm"})
	if err != nil {
		t.Fatalf("request approval of %s: %v", rec.ID, err)
	}
	if _, err := h.store.DecideApproval(ctx, a.ID, state.ApprovalApproved, "U012ABCDEF", "",
		state.AuditEntry{Timestamp: now, Actor: "U012ABCDEF"}); err != nil {
		t.Fatalf("approve %s: %v", rec.ID, err)
	}
}

func remediateTask(t tb, id string) *asynq.Task {
	t.Helper()
	task, err := tasks.NewRemediateTask(id)
	if err != nil {
		t.Fatal(err)
	}
	return task
}

func verifyTask(t tb, id string, n int) *asynq.Task {
	t.Helper()
	task, err := tasks.NewVerifyTask(id, n, 0)
	if err != nil {
		t.Fatal(err)
	}
	return task
}

func (h *harness) record(t tb, id string) state.FailureRecord {
	t.Helper()
	rec, err := h.store.GetFailure(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return rec
}

// remediationEntries are the failure's remediation audit entries in
// phase (all phases for "").
func (h *harness) remediationEntries(t *testing.T, id, phase string) []state.AuditEntry {
	t.Helper()
	var out []state.AuditEntry
	for _, e := range h.audit(t, state.AuditQuery{FailureID: id, ActionType: state.ActionRemediation}) {
		if phase == "" || e.Details["phase"] == phase {
			out = append(out, e)
		}
	}
	slices.Reverse(out) // the query answers newest first
	return out
}

// TestRemediateFlakyRerunVerified: an auto decision on a flaky failure is
// one re-run (exactly one write, to rerun-failed-jobs), the new attempt
// passes, verification records remediated with the audit trail of each
// step and the metrics.
func TestRemediateFlakyRerunVerified(t *testing.T) {
	h := newHarness(t, nil)
	ctx := context.Background()
	rec, run := h.remediable(t, "main", nil, rerunFailed)
	h.gh.ScriptAttempts(testRepo, run.ID, 0, "success")
	if err := h.h.HandleRemediate(ctx, remediateTask(t, rec.ID)); err != nil {
		t.Fatal(err)
	}
	if w := h.gh.Writes(); len(w) != 1 || w[0].Route != githubsim.RouteRerunFailedJobs {
		t.Fatalf("writes %+v: want exactly one rerun-failed-jobs", w)
	}
	got := h.record(t, rec.ID)
	if got.Status != state.StatusRemediating || got.Remediation == nil || got.Remediation.VerifyAttempt != 2 ||
		got.Remediation.VerifyDeadline.Sub(got.Remediation.ActedAt) != h.cfg.VerifyTimeout {
		t.Fatalf("after acting: %s %+v", got.Status, got.Remediation)
	}
	if n := len(h.queue.Pending(t, tasks.QueueCritical, tasks.TypeVerify)); n != 1 {
		t.Fatalf("%d verify tasks pending, want 1", n)
	}
	if err := h.h.HandleVerify(ctx, verifyTask(t, rec.ID, 0)); err != nil {
		t.Fatal(err)
	}
	got = h.record(t, rec.ID)
	if got.Status != state.StatusRemediated || got.Remediation.Outcome != state.OutcomeSuccess {
		t.Fatalf("after verify: %s %+v", got.Status, got.Remediation)
	}
	act := h.remediationEntries(t, rec.ID, "act")
	if len(act) != 3 || act[0].Outcome != state.OutcomePending || act[2].Outcome != state.OutcomeSuccess ||
		act[2].Details["action"] != "rerun_failed_jobs" {
		t.Fatalf("act entries %+v: want start, step started, step done", act)
	}
	res, _ := act[2].Details["result"].(map[string]any)
	if res["attempt"] != float64(2) || res["previous_attempt"] != float64(1) {
		t.Errorf("captured result %v: want attempt 2 after 1", res)
	}
	if v := h.remediationEntries(t, rec.ID, "verify"); len(v) != 1 || v[0].Outcome != state.OutcomeSuccess {
		t.Errorf("verify entries %+v", v)
	}
	m, err := h.store.Metrics(ctx, rec.ID)
	if err != nil || m.RemediationSuccess == nil || !*m.RemediationSuccess || m.RemediationLatencyMS <= 0 || m.TotalLatencyMS <= 0 {
		t.Errorf("metrics %+v, %v", m, err)
	}
	if len(h.gh.Writes()) != 1 {
		t.Errorf("verification wrote to GitHub: %+v", h.gh.Writes())
	}
	if n := h.gathered(t, "ccm_remediations_total", "rerun_failed_jobs", "success"); n != 1 {
		t.Errorf("ccm_remediations_total{rerun_failed_jobs,success} = %v, want 1", n)
	}
	if n := h.gathered(t, "ccm_time_to_resolution_seconds", "success"); n != 1 {
		t.Errorf("ccm_time_to_resolution_seconds{success} has %v observations, want 1", n)
	}
	if n := h.gathered(t, "ccm_remediation_latency_seconds"); n != 1 {
		t.Errorf("ccm_remediation_latency_seconds has %v observations, want 1", n)
	}
}

// TestVerifyFailureEscalates: the new attempt fails → failed, one critical
// alert, and the re-run's own failure record (when recorded) is linked.
func TestVerifyFailureEscalates(t *testing.T) {
	h := newHarness(t, nil)
	ctx := context.Background()
	rec, run := h.remediable(t, "main", nil, rerunFailed)
	h.gh.ScriptAttempts(testRepo, run.ID, 0, "failure")
	if err := h.h.HandleRemediate(ctx, remediateTask(t, rec.ID)); err != nil {
		t.Fatal(err)
	}
	// The poll records the re-run's failure as owner/repo#run.2.
	second := cleanRecord(run.ID)
	second.ID, second.RunAttempt = tasks.FailureID(testRepo, run.ID, 2), 2
	second.Analysis.FailureID = second.ID
	storeRecord(t, h, second)
	if err := h.h.HandleVerify(ctx, verifyTask(t, rec.ID, 0)); err != nil {
		t.Fatal(err)
	}
	got := h.record(t, rec.ID)
	if got.Status != state.StatusFailed || !strings.Contains(got.Remediation.Reason, "ended failure") {
		t.Fatalf("%s %+v: want failed, saying the re-run failed", got.Status, got.Remediation)
	}
	if a := criticalAlerts(t, h, rec.ID); len(a) != 1 {
		t.Fatalf("%d critical alerts, want 1", len(a))
	}
	if v := h.remediationEntries(t, rec.ID, "verify"); len(v) != 1 || v[0].Outcome != state.OutcomeFailure {
		t.Errorf("verify entries %+v", v)
	}
	if r2 := h.record(t, second.ID); r2.RetryOf != rec.ID {
		t.Errorf("retry_of %q, want %q", r2.RetryOf, rec.ID)
	}
}

// TestVerifyDeadline: a re-run still going at verify_timeout → failed and
// escalated; before it, the next check is scheduled and nothing changes.
func TestVerifyDeadline(t *testing.T) {
	h := newHarness(t, nil)
	ctx := context.Background()
	rec, _ := h.remediable(t, "main", nil, rerunFailed)
	if err := h.h.HandleRemediate(ctx, remediateTask(t, rec.ID)); err != nil {
		t.Fatal(err)
	}
	acted := h.record(t, rec.ID).Remediation.ActedAt
	early := h.at(acted.Add(time.Minute))
	if err := early.HandleVerify(ctx, verifyTask(t, rec.ID, 0)); err != nil {
		t.Fatal(err)
	}
	if got := h.record(t, rec.ID); got.Status != state.StatusRemediating {
		t.Fatalf("status %s before the deadline", got.Status)
	}
	next, err := h.queue.Inspector.GetTaskInfo(tasks.QueueCritical, tasks.VerifyTaskID(rec.ID, 1))
	if err != nil || next.State != asynq.TaskStateScheduled || next.NextProcessAt.Before(time.Now()) {
		t.Fatalf("next check %+v, %v: want verify:<id>:1 scheduled later", next, err)
	}
	late := h.at(acted.Add(h.cfg.VerifyTimeout))
	if err := late.HandleVerify(ctx, verifyTask(t, rec.ID, 1)); err != nil {
		t.Fatal(err)
	}
	got := h.record(t, rec.ID)
	if got.Status != state.StatusFailed || !strings.Contains(got.Remediation.Reason, "verify_timeout") {
		t.Fatalf("%s %+v: want failed by verify_timeout", got.Status, got.Remediation)
	}
	if a := criticalAlerts(t, h, rec.ID); len(a) != 1 {
		t.Fatalf("%d critical alerts, want 1", len(a))
	}
}

// TestRemediateWorldChanged: a new commit on the branch, a manual re-run,
// or max_reruns reached stops before any write and says why; only
// max_reruns (which needs a person) is escalated.
func TestRemediateWorldChanged(t *testing.T) {
	tests := []struct {
		name     string
		change   func(h *harness, run githubsim.Run)
		attempt  int
		reason   string
		escalate bool
	}{
		{name: "new commit", change: func(h *harness, run githubsim.Run) {
			h.gh.PushCommit(testRepo, "main", map[string]string{"src/x.go": "package x\n"})
		}, reason: "new commit"},
		{name: "manual re-run", change: func(h *harness, run githubsim.Run) {
			if _, err := h.client.RerunFailedJobs(context.Background(), testRepo, run.ID); err != nil {
				panic(err)
			}
			h.gh.ResetWrites()
		}, reason: "someone else re-ran"},
		{name: "max_reruns reached", attempt: 2, reason: "max_reruns reached", escalate: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, nil)
			ctx := context.Background()
			rec, run := h.remediable(t, "main", func(r *state.FailureRecord) {
				if tt.attempt > 0 {
					r.RunAttempt = tt.attempt
					r.ID = tasks.FailureID(testRepo, r.RunID, tt.attempt)
					r.Analysis.FailureID = r.ID
				}
			}, rerunFailed)
			if tt.change != nil {
				tt.change(h, run)
			}
			if err := h.h.HandleRemediate(ctx, remediateTask(t, rec.ID)); err != nil {
				t.Fatal(err)
			}
			if w := h.gh.Writes(); len(w) != 0 {
				t.Fatalf("writes %+v: want none", w)
			}
			got := h.record(t, rec.ID)
			if got.Status != state.StatusFailed || !strings.Contains(got.Remediation.Reason, tt.reason) {
				t.Fatalf("%s %+v: want failed saying %q", got.Status, got.Remediation, tt.reason)
			}
			act := h.remediationEntries(t, rec.ID, "act")
			if last := act[len(act)-1]; last.Outcome != state.OutcomeFailure || !strings.Contains(last.Details["reason"].(string), tt.reason) {
				t.Errorf("last act entry %+v", last)
			}
			if a := criticalAlerts(t, h, rec.ID); (len(a) == 1) != tt.escalate || len(a) > 1 {
				t.Errorf("%d critical alerts, escalate %v", len(a), tt.escalate)
			}
		})
	}
}

// TestRemediateNoPermission: a 403 on the re-run fails the remediation at
// once (no retry: SkipRetry) with an alert naming the permission.
func TestRemediateNoPermission(t *testing.T) {
	h := newHarness(t, nil)
	rec, _ := h.remediable(t, "main", nil, rerunFailed)
	h.gh.FailNext(githubsim.RouteRerunFailedJobs, githubsim.NoPermission())
	err := h.h.HandleRemediate(context.Background(), remediateTask(t, rec.ID))
	if !errors.Is(err, asynq.SkipRetry) {
		t.Fatalf("err %v: want SkipRetry", err)
	}
	got := h.record(t, rec.ID)
	if got.Status != state.StatusFailed || !strings.Contains(got.Remediation.Reason, "actions:write") {
		t.Fatalf("%s %+v: want failed naming actions:write", got.Status, got.Remediation)
	}
	a := criticalAlerts(t, h, rec.ID)
	if len(a) != 1 || !strings.Contains(a[0].Details["summary"].(string), "actions:write") {
		t.Fatalf("alerts %+v: want one naming actions:write", a)
	}
	if n := len(h.gh.WritesTo(githubsim.RouteRerunFailedJobs)); n != 1 {
		t.Errorf("%d re-run requests, want 1 (refused, not repeated)", n)
	}
}

// TestRemediateCrashAndRetry: a delivery that crashed after its write but
// before recording it (the step left started) finds the attempt or the PR
// and never acts twice; a duplicate delivery afterwards does nothing.
func TestRemediateCrashAndRetry(t *testing.T) {
	h := newHarness(t, nil)
	ctx := context.Background()
	fix := analysis.Action{Type: analysis.ActionOpenFixPR, Title: "Pin the registry mirror", Body: "ccm",
		Files: []analysis.FileChange{{Path: "docs/ci.md", Content: "use the mirror\n"}}}
	rec, _ := h.remediable(t, "main", nil, rerunFailed, fix)
	if err := h.h.HandleRemediate(ctx, remediateTask(t, rec.ID)); err != nil {
		t.Fatal(err)
	}
	// The crash: the record as it was just before the steps were
	// recorded done (both started), as if the worker died after writing.
	err := h.store.Transition(ctx, rec.ID, state.StatusRemediating, state.StatusRemediating,
		state.AuditEntry{Actor: "test", ActionType: state.ActionRemediation, Outcome: state.OutcomePending},
		func(f *state.FailureRecord) {
			rem := *f.Remediation
			rem.Steps = append([]state.RemediationStep(nil), rem.Steps...)
			for i := range rem.Steps {
				rem.Steps[i].State, rem.Steps[i].Result = "started", nil
			}
			rem.ActedAt, rem.VerifyAttempt = time.Time{}, 0
			f.Remediation = &rem
		})
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := h.h.HandleRemediate(ctx, remediateTask(t, rec.ID)); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(h.gh.WritesTo(githubsim.RouteRerunFailedJobs)); n != 1 {
		t.Errorf("%d re-runs, want 1", n)
	}
	if n := len(h.gh.WritesTo(githubsim.RouteCreatePull)); n != 1 {
		t.Errorf("%d pull requests created, want 1", n)
	}
	if prs := h.gh.Pulls(testRepo); len(prs) != 1 {
		t.Errorf("%d pull requests, want 1", len(prs))
	}
	got := h.record(t, rec.ID)
	if got.Remediation.VerifyAttempt != 2 || got.Remediation.Steps[0].Result["recovered"] != true ||
		got.Remediation.Steps[1].Result["reused"] != true {
		t.Errorf("remediation after the retry %+v", got.Remediation)
	}
}

// gathered is a counter's value, or a histogram's observation count, of
// the series of family name whose label values are values (in order).
func (h *harness) gathered(t *testing.T, name string, values ...string) float64 {
	t.Helper()
	fams, err := h.metrics.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fams {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			var got []string
			for _, l := range m.GetLabel() {
				got = append(got, l.GetValue())
			}
			if !slices.Equal(got, values) {
				continue
			}
			if c := m.GetCounter(); c != nil {
				return c.GetValue()
			}
			return float64(m.GetHistogram().GetSampleCount())
		}
	}
	return 0
}
