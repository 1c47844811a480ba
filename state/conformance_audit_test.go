package state_test

import (
	"context"
	"testing"
	"time"

	"github.com/ccm-ci/ccm/analysis"
	"github.com/ccm-ci/ccm/state"
	"github.com/google/go-cmp/cmp"
)

// numbers returns each entry's details["n"], to name entries in tables.
func numbers(es []state.AuditEntry) []int {
	var out []int
	for _, e := range es {
		n, _ := e.Details["n"].(float64)
		out = append(out, int(n))
	}
	return out
}

func at(min int) time.Time { return t0.Add(time.Duration(min) * time.Minute) }

func testAuditQuery(t *testing.T, open backend) {
	ctx := context.Background()
	s := open(t, state.Options{}).Store
	a := failure("acme/api", 300, t0)
	b := failure("acme/web", 301, t0)
	ev := func(n, min int, action string) state.AuditEntry {
		e := event(action)
		e.Timestamp = at(min)
		e.Details = map[string]any{"n": float64(n)}
		return e
	}
	if _, err := s.CreateFailure(ctx, a, ev(1, 0, state.ActionDetection)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateFailure(ctx, b, ev(2, 1, state.ActionDetection)); err != nil {
		t.Fatal(err)
	}
	// 3: written before a's analysis, without repo or category: both come
	// from failure a when filtering.
	e3 := ev(3, 2, state.ActionError)
	e3.FailureID = a.ID
	e3.Error = "boom"
	e3.Outcome = state.OutcomeFailure
	if _, err := s.Audit(ctx, e3); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveAnalysis(ctx, a.ID, newAnalysis(analysis.CategoryTimeout, 2), ev(4, 3, state.ActionAnalysis)); err != nil {
		t.Fatal(err)
	}
	e5 := ev(5, 4, state.ActionApproval)
	e5.FailureID, e5.Repo, e5.Category, e5.RequestID = b.ID, b.Repo, "flaky_test", "req-1"
	if _, err := s.Audit(ctx, e5); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Audit(ctx, ev(6, 5, state.ActionConfig)); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		q    state.AuditQuery
		want []int
	}{
		{"all newest first", state.AuditQuery{}, []int{6, 5, 4, 3, 2, 1}},
		{"since", state.AuditQuery{Since: at(3)}, []int{6, 5, 4}},
		{"until", state.AuditQuery{Until: at(1)}, []int{2, 1}},
		{"until one ns before", state.AuditQuery{Until: at(1).Add(-time.Nanosecond)}, []int{1}},
		{"window", state.AuditQuery{Since: at(1), Until: at(4)}, []int{5, 4, 3, 2}},
		{"repo (own or the failure's)", state.AuditQuery{Repo: "acme/api"}, []int{4, 3, 1}},
		{"category (own or the failure's)", state.AuditQuery{Category: "timeout"}, []int{4, 3, 1}},
		{"category set on the entry", state.AuditQuery{Category: "flaky_test"}, []int{5}},
		{"action type", state.AuditQuery{ActionType: state.ActionDetection}, []int{2, 1}},
		{"failure", state.AuditQuery{FailureID: b.ID}, []int{5, 2}},
		{"repo and action", state.AuditQuery{Repo: "acme/web", ActionType: state.ActionApproval}, []int{5}},
		{"category and window", state.AuditQuery{Category: "timeout", Since: at(1), Until: at(2)}, []int{3}},
		{"all filters", state.AuditQuery{Repo: "acme/api", Category: "timeout", ActionType: state.ActionAnalysis,
			FailureID: a.ID, Since: at(3), Until: at(3)}, []int{4}},
		{"nothing matches", state.AuditQuery{Repo: "acme/api", ActionType: state.ActionConfig}, nil},
		{"limit", state.AuditQuery{Limit: 2}, []int{6, 5}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := s.QueryAudit(ctx, tc.q)
			if err != nil {
				t.Fatalf("QueryAudit: %v", err)
			}
			if diff := cmp.Diff(tc.want, numbers(got), cmpOpts...); diff != "" {
				t.Errorf("QueryAudit (-want +got):\n%s", diff)
			}
		})
	}
	got, err := s.QueryAudit(ctx, state.AuditQuery{FailureID: a.ID, ActionType: state.ActionError})
	if err != nil || len(got) != 1 {
		t.Fatalf("QueryAudit = %d entries, %v; want 1", len(got), err)
	}
	want := e3
	want.ID = got[0].ID
	if diff := cmp.Diff(want, got[0], cmpOpts...); diff != "" {
		t.Errorf("stored entry is changed by filtering (-want +got):\n%s", diff)
	}
}

// testAuditOutOfOrder: entries whose Timestamp is older than the newest
// entry (two replicas' clocks apart, a caller-set time) are still found by
// time and removed by retention.
func testAuditOutOfOrder(t *testing.T, open backend) {
	ctx := context.Background()
	s := open(t, state.Options{}).Store
	minutes := []int{10, 0, 5, 10, 1}
	for n, min := range minutes {
		e := event(state.ActionAlert)
		e.Timestamp = at(min)
		e.Details = map[string]any{"n": float64(n)}
		if _, err := s.Audit(ctx, e); err != nil {
			t.Fatalf("Audit: %v", err)
		}
	}
	tests := []struct {
		name string
		q    state.AuditQuery
		want []int
	}{
		{"all in stream order", state.AuditQuery{}, []int{4, 3, 2, 1, 0}},
		{"until", state.AuditQuery{Until: at(1)}, []int{4, 1}},
		{"window", state.AuditQuery{Since: at(4), Until: at(6)}, []int{2}},
		{"since", state.AuditQuery{Since: at(10)}, []int{3, 0}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := s.QueryAudit(ctx, tc.q)
			if err != nil {
				t.Fatalf("QueryAudit: %v", err)
			}
			if diff := cmp.Diff(tc.want, numbers(got)); diff != "" {
				t.Errorf("QueryAudit (-want +got):\n%s", diff)
			}
			for i, n := range numbers(got) {
				if !got[i].Timestamp.Equal(at(minutes[n])) {
					t.Errorf("entry %d: timestamp %s, want %s", n, got[i].Timestamp, at(minutes[n]))
				}
			}
		})
	}
	res, err := s.ApplyRetention(ctx, at(5))
	if err != nil || res.AuditEntries != 2 {
		t.Fatalf("ApplyRetention = %+v, %v; want 2 audit entries deleted", res, err)
	}
	if got := numbers(auditAll(t, s)); !cmp.Equal(got, []int{3, 2, 0}) {
		t.Errorf("after retention: %v, want [3 2 0]", got)
	}
	// Writing goes on after the stream's newest entry was deleted.
	late := event(state.ActionAlert)
	late.Timestamp = at(2)
	if _, err := s.Audit(ctx, late); err != nil {
		t.Errorf("Audit after retention: %v", err)
	}
}
