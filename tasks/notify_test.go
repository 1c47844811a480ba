package tasks_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	goslack "github.com/slack-go/slack"

	"github.com/ccm-ci/ccm/config"
	"github.com/ccm-ci/ccm/integrations/slack"
	"github.com/ccm-ci/ccm/sim/slacksim"
	"github.com/ccm-ci/ccm/state"
	"github.com/ccm-ci/ccm/tasks"
)

// TestNotifyOneThreadPerFailure: a failure becomes one thread in the
// alerts channel: the root (repository, workflow, branch, commit, author,
// the run) kept current with the status, then the analysis and the gate's
// decision as replies. Notifying again changes nothing and calls nothing.
func TestNotifyOneThreadPerFailure(t *testing.T) {
	h := newSlackHarness(t)
	id := h.pipeline(t, npmLog)
	if errs := h.drain(t); len(errs) > 0 {
		t.Fatalf("notify errors: %v", errs)
	}
	roots := h.roots(chAlerts)
	if len(roots) != 1 {
		t.Fatalf("%d root messages in %s, want 1", len(roots), chAlerts)
	}
	root := texts(t, roots[0])
	rec := h.failure(t, id)
	for _, want := range []string{testRepo, "CI", "main", rec.CommitSHA[:7], rec.Actor, rec.RunURL, "Shadow mode"} {
		if !strings.Contains(root, want) {
			t.Errorf("root lacks %q:\n%s", want, root)
		}
	}
	replies := h.replies(chAlerts, roots[0].TS)
	if len(replies) != 2 || !strings.Contains(texts(t, replies[0]), "Analysis") || !strings.Contains(texts(t, replies[1]), "What ccm will do") {
		t.Fatalf("replies = %d, want the analysis then the gate's decision", len(replies))
	}
	for _, want := range []string{"infrastructure", "Risk", "Proposed fix", "ECONNRESET"} {
		if !strings.Contains(texts(t, replies[0]), want) {
			t.Errorf("analysis reply lacks %q", want)
		}
	}
	before := len(h.sim.Calls())
	task := notifyTask(t, tasks.NotifyPayload{EntryID: "again", FailureID: id})
	if err := h.h.HandleNotify(context.Background(), task); err != nil {
		t.Fatal(err)
	}
	if n := len(h.sim.Calls()) - before; n != 0 {
		t.Errorf("a repeated notification made %d Slack calls, want 0", n)
	}
}

// TestNotifyRetryUpdatesInsteadOfPosting: the message refs are in Redis,
// so a notification after the record moved on (or a retry after a crash
// in a later step) updates the messages already posted.
func TestNotifyRetryUpdatesInsteadOfPosting(t *testing.T) {
	h := newSlackHarness(t)
	ctx := context.Background()
	id := h.ingest(t, npmLog)
	h.drain(t)
	if c := h.calls(); c["chat.postMessage"] != 1 || c["chat.update"] != 0 {
		t.Fatalf("after detection: %v, want one post", c)
	}
	if err := h.h.HandleAnalyze(ctx, mustTask(tasks.NewAnalyzeTask(id))); err != nil {
		t.Fatal(err)
	}
	// The same notification delivered twice (asynq is at least once).
	p := tasks.NotifyPayload{EntryID: "x", FailureID: id}
	for range 2 {
		if err := h.h.HandleNotify(ctx, notifyTask(t, p)); err != nil {
			t.Fatal(err)
		}
	}
	if c := h.calls(); c["chat.postMessage"] != 2 || c["chat.update"] != 1 {
		t.Fatalf("after analysis, notified twice: %v, want 2 posts (root, analysis) and 1 update (the root's status)", c)
	}
	if n := len(h.roots(chAlerts)); n != 1 {
		t.Fatalf("%d roots", n)
	}
}

