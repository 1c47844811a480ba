package state_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ccm-ci/ccm/state"
	"github.com/ccm-ci/ccm/state/statetest"
)

// The incident guard is part of the conformance suite (conformance_test.go).
var incidentCases = []conformanceCase{
	{"Incident/ThreeRepositories", testIncidentRepos},
	{"Incident/TenRunsOneRepo", testIncidentRuns},
	{"Incident/BelowThresholds", testIncidentBelow},
	{"Incident/OutsideWindow", testIncidentWindow},
	{"Incident/ConcurrentOpenOnce", testIncidentConcurrent},
	{"Incident/PauseAndClose", testIncidentPauseClose},
	{"Incident/Quiet", testIncidentQuiet},
}

var defaultThresholds = state.IncidentThresholds{Repositories: 3, Runs: 10, Window: 15 * time.Minute}

func note(t *testing.T, s *state.Store, fp, repo string, run int, at time.Time) (state.Incident, bool) {
	t.Helper()
	inc, opened, err := s.NoteOccurrence(context.Background(), fp, fmt.Sprintf("%s#%d.1", repo, run), repo, at, defaultThresholds)
	if err != nil {
		t.Fatal(err)
	}
	return inc, opened
}

// incidentAlerts are the audit alert entries of kind, for fp.
func incidentAlerts(t *testing.T, s *state.Store, fp, kind string) []state.AuditEntry {
	t.Helper()
	all, err := s.QueryAudit(context.Background(), state.AuditQuery{ActionType: state.ActionAlert, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	var out []state.AuditEntry
	for _, e := range all {
		if e.Details["kind"] == kind && e.Details["fingerprint"] == fp {
			out = append(out, e)
		}
	}
	return out
}

func testIncidentRepos(t *testing.T, open backend) {
	s := open(t, state.Options{Now: statetest.NewClock(t0).Now}).Store
	for i, repo := range []string{"acme/a", "acme/b"} {
		if _, opened := note(t, s, "fp1", repo, i, t0.Add(time.Duration(i)*time.Minute)); opened {
			t.Fatalf("opened after %d repositories", i+1)
		}
	}
	inc, opened := note(t, s, "fp1", "acme/c", 3, t0.Add(5*time.Minute))
	if !opened || !inc.Open() || inc.Repos != 3 || inc.Runs != 3 {
		t.Fatalf("third repository: opened=%v incident=%+v; want open with 3 repos, 3 runs", opened, inc)
	}
	got := incidentAlerts(t, s, "fp1", state.IncidentKindOpened)
	if len(got) != 1 {
		t.Fatalf("%d opening alerts, want 1", len(got))
	}
	e := got[0]
	if e.Details["severity"] != "critical" || e.Details["repos"] != float64(3) || e.Details["runs"] != float64(3) ||
		e.FailureID != "acme/c#3.1" || e.Actor != "ccm" {
		t.Errorf("opening alert = %+v", e)
	}
	// A fourth repository keeps it open and writes no second alert.
	if _, opened := note(t, s, "fp1", "acme/d", 4, t0.Add(6*time.Minute)); opened {
		t.Error("opened twice")
	}
	if n := len(incidentAlerts(t, s, "fp1", state.IncidentKindOpened)); n != 1 {
		t.Errorf("%d opening alerts after a fourth repository, want 1", n)
	}
	if ok, err := s.IncidentOpen(context.Background(), "fp1"); err != nil || !ok {
		t.Errorf("IncidentOpen = %v, %v", ok, err)
	}
	if ok, err := s.IncidentOpen(context.Background(), "other"); err != nil || ok {
		t.Errorf("IncidentOpen(other) = %v, %v", ok, err)
	}
}

func testIncidentRuns(t *testing.T, open backend) {
	s := open(t, state.Options{Now: statetest.NewClock(t0).Now}).Store
	for i := range 9 {
		if _, opened := note(t, s, "fp2", "acme/a", i, t0.Add(time.Duration(i)*time.Minute)); opened {
			t.Fatalf("opened after %d runs", i+1)
		}
	}
	// The same run noted again (a retried ingest) is not a tenth run.
	if _, opened := note(t, s, "fp2", "acme/a", 8, t0.Add(9*time.Minute)); opened {
		t.Fatal("a run noted twice counted twice")
	}
	inc, opened := note(t, s, "fp2", "acme/a", 9, t0.Add(10*time.Minute))
	if !opened || inc.Runs != 10 || inc.Repos != 1 {
		t.Fatalf("tenth run: opened=%v incident=%+v", opened, inc)
	}
}

func testIncidentBelow(t *testing.T, open backend) {
	s := open(t, state.Options{Now: statetest.NewClock(t0).Now}).Store
	for i := range 9 {
		repo := []string{"acme/a", "acme/b"}[i%2]
		if inc, opened := note(t, s, "fp3", repo, i, t0.Add(time.Duration(i)*time.Minute)); opened || inc.Open() {
			t.Fatalf("opened below thresholds: %+v", inc)
		}
	}
	if n := len(incidentAlerts(t, s, "fp3", state.IncidentKindOpened)); n != 0 {
		t.Errorf("%d alerts below thresholds", n)
	}
}

func testIncidentWindow(t *testing.T, open backend) {
	s := open(t, state.Options{Now: statetest.NewClock(t0).Now}).Store
	// Three repositories, but 20 minutes apart each: never three in 15m.
	for i, repo := range []string{"acme/a", "acme/b", "acme/c", "acme/d"} {
		if _, opened := note(t, s, "fp4", repo, i, t0.Add(time.Duration(i)*20*time.Minute)); opened {
			t.Fatalf("opened with occurrences outside the window (repo %d)", i+1)
		}
	}
	// Ten runs over 50 minutes, one every 5: at most 4 in any 15m window.
	for i := range 10 {
		if _, opened := note(t, s, "fp5", "acme/a", i, t0.Add(time.Duration(i)*5*time.Minute)); opened {
			t.Fatalf("opened at run %d although the window holds 4", i+1)
		}
	}
}

// Twenty concurrent occurrences over five repositories: one incident, one
// alert, one caller told it opened.
func testIncidentConcurrent(t *testing.T, open backend) {
	s := open(t, state.Options{Now: statetest.NewClock(t0).Now}).Store
	var opened atomic.Int32
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			repo := fmt.Sprintf("acme/r%d", i%5)
			_, ok, err := s.NoteOccurrence(context.Background(), "fpc", fmt.Sprintf("%s#%d.1", repo, i), repo,
				t0.Add(time.Duration(i)*time.Second), defaultThresholds)
			if err != nil {
				t.Error(err)
			}
			if ok {
				opened.Add(1)
			}
		}()
	}
	wg.Wait()
	if opened.Load() != 1 {
		t.Errorf("%d callers opened the incident, want 1", opened.Load())
	}
	if n := len(incidentAlerts(t, s, "fpc", state.IncidentKindOpened)); n != 1 {
		t.Errorf("%d opening alerts, want 1", n)
	}
}

