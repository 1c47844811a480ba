package state_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/ccm-ci/ccm/analysis"
	"github.com/ccm-ci/ccm/state"
	"github.com/ccm-ci/ccm/state/statetest"
	"github.com/google/go-cmp/cmp"
)

// Both backends run the same suite, so the embedded Redis is proven to
// behave as the real one does for everything ccm stores. The real half
// needs a real Redis (skipped without one, failed under CCM_REQUIRE_REDIS=1);
// the embedded half runs everywhere. Each area of the store lists its cases
// in its own file (storeCases here, approvalCases, incidentCases,
// gateCases, scorecardCases); this one runner runs them all.
func TestConformanceRedis(t *testing.T) {
	statetest.RequireRealRedis(t)
	runConformance(t, statetest.OpenRedis)
}

func TestConformanceMini(t *testing.T) { runConformance(t, statetest.OpenMini) }

// conformanceCase is one test of the store, run on each backend.
type conformanceCase struct {
	name string
	fn   func(*testing.T, backend)
}

func runConformance(t *testing.T, open backend) {
	for _, cases := range [][]conformanceCase{storeCases, approvalCases, incidentCases, gateCases, scorecardCases, historyCases} {
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) { c.fn(t, open) })
		}
	}
}

var storeCases = []conformanceCase{
	{"CreateGet", testCreateGet},
	{"DuplicateCreate", testDuplicateCreate},
	{"ConcurrentDuplicates", testConcurrentDuplicates},
	{"Transitions", testTransitions},
	{"ConcurrentDecisions", testConcurrentDecisions},
	{"SaveAnalysis", testSaveAnalysis},
	{"ListFailures", testListFailures},
	{"Cursors", testCursors},
	{"Cache", testCache},
	{"AuditQuery", testAuditQuery},
	{"AuditOutOfOrder", testAuditOutOfOrder},
	{"Metrics", testMetrics},
	{"Aggregate", testAggregate},
	{"Settings", testSettings},
	{"Lease", testLease},
	{"HoldLease", testHoldLease},
	{"Count", testCount},
	{"Retention", testRetention},
	{"RetentionRefusesBadCutoff", testRetentionRefusesBadCutoff},
	{"EvictionPolicy", testEvictionPolicy},
}

func testCreateGet(t *testing.T, open backend) {
	ctx := context.Background()
	s := open(t, state.Options{Now: statetest.NewClock(t0).Now}).Store
	rec := failure("acme/api", 101, t0)
	rec.Analysis = ptr(newAnalysis(analysis.CategoryTimeout, 2))
	created, err := s.CreateFailure(ctx, rec, event(state.ActionDetection))
	if err != nil || !created {
		t.Fatalf("CreateFailure = %v, %v; want true, nil", created, err)
	}
	got, err := s.GetFailure(ctx, rec.ID)
	if err != nil {
		t.Fatalf("GetFailure: %v", err)
	}
	if diff := cmp.Diff(rec, got, cmpOpts...); diff != "" {
		t.Errorf("GetFailure mismatch (-want +got):\n%s", diff)
	}
	if _, err := s.GetFailure(ctx, "acme/api#999.1"); !errors.Is(err, state.ErrNotFound) {
		t.Errorf("GetFailure(unknown) err = %v, want ErrNotFound", err)
	}
	if ok, err := s.IsProcessed(ctx, rec.ID); err != nil || !ok {
		t.Errorf("IsProcessed = %v, %v; want true", ok, err)
	}
	if ok, err := s.IsProcessed(ctx, "acme/api#999.1"); err != nil || ok {
		t.Errorf("IsProcessed(unknown) = %v, %v; want false", ok, err)
	}
	want := []state.AuditEntry{{
		Timestamp: t0, Actor: "ccm", ActionType: state.ActionDetection, FailureID: rec.ID,
		Repo: "acme/api", Category: "timeout", Outcome: state.OutcomeSuccess,
	}}
	if diff := cmp.Diff(want, auditAll(t, s), append(cmpOpts, ignoreID)...); diff != "" {
		t.Errorf("audit (-want +got):\n%s", diff)
	}

	for _, bad := range []struct {
		name string
		rec  state.FailureRecord
		ev   state.AuditEntry
	}{
		{"no id", state.FailureRecord{Repo: "acme/api"}, event(state.ActionDetection)},
		{"no repo", state.FailureRecord{ID: "x#1.1"}, event(state.ActionDetection)},
		{"unknown status", state.FailureRecord{ID: "x#1.1", Repo: "x", Status: "lost"}, event(state.ActionDetection)},
		{"event without actor", failure("acme/api", 7, t0), state.AuditEntry{ActionType: "detection", Outcome: "success"}},
	} {
		t.Run(bad.name, func(t *testing.T) {
			if _, err := s.CreateFailure(ctx, bad.rec, bad.ev); !errors.Is(err, state.ErrInvalid) {
				t.Errorf("CreateFailure err = %v, want ErrInvalid", err)
			}
		})
	}
	if n := len(auditAll(t, s)); n != 1 {
		t.Errorf("rejected creates wrote audit entries: %d entries, want 1", n)
	}
}

