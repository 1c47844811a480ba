package bot_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"pgregory.net/rapid"

	slackmsg "github.com/ccm-ci/ccm/integrations/slack"
	"github.com/ccm-ci/ccm/sim/slacksim"
	"github.com/ccm-ci/ccm/state"
	"github.com/ccm-ci/ccm/tasks"
)

// click is one drawn button press.
type click struct {
	user   string
	reject bool
}

// TestProperty25_ApprovalExecution checks, through Slack and the bot:
// "For any approval request that receives an Approve response, the
// proposed remediation should be executed" — and, with it, Property 26
// ("a Reject response is logged") and docs/ARCHITECTURE.md §3.3: only the
// repository's approvers decide, anyone else is refused and audited, and
// one click wins.
//
// The oracle, from those words: over any sequence of clicks by approvers
// (alice directly, bob through a user group) and a non-approver
// (mallory), the first click by an approver decides the request —
// approved by them with exactly one remediation enqueued, or rejected by
// them with none; every later approver click hears who decided; every
// click by mallory leaves one refused approval entry with her as actor.
func TestProperty25_ApprovalExecution(t *testing.T) {
	h := newHarness(t, harnessOpt{})
	run := int64(0)
	rapid.Check(t, func(rt *rapid.T) {
		run++
		a, ts := h.pending(run)
		clicks := rapid.SliceOfN(rapid.Custom(func(rt *rapid.T) click {
			return click{user: rapid.SampledFrom([]string{alice, bob, mallory}).Draw(rt, "user"),
				reject: rapid.Bool().Draw(rt, "reject")}
		}), 1, 4).Draw(rt, "clicks")

		var winner *click
		malloryClicks := 0
		for i, c := range clicks {
			skip := len(h.private(c.user))
			action := slackmsg.ActionApprove
			if c.reject {
				action = slackmsg.ActionReject
			}
			h.click(c.user, ts, action)
			switch {
			case c.user == mallory:
				malloryClicks++
				h.answerAfter(c.user, skip, "You cannot decide this request")
			case winner != nil:
				h.answerAfter(c.user, skip, "Already "+decided(winner)+" by <@"+winner.user+">")
			case c.reject:
				submitReject(h, a.ID, c.user, fmt.Sprintf("reason %d", i))
				h.answerAfter(c.user, skip, "Rejected: ccm will not act on")
				winner = &clicks[i]
			default:
				h.answerAfter(c.user, skip, "Approved: ccm is remediating")
				winner = &clicks[i]
			}
		}

		got := h.approval(a.ID)
		remediations := 0
		for _, ti := range h.queue.Pending(h.t, tasks.QueueCritical, tasks.TypeRemediate) {
			if ti.ID == tasks.RemediateTaskID(a.FailureID) {
				remediations++
			}
		}
		switch {
		case winner == nil:
			if got.Status != state.ApprovalPending || remediations != 0 {
				rt.Fatalf("no approver clicked: status %s, %d remediations", got.Status, remediations)
			}
		case winner.reject:
			if got.Status != state.ApprovalRejected || got.DecidedBy != winner.user || remediations != 0 {
				rt.Fatalf("want rejected by %s and no remediation: %+v, %d remediations", winner.user, got, remediations)
			}
		default:
			if got.Status != state.ApprovalApproved || got.DecidedBy != winner.user || remediations != 1 {
				rt.Fatalf("want approved by %s and one remediation: %+v, %d remediations", winner.user, got, remediations)
			}
		}
		refused := refusals(h, a.ID)
		for _, e := range refused {
			if e.Actor != mallory || e.Outcome != state.OutcomeFailure {
				rt.Fatalf("refusal %+v: want mallory, outcome failure", e)
			}
		}
		if len(refused) != malloryClicks {
			rt.Fatalf("%d refusals audited for %d clicks by mallory", len(refused), malloryClicks)
		}
	})
}

func decided(c *click) string {
	if c.reject {
		return "rejected"
	}
	return "approved"
}

// submitReject submits the reject modal opened for request id.
func submitReject(h *harness, id, user, reason string) {
	h.t.Helper()
	var view slacksim.View
	if !eventually(func() bool {
		for _, v := range h.sim.Views() {
			var meta struct {
				R string `json:"r"`
			}
			if v.Type == "modal" && !v.Closed && json.Unmarshal([]byte(v.PrivateMetadata), &meta) == nil && meta.R == id {
				view = v
				return true
			}
		}
		return false
	}) {
		h.t.Fatalf("no reject modal for %s", id)
	}
	sent, err := h.sim.SendViewSubmission(slacksim.ViewSubmission{User: user, ViewID: view.ID,
		Values: map[string]map[string]any{"reason": {"reason_input": reason}}})
	if err != nil {
		h.t.Fatal(err)
	}
	h.ack(sent)
	if !eventually(func() bool { return strings.Contains(string(h.approval(id).Status), "rejected") }) {
		h.t.Fatalf("request %s not rejected after the modal", id)
	}
}
