package state_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/ccm-ci/ccm/state"
	"github.com/ccm-ci/ccm/state/statetest"
)

func TestSlackRefsRoundTrip(t *testing.T) {
	ctx := context.Background()
	s := statetest.New(t)
	if got, err := s.SlackRefs(ctx, "acme/app#1.1"); err != nil || len(got) != 0 {
		t.Fatalf("no refs yet: %v, %v", got, err)
	}
	want := state.SlackRef{Channel: "C1", TS: "1.2", Sum: "abc"}
	if err := s.SetSlackRef(ctx, "acme/app#1.1", "root", want); err != nil {
		t.Fatal(err)
	}
	if err := s.SetSlackRef(ctx, "acme/app#1.1", "thread", state.SlackRef{Thread: "#ci|fp"}); err != nil {
		t.Fatal(err)
	}
	got, err := s.SlackRefs(ctx, "acme/app#1.1")
	if err != nil || got["root"] != want || got["thread"].Thread != "#ci|fp" {
		t.Fatalf("refs = %+v, %v", got, err)
	}
	if err := s.SetSlackRef(ctx, "", "root", want); err == nil {
		t.Fatal("a ref without a failure ID was accepted")
	}
}

func TestJoinSlackThread(t *testing.T) {
	ctx := context.Background()
	clock := statetest.NewClock(t0)
	s := statetest.Open(t, state.Options{Now: clock.Now}).Store
	join := func(id, repo string) state.SlackThread {
		t.Helper()
		th, err := s.JoinSlackThread(ctx, "#ci|fp1", id, repo, time.Hour, 2*time.Minute, false)
		if err != nil {
			t.Fatal(err)
		}
		return th
	}
	if th := join("a#1.1", "a"); th.Owner != "a#1.1" || th.Times != 1 || th.Repos != 1 || th.Root.TS != "" {
		t.Fatalf("first join = %+v, want owner a#1.1, 1 time in 1 repo, no root", th)
	}
	if th := join("b#2.1", "b"); th.Owner != "a#1.1" || th.Root.TS != "" {
		t.Fatalf("second join before the root = %+v", th)
	}
	if ok, err := s.SetSlackThreadRoot(ctx, "#ci|fp1", "b#2.1", state.SlackRef{Channel: "C1", TS: "9.9"}); err != nil || ok {
		t.Fatalf("a member set the root: %v, %v", ok, err)
	}
	if ok, err := s.SetSlackThreadRoot(ctx, "#ci|fp1", "a#1.1", state.SlackRef{Channel: "C1", TS: "1.1"}); err != nil || !ok {
		t.Fatalf("the owner could not set the root: %v, %v", ok, err)
	}
	join("b#2.1", "b") // again: counted once
	th := join("c#3.1", "b")
	if th.Owner != "a#1.1" || th.Root != (state.SlackRef{Channel: "C1", TS: "1.1"}) || th.Times != 3 || th.Repos != 2 {
		t.Fatalf("third join = %+v, want a#1.1's root, 3 times in 2 repos", th)
	}
	if times, repos, err := s.SlackThreadCounts(ctx, "#ci|fp1"); err != nil || times != 3 || repos != 2 {
		t.Fatalf("counts = %d, %d, %v", times, repos, err)
	}
	// Another channel's thread of the same fingerprint is another thread.
	if th, err := s.JoinSlackThread(ctx, "#other|fp1", "b#2.1", "b", time.Hour, time.Minute, false); err != nil || th.Owner != "b#2.1" {
		t.Fatalf("other channel = %+v, %v", th, err)
	}
}

func TestJoinSlackThreadStaleOwnerReplaced(t *testing.T) {
	ctx := context.Background()
	clock := statetest.NewClock(t0)
	s := statetest.Open(t, state.Options{Now: clock.Now}).Store
	if _, err := s.JoinSlackThread(ctx, "n", "a", "r", time.Hour, time.Minute, false); err != nil {
		t.Fatal(err)
	}
	clock.Advance(30 * time.Second)
	if th, _ := s.JoinSlackThread(ctx, "n", "b", "r", time.Hour, time.Minute, false); th.Owner != "a" {
		t.Fatalf("owner replaced before it went stale: %+v", th)
	}
	clock.Advance(time.Minute)
	if th, _ := s.JoinSlackThread(ctx, "n", "b", "r", time.Hour, time.Minute, false); th.Owner != "b" {
		t.Fatalf("a stale owner (no root after a minute) was kept: %+v", th)
	}
}

