package tasks_test

import (
	"context"
	"testing"

	"pgregory.net/rapid"

	"github.com/ccm-ci/ccm/state"
)

// TestProperty36_ComprehensiveActionLogging: "For any action taken
// (detection, analysis, remediation, approval), an audit log entry should
// be created with timestamp, actor, and outcome". Any failure taken by the
// real handlers through detection, analysis and the gate's validation, in
// approve mode the request and a person's approval or rejection, and when
// not rejected the remediation and its verification, has an audit entry
// for each of those actions, and every entry of the failure carries a
// timestamp, an actor (the person for their decision) and an outcome.
func TestProperty36_ComprehensiveActionLogging(t *testing.T) {
	h, clock := pipelineHarness(t)
	rapid.Check(t, func(rt *rapid.T) {
		f := drawFlow(rt, h, clock)
		all, err := h.store.QueryAudit(context.Background(), state.AuditQuery{FailureID: f.id, Limit: 1000})
		if err != nil {
			rt.Fatal(err)
		}
		byType := map[string][]state.AuditEntry{}
		for _, e := range all {
			if e.Timestamp.IsZero() || e.Actor == "" || e.Outcome == "" {
				rt.Fatalf("entry without timestamp, actor or outcome: %+v", e)
			}
			byType[e.ActionType] = append(byType[e.ActionType], e)
		}
		want := []string{state.ActionDetection, state.ActionAnalysis, state.ActionValidation}
		if f.decision != "" {
			want = append(want, state.ActionApproval)
		}
		if f.remediated() {
			want = append(want, state.ActionRemediation)
		}
		for _, a := range want {
			if len(byType[a]) == 0 {
				rt.Fatalf("no %s entry for %s (%s mode, decision %q); entries by type: %v", a, f.id, f.mode, f.decision, count(byType))
			}
		}
		if f.decision != "" {
			decisions := map[string]string{}
			for _, e := range byType[state.ActionApproval] {
				decisions[e.Details["decision"].(string)] = e.Actor
			}
			want := map[string]string{"approve": string(state.ApprovalApproved), "reject": string(state.ApprovalRejected)}[f.decision]
			if _, ok := decisions["requested"]; !ok || decisions[want] == "" || decisions[want] == state.ActorCCM {
				rt.Fatalf("approval entries %v: want the request and the person's %s", decisions, want)
			}
		}
		if f.remediated() {
			// The remediation's end (its verification) is logged too.
			ended := false
			for _, e := range byType[state.ActionRemediation] {
				ended = ended || e.Outcome == state.OutcomeSuccess && f.final.Status == state.StatusRemediated ||
					e.Outcome == state.OutcomeFailure && f.final.Status == state.StatusFailed
			}
			if !ended {
				rt.Fatalf("no remediation entry with the outcome of %s's end (%s)", f.id, f.final.Status)
			}
		}
	})
}

func count(m map[string][]state.AuditEntry) map[string]int {
	out := map[string]int{}
	for k, v := range m {
		out[k] = len(v)
	}
	return out
}