// TestNotifyTailCrashRecovery: entries a replica read and never
// acknowledged (it died) are claimed by another and notified once; a
// re-read of an entry already enqueued enqueues nothing (its task ID).
func TestNotifyTailCrashRecovery(t *testing.T) {
	h := newSlackHarness(t)
	ctx := context.Background()
	h.ingest(t, npmLog)
	dead, err := h.store.ReadAuditGroup(ctx, tasks.NotifyGroup, "dead-replica", 100, 0)
	if err != nil || len(dead) != 1 {
		t.Fatalf("the dead replica read %d entries: %v", len(dead), err)
	}
	// It died before it enqueued the notification: only the live tail's
	// claim of the dead replica's pending entry can post the root.
	startWorker(t, h.harness)
	h.startTail(t)
	eventually(t, "the entry claimed, enqueued and acknowledged", func() bool {
		return len(h.roots(chAlerts)) == 1
	})
	eventually(t, "the thread complete", func() bool { return len(h.sim.Messages(chAlerts)) == 3 })
	time.Sleep(300 * time.Millisecond)
	// Nothing is left pending in the group once the tail is idle: a probe
	// that takes any pending entry, however fresh, finds none.
	if left, err := h.store.ClaimAuditPending(ctx, tasks.NotifyGroup, "probe", 0, 10); err != nil || len(left) != 0 {
		t.Fatalf("entries left pending: %d, %v", len(left), err)
	}
	// Every message posted once: the root, the analysis, the decision (the
	// worker ran the analysis and the gate the ingest queued).
	if c, n := h.calls(), len(h.sim.Messages(chAlerts)); c["chat.postMessage"] != 3 || n != 3 || len(h.roots(chAlerts)) != 1 {
		t.Fatalf("calls %v, %d messages: want 3 posted once each, one root", c, n)
	}
}

// TestNotifySameFingerprintJoinsThread: a second failure with the same
// fingerprint (another run) is added to the first one's thread — one
// "seen again" reply and the root's count — instead of a new alert.
func TestNotifySameFingerprintJoinsThread(t *testing.T) {
	h := newSlackHarness(t)
	first := h.pipeline(t, npmLog)
	h.drain(t)
	second := h.pipeline(t, npmLog)
	if a, b := h.failure(t, first).Fingerprint, h.failure(t, second).Fingerprint; a != b {
		t.Fatalf("fingerprints differ: %s, %s", a, b)
	}
	if errs := h.drain(t); len(errs) > 0 {
		t.Fatalf("notify errors: %v", errs)
	}
	roots := h.roots(chAlerts)
	if len(roots) != 1 {
		t.Fatalf("%d roots, want the second failure in the first one's thread", len(roots))
	}
	if !strings.Contains(texts(t, roots[0]), "seen 2 times in 1 repository") {
		t.Errorf("root does not count the second failure:\n%s", texts(t, roots[0]))
	}
	replies := h.replies(chAlerts, roots[0].TS)
	seen := 0
	for _, r := range replies {
		if strings.Contains(texts(t, r), "Seen again") {
			seen++
		}
	}
	if len(replies) != 3 || seen != 1 {
		t.Fatalf("%d replies (%d seen again), want analysis, decision and one seen-again", len(replies), seen)
	}
}

// TestNotifyEscapesLogText: a log line holding a broadcast and a disguised
// link reaches Slack escaped.
func TestNotifyEscapesLogText(t *testing.T) {
	h := newSlackHarness(t)
	log := strings.Replace(npmLog, "npm error code ECONNRESET", "npm error code ECONNRESET <!channel> see <http://x|y>", 1)
	h.pipeline(t, log)
	h.drain(t)
	var all strings.Builder
	for _, m := range h.sim.Messages(chAlerts) {
		all.WriteString(texts(t, m))
	}
	got := all.String()
	if !strings.Contains(got, "&lt;!channel&gt;") || !strings.Contains(got, "&lt;http://x|y&gt;") {
		t.Fatalf("the log line did not arrive escaped:\n%s", got)
	}
	if strings.Contains(got, "<!channel>") || strings.Contains(got, "<http://x|y>") {
		t.Fatalf("markup from the log reached Slack:\n%s", got)
	}
}

