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
	slackmsg "github.com/ccm-ci/ccm/integrations/slack"
	"github.com/ccm-ci/ccm/internal/logtest"
	"github.com/ccm-ci/ccm/sim/slacksim"
	"github.com/ccm-ci/ccm/state"
	"github.com/ccm-ci/ccm/state/statetest"
	"github.com/ccm-ci/ccm/tasks"
	"github.com/ccm-ci/ccm/tasks/taskstest"
)

// The workspace of the tests: Alice approves (directly) and is an admin,
// Bob approves through the S0TEAM user group, Mallory is nobody.
const (
	testRepo = "acme/web"
	alice    = "U1ALICE"
	bob      = "U2BOB"
	mallory  = "U9MALLORY"
	team     = "S0TEAM"
	approvCh = "#ci-approvals"
	chatCh   = "#ci"
	waitFor  = 10 * time.Second
)

// harness is the bot on the real task handlers, a statetest store, an
// asynq queue and the Slack simulator.
type harness struct {
	t     testing.TB
	sim   *slacksim.Server
	store *state.Store
	queue *taskstest.Queue
	h     *tasks.Handlers
	logs  *logtest.Buffer
	cfg   *cfgBox
}

// cfgBox is the config in force, swapped by setConfig as a reload does.
type cfgBox struct {
	mu  sync.Mutex
	cfg *config.Config
}

// on is the harness reporting to t (a subtest's).
func (h *harness) on(t *testing.T) *harness {
	c := *h
	c.t = t
	return &c
}

type harnessOpt struct {
	workers int
	mutate  func(*config.Config)
	sim     func(*slacksim.Config)
}

