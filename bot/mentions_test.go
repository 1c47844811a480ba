package bot_test

import (
	"context"
	"strings"
	"testing"

	"github.com/ccm-ci/ccm/bot"
	"github.com/ccm-ci/ccm/config"
	"github.com/ccm-ci/ccm/state"
	"github.com/ccm-ci/ccm/tasks"
)

// Each @ccm request is answered in its thread; text from logs is escaped;
// anything ccm does not understand gets the help, not silence.
func TestMentions(t *testing.T) {
	h := newHarness(t, harnessOpt{})
	rec := h.record(testRepo, 1)
	h.record("acme/api", 2)
	for _, tc := range []struct {
		text string
		want []string
		not  []string
	}{
		{"help", []string{"*Ask me*", bot.FormFailures, "/ccm help"}, nil},
		{"", []string{"*Ask me*"}, nil},
		{"make me a sandwich", []string{"I don't know", "*Ask me*"}, nil},
		{"failures", []string{"Failures in any watched repository", "`acme/web#1.1` analyzed", "`acme/api#2.1`",
			"ECONNRESET &lt;!channel&gt;"}, []string{"<!channel>"}},
		{"failures acme/api since 2h", []string{"Failures in acme/api in the last 2h0m0s", "acme/api#2.1"}, []string{"acme/web#1.1"}},
		{"failures nope", []string{bot.FormFailures}, nil},
		{"show " + rec.ID, []string{"*acme/web#1.1* — analyzed", "workflow CI on main (commit abc1234)", "infrastructure"}, nil},
		{"show acme/web#99.1", []string{"ccm has no failure `acme/web#99.1`"}, nil},
		{"show 99", []string{"`@ccm show &lt;failure id&gt;`"}, []string{"<failure id>"}},
		{"why " + rec.ID, []string{"*Why acme/web#1.1 failed*", "*Evidence*", "*Log excerpt*", "&lt;https://evil.example|docs&gt;"},
			[]string{"<https://evil.example|docs>"}},
		{"status", []string{"*ccm status*", "pending approvals: 0", "open incidents: 0", "queue critical"}, nil},
		{"status please", []string{bot.FormStatus}, nil},
	} {
		t.Run(tc.text, func(t *testing.T) {
			got := h.on(t).mention(alice, tc.text, tc.want[0])
			for _, w := range tc.want[1:] {
				if !strings.Contains(got, w) {
					t.Errorf("@ccm %s: reply lacks %q:\n%s", tc.text, w, got)
				}
			}
			for _, n := range tc.not {
				if strings.Contains(got, n) {
					t.Errorf("@ccm %s: reply holds %q:\n%s", tc.text, n, got)
				}
			}
		})
	}
}

// @ccm analyze enqueues the run's ingest and answers in the thread once
// the failure is analyzed and gated.
func TestMentionAnalyze(t *testing.T) {
	h := newHarness(t, harnessOpt{})
	sent := h.mentionSent(alice, "analyze <https://github.com/acme/web/actions/runs/5/attempts/1>")
	h.reply(sent.TS, "I'll answer in this thread")
	ingests := h.queue.Pending(t, tasks.QueueDefault, tasks.TypeIngest)
	if len(ingests) != 1 || ingests[0].ID != tasks.IngestTaskID("acme/web#5.1") {
		t.Fatalf("ingest tasks %v, want one for acme/web#5.1", ingests)
	}
	// The pipeline does its part: the record, its analysis, the gate.
	rec := h.record(testRepo, 5)
	task, _ := tasks.NewGateTask(rec.ID)
	if err := h.h.HandleGate(context.Background(), task); err != nil {
		t.Fatal(err)
	}
	got := h.reply(sent.TS, "*acme/web#5.1* — awaiting_approval")
	if !strings.Contains(got, "gate: approval") {
		t.Errorf("follow-up lacks the gate's decision:\n%s", got)
	}

	h.mention(alice, "analyze https://github.com/other/repo/actions/runs/5", "is not a watched repository")
	h.mention(alice, "analyze https://ghe.example.com/acme/web/actions/runs/5", "not github.com")
	h.mention(alice, "analyze https://github.com/acme/web/pulls/5", "`@ccm analyze &lt;run URL&gt;`")
}

// A run that never becomes a failure record gets an answer at the
// deadline, not silence.
func TestMentionAnalyzeGivesUp(t *testing.T) {
	h := newHarness(t, harnessOpt{})
	h.mention(alice, "analyze https://github.com/acme/web/actions/runs/6/attempts/2", "I'll answer")
	sent := h.mentionSent(alice, "analyze https://github.com/acme/web/actions/runs/7/attempts/1")
	h.reply(sent.TS, "No failure was recorded for `acme/web#7.1` within 3s")
}

func TestMentionPoll(t *testing.T) {
	h := newHarness(t, harnessOpt{})
	h.mention(alice, "poll acme/web", "Polling now: acme/web")
	h.mention(alice, "poll acme/web", "Already polled this minute: acme/web")
	h.mention(alice, "poll", "Polling now: acme/api")
	h.mention(alice, "poll other/repo", "not a watched repository")
	if n := len(h.queue.Pending(t, tasks.QueueDefault, tasks.TypePoll)); n != 2 {
		t.Errorf("%d polls queued, want 2 (acme/web once, acme/api)", n)
	}
}

// @ccm fix sends a failure through the gate again, under the config in
// force now, and enqueues ccm:gate to carry the decision out; it never
// acts itself, only approvers may ask, and a decided failure is not
// gated again.
func TestMentionFix(t *testing.T) {
	h := newHarness(t, harnessOpt{mutate: func(c *config.Config) { c.Mode = config.ModeShadow }})
	ctx := context.Background()
	rec := h.record(testRepo, 1)
	task, _ := tasks.NewGateTask(rec.ID)
	if err := h.h.HandleGate(ctx, task); err != nil {
		t.Fatal(err)
	}
	h.mention(mallory, "fix "+rec.ID, "Only an approver may ask for a fix")
	h.setConfig(func(c *config.Config) { c.Mode = config.ModeApprove })
	h.mention(alice, "fix "+rec.ID, "went through the safety gate again: *approval*")
	got, err := h.store.GetFailure(ctx, rec.ID)
	if err != nil || got.Shadow || got.Gate.Decision != "approval" || got.Gate.Mode != "approve" {
		t.Fatalf("record gate %+v shadow %v, %v: want approval in mode approve", got.Gate, got.Shadow, err)
	}
	gates := h.queue.Pending(t, tasks.QueueCritical, tasks.TypeGate)
	if len(gates) != 1 || !strings.HasPrefix(gates[0].ID, "fix:"+rec.ID+":") {
		t.Fatalf("gate tasks %v, want one fix:… task", gates)
	}
	if n := remediations(h); n != 0 {
		t.Errorf("fix enqueued %d remediations itself", n)
	}
	es := h.audit(state.AuditQuery{FailureID: rec.ID, ActionType: state.ActionValidation})
	if len(es) == 0 || es[0].Details["requested_by"] != alice || es[0].Details["previous_decision"] != "auto" {
		t.Errorf("newest validation entry %+v: want the re-gate requested by alice", es)
	}
	// The gate carries it out: a person is asked; asking again is refused.
	if err := h.h.HandleGate(ctx, task); err != nil {
		t.Fatal(err)
	}
	h.mention(alice, "fix "+rec.ID, "a person is already asked")
	h.mention(alice, "fix acme/web#404.1", "ccm has no failure")
}
