package tasks_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ccm-ci/ccm/config"
	"github.com/ccm-ci/ccm/integrations/slack"
	"github.com/ccm-ci/ccm/sim/githubsim"
	"github.com/ccm-ci/ccm/tasks"
)

// cleanRun is a failed run ccm may fix alone in mode auto: an install
// step lost its registry connection on a change to documentation only.
// A passing run of the workflow on the branch comes first, so ccm knows
// what the push changed (the comparison of the two heads); without one
// the change is unknown and the gate assumes application code.
func (h *slackHarness) cleanRun(t *testing.T) githubsim.Run {
	t.Helper()
	at := time.Now().UTC().Add(-20 * time.Minute)
	prev := h.gh.AddRun(testRepo, githubsim.Run{Conclusion: "success", Name: "CI", HeadBranch: "main",
		CreatedAt: at.Add(-time.Hour)})
	run := h.gh.AddRun(testRepo, githubsim.Run{
		Conclusion: "failure", Name: "CI", HeadBranch: "main", ChangedFiles: []string{"README.md"},
		Jobs: []githubsim.Job{
			{Name: "test", Conclusion: "failure", Log: npmLog, StartedAt: at, CompletedAt: at.Add(6*time.Minute + 10*time.Second),
				Steps: []githubsim.Step{{Number: 1, Name: "Run npm ci", Status: "completed", Conclusion: "failure"}}},
			{Name: "build", Conclusion: "failure", Log: npmLog, StartedAt: at, CompletedAt: at.Add(7 * time.Minute),
				Steps: []githubsim.Step{{Number: 1, Name: "Run npm ci", Status: "completed", Conclusion: "failure"}}},
		},
	})
	h.gh.SetCompare(testRepo, prev.HeadSHA, run.HeadSHA, []string{"README.md"})
	return run
}

// step runs one handler and then the notifications it caused, as a
// worker with the tail would, one after the other.
func (h *slackHarness) step(t *testing.T, name string, fn func(ctx context.Context) error) {
	t.Helper()
	if err := fn(context.Background()); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if errs := h.drain(t); len(errs) > 0 {
		t.Fatalf("%s: notify errors %v", name, errs)
	}
}

// TestNotifyCallsPerFailure measures the Slack Web API calls one failure
// costs from its alert to its verified fix (mode auto: detection,
// analysis, the gate, the re-run, the verification), notifying after
// every step as the tail does. Every call is a post or an update of a
// message of the failure's one thread.
func TestNotifyCallsPerFailure(t *testing.T) {
	h := newSlackHarness(t)
	h.cfg.Mode = config.ModeAuto
	run := h.cleanRun(t)
	id := tasks.FailureID(testRepo, run.ID, 1)
	h.gh.ScriptAttempts(testRepo, run.ID, 0, "success")
	h.step(t, "ingest", func(ctx context.Context) error { return h.h.HandleIngest(ctx, ingestTask(t, run)) })
	h.step(t, "analyze", func(ctx context.Context) error { return h.h.HandleAnalyze(ctx, mustTask(tasks.NewAnalyzeTask(id))) })
	h.step(t, "gate", func(ctx context.Context) error { return h.h.HandleGate(ctx, mustTask(tasks.NewGateTask(id))) })
	if g := h.failure(t, id).Gate; g == nil || g.Decision != "auto" {
		t.Fatalf("gate %+v: the scenario needs auto", g)
	}
	h.step(t, "remediate", func(ctx context.Context) error { return h.h.HandleRemediate(ctx, remediateTask(t, id)) })
	h.step(t, "verify", func(ctx context.Context) error { return h.h.HandleVerify(ctx, verifyTask(t, id, 0)) })
	c := h.calls()
	total := c["chat.postMessage"] + c["chat.update"]
	t.Logf("Slack Web API calls from alert to verified fix: %d (chat.postMessage %d, chat.update %d)",
		total, c["chat.postMessage"], c["chat.update"])
	if len(h.sim.Calls()) != total {
		t.Errorf("calls other than post and update: %v", c)
	}
	roots := h.roots(chAlerts)
	if len(roots) != 1 || !strings.Contains(texts(t, roots[0]), "Fixed and verified") {
		t.Fatalf("root: %d, want one saying fixed", len(roots))
	}
	replies := h.replies(chAlerts, roots[0].TS)
	if len(replies) != 3 || !strings.Contains(texts(t, replies[2]), "attempt 2 passed") {
		t.Fatalf("%d replies, want analysis, decision, remediation verified", len(replies))
	}
	// 4 messages posted once each; each later step updates what changed.
	if c["chat.postMessage"] != 4 || total > 12 {
		t.Errorf("calls %v: want 4 posts and at most 12 calls", c)
	}
}

