package state_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ccm-ci/ccm/state"
	"github.com/ccm-ci/ccm/state/statetest"
	"pgregory.net/rapid"
)

// Property 28: Approval Audit Trail
// "For any granted approval, the approver's identity and approval timestamp
// should be recorded in the audit trail."
//
// The oracle does not use the store's read path: it reads the raw stream
// (XRANGE on <prefix>audit) and the documented field names, and compares
// with a model of who clicked first and when (decisions are made one after
// another, so the first allowed decision of each request is the one that
// counts; one by the wrong actor, ccm approving or a person expiring, is
// refused and leaves no trace). Rejections and expiries are checked the
// same way, and undecided requests must have no decision entry at all.
func TestProperty28_ApprovalAuditTrail(t *testing.T) {
	for _, b := range []struct {
		name string
		open backend
	}{{"redis", statetest.OpenRedis}, {"mini", statetest.OpenMini}} {
		t.Run(b.name, func(t *testing.T) {
			env := b.open(t, state.Options{})
			var cases atomic.Int64
			rapid.Check(t, func(t *rapid.T) {
				checkApprovalAuditTrail(t, env, fmt.Sprintf("%sp28-%d:", env.Prefix, cases.Add(1)))
			})
		})
	}
}

// decisionModel is what the oracle expects of one request.
type decisionModel struct {
	failureID string
	decision  state.ApprovalStatus // "" while undecided
	actor     string
	at        time.Time
}

var (
	genDecision = rapid.SampledFrom([]state.ApprovalStatus{state.ApprovalApproved, state.ApprovalRejected, state.ApprovalExpired})
	// Slack user IDs, and ccm itself (which expires requests).
	genApprover = rapid.OneOf(rapid.StringMatching(`[UW][A-Z0-9]{8,10}`), rapid.Just("ccm"))
)

func checkApprovalAuditTrail(t *rapid.T, env *statetest.Env, prefix string) {
	ctx := context.Background()
	clock := statetest.NewClock(t0)
	s := state.New(env.Client, state.Options{Prefix: prefix, Now: clock.Now})
	model := map[string]*decisionModel{}
	var reqIDs []string
	for i := range rapid.IntRange(1, 4).Draw(t, "requests") {
		rec := analyzedFailure(t, s, int64(1000+i), t0)
		a := mustRequest(t, s, approvalRequest(rec, t0.Add(time.Hour)))
		model[a.ID] = &decisionModel{failureID: rec.ID}
		reqIDs = append(reqIDs, a.ID)
	}
	for i := range rapid.IntRange(1, 12).Draw(t, "decisions") {
		id := rapid.SampledFrom(reqIDs).Draw(t, fmt.Sprint("request_", i))
		decision := genDecision.Draw(t, fmt.Sprint("decision_", i))
		actor := genApprover.Draw(t, fmt.Sprint("actor_", i))
		step := time.Duration(rapid.IntRange(0, 5000).Draw(t, fmt.Sprint("ms_", i)))*time.Millisecond +
			time.Duration(rapid.SampledFrom([]int{0, 1, 999_999}).Draw(t, fmt.Sprint("ns_", i)))
		at := clock.Advance(step)
		_, err := s.DecideApproval(ctx, id, decision, actor, "", state.AuditEntry{})
		m := model[id]
		switch {
		case (decision == state.ApprovalExpired) != (actor == state.ActorCCM):
			// Only ccm expires, only a person approves or rejects.
			if !errors.Is(err, state.ErrActorNotAllowed) {
				t.Fatalf("%s by %s on %s: err = %v, want ErrActorNotAllowed", decision, actor, id, err)
			}
		case m.decision == "" && err != nil:
			t.Fatalf("first decision on %s: %v", id, err)
		case m.decision == "":
			m.decision, m.actor, m.at = decision, actor, at
		case !errors.Is(err, state.ErrAlreadyDecided):
			t.Fatalf("later decision on %s: err = %v, want ErrAlreadyDecided", id, err)
		}
	}

	msgs, err := env.Client.XRange(ctx, prefix+"audit", "-", "+").Result()
	if err != nil {
		t.Fatal(err)
	}
	found := map[string][]map[string]any{} // request ID -> its decision entries
	requested := 0
	for _, msg := range msgs {
		v := msg.Values
		if v["action_type"] != state.ActionApproval {
			continue
		}
		var details map[string]any
		if err := json.Unmarshal([]byte(v["details"].(string)), &details); err != nil {
			t.Fatalf("entry %s: details %q: %v", msg.ID, v["details"], err)
		}
		if details["decision"] == "requested" {
			requested++
			continue
		}
		rid, _ := v["request_id"].(string)
		found[rid] = append(found[rid], map[string]any{
			"decision": details["decision"], "actor": v["actor"], "ts": v["ts"], "failure_id": v["failure_id"],
		})
	}
	if requested != len(reqIDs) {
		t.Fatalf("%d requested entries, want %d", requested, len(reqIDs))
	}
	for id, m := range model {
		es := found[id]
		delete(found, id)
		if m.decision == "" {
			if len(es) != 0 {
				t.Fatalf("undecided request %s has decision entries %v", id, es)
			}
			continue
		}
		if len(es) != 1 {
			t.Fatalf("request %s (%s by %s) has %d decision entries: %v", id, m.decision, m.actor, len(es), es)
		}
		e := es[0]
		ts, err := time.Parse(time.RFC3339Nano, fmt.Sprint(e["ts"]))
		if err != nil || !ts.Equal(m.at) || e["actor"] != m.actor || e["decision"] != string(m.decision) || e["failure_id"] != m.failureID {
			t.Fatalf("request %s: entry %v (ts %s, %v); want %s by %s at %s for %s",
				id, e, ts, err, m.decision, m.actor, m.at.Format(time.RFC3339Nano), m.failureID)
		}
	}
	if len(found) != 0 {
		t.Fatalf("decision entries for requests nobody made: %v", found)
	}
}
