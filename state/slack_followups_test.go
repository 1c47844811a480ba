package state_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/redis/go-redis/v9"

	"github.com/ccm-ci/ccm/state"
	"github.com/ccm-ci/ccm/state/statetest"
)

// followUp is a follow-up of failure id in thread ts of C1, due in d.
func followUp(id, ts string, d time.Duration) state.SlackFollowUp {
	return state.SlackFollowUp{FailureID: id, Channel: "C1", Thread: ts, AskedBy: "U1",
		AskedAt: t0, Deadline: t0.Add(d)}
}

func addFollowUps(t *testing.T, s *state.Store, fs ...state.SlackFollowUp) {
	t.Helper()
	for _, f := range fs {
		if err := s.AddSlackFollowUp(context.Background(), f); err != nil {
			t.Fatal(err)
		}
	}
}

func pendingFollowUps(t *testing.T, s *state.Store) []state.SlackFollowUp {
	t.Helper()
	fs, err := s.SlackFollowUps(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return fs
}

// Follow-ups come back exactly as recorded, earliest deadline first; one
// recorded again (a failed post put back) replaces itself; two threads
// asking about one run are two follow-ups. Every deadline here has passed
// by the real clock: the keys still stay for SlackFollowUpKeep.
func TestSlackFollowUpsRoundTrip(t *testing.T) {
	e := statetest.Open(t, state.Options{})
	s := e.Store
	late, early, other := followUp("acme/web#1.1", "1.1", 15*time.Minute), followUp("acme/web#2.1", "2.2", time.Minute),
		followUp("acme/web#1.1", "3.3", 5*time.Minute)
	addFollowUps(t, s, late, early, other, late)
	want := []state.SlackFollowUp{early, other, late}
	if diff := cmp.Diff(want, pendingFollowUps(t, s), cmpOpts...); diff != "" {
		t.Fatalf("follow-ups (-want +got):\n%s", diff)
	}
	for _, k := range []string{"slack:followups", "slack:followups:due"} {
		if ttl, err := e.Client.PTTL(context.Background(), e.Prefix+k).Result(); err != nil || ttl < state.SlackFollowUpKeep-time.Minute {
			t.Errorf("%s expires in %s (%v), want about %s", k, ttl, err, state.SlackFollowUpKeep)
		}
	}
}

func TestAddSlackFollowUpRefusesIncomplete(t *testing.T) {
	s := statetest.New(t)
	for _, tc := range []struct {
		name string
		edit func(*state.SlackFollowUp)
	}{
		{"no failure", func(f *state.SlackFollowUp) { f.FailureID = "" }},
		{"no channel", func(f *state.SlackFollowUp) { f.Channel = "" }},
		{"no thread", func(f *state.SlackFollowUp) { f.Thread = "" }},
		{"no deadline", func(f *state.SlackFollowUp) { f.Deadline = time.Time{} }},
		{"a separator in the thread", func(f *state.SlackFollowUp) { f.Thread = "1|2" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := followUp("acme/web#1.1", "1.1", time.Minute)
			tc.edit(&f)
			if err := s.AddSlackFollowUp(context.Background(), f); err == nil {
				t.Fatalf("%+v was accepted", f)
			}
		})
	}
	if fs := pendingFollowUps(t, s); len(fs) != 0 {
		t.Fatalf("refused follow-ups were kept: %+v", fs)
	}
}

// However many bots claim one follow-up at once, exactly one gets it (and
// posts), and it is gone for every later reader.
func TestClaimSlackFollowUpOnce(t *testing.T) {
	for _, tc := range []struct {
		name     string
		claimers int
	}{{"one bot", 1}, {"two replicas", 2}, {"many", 16}} {
		t.Run(tc.name, func(t *testing.T) {
			s := statetest.New(t)
			f, kept := followUp("acme/web#1.1", "1.1", time.Minute), followUp("acme/web#2.1", "2.2", time.Minute)
			addFollowUps(t, s, f, kept)
			var won atomic.Int32
			var wg sync.WaitGroup
			for range tc.claimers {
				wg.Go(func() {
					ok, err := s.ClaimSlackFollowUp(context.Background(), f.Key())
					if err != nil {
						t.Error(err)
					}
					if ok {
						won.Add(1)
					}
				})
			}
			wg.Wait()
			if won.Load() != 1 {
				t.Fatalf("%d of %d claims won, want 1", won.Load(), tc.claimers)
			}
			if diff := cmp.Diff([]state.SlackFollowUp{kept}, pendingFollowUps(t, s), cmpOpts...); diff != "" {
				t.Fatalf("after the claim (-want +got):\n%s", diff)
			}
		})
	}
}

// Only follow-ups whose deadline is before the cut are dropped.
func TestDropSlackFollowUps(t *testing.T) {
	for _, tc := range []struct {
		name    string
		before  time.Time
		dropped int
		left    []string
	}{
		{"none due", t0, 0, []string{"a#1.1", "b#2.1"}},
		{"the deadline itself is kept", t0.Add(time.Minute), 0, []string{"a#1.1", "b#2.1"}},
		{"one past", t0.Add(time.Minute + time.Millisecond), 1, []string{"b#2.1"}},
		{"all past", t0.Add(time.Hour), 2, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := statetest.New(t)
			addFollowUps(t, s, followUp("a#1.1", "1.1", time.Minute), followUp("b#2.1", "2.2", 10*time.Minute))
			n, err := s.DropSlackFollowUps(context.Background(), tc.before)
			if err != nil || n != tc.dropped {
				t.Fatalf("dropped %d, %v; want %d", n, err, tc.dropped)
			}
			var left []string
			for _, f := range pendingFollowUps(t, s) {
				left = append(left, f.FailureID)
			}
			if diff := cmp.Diff(tc.left, left); diff != "" {
				t.Fatalf("left (-want +got):\n%s", diff)
			}
		})
	}
}

// A follow-up nobody can read is dropped rather than failing every
// bot's resume from then on.
func TestSlackFollowUpsDropUnreadable(t *testing.T) {
	ctx := context.Background()
	e := statetest.Open(t, state.Options{})
	good := followUp("acme/web#1.1", "1.1", time.Minute)
	addFollowUps(t, e.Store, good)
	bad := "acme/web#2.1|C1|2.2"
	if err := e.Client.HSet(ctx, e.Prefix+"slack:followups", bad, "{not json").Err(); err != nil {
		t.Fatal(err)
	}
	if err := e.Client.ZAdd(ctx, e.Prefix+"slack:followups:due", redis.Z{Score: float64(t0.UnixMilli()), Member: bad}).Err(); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]state.SlackFollowUp{good}, pendingFollowUps(t, e.Store), cmpOpts...); diff != "" {
		t.Fatalf("follow-ups (-want +got):\n%s", diff)
	}
	if n, err := e.Client.HExists(ctx, e.Prefix+"slack:followups", bad).Result(); err != nil || n {
		t.Fatalf("the unreadable follow-up is still there: %v, %v", n, err)
	}
}