// TestNotifyRateLimitRespected: a 429 is retried after its Retry-After,
// and the message then goes through once.
func TestNotifyRateLimitRespected(t *testing.T) {
	h := newSlackHarness(t)
	h.sim.FailNext("chat.postMessage", slacksim.RateLimit(1, 1))
	startWorker(t, h.harness)
	h.startTail(t)
	h.ingest(t, npmLog)
	eventually(t, "the root posted", func() bool { return len(h.roots(chAlerts)) == 1 })
	posts := h.sim.CallsTo("chat.postMessage")
	if len(posts) < 2 || posts[0].Status != 429 || posts[1].Status != 200 {
		t.Fatalf("posts %+v: want a 429 then the post", posts)
	}
	// No call at all (from any notification) before Retry-After.
	for _, c := range h.sim.Calls()[1:] {
		if gap := c.Time.Sub(posts[0].Time); gap < time.Second {
			t.Errorf("%s %s after the 429, before Retry-After (1s)", c.Method, gap)
		}
	}
	if n := len(h.roots(chAlerts)); n != 1 {
		t.Errorf("%d roots", n)
	}
}

// TestNotifyAuthLost: a refused token raises one critical alert
// ("authentication lost", audited, never sent to Slack) and pauses the
// notifications: no hot loop of calls.
func TestNotifyAuthLost(t *testing.T) {
	h := newSlackHarness(t)
	h.sim.FailNext("", slacksim.ErrorCode("invalid_auth", -1))
	h.ingest(t, npmLog)
	errs := h.drain(t)
	h.pipeline(t, npmLog) // more entries while the token is refused
	errs = append(errs, h.drain(t)...)
	if len(errs) == 0 {
		t.Fatal("notifications succeeded with a refused token")
	}
	for _, err := range errs {
		var ri interface{ RetryIn() time.Duration }
		if !errors.As(err, &ri) || ri.RetryIn() < time.Minute {
			t.Errorf("error %v does not wait for the pause", err)
		}
	}
	if n := len(h.sim.Calls()); n != 1 {
		t.Errorf("%d Slack calls with a refused token, want 1 (then the pause)", n)
	}
	var lost []state.AuditEntry
	for _, e := range h.audit(t, state.AuditQuery{ActionType: state.ActionAlert}) {
		if e.Details["kind"] == tasks.KindSlackAuth {
			lost = append(lost, e)
		}
	}
	if len(lost) != 1 || !strings.Contains(lost[0].Details["summary"].(string), "Slack authentication lost") ||
		lost[0].Details["severity"] != tasks.SeverityCritical {
		t.Fatalf("auth alerts = %+v, want one critical 'authentication lost'", lost)
	}
	if _, ok := tasks.NotifyFor(lost[0]); ok {
		t.Error("the authentication alert would be sent through Slack")
	}
}

