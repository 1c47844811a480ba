package bot_test

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ccm-ci/ccm/config"
	slackmsg "github.com/ccm-ci/ccm/integrations/slack"
	"github.com/ccm-ci/ccm/sim/slacksim"
	"github.com/ccm-ci/ccm/state"
	"github.com/ccm-ci/ccm/tasks"
)

func remediations(h *harness) int {
	return len(h.queue.Pending(h.t, tasks.QueueCritical, tasks.TypeRemediate))
}

// refusals are the approval entries of refused decisions on request id.
func refusals(h *harness, id string) []state.AuditEntry {
	var out []state.AuditEntry
	for _, e := range h.audit(state.AuditQuery{ActionType: state.ActionApproval}) {
		if e.RequestID == id && e.Details["decision"] == "refused" {
			out = append(out, e)
		}
	}
	return out
}

func TestApproveClick(t *testing.T) {
	for _, tc := range []struct {
		name, user string
		approved   bool
	}{
		{"an approver by user ID", alice, true},
		{"an approver through a user group", bob, true},
		{"anyone else", mallory, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, harnessOpt{})
			a, ts := h.pending(1)
			ack := h.click(tc.user, ts, slackmsg.ActionApprove)
			if ack.Payload != nil {
				t.Errorf("a click is acked without a payload, got %s", ack.Payload)
			}
			if !tc.approved {
				got := h.answer(tc.user, "You cannot decide this request")
				if !strings.Contains(got, "not an approver of "+testRepo) {
					t.Errorf("refusal %q does not say why", got)
				}
				if st := h.approval(a.ID).Status; st != state.ApprovalPending {
					t.Errorf("status %s after a refused click, want pending", st)
				}
				r := refusals(h, a.ID)
				if len(r) != 1 || r[0].Actor != tc.user || r[0].Outcome != state.OutcomeFailure || r[0].FailureID != a.FailureID {
					t.Errorf("refusal audit %+v: want one failure entry by %s", r, tc.user)
				}
				if n := remediations(h); n != 0 {
					t.Errorf("%d remediations enqueued by a refused click", n)
				}
				return
			}
			h.answer(tc.user, "Approved: ccm is remediating")
			got := h.approval(a.ID)
			if got.Status != state.ApprovalApproved || got.DecidedBy != tc.user {
				t.Errorf("approval %s by %q, want approved by %s", got.Status, got.DecidedBy, tc.user)
			}
			if n := remediations(h); n != 1 {
				t.Errorf("%d remediations enqueued, want 1", n)
			}
			if r := refusals(h, a.ID); len(r) != 0 {
				t.Errorf("refusals audited for an approver: %+v", r)
			}
		})
	}
}

// A stale button (the request was decided) gets who decided and when.
func TestStaleClick(t *testing.T) {
	h := newHarness(t, harnessOpt{})
	a, ts := h.pending(1)
	h.click(alice, ts, slackmsg.ActionApprove)
	h.answer(alice, "Approved")
	h.click(bob, ts, slackmsg.ActionApprove)
	got := h.answer(bob, "Already approved by <@"+alice+"> at ")
	if !strings.Contains(got, time.Now().UTC().Format("2006-01-02")) {
		t.Errorf("stale answer %q does not say when", got)
	}
	if n := remediations(h); n != 1 {
		t.Errorf("%d remediations, want 1", n)
	}
	if by := h.approval(a.ID).DecidedBy; by != alice {
		t.Errorf("decided by %s, want %s", by, alice)
	}
}

// Two approvers click at once: one wins, one remediation is enqueued,
// the other hears who won.
func TestTwoApproversAtOnce(t *testing.T) {
	h := newHarness(t, harnessOpt{})
	a, ts := h.pending(1)
	var wg sync.WaitGroup
	for _, u := range []string{alice, bob} {
		wg.Go(func() { h.click(u, ts, slackmsg.ActionApprove) })
	}
	wg.Wait()
	winner := ""
	if !eventually(func() bool { winner = h.approval(a.ID).DecidedBy; return winner != "" }) {
		t.Fatal("nobody won")
	}
	loser := alice
	if winner == alice {
		loser = bob
	}
	h.answer(winner, "Approved: ccm is remediating")
	h.answer(loser, "Already approved by <@"+winner+">")
	if n := remediations(h); n != 1 {
		t.Errorf("%d remediations, want exactly 1", n)
	}
	decided := 0
	for _, e := range h.audit(state.AuditQuery{ActionType: state.ActionApproval}) {
		if e.RequestID == a.ID && e.Details["decision"] == "approved" {
			decided++
		}
	}
	if decided != 1 {
		t.Errorf("%d approved entries, want 1", decided)
	}
}