func newHarness(t testing.TB, o harnessOpt) *harness {
	t.Helper()
	simCfg := slacksim.Config{Channels: []string{approvCh, chatCh}, TriggerTTL: -1,
		Users: map[string]string{alice: "alice", bob: "bob", mallory: "mallory"}}
	if o.sim != nil {
		o.sim(&simCfg)
	}
	sim := slacksim.New(t, simCfg)
	sim.SetUserGroup(team, bob)
	cfg := config.Default()
	cfg.Mode = config.ModeApprove
	cfg.Approvers = []string{alice, team}
	cfg.Admins = []string{alice}
	cfg.Repositories = []config.Repo{{Name: testRepo}, {Name: "acme/api"}}
	if o.mutate != nil {
		o.mutate(cfg)
	}
	h := &harness{t: t, sim: sim, store: statetest.New(t), queue: taskstest.New(t), logs: &logtest.Buffer{}, cfg: &cfgBox{cfg: cfg}}
	logger := slog.New(slog.NewTextHandler(h.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	h.h = tasks.NewHandlers(tasks.Deps{Store: h.store, Queue: h.queue.Client, Inspector: h.queue.Inspector,
		Config: h.config, Logger: logger})
	b, err := bot.New(bot.Options{
		AppToken: sim.Config().AppToken, BotToken: sim.Config().BotToken, APIURL: sim.URL(),
		Store: h.store, Pipeline: h.h, Queues: h.queue.Inspector, Config: h.config, Logger: logger,
		Workers: o.workers, FollowUp: 3 * time.Second, FollowUpEvery: 20 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- b.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("bot.Run: %v", err)
		}
		if t.Failed() {
			t.Logf("bot logs:\n%s", h.logs)
		}
	})
	if err := sim.WaitConnected(1, waitFor); err != nil {
		t.Fatal(err)
	}
	return h
}

func (h *harness) config() *config.Config {
	h.cfg.mu.Lock()
	defer h.cfg.mu.Unlock()
	return h.cfg.cfg
}

// setConfig swaps in a changed copy, as a reload does.
func (h *harness) setConfig(mutate func(*config.Config)) {
	h.cfg.mu.Lock()
	defer h.cfg.mu.Unlock()
	c := h.cfg.cfg.Clone()
	mutate(c)
	h.cfg.cfg = c
}

// record stores an analyzed failure of repo (the rules' analysis of an
// npm ECONNRESET: infrastructure, a re-run).
func (h *harness) record(repo string, runID int64) state.FailureRecord {
	h.t.Helper()
	rec := taskstest.CleanRecord(repo, runID)
	rec.CommitSHA = "abc1234def"
	// Text from the log that must never reach Slack as markup.
	rec.FailureReason = "npm error code ECONNRESET <!channel>"
	rec.LogExcerpt += "npm error network <https://evil.example|docs>\n"
	now := rec.DetectedAt
	ev := state.AuditEntry{Timestamp: now, Actor: "test", ActionType: state.ActionDetection, Outcome: state.OutcomeSuccess}
	if _, err := h.store.CreateFailure(context.Background(), rec, ev); err != nil {
		h.t.Fatal(err)
	}
	return rec
}

// pending records a failure and gates it in mode approve: a person is
// asked. It posts the approval request with its buttons, as the
// notifications do, and returns the request and the message's ts.
func (h *harness) pending(runID int64) (state.Approval, string) {
	h.t.Helper()
	ctx := context.Background()
	rec := h.record(testRepo, runID)
	task, err := tasks.NewGateTask(rec.ID)
	if err != nil {
		h.t.Fatal(err)
	}
	if err := h.h.HandleGate(ctx, task); err != nil {
		h.t.Fatal(err)
	}
	a, err := h.store.ApprovalForFailure(ctx, rec.ID)
	if err != nil || a.Status != state.ApprovalPending {
		h.t.Fatalf("approval %+v, %v: want pending", a, err)
	}
	c, err := slackmsg.New(slackmsg.Options{Token: h.sim.Config().BotToken, APIURL: h.sim.URL()})
	if err != nil {
		h.t.Fatal(err)
	}
	ref, err := c.Post(ctx, approvCh, "", slackmsg.ApprovalRequest(rec, a, ""))
	if err != nil {
		h.t.Fatal(err)
	}
	return a, ref.TS
}

// click clicks a button of the approval message and waits for the ack.
func (h *harness) click(user, ts, action string) slacksim.Ack {
	h.t.Helper()
	sent, err := h.sim.ClickButton(user, approvCh, ts, action)
	if err != nil {
		h.t.Fatal(err)
	}
	return h.ack(sent)
}

func (h *harness) ack(sent slacksim.Sent) slacksim.Ack {
	h.t.Helper()
	a, err := h.sim.WaitAck(sent.EnvelopeID, waitFor)
	if err != nil {
		h.t.Fatalf("no ack for %s envelope %s: %v", sent.Type, sent.EnvelopeID, err)
	}
	return a
}

// answer waits for a message only user sees (by response_url or
// chat.postEphemeral) holding want, and returns its text.
func (h *harness) answer(user, want string) string {
	h.t.Helper()
	return h.answerAfter(user, 0, want)
}

// answerAfter is answer among the messages after the first skip.
func (h *harness) answerAfter(user string, skip int, want string) string {
	h.t.Helper()
	var seen []string
	ok := eventually(func() bool {
		seen = h.private(user)
		seen = seen[min(skip, len(seen)):]
		for _, s := range seen {
			if strings.Contains(s, want) {
				return true
			}
		}
		return false
	})
	if !ok {
		h.t.Fatalf("no private answer to %s holding %q; seen:\n%s", user, want, strings.Join(seen, "\n---\n"))
	}
	for _, s := range seen {
		if strings.Contains(s, want) {
			return s
		}
	}
	return ""
}

// private is every message only user saw, oldest first: ephemeral ones,
// whether posted by chat.postEphemeral or a response_url.
func (h *harness) private(user string) []string {
	var out []string
	for _, e := range h.sim.Ephemerals(user) {
		out = append(out, e.Text)
	}
	return out
}

// mention asks @ccm in #ci and returns the bot's reply in the thread.
func (h *harness) mention(user, text, want string) string {
	h.t.Helper()
	return h.reply(h.mentionSent(user, text).TS, want)
}

// mentionSent asks @ccm in #ci and waits for the ack only.
func (h *harness) mentionSent(user, text string) slacksim.Sent {
	h.t.Helper()
	sent, err := h.sim.SendAppMention(slacksim.AppMention{User: user, Channel: chatCh, Text: text})
	if err != nil {
		h.t.Fatal(err)
	}
	h.ack(sent)
	return sent
}

// reply waits for a bot message in the thread of ts holding want.
func (h *harness) reply(ts, want string) string {
	h.t.Helper()
	m, err := h.sim.WaitForMessage(chatCh, func(m slacksim.Message) bool {
		return m.ThreadTS == ts && m.User == h.sim.Config().BotUserID && strings.Contains(m.Text, want)
	}, waitFor)
	if err != nil {
		var got []string
		for _, m := range h.sim.Thread(chatCh, ts) {
			got = append(got, m.Text)
		}
		h.t.Fatalf("no reply in thread %s holding %q: %v; thread:\n%s", ts, want, err, strings.Join(got, "\n---\n"))
	}
	return m.Text
}

// slash runs /ccm text and returns the answer holding want.
func (h *harness) slash(user, text, want string) string {
	h.t.Helper()
	skip := len(h.private(user))
	sent, err := h.sim.SendSlashCommand(slacksim.SlashCommand{User: user, Channel: chatCh, Text: text})
	if err != nil {
		h.t.Fatal(err)
	}
	h.ack(sent)
	return h.answerAfter(user, skip, want)
}

func (h *harness) approval(id string) state.Approval {
	h.t.Helper()
	a, err := h.store.GetApproval(context.Background(), id)
	if err != nil {
		h.t.Fatal(err)
	}
	return a
}

func (h *harness) audit(q state.AuditQuery) []state.AuditEntry {
	h.t.Helper()
	es, err := h.store.QueryAudit(context.Background(), q)
	if err != nil {
		h.t.Fatal(err)
	}
	return es
}

func eventually(cond func() bool) bool {
	deadline := time.Now().Add(waitFor)
	for time.Now().Before(deadline) {
		if cond() {
			return true
		}
		time.Sleep(10 * time.Millisecond)
	}
	return cond()
}
