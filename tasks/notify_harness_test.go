package tasks_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/ccm-ci/ccm/integrations/slack"
	"github.com/ccm-ci/ccm/sim/slacksim"
	"github.com/ccm-ci/ccm/state"
	"github.com/ccm-ci/ccm/tasks"
)

// slackHarness is the pipeline harness with Slack on: the simulator
// behind the real client.
type slackHarness struct {
	*harness
	sim *slacksim.Server
}

// The default channels (config.Default) as the simulator names them.
const (
	chAlerts    = "#ci-alerts"
	chApprovals = "#ci-approvals"
	chCritical  = "#ops-critical"
)

func newSlackHarness(t testing.TB) *slackHarness {
	t.Helper()
	h := newHarness(t, nil)
	sim := slacksim.New(t, slacksim.Config{Channels: []string{chAlerts, chApprovals, chCritical, "#web-alerts", "#web-approvals", "#web-critical"}})
	client, err := slack.New(slack.Options{Token: sim.Config().BotToken, APIURL: sim.URL()})
	if err != nil {
		t.Fatal(err)
	}
	h.deps.Slack, h.deps.SlackURL = client, "https://ccm-sim.slack.com/"
	h.h = tasks.NewHandlers(h.deps)
	if err := h.store.EnsureAuditGroup(context.Background(), tasks.NotifyGroup); err != nil {
		t.Fatal(err)
	}
	return &slackHarness{harness: h, sim: sim}
}

// drain notifies every audit entry written since the last drain, in
// order, by calling the handler directly (no worker, no tail), then the
// notifications the handler queued itself: what the tail and worker do,
// minus the timing. It returns the handler errors.
func (h *slackHarness) drain(t testing.TB) []error {
	t.Helper()
	return h.drainWith(t, h.store, h.h)
}

// drainWith is drain on another store (a property case's own) and the
// handlers on it.
func (h *slackHarness) drainWith(t testing.TB, st *state.Store, hh *tasks.Handlers) []error {
	t.Helper()
	ctx := context.Background()
	if err := st.EnsureAuditGroup(ctx, tasks.NotifyGroup); err != nil {
		t.Fatal(err)
	}
	var errs []error
	for {
		entries, err := st.ReadAuditGroup(ctx, tasks.NotifyGroup, "test", 100, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(entries) == 0 {
			return append(errs, h.runQueued(t, hh)...)
		}
		for _, e := range entries {
			if p, ok := tasks.NotifyFor(e); ok {
				if err := hh.HandleNotify(ctx, notifyTask(t, p)); err != nil {
					errs = append(errs, err)
				}
			}
			if err := st.AckAudit(ctx, tasks.NotifyGroup, e.ID); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// runQueued runs and removes the pending ccm:notify tasks.
func (h *slackHarness) runQueued(t testing.TB, hh *tasks.Handlers) []error {
	t.Helper()
	var errs []error
	for _, info := range h.queue.Pending(t, tasks.QueueCritical, tasks.TypeNotify) {
		if err := hh.HandleNotify(context.Background(), asynq.NewTask(info.Type, info.Payload)); err != nil {
			errs = append(errs, err)
		}
		if err := h.queue.Inspector.DeleteTask(info.Queue, info.ID); err != nil {
			t.Fatal(err)
		}
	}
	return errs
}

func notifyTask(t testing.TB, p tasks.NotifyPayload) *asynq.Task {
	t.Helper()
	task, err := tasks.NewNotifyTask(p, "notify:"+p.EntryID)
	if err != nil {
		t.Fatal(err)
	}
	return task
}

// startTail runs the audit tail until the test ends.
func (h *slackHarness) startTail(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	tail := &tasks.NotifyTail{Store: h.store, Queue: h.queue.Client, Logger: quiet, Consumer: "tail",
		Block: 20 * time.Millisecond, ClaimIdle: 200 * time.Millisecond}
	go func() { defer close(done); _ = tail.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
}

// roots are the top-level messages of a channel; thread the replies to
// one of them.
func (h *slackHarness) roots(ch string) []slacksim.Message {
	var out []slacksim.Message
	for _, m := range h.sim.Messages(ch) {
		if !m.IsReply() && !m.Deleted {
			out = append(out, m)
		}
	}
	return out
}

func (h *slackHarness) replies(ch, ts string) []slacksim.Message {
	var out []slacksim.Message
	for _, m := range h.sim.Thread(ch, ts) {
		if m.IsReply() {
			out = append(out, m)
		}
	}
	return out
}

// texts is every string in a message's blocks, as Slack received them.
func texts(t testing.TB, m slacksim.Message) string {
	t.Helper()
	var v any
	if len(m.Blocks) > 0 {
		if err := json.Unmarshal(m.Blocks, &v); err != nil {
			t.Fatal(err)
		}
	}
	var out []string
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case string:
			out = append(out, x)
		case []any:
			for _, e := range x {
				walk(e)
			}
		case map[string]any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(v)
	return m.Text + "\n" + strings.Join(out, "\n")
}

// calls counts the Web API calls by method.
func (h *slackHarness) calls() map[string]int {
	out := map[string]int{}
	for _, c := range h.sim.Calls() {
		out[c.Method]++
	}
	return out
}

func (h *slackHarness) ingest(t *testing.T, log string) string {
	t.Helper()
	run := h.failedRun(t, log)
	if err := h.h.HandleIngest(context.Background(), ingestTask(t, run)); err != nil {
		t.Fatal(err)
	}
	return tasks.FailureID(testRepo, run.ID, 1)
}

// pipeline runs ingest, analysis and the gate of a new failed run
// directly, and returns the failure ID.
func (h *slackHarness) pipeline(t *testing.T, log string) string {
	t.Helper()
	ctx := context.Background()
	id := h.ingest(t, log)
	if err := h.h.HandleAnalyze(ctx, mustTask(tasks.NewAnalyzeTask(id))); err != nil {
		t.Fatal(err)
	}
	if err := h.h.HandleGate(ctx, mustTask(tasks.NewGateTask(id))); err != nil {
		t.Fatal(err)
	}
	return id
}

func mustTask(task *asynq.Task, err error) *asynq.Task {
	if err != nil {
		panic(err)
	}
	return task
}

func (h *slackHarness) failure(t testing.TB, id string) state.FailureRecord {
	t.Helper()
	rec, err := h.store.GetFailure(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return rec
}