func testDuplicateCreate(t *testing.T, open backend) {
	ctx := context.Background()
	s := open(t, state.Options{}).Store
	rec := failure("acme/api", 102, t0)
	mustCreate(t, s, rec)
	again := rec
	again.FailureReason = "something else"
	again.DetectedAt = t0.Add(time.Hour)
	created, err := s.CreateFailure(ctx, again, event(state.ActionDetection))
	if err != nil || created {
		t.Fatalf("second CreateFailure = %v, %v; want false, nil", created, err)
	}
	got, err := s.GetFailure(ctx, rec.ID)
	if err != nil {
		t.Fatalf("GetFailure: %v", err)
	}
	if diff := cmp.Diff(rec, got, cmpOpts...); diff != "" {
		t.Errorf("duplicate create modified the record (-want +got):\n%s", diff)
	}
	if n := len(auditAll(t, s)); n != 1 {
		t.Errorf("audit entries = %d, want 1", n)
	}
	list, err := s.ListFailures(ctx, state.FailureQuery{})
	if err != nil || len(list) != 1 {
		t.Errorf("ListFailures = %d records, %v; want 1", len(list), err)
	}
}

func testConcurrentDuplicates(t *testing.T, open backend) {
	ctx := context.Background()
	s := open(t, state.Options{}).Store
	rec := failure("acme/api", 103, t0)
	var wg sync.WaitGroup
	results := make([]bool, 50)
	errs := make([]error, 50)
	for i := range 50 {
		wg.Go(func() {
			results[i], errs[i] = s.CreateFailure(ctx, rec, event(state.ActionDetection))
		})
	}
	wg.Wait()
	n := 0
	for i := range 50 {
		if errs[i] != nil {
			t.Fatalf("CreateFailure #%d: %v", i, errs[i])
		}
		if results[i] {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d of 50 concurrent creates reported created, want 1", n)
	}
	if got := len(auditAll(t, s)); got != 1 {
		t.Errorf("audit entries = %d, want 1", got)
	}
}

func testTransitions(t *testing.T, open backend) {
	ctx := context.Background()
	clock := statetest.NewClock(t0)
	s := open(t, state.Options{Now: clock.Now}).Store
	rec := failure("acme/api", 104, t0)
	mustCreate(t, s, rec)
	steps := []struct {
		name     string
		id       string
		from, to state.Status
		wantErr  error
	}{
		{"forward", rec.ID, state.StatusDetected, state.StatusAnalyzed, nil},
		{"stale from", rec.ID, state.StatusDetected, state.StatusAnalyzed, state.ErrConflict},
		{"backward", rec.ID, state.StatusAnalyzed, state.StatusDetected, state.ErrInvalidTransition},
		{"skip a step", rec.ID, state.StatusAnalyzed, state.StatusApproved, nil},
		{"sideways between siblings", rec.ID, state.StatusApproved, state.StatusRejected, state.ErrInvalidTransition},
		{"in place", rec.ID, state.StatusApproved, state.StatusApproved, nil},
		{"unknown status", rec.ID, state.StatusApproved, "done", state.ErrInvalidTransition},
		{"unknown failure", "acme/api#1.1", state.StatusDetected, state.StatusAnalyzed, state.ErrNotFound},
		{"to remediating", rec.ID, state.StatusApproved, state.StatusRemediating, nil},
		{"terminal", rec.ID, state.StatusRemediating, state.StatusRemediated, nil},
		{"after terminal", rec.ID, state.StatusRemediated, state.StatusFailed, state.ErrInvalidTransition},
	}
	wantEvents := 1
	for i, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			now := clock.Advance(time.Second)
			ev := event(state.ActionValidation)
			ev.Details = map[string]any{"step": float64(i)}
			err := s.Transition(ctx, st.id, st.from, st.to, ev, func(r *state.FailureRecord) {
				r.FailureReason = st.name
			})
			if !errors.Is(err, st.wantErr) || (st.wantErr == nil) != (err == nil) {
				t.Fatalf("Transition err = %v, want %v", err, st.wantErr)
			}
			if err == nil {
				wantEvents++
			}
			es := auditAll(t, s)
			if len(es) != wantEvents {
				t.Fatalf("audit entries = %d, want %d", len(es), wantEvents)
			}
			if err != nil {
				return
			}
			got, err := s.GetFailure(ctx, rec.ID)
			if err != nil {
				t.Fatalf("GetFailure: %v", err)
			}
			if got.Status != st.to || got.FailureReason != st.name || !got.UpdatedAt.Equal(now) {
				t.Errorf("record = %s %q %s, want %s %q %s", got.Status, got.FailureReason, got.UpdatedAt, st.to, st.name, now)
			}
			want := state.AuditEntry{ID: es[0].ID, Timestamp: now, Actor: "ccm", ActionType: state.ActionValidation,
				FailureID: rec.ID, Repo: rec.Repo, Outcome: state.OutcomeSuccess, Details: map[string]any{"step": float64(i)}}
			if diff := cmp.Diff(want, es[0], cmpOpts...); diff != "" {
				t.Errorf("audit entry of the transition (-want +got):\n%s", diff)
			}
		})
	}
	err := s.Transition(ctx, rec.ID, state.StatusRemediated, state.StatusRemediated, event(state.ActionRemediation),
		func(r *state.FailureRecord) { r.Repo = "other/repo" })
	if !errors.Is(err, state.ErrInvalid) {
		t.Errorf("mutate changing the repo: err = %v, want ErrInvalid", err)
	}
}

