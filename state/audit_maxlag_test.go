package state_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/ccm-ci/ccm/state"
	"github.com/ccm-ci/ccm/state/statetest"
)

// lagT is what the helpers need of *testing.T and *rapid.T alike.
type lagT interface {
	Helper()
	Fatal(args ...any)
	Fatalf(format string, args ...any)
}

// checkLagBound fails unless every entry left in the stream is within
// max-lag-ms of its ts: the bound Until queries and retention rely on.
func checkLagBound(t lagT, ctx context.Context, s *state.Store) int64 {
	t.Helper()
	lag, err := s.MaxLag(ctx)
	if err != nil {
		t.Fatal(err)
	}
	all, err := s.QueryAudit(ctx, state.AuditQuery{Limit: 10000})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range all {
		ms, err := strconv.ParseInt(strings.SplitN(e.ID, "-", 2)[0], 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		if got := ms - e.Timestamp.UnixMilli(); got > lag {
			t.Fatalf("entry %s is %d ms ahead of its ts, max-lag-ms is %d", e.ID, got, lag)
		}
	}
	return lag
}

func auditAt(t lagT, ctx context.Context, s *state.Store, ts time.Time) {
	t.Helper()
	if _, err := s.Audit(ctx, state.AuditEntry{Timestamp: ts, Actor: "test", ActionType: state.ActionConfig, Outcome: state.OutcomeSuccess}); err != nil {
		t.Fatal(err)
	}
}

// A back-dated entry raises max-lag-ms; it comes down again only after
// retention has removed that entry and the rest of its generation.
func TestAuditMaxLagDecaysOnceLaggingEntriesAreGone(t *testing.T) {
	ctx := context.Background()
	env := statetest.Open(t, state.Options{})
	s := env.Store
	base := time.Now().Add(-time.Hour).Truncate(time.Second)
	at := func(sec int) time.Time { return base.Add(time.Duration(sec) * time.Second) }
	retain := func(cutoff time.Time) {
		t.Helper()
		if _, err := s.ApplyRetention(ctx, cutoff); err != nil {
			t.Fatal(err)
		}
	}
	steps := []struct {
		name    string
		do      func()
		wantLag int64
	}{
		{"in order", func() { auditAt(t, ctx, s, at(10)) }, 0},
		{"back-dated by 10 s", func() { auditAt(t, ctx, s, at(0)) }, 10_000},
		{"later entries keep it while the back-dated one is there", func() { auditAt(t, ctx, s, at(20)); auditAt(t, ctx, s, at(30)) }, 10_000},
		{"retention removes it; its generation's bound stays for one more", func() { retain(at(15)); auditAt(t, ctx, s, at(40)) }, 10_000},
		{"the rest of that generation goes; the bound decays", func() { retain(at(35)); auditAt(t, ctx, s, at(50)) }, 0},
		{"a new lag counts again", func() { auditAt(t, ctx, s, at(45)) }, 5_000},
	}
	for _, st := range steps {
		st.do()
		if got := checkLagBound(t, ctx, s); got != st.wantLag {
			t.Fatalf("%s: max-lag-ms = %d, want %d", st.name, got, st.wantLag)
		}
	}
}

// A max-lag-ms written before generations (a plain number) still bounds
// the entries written under it until they are gone.
func TestAuditMaxLagReadsTheOldPlainValue(t *testing.T) {
	ctx := context.Background()
	env := statetest.Open(t, state.Options{})
	base := time.Now().Add(-time.Hour).Truncate(time.Second)
	auditAt(t, ctx, env.Store, base)
	if err := env.Client.Set(ctx, env.Prefix+"audit:max-lag-ms", "7000", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if lag := checkLagBound(t, ctx, env.Store); lag != 7000 {
		t.Fatalf("max-lag-ms = %d, want the plain 7000", lag)
	}
	auditAt(t, ctx, env.Store, base.Add(time.Second))
	if lag := checkLagBound(t, ctx, env.Store); lag != 7000 {
		t.Fatalf("max-lag-ms after a write = %d, want 7000 kept while older entries remain", lag)
	}
}

// Property: whatever order entries arrive in and however retention cuts
// the stream, every entry left is within max-lag-ms of its ts.
func TestAuditMaxLagBoundsEveryEntryProperty(t *testing.T) {
	ctx := context.Background()
	env := statetest.Open(t, state.Options{})
	base := time.Now().Add(-24 * time.Hour).Truncate(time.Second)
	rapid.Check(t, func(rt *rapid.T) {
		s := env.Fresh(state.Options{})
		clock := 0
		for range rapid.IntRange(1, 40).Draw(rt, "ops") {
			if rapid.IntRange(0, 5).Draw(rt, "retain?") == 0 {
				cut := base.Add(time.Duration(rapid.IntRange(0, clock+1).Draw(rt, "cutoff")) * time.Second)
				if _, err := s.ApplyRetention(ctx, cut); err != nil {
					rt.Fatal(err)
				}
			} else {
				clock += rapid.IntRange(0, 5).Draw(rt, "advance")
				back := rapid.IntRange(0, 20).Draw(rt, "back")
				auditAt(rt, ctx, s, base.Add(time.Duration(max(clock-back, 0))*time.Second))
			}
			checkLagBound(rt, ctx, s)
		}
	})
}
