package bot_test

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ccm-ci/ccm/bot"
	"github.com/ccm-ci/ccm/config"
	"github.com/ccm-ci/ccm/internal/logtest"
	"github.com/ccm-ci/ccm/sim/slacksim"
	"github.com/ccm-ci/ccm/state/statetest"
	"github.com/ccm-ci/ccm/tasks"
	"github.com/ccm-ci/ccm/tasks/taskstest"
)

// The run every test here asks about, and the answer once it is gated:
// the gate's decision, not the status, which the answer may show just
// before the gate's transition to awaiting_approval.
const (
	analyzeRun5 = "analyze <https://github.com/acme/web/actions/runs/5/attempts/1>"
	gated5      = "gate: approval, mode approve"
)

// newStack is newHarness without its bot: the tests here start, stop and
// restart bots themselves, on one store, pipeline and simulator, as
// replicas of ccm serve share one Redis and one Slack app.
func newStack(t *testing.T) *harness {
	t.Helper()
	sim := slacksim.New(t, slacksim.Config{Channels: []string{approvCh, chatCh}, TriggerTTL: -1,
		Users: map[string]string{alice: "alice", bob: "bob", mallory: "mallory"}})
	cfg := config.Default()
	cfg.Mode = config.ModeApprove
	cfg.Approvers = []string{alice}
	cfg.Repositories = []config.Repo{{Name: testRepo}}
	h := &harness{t: t, sim: sim, store: statetest.New(t), queue: taskstest.New(t), logs: &logtest.Buffer{}, cfg: &cfgBox{cfg: cfg}}
	h.h = tasks.NewHandlers(tasks.Deps{Store: h.store, Queue: h.queue.Client, Inspector: h.queue.Inspector,
		Config: h.config, Logger: slog.New(slog.NewTextHandler(h.logs, nil))})
	return h
}

// botOpt tunes one bot of a stack; zero is the harness's timing.
type botOpt struct {
	followUp, sweep time.Duration
}

// runningBot is one bot of a stack, with its own logs.
type runningBot struct {
	logs *logtest.Buffer
	stop func() // ends Run and waits for it; the test's end does too
}

// startBot runs a new bot on h's store and simulator and waits until it
// is the connection envelopes go to (the newest).
func (h *harness) startBot(t *testing.T, o botOpt) *runningBot {
	t.Helper()
	if o.followUp == 0 {
		o.followUp = 3 * time.Second
	}
	rb := &runningBot{logs: &logtest.Buffer{}}
	b, err := bot.New(bot.Options{
		AppToken: h.sim.Config().AppToken, BotToken: h.sim.Config().BotToken, APIURL: h.sim.URL(),
		Store: h.store, Pipeline: h.h, Queues: h.queue.Inspector, Config: h.config,
		Logger:   slog.New(slog.NewTextHandler(rb.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		FollowUp: o.followUp, FollowUpEvery: 20 * time.Millisecond, FollowUpSweep: o.sweep,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	conn := h.sim.ConnectionCount() + 1
	go func() { done <- b.Run(ctx) }()
	var once sync.Once
	rb.stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("bot.Run: %v", err)
			}
		})
	}
	t.Cleanup(func() {
		rb.stop()
		if t.Failed() {
			t.Logf("bot logs:\n%s", rb.logs)
		}
	})
	if err := h.sim.WaitConnected(conn, waitFor); err != nil {
		t.Fatal(err)
	}
	return rb
}

// gate does the pipeline's part for run 5: the record, its analysis, the
// gate's decision (a person is asked).
func (h *harness) gate5() {
	h.t.Helper()
	rec := h.record(testRepo, 5)
	task, err := tasks.NewGateTask(rec.ID)
	if err != nil {
		h.t.Fatal(err)
	}
	if err := h.h.HandleGate(context.Background(), task); err != nil {
		h.t.Fatal(err)
	}
}

// pendingFollowUps is how many follow-ups wait in Redis.
func (h *harness) pendingFollowUps() int {
	h.t.Helper()
	fs, err := h.store.SlackFollowUps(context.Background())
	if err != nil {
		h.t.Fatal(err)
	}
	return len(fs)
}

// replyOnce waits for the bot's answer holding want in the thread of ts,
// then long enough for any other watcher to have posted it too (many
// looks and sweeps), and fails unless it is there once and nothing is
// left pending.
func (h *harness) replyOnce(ts, want string) {
	h.t.Helper()
	h.reply(ts, want)
	time.Sleep(500 * time.Millisecond)
	n := 0
	for _, m := range h.sim.Thread(chatCh, ts) {
		if strings.Contains(m.Text, want) {
			n++
		}
	}
	if n != 1 {
		h.t.Errorf("the answer holding %q was posted %d times, want once", want, n)
	}
	if n := h.pendingFollowUps(); n != 0 {
		h.t.Errorf("%d follow-ups still pending after the answer", n)
	}
}

// A follow-up outlives the bot that accepted it: the next bot (a restart,
// or the bot role on another replica) answers in the thread, once, by
// the original deadline.
func TestFollowUpSurvivesRestart(t *testing.T) {
	for _, tc := range []struct {
		name     string
		followUp time.Duration // the first bot's wait, and so the deadline
		down     func(h *harness)
		after    func(h *harness)
		want     string
	}{
		{name: "the gate decides after the restart", after: (*harness).gate5, want: gated5},
		{name: "the gate decides while no bot runs", down: (*harness).gate5, want: gated5},
		{name: "the deadline passes while no bot runs", followUp: time.Second,
			down: func(h *harness) { time.Sleep(1200 * time.Millisecond) },
			want: "No failure was recorded for `acme/web#5.1` within 1s"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newStack(t)
			first := h.startBot(t, botOpt{followUp: tc.followUp})
			sent := h.mentionSent(alice, analyzeRun5)
			h.reply(sent.TS, "I'll answer in this thread")
			if n := h.pendingFollowUps(); n != 1 {
				t.Fatalf("%d follow-ups recorded, want 1", n)
			}
			first.stop()
			if tc.down != nil {
				tc.down(h)
			}
			h.startBot(t, botOpt{})
			if tc.after != nil {
				tc.after(h)
			}
			h.replyOnce(sent.TS, tc.want)
		})
	}
}

// Two bots on one Redis both watching a follow-up answer it once: the
// one whose claim removes it posts.
func TestFollowUpAnsweredOnceByTwoBots(t *testing.T) {
	for _, tc := range []struct {
		name       string
		otherFirst bool // the other bot runs first and finds it on a sweep
	}{
		{"the other bot starts after the request", false},
		{"the other bot finds it on its sweep", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newStack(t)
			var other *runningBot
			if tc.otherFirst {
				other = h.startBot(t, botOpt{sweep: 20 * time.Millisecond})
			}
			h.startBot(t, botOpt{}) // the newest connection: it gets the mention
			sent := h.mentionSent(alice, analyzeRun5)
			h.reply(sent.TS, "I'll answer in this thread")
			if !tc.otherFirst {
				other = h.startBot(t, botOpt{})
			}
			if !eventually(func() bool { return strings.Contains(other.logs.String(), "Slack follow-up resumed") }) {
				t.Fatalf("the other bot never watched the follow-up; its logs:\n%s", other.logs)
			}
			h.gate5()
			h.replyOnce(sent.TS, gated5)
		})
	}
}