// An owner held back past the stale time (a pause, a long 429) that joins
// again to post its root keeps the thread: a failure joining while it
// posts does not open a second root.
func TestJoinSlackThreadOwnerRejoinKeepsIt(t *testing.T) {
	ctx := context.Background()
	clock := statetest.NewClock(t0)
	s := statetest.Open(t, state.Options{Now: clock.Now}).Store
	if _, err := s.JoinSlackThread(ctx, "n", "a", "r", time.Hour, time.Minute, false); err != nil {
		t.Fatal(err)
	}
	clock.Advance(5 * time.Minute)
	if th, _ := s.JoinSlackThread(ctx, "n", "a", "r", time.Hour, time.Minute, false); th.Owner != "a" {
		t.Fatalf("the owner rejoining lost its thread: %+v", th)
	}
	clock.Advance(100 * time.Millisecond)
	if th, _ := s.JoinSlackThread(ctx, "n", "b", "r", time.Hour, time.Minute, false); th.Owner != "a" {
		t.Fatalf("the thread was taken while its owner posts: %+v", th)
	}
}

// TestJoinSlackThreadOneOwner: of concurrent first failures of one
// fingerprint (two replicas), exactly one opens the thread.
func TestJoinSlackThreadOneOwner(t *testing.T) {
	ctx := context.Background()
	s := statetest.New(t)
	var wg sync.WaitGroup
	owners := make([]string, 8)
	for i := range owners {
		wg.Add(1)
		go func() {
			defer wg.Done()
			th, err := s.JoinSlackThread(ctx, "n", fmt.Sprintf("r#%d.1", i), "r", time.Hour, time.Minute, false)
			if err != nil {
				t.Error(err)
			}
			owners[i] = th.Owner
		}()
	}
	wg.Wait()
	for _, o := range owners {
		if o != owners[0] {
			t.Fatalf("owners disagree: %v", owners)
		}
	}
}