// TestNotifyRefusedMessageDoesNotBlockTheRest: an approvals channel that
// does not exist refuses the request for good — raised as a critical
// alert, the task not retried — while the failure's thread still gets
// every other message; a root someone deleted is posted again.
func TestNotifyRefusedMessageDoesNotBlockTheRest(t *testing.T) {
	h := newSlackHarness(t)
	h.cfg.Mode = config.ModeApprove
	h.cfg.Channels.Approvals = "#no-such-channel"
	run := h.cleanRun(t)
	id := tasks.FailureID(testRepo, run.ID, 1)
	ctx := context.Background()
	h.step(t, "ingest", func(ctx context.Context) error { return h.h.HandleIngest(ctx, ingestTask(t, run)) })
	h.step(t, "analyze", func(ctx context.Context) error { return h.h.HandleAnalyze(ctx, mustTask(tasks.NewAnalyzeTask(id))) })
	if err := h.h.HandleGate(ctx, mustTask(tasks.NewGateTask(id))); err != nil {
		t.Fatal(err)
	}
	errs := h.drain(t) // the decision's and the request's entries: each tries
	if len(errs) == 0 {
		t.Fatal("a request to a missing channel went through")
	}
	for _, err := range errs {
		if !errors.Is(err, asynq.SkipRetry) || !errors.Is(err, slack.ErrRejected) {
			t.Fatalf("error %v: want the refusal, final", err)
		}
	}
	roots := h.roots(chAlerts)
	if len(roots) != 1 || len(h.replies(chAlerts, roots[0].TS)) != 2 {
		t.Fatalf("the thread stopped at the refused request: %d roots", len(roots))
	}
	refused := 0
	for _, e := range h.audit(t, state.AuditQuery{ActionType: state.ActionAlert}) {
		if e.Details["kind"] == tasks.KindSlackRejected {
			refused++
		}
	}
	if refused != len(errs) {
		t.Errorf("%d critical alerts say Slack refused the message, want %d", refused, len(errs))
	}
	// Someone deletes the root; the channel is fixed; the decision's
	// update of the root posts it again, and the request goes out.
	api := goslack.New(h.sim.Config().BotToken, goslack.OptionAPIURL(h.sim.URL()))
	if _, _, err := api.DeleteMessage(roots[0].Channel, roots[0].TS); err != nil {
		t.Fatal(err)
	}
	h.cfg.Channels.Approvals = chApprovals
	a, err := h.store.ApprovalForFailure(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.h.Reject(ctx, a.ID, "U0APPROVER", "not now"); err != nil {
		t.Fatal(err)
	}
	h.drain(t)
	now := h.roots(chAlerts)
	if len(now) != 1 || now[0].TS == roots[0].TS || !strings.Contains(texts(t, now[0]), "Rejected by") {
		t.Fatalf("after the deletion: %d roots", len(now))
	}
	if reqs := h.roots(chApprovals); len(reqs) != 1 || !strings.Contains(texts(t, reqs[0]), "Rejected by <@U0APPROVER>") {
		t.Fatalf("%d requests in %s after the fix", len(reqs), chApprovals)
	}
}

// TestNotifyBurstUnderChannelLimit: ten failures at once against Slack's
// per-channel limit (one post a second, 429 with Retry-After beyond it):
// every message arrives once, no notification is archived — waiting is
// not failing, so a long rate limit spends no retries — and ccm spaces
// its posts per channel itself, so Slack refuses (almost) none.
func TestNotifyBurstUnderChannelLimit(t *testing.T) {
	if testing.Short() {
		t.Skip("takes ~15 s of Slack's rate limit")
	}
	h := newSlackHarness(t)
	h.sim.SetChannelPostLimit(1, 2)
	h.deps.SlackPostSpacing = time.Second // as service sets it
	h.h = tasks.NewHandlers(h.deps)
	startWorker(t, h.harness)
	h.startTail(t)
	const n = 10
	for range n {
		if _, err := h.queue.EnqueueContext(context.Background(), ingestTask(t, h.failedRun(t, npmLog))); err != nil {
			t.Fatal(err)
		}
	}
	want := 1 + 2 + (n - 1) // root, analysis, decision, a seen-again per other failure
	deadline := time.Now().Add(90 * time.Second)
	for len(h.sim.Messages(chAlerts)) < want {
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d messages after 90 s", len(h.sim.Messages(chAlerts)), want)
		}
		time.Sleep(100 * time.Millisecond)
	}
	time.Sleep(2 * time.Second) // anything still to come would be a duplicate
	if got := len(h.sim.Messages(chAlerts)); got != want || len(h.roots(chAlerts)) != 1 {
		t.Fatalf("%d messages (%d roots), want %d in one thread", got, len(h.roots(chAlerts)), want)
	}
	if archived, _ := h.queue.Inspector.ListArchivedTasks(tasks.QueueCritical); len(archived) > 0 {
		t.Fatalf("%d notifications archived: %s", len(archived), archived[0].LastErr)
	}
	limited := 0
	for _, c := range h.sim.CallsTo("chat.postMessage") {
		if c.Status == 429 {
			limited++
		}
	}
	t.Logf("%d messages, %d posts refused with 429", want, limited)
	if limited > 2 {
		t.Errorf("%d 429s for %d messages: posts are not spaced", limited, want)
	}
}