func testIncidentPauseClose(t *testing.T, open backend) {
	ctx := context.Background()
	s := open(t, state.Options{Now: statetest.NewClock(t0).Now}).Store
	if ok, err := s.PauseIfOpen(ctx, "fpp", "acme/a#1.1"); err != nil || ok {
		t.Fatalf("PauseIfOpen without an incident = %v, %v", ok, err)
	}
	for i, repo := range []string{"acme/a", "acme/b", "acme/c"} {
		note(t, s, "fpp", repo, i, t0)
	}
	for _, id := range []string{"acme/b#1.1", "acme/a#0.1", "acme/b#1.1"} {
		if ok, err := s.PauseIfOpen(ctx, "fpp", id); err != nil || !ok {
			t.Fatalf("PauseIfOpen(%s) = %v, %v", id, ok, err)
		}
	}
	var wins atomic.Int32
	var wg sync.WaitGroup
	for range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, closed, err := s.CloseIncident(ctx, "fpp", "a run that failed with it passed", state.AuditEntry{})
			if err != nil {
				t.Error(err)
			}
			if closed {
				wins.Add(1)
			}
		}()
	}
	wg.Wait()
	if wins.Load() != 1 {
		t.Fatalf("%d closers won, want 1", wins.Load())
	}
	closedAlerts := incidentAlerts(t, s, "fpp", state.IncidentKindClosed)
	if len(closedAlerts) != 1 || closedAlerts[0].Details["severity"] != "info" {
		t.Fatalf("closing alerts = %+v, want one, severity info", closedAlerts)
	}
	inc, err := s.GetIncident(ctx, "fpp")
	if err != nil || inc.Open() || inc.Status != state.IncidentStatusClosed || inc.CloseReason == "" {
		t.Fatalf("after close: %+v, %v", inc, err)
	}
	ids, err := s.PausedFailures(ctx, "fpp")
	if err != nil || len(ids) != 2 || ids[0] != "acme/a#0.1" || ids[1] != "acme/b#1.1" {
		t.Fatalf("PausedFailures = %v, %v", ids, err)
	}
	if ok, err := s.PauseIfOpen(ctx, "fpp", "acme/c#9.1"); err != nil || ok {
		t.Errorf("PauseIfOpen after the close = %v, %v", ok, err)
	}
	// The paused failures wait for their re-gate until it is enqueued.
	pending, err := s.PendingRegates(ctx)
	if err != nil || len(pending) != 2 || pending[0].FailureID != "acme/a#0.1" || pending[1].Fingerprint != "fpp" ||
		!pending[1].OpenedAt.Equal(inc.OpenedAt) {
		t.Fatalf("PendingRegates = %+v, %v; want both paused failures of the incident opened at %s", pending, err, inc.OpenedAt)
	}
	if err := s.RegateQueued(ctx, pending[0]); err != nil {
		t.Fatal(err)
	}
	if left, _ := s.PendingRegates(ctx); len(left) != 1 || left[0] != pending[1] {
		t.Errorf("after one re-gate queued: %+v", left)
	}
	// The close forgot the window's occurrences: the next failure, still
	// within the window of the three that opened it, does not reopen it.
	// A new burst opens a new incident, with a fresh pause list.
	for i, repo := range []string{"acme/d", "acme/e", "acme/f"} {
		if _, opened := note(t, s, "fpp", repo, 10+i, t0.Add(time.Minute)); opened != (i == 2) {
			t.Fatalf("occurrence %d after the close: opened %v; want the third to reopen it", i+1, opened)
		}
	}
	if ids, _ := s.PausedFailures(ctx, "fpp"); len(ids) != 0 {
		t.Errorf("a reopened incident inherits paused failures %v", ids)
	}
}

func testIncidentQuiet(t *testing.T, open backend) {
	ctx := context.Background()
	s := open(t, state.Options{Now: statetest.NewClock(t0).Now}).Store
	for i, repo := range []string{"acme/a", "acme/b", "acme/c"} {
		note(t, s, "fpq", repo, i, t0.Add(time.Duration(i)*time.Minute))
	}
	fps, err := s.QuietIncidents(ctx, t0.Add(2*time.Minute))
	if err != nil || len(fps) != 0 {
		t.Fatalf("QuietIncidents before the last occurrence = %v, %v", fps, err)
	}
	fps, err = s.QuietIncidents(ctx, t0.Add(2*time.Minute+time.Millisecond))
	if err != nil || len(fps) != 1 || fps[0] != "fpq" {
		t.Fatalf("QuietIncidents after = %v, %v", fps, err)
	}
	if _, _, err := s.CloseIncident(ctx, "fpq", "quiet", state.AuditEntry{}); err != nil {
		t.Fatal(err)
	}
	if fps, _ := s.QuietIncidents(ctx, t0.Add(time.Hour)); len(fps) != 0 {
		t.Errorf("a closed incident is still listed: %v", fps)
	}
}