func TestSlackPageEvent(t *testing.T) {
	ctx := context.Background()
	s := statetest.New(t)
	page := func(ev string) state.SlackPage {
		t.Helper()
		p, err := s.SlackPageEvent(ctx, "crit|incident|fp", ev, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	if p := page("1-0"); !p.First || p.Count != 1 {
		t.Fatalf("first event = %+v", p)
	}
	if p := page("1-0"); !p.First || p.Count != 1 {
		t.Fatalf("the first event retried = %+v, want still first, counted once", p)
	}
	if err := s.SetSlackPageRef(ctx, "crit|incident|fp", state.SlackRef{Channel: "C9", TS: "5.5"}); err != nil {
		t.Fatal(err)
	}
	if p := page("2-0"); p.First || p.Count != 2 || p.Ref.TS != "5.5" {
		t.Fatalf("second event = %+v, want held back, 2, the page's ref", p)
	}
}

func TestSlackMark(t *testing.T) {
	ctx := context.Background()
	s := statetest.New(t)
	if d, err := s.SlackMarked(ctx, "m"); err != nil || d != 0 {
		t.Fatalf("unset mark = %s, %v", d, err)
	}
	if ok, err := s.SlackMark(ctx, "m", time.Minute); err != nil || !ok {
		t.Fatalf("first mark = %v, %v", ok, err)
	}
	if ok, _ := s.SlackMark(ctx, "m", time.Minute); ok {
		t.Fatal("a set mark was set again")
	}
	if d, _ := s.SlackMarked(ctx, "m"); d <= 0 || d > time.Minute {
		t.Fatalf("mark holds %s", d)
	}
}

// A longer hold extends the mark (a 30 s Retry-After arriving while a 1 s
// one holds); a shorter one leaves it.
func TestExtendSlackMark(t *testing.T) {
	ctx := context.Background()
	s := statetest.New(t)
	if err := s.ExtendSlackMark(ctx, "rl", time.Second); err != nil {
		t.Fatal(err)
	}
	if err := s.ExtendSlackMark(ctx, "rl", 30*time.Second); err != nil {
		t.Fatal(err)
	}
	if d, _ := s.SlackMarked(ctx, "rl"); d <= 29*time.Second {
		t.Fatalf("after a 30 s hold the mark holds %s", d)
	}
	if err := s.ExtendSlackMark(ctx, "rl", time.Second); err != nil {
		t.Fatal(err)
	}
	if d, _ := s.SlackMarked(ctx, "rl"); d <= 29*time.Second {
		t.Fatalf("a shorter hold cut the mark to %s", d)
	}
}

func TestAuditFeed(t *testing.T) {
	ctx := context.Background()
	s := statetest.New(t)
	const group = "g"
	if err := s.EnsureAuditGroup(ctx, group); err != nil {
		t.Fatal(err)
	}
	if err := s.EnsureAuditGroup(ctx, group); err != nil {
		t.Fatalf("second EnsureAuditGroup: %v", err)
	}
	for i := range 3 {
		if _, err := s.Audit(ctx, state.AuditEntry{Actor: "ccm", ActionType: state.ActionDetection, Outcome: state.OutcomeSuccess,
			FailureID: fmt.Sprintf("r#%d.1", i)}); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.ReadAuditGroup(ctx, group, "c1", 10, 10*time.Millisecond)
	if err != nil || len(got) != 3 || got[0].FailureID != "r#0.1" {
		t.Fatalf("read = %+v, %v", got, err)
	}
	if again, err := s.ReadAuditGroup(ctx, group, "c2", 10, 10*time.Millisecond); err != nil || len(again) != 0 {
		t.Fatalf("a second consumer read %d entries already delivered: %v", len(again), err)
	}
	if err := s.AckAudit(ctx, group, got[0].ID); err != nil {
		t.Fatal(err)
	}
	time.Sleep(20 * time.Millisecond)
	// c1 "crashed": c2 claims what it never acknowledged.
	claimed, err := s.ClaimAuditPending(ctx, group, "c2", 10*time.Millisecond, 10)
	if err != nil || len(claimed) != 2 || claimed[0].ID != got[1].ID {
		t.Fatalf("claimed = %+v, %v; want the 2 unacknowledged", claimed, err)
	}
	if err := s.AckAudit(ctx, group, claimed[0].ID, claimed[1].ID); err != nil {
		t.Fatal(err)
	}
	if left, err := s.ClaimAuditPending(ctx, group, "c2", 0, 10); err != nil || len(left) != 0 {
		t.Fatalf("after the acks %d are pending: %v", len(left), err)
	}
}

// TestSlackWindowsFollowTheClock: a thread, a page and a mark end when
// the store's clock passes their window, on either backend (the embedded
// Redis never expires a key by itself); an incident keeps its thread open.
func TestSlackWindowsFollowTheClock(t *testing.T) {
	ctx := context.Background()
	clock := statetest.NewClock(t0)
	s := statetest.Open(t, state.Options{Now: clock.Now}).Store
	join := func(id string, extend bool) state.SlackThread {
		t.Helper()
		th, err := s.JoinSlackThread(ctx, "n", id, "r", time.Hour, time.Minute, extend)
		if err != nil {
			t.Fatal(err)
		}
		return th
	}
	join("a", false)
	if _, err := s.SetSlackThreadRoot(ctx, "n", "a", state.SlackRef{Channel: "C1", TS: "1.1"}); err != nil {
		t.Fatal(err)
	}
	clock.Advance(50 * time.Minute)
	if th := join("b", true); th.Owner != "a" { // an incident: another hour from now
		t.Fatalf("within the window: %+v", th)
	}
	clock.Advance(50 * time.Minute)
	if th := join("c", false); th.Owner != "a" || th.Times != 3 {
		t.Fatalf("extended by the incident: %+v", th)
	}
	clock.Advance(61 * time.Minute)
	if th := join("d", false); th.Owner != "d" || th.Times != 1 {
		t.Fatalf("after the window: %+v, want a new thread", th)
	}

	if p, _ := s.SlackPageEvent(ctx, "p", "1", time.Hour); !p.First {
		t.Fatal("first page event not first")
	}
	clock.Advance(59 * time.Minute)
	if p, _ := s.SlackPageEvent(ctx, "p", "2", time.Hour); p.First || p.Count != 2 {
		t.Fatalf("within the window: %+v", p)
	}
	clock.Advance(2 * time.Minute)
	if p, _ := s.SlackPageEvent(ctx, "p", "3", time.Hour); !p.First || p.Count != 1 || p.Ref.TS != "" {
		t.Fatalf("after the window: %+v, want a new page", p)
	}

	if ok, _ := s.SlackMark(ctx, "m", time.Minute); !ok {
		t.Fatal("mark not set")
	}
	clock.Advance(30 * time.Second)
	if d, _ := s.SlackMarked(ctx, "m"); d <= 29*time.Second || d > 30*time.Second {
		t.Fatalf("mark holds %s, want 30s (to the ms)", d)
	}
	clock.Advance(31 * time.Second)
	if d, _ := s.SlackMarked(ctx, "m"); d != 0 {
		t.Fatalf("mark holds %s after its time", d)
	}
	if ok, _ := s.SlackMark(ctx, "m", time.Minute); !ok {
		t.Fatal("an ended mark could not be set again")
	}
}