// testConcurrentDecisions: one click wins. Concurrent approve and reject
// clicks on one pending failure leave exactly one decision and one entry.
func testConcurrentDecisions(t *testing.T, open backend) {
	ctx := context.Background()
	s := open(t, state.Options{}).Store
	rec := failure("acme/api", 105, t0)
	rec.Status = state.StatusAwaitingApproval
	mustCreate(t, s, rec)
	var wg sync.WaitGroup
	errs := make([]error, 20)
	for i := range 20 {
		to := state.StatusApproved
		if i%2 == 1 {
			to = state.StatusRejected
		}
		wg.Go(func() {
			errs[i] = s.Transition(ctx, rec.ID, state.StatusAwaitingApproval, to, event(state.ActionApproval), nil)
		})
	}
	wg.Wait()
	wins := 0
	for _, err := range errs {
		switch {
		case err == nil:
			wins++
		case !errors.Is(err, state.ErrConflict):
			t.Errorf("loser err = %v, want ErrConflict", err)
		}
	}
	if wins != 1 {
		t.Errorf("%d winners, want 1", wins)
	}
	es, err := s.QueryAudit(ctx, state.AuditQuery{ActionType: state.ActionApproval})
	if err != nil || len(es) != 1 {
		t.Errorf("approval entries = %d, %v; want 1", len(es), err)
	}
}

func testSaveAnalysis(t *testing.T, open backend) {
	ctx := context.Background()
	s := open(t, state.Options{}).Store
	rec := failure("acme/api", 106, t0)
	mustCreate(t, s, rec)
	a := newAnalysis(analysis.CategoryDependency, 4)
	a.Evidence = []string{"npm ERR! 503"}
	if err := s.SaveAnalysis(ctx, rec.ID, a, event(state.ActionAnalysis)); err != nil {
		t.Fatalf("SaveAnalysis: %v", err)
	}
	got, err := s.GetFailure(ctx, rec.ID)
	if err != nil {
		t.Fatalf("GetFailure: %v", err)
	}
	if got.Status != state.StatusAnalyzed || got.Analysis == nil {
		t.Fatalf("record = %s with analysis %v, want analyzed with one", got.Status, got.Analysis)
	}
	if diff := cmp.Diff(a, *got.Analysis, cmpOpts...); diff != "" {
		t.Errorf("analysis round trip (-want +got):\n%s", diff)
	}
	es := auditAll(t, s)
	if len(es) != 2 || es[0].ActionType != state.ActionAnalysis || es[0].Category != "dependency" {
		t.Errorf("newest audit entry = %+v, want the analysis with category dependency", es[0])
	}
	if err := s.SaveAnalysis(ctx, rec.ID, a, event(state.ActionAnalysis)); !errors.Is(err, state.ErrConflict) {
		t.Errorf("second SaveAnalysis err = %v, want ErrConflict", err)
	}
	bad := a
	bad.RiskScore = 11
	if err := s.SaveAnalysis(ctx, rec.ID, bad, event(state.ActionAnalysis)); !errors.Is(err, state.ErrInvalid) {
		t.Errorf("SaveAnalysis(invalid) err = %v, want ErrInvalid", err)
	}
}