// TestNotifyApprovalFlow: an approval request goes to the approvals
// channel with the gate's reasons, the re-run's cost and the expiry, its
// buttons carrying only the request ID, linked from the failure's thread;
// after the decision the same message is updated in place: no buttons,
// who decided and when.
func TestNotifyApprovalFlow(t *testing.T) {
	h := newSlackHarness(t)
	h.cfg.Mode = config.ModeApprove
	run := h.cleanRun(t)
	id := tasks.FailureID(testRepo, run.ID, 1)
	h.step(t, "ingest", func(ctx context.Context) error { return h.h.HandleIngest(ctx, ingestTask(t, run)) })
	h.step(t, "analyze", func(ctx context.Context) error { return h.h.HandleAnalyze(ctx, mustTask(tasks.NewAnalyzeTask(id))) })
	h.step(t, "gate", func(ctx context.Context) error { return h.h.HandleGate(ctx, mustTask(tasks.NewGateTask(id))) })
	a, err := h.store.ApprovalForFailure(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	reqs := h.roots(chApprovals)
	if len(reqs) != 1 {
		t.Fatalf("%d messages in %s, want the request", len(reqs), chApprovals)
	}
	body := texts(t, reqs[0])
	for _, want := range []string{"Approval needed", "re-run the failed jobs", "Why a person is asked",
		"re-running 2 failed jobs costs ~14 runner minutes", "*Expires*", "Proposed fix", "ccm-sim.slack.com/archives/"} {
		if !strings.Contains(body, want) {
			t.Errorf("request lacks %q:\n%s", want, body)
		}
	}
	if strings.Count(string(reqs[0].Blocks), `"value":"`+a.ID+`"`) != 2 ||
		!strings.Contains(string(reqs[0].Blocks), slack.ActionApprove) || !strings.Contains(string(reqs[0].Blocks), slack.ActionReject) {
		t.Fatalf("buttons: %s", reqs[0].Blocks)
	}
	if got, _ := h.store.GetApproval(context.Background(), a.ID); got.SlackTS != reqs[0].TS || got.SlackChannel != reqs[0].Channel {
		t.Errorf("request records message %s/%s, want %s/%s", got.SlackChannel, got.SlackTS, reqs[0].Channel, reqs[0].TS)
	}
	thread := h.replies(chAlerts, h.roots(chAlerts)[0].TS)
	if len(thread) != 3 || !strings.Contains(texts(t, thread[2]), "Approval requested") {
		t.Fatalf("thread has %d replies, want the link to the request last", len(thread))
	}
	h.step(t, "approve", func(ctx context.Context) error { _, err := h.h.Approve(ctx, a.ID, "U0APPROVER"); return err })
	after, _ := h.sim.Message(chApprovals, reqs[0].TS)
	if after.Edits == 0 || strings.Contains(string(after.Blocks), slack.ActionApprove) ||
		!strings.Contains(texts(t, after), "Approved by <@U0APPROVER>") {
		t.Fatalf("after approval the request reads:\n%s", texts(t, after))
	}
	if n := len(h.roots(chApprovals)); n != 1 {
		t.Errorf("%d messages in %s after the decision, want the one updated", n, chApprovals)
	}
	link, _ := h.sim.Message(chAlerts, thread[2].TS)
	if !strings.Contains(texts(t, link), "Approved by") {
		t.Errorf("the thread's link was not updated:\n%s", texts(t, link))
	}
}

// TestNotifyIncidentOneThreadOnePage: one fingerprint failing in several
// repositories opens an incident: one page in the critical channel, and
// one thread in the alerts channel that counts every failure.
func TestNotifyIncidentOneThreadOnePage(t *testing.T) {
	h := newSlackHarness(t)
	h.cfg.Incident.Repositories = 2
	repos := []string{testRepo, "acme/api", "acme/docs"}
	for _, r := range repos[1:] {
		h.gh.AddRepo(r)
		h.cfg.Repositories = append(h.cfg.Repositories, config.Repo{Name: r})
	}
	for _, repo := range repos {
		run := h.gh.AddRun(repo, githubsim.Run{Conclusion: "failure", Name: "CI", HeadBranch: "main",
			Jobs: []githubsim.Job{{Name: "test", Conclusion: "failure", Log: npmLog,
				Steps: []githubsim.Step{{Number: 1, Name: "Run npm ci", Status: "completed", Conclusion: "failure"}}}}})
		id := tasks.FailureID(repo, run.ID, 1)
		task := mustTask(tasks.NewIngestTask(tasks.IngestPayload{Repo: repo, RunID: run.ID, Attempt: 1}))
		h.step(t, "ingest "+repo, func(ctx context.Context) error { return h.h.HandleIngest(ctx, task) })
		h.step(t, "analyze "+repo, func(ctx context.Context) error { return h.h.HandleAnalyze(ctx, mustTask(tasks.NewAnalyzeTask(id))) })
		h.step(t, "gate "+repo, func(ctx context.Context) error { return h.h.HandleGate(ctx, mustTask(tasks.NewGateTask(id))) })
	}
	pages := h.roots(chCritical)
	if len(pages) != 1 || !strings.Contains(texts(t, pages[0]), "incident opened") {
		t.Fatalf("%d pages, want the incident once", len(pages))
	}
	roots := h.roots(chAlerts)
	if len(roots) != 1 || !strings.Contains(texts(t, roots[0]), "seen 3 times in 3 repositories") {
		t.Fatalf("%d roots, want one thread counting 3 failures in 3 repositories", len(roots))
	}
}