// Reject opens a modal; its submission rejects with the reason typed.
func TestRejectWithReason(t *testing.T) {
	h := newHarness(t, harnessOpt{})
	a, ts := h.pending(1)
	h.click(alice, ts, slackmsg.ActionReject)
	var modal slacksim.View
	if !eventually(func() bool {
		for _, v := range h.sim.Views() {
			if v.Type == "modal" && v.CallbackID == "ccm_reject_reason" {
				modal = v
				return true
			}
		}
		return false
	}) {
		t.Fatal("no reject modal opened")
	}
	if st := h.approval(a.ID).Status; st != state.ApprovalPending {
		t.Fatalf("status %s before the modal is submitted", st)
	}
	sent, err := h.sim.SendViewSubmission(slacksim.ViewSubmission{User: alice, ViewID: modal.ID,
		Values: map[string]map[string]any{"reason": {"reason_input": "  flaky runner, not worth it <!here> "}}})
	if err != nil {
		t.Fatal(err)
	}
	h.ack(sent)
	h.answer(alice, "Rejected: ccm will not act on")
	got := h.approval(a.ID)
	if got.Status != state.ApprovalRejected || got.DecidedBy != alice || got.Reason != "flaky runner, not worth it <!here>" {
		t.Errorf("approval %+v: want rejected by %s with the reason", got, alice)
	}
	if n := remediations(h); n != 0 {
		t.Errorf("%d remediations after a rejection", n)
	}
	// A later click on the old button hears it was rejected, escaped.
	h.click(bob, ts, slackmsg.ActionApprove)
	stale := h.answer(bob, "Already rejected by <@"+alice+">")
	if strings.Contains(stale, "<!here>") || !strings.Contains(stale, "&lt;!here&gt;") {
		t.Errorf("reason not escaped: %q", stale)
	}
}

// The modal is submitted by someone who is no longer an approver (the
// config changed while it was open): refused and audited.
func TestRejectSubmitRechecksApprover(t *testing.T) {
	h := newHarness(t, harnessOpt{})
	a, ts := h.pending(1)
	h.click(alice, ts, slackmsg.ActionReject)
	var id string
	if !eventually(func() bool {
		for _, v := range h.sim.Views() {
			if v.CallbackID == "ccm_reject_reason" {
				id = v.ID
				return true
			}
		}
		return false
	}) {
		t.Fatal("no modal")
	}
	h.setConfig(func(c *config.Config) { c.Approvers = []string{team} })
	sent, err := h.sim.SendViewSubmission(slacksim.ViewSubmission{User: alice, ViewID: id})
	if err != nil {
		t.Fatal(err)
	}
	h.ack(sent)
	h.answer(alice, "You cannot decide this request")
	if st := h.approval(a.ID).Status; st != state.ApprovalPending {
		t.Errorf("status %s, want pending", st)
	}
	if r := refusals(h, a.ID); len(r) != 1 || r[0].Actor != alice {
		t.Errorf("refusals %+v", r)
	}
}

// While a user group cannot be read, nobody decides through it; a listed
// user still can.
func TestUserGroupLookupFails(t *testing.T) {
	h := newHarness(t, harnessOpt{})
	a, ts := h.pending(1)
	h.sim.FailNext("usergroups.users.list", slacksim.ErrorCode("fatal_error", -1))
	h.click(bob, ts, slackmsg.ActionApprove)
	got := h.answer(bob, "You cannot decide this request")
	if !strings.Contains(got, team) {
		t.Errorf("refusal %q does not name the group that could not be read", got)
	}
	if st := h.approval(a.ID).Status; st != state.ApprovalPending {
		t.Fatalf("status %s", st)
	}
	h.click(alice, ts, slackmsg.ActionApprove)
	h.answer(alice, "Approved")
}

// An interaction for another app, or from another workspace, is refused
// and audited, and decides nothing.
func TestForeignInteractionRefused(t *testing.T) {
	for _, tc := range []struct{ name, team, app string }{
		{"another app", slacksim.DefaultTeamID, "A0OTHERAPP"},
		{"another workspace", "T0OTHER", slacksim.DefaultAppID},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, harnessOpt{})
			a, _ := h.pending(1)
			sent, err := h.sim.SendRaw(slacksim.TypeInteractive, map[string]any{
				"type": "block_actions", "api_app_id": tc.app, "trigger_id": "1.2.forged",
				"team": map[string]any{"id": tc.team}, "user": map[string]any{"id": alice},
				"channel": map[string]any{"id": h.sim.ChannelID(approvCh)},
				"actions": []any{map[string]any{"type": "button", "block_id": "ccm_approval", "action_id": slackmsg.ActionApprove, "value": a.ID}},
			}, false)
			if err != nil {
				t.Fatal(err)
			}
			h.ack(sent)
			if !eventually(func() bool { return len(refusals(h, a.ID)) == 1 }) {
				t.Fatalf("refusals %+v, want 1", refusals(h, a.ID))
			}
			if st := h.approval(a.ID).Status; st != state.ApprovalPending {
				t.Errorf("status %s, want pending", st)
			}
		})
	}
}
