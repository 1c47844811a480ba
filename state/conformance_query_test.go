package state_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/ccm-ci/ccm/analysis"
	"github.com/ccm-ci/ccm/state"
	"github.com/ccm-ci/ccm/state/statetest"
	"github.com/google/go-cmp/cmp"
)

func ids(recs []state.FailureRecord) []string {
	var out []string
	for _, r := range recs {
		out = append(out, r.ID)
	}
	return out
}

func testListFailures(t *testing.T, open backend) {
	ctx := context.Background()
	s := open(t, state.Options{}).Store
	// Five failures a minute apart; the third and fifth are analyzed.
	var all []state.FailureRecord
	for i := range 5 {
		repo := "acme/api"
		if i%2 == 1 {
			repo = "acme/web"
		}
		rec := failure(repo, int64(200+i), t0.Add(time.Duration(i)*time.Minute))
		mustCreate(t, s, rec)
		all = append(all, rec)
	}
	for _, i := range []int{2, 4} {
		if err := s.SaveAnalysis(ctx, all[i].ID, newAnalysis(analysis.CategoryTimeout, 1), event(state.ActionAnalysis)); err != nil {
			t.Fatalf("SaveAnalysis: %v", err)
		}
	}
	id := func(i int) string { return all[i].ID }
	tests := []struct {
		name string
		q    state.FailureQuery
		want []string
	}{
		{"all newest first", state.FailureQuery{}, []string{id(4), id(3), id(2), id(1), id(0)}},
		{"repo", state.FailureQuery{Repo: "acme/web"}, []string{id(3), id(1)}},
		{"status", state.FailureQuery{Status: state.StatusAnalyzed}, []string{id(4), id(2)}},
		{"repo and status", state.FailureQuery{Repo: "acme/api", Status: state.StatusDetected}, []string{id(0)}},
		{"since inclusive", state.FailureQuery{Since: all[3].DetectedAt}, []string{id(4), id(3)}},
		{"until inclusive", state.FailureQuery{Until: all[1].DetectedAt}, []string{id(1), id(0)}},
		{"same ms, one ns later", state.FailureQuery{Since: all[3].DetectedAt.Add(time.Nanosecond)}, []string{id(4)}},
		{"window", state.FailureQuery{Since: all[1].DetectedAt, Until: all[3].DetectedAt}, []string{id(3), id(2), id(1)}},
		{"limit", state.FailureQuery{Limit: 2}, []string{id(4), id(3)}},
		{"unknown repo", state.FailureQuery{Repo: "acme/none"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := s.ListFailures(ctx, tc.q)
			if err != nil {
				t.Fatalf("ListFailures: %v", err)
			}
			if diff := cmp.Diff(tc.want, ids(got), cmpOpts...); diff != "" {
				t.Errorf("ListFailures (-want +got):\n%s", diff)
			}
		})
	}
}

func testCursors(t *testing.T, open backend) {
	ctx := context.Background()
	s := open(t, state.Options{}).Store
	if got, err := s.Cursor(ctx, "acme/api"); err != nil || !got.IsZero() {
		t.Fatalf("Cursor(new) = %v, %v; want zero", got, err)
	}
	steps := []struct {
		name string
		set  time.Time
		want time.Time
	}{
		{"first", t0, t0},
		{"later by a nanosecond", t0.Add(time.Nanosecond), t0.Add(time.Nanosecond)},
		{"earlier is ignored", t0.Add(-time.Hour), t0.Add(time.Nanosecond)},
		{"other zone, same instant is ignored", t0.Add(time.Nanosecond).In(time.FixedZone("X", 3600)), t0.Add(time.Nanosecond)},
		{"later", t0.Add(24 * time.Hour), t0.Add(24 * time.Hour)},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			if err := s.SetCursor(ctx, "acme/api", st.set); err != nil {
				t.Fatalf("SetCursor: %v", err)
			}
			got, err := s.Cursor(ctx, "acme/api")
			if err != nil || !got.Equal(st.want) {
				t.Errorf("Cursor = %v, %v; want %v", got, err, st.want)
			}
		})
	}
	if got, _ := s.Cursor(ctx, "acme/web"); !got.IsZero() {
		t.Errorf("another repo's cursor = %v, want zero", got)
	}
	if err := s.SetCursor(ctx, "acme/api", time.Time{}); err == nil {
		t.Error("SetCursor(zero time) = nil, want an error")
	}
}

func testCache(t *testing.T, open backend) {
	ctx := context.Background()
	env := open(t, state.Options{})
	s := env.Store
	if _, ok, err := s.CachedAnalysis(ctx, "fp"); err != nil || ok {
		t.Fatalf("CachedAnalysis(miss) = %v, %v; want false, nil", ok, err)
	}
	a := newAnalysis(analysis.CategoryFlakyTest, 3)
	if err := s.CacheAnalysis(ctx, "fp", a, time.Hour); err != nil {
		t.Fatalf("CacheAnalysis: %v", err)
	}
	got, ok, err := s.CachedAnalysis(ctx, "fp")
	if err != nil || !ok {
		t.Fatalf("CachedAnalysis = %v, %v; want hit", ok, err)
	}
	if diff := cmp.Diff(a, got, cmpOpts...); diff != "" {
		t.Errorf("cached analysis (-want +got):\n%s", diff)
	}
	ttl, err := env.Client.PTTL(ctx, env.Prefix+"cache:analysis:fp").Result()
	if err != nil || ttl <= 0 || ttl > time.Hour {
		t.Errorf("PTTL = %v, %v; want in (0, 1h]", ttl, err)
	}
	// Expiry, honestly: miniredis only moves its clock on FastForward; real
	// Redis gets a TTL short enough to wait out.
	if err := s.CacheAnalysis(ctx, "short", a, 20*time.Millisecond); err != nil {
		t.Fatalf("CacheAnalysis: %v", err)
	}
	if env.Mini != nil {
		env.Mini.FastForward(time.Second)
	} else {
		time.Sleep(60 * time.Millisecond)
	}
	if _, ok, err := s.CachedAnalysis(ctx, "short"); err != nil || ok {
		t.Errorf("CachedAnalysis after ttl = %v, %v; want a miss", ok, err)
	}
	for _, bad := range []struct {
		name string
		fp   string
		a    analysis.AnalysisResult
		ttl  time.Duration
	}{
		{"no fingerprint", "", a, time.Hour},
		{"no ttl", "fp", a, 0},
		{"invalid analysis", "fp", analysis.AnalysisResult{}, time.Hour},
	} {
		t.Run(bad.name, func(t *testing.T) {
			if err := s.CacheAnalysis(ctx, bad.fp, bad.a, bad.ttl); err == nil {
				t.Error("CacheAnalysis = nil, want an error")
			}
		})
	}
}

func testSettings(t *testing.T, open backend) {
	ctx := context.Background()
	s := open(t, state.Options{}).Store
	if _, ok, err := s.Setting(ctx, "threshold:acme/api"); err != nil || ok {
		t.Fatalf("Setting(unset) = %v, %v; want false", ok, err)
	}
	for _, v := range []string{"5", "7"} {
		ev := event(state.ActionConfig)
		ev.Actor = "U123"
		ev.Details = map[string]any{"threshold": v}
		if err := s.SetSetting(ctx, "threshold:acme/api", v, ev); err != nil {
			t.Fatalf("SetSetting: %v", err)
		}
		got, ok, err := s.Setting(ctx, "threshold:acme/api")
		if err != nil || !ok || got != v {
			t.Errorf("Setting = %q, %v, %v; want %q", got, ok, err, v)
		}
	}
	es, err := s.QueryAudit(ctx, state.AuditQuery{ActionType: state.ActionConfig})
	if err != nil || len(es) != 2 || es[0].Details["threshold"] != "7" || es[0].Actor != "U123" {
		t.Errorf("config entries = %+v, %v; want two, newest 7 by U123", es, err)
	}
	if err := s.SetSetting(ctx, "k", "v", state.AuditEntry{}); err == nil {
		t.Error("SetSetting without a valid event = nil, want an error")
	}
	if _, ok, _ := s.Setting(ctx, "k"); ok {
		t.Error("a rejected SetSetting stored its value")
	}
}

func testEvictionPolicy(t *testing.T, open backend) {
	ctx := context.Background()
	env := open(t, state.Options{})
	if env.Mini != nil {
		// Not a missing Redis: the real half of the suite runs this.
		t.Skip("miniredis has no eviction and no CONFIG")
	}
	orig, err := env.Client.ConfigGet(ctx, "maxmemory-policy").Result()
	if err != nil {
		statetest.SkipUnlessRequired(t, fmt.Sprintf("this test needs CONFIG, which the test Redis refused: %v", err))
	}
	t.Cleanup(func() {
		if err := env.Client.ConfigSet(context.Background(), "maxmemory-policy", orig["maxmemory-policy"]).Err(); err != nil {
			t.Errorf("restore maxmemory-policy: %v", err)
		}
	})
	for _, tc := range []struct {
		policy  string
		wantErr bool
	}{
		{"noeviction", false},
		{"allkeys-lru", true},
		{"volatile-ttl", true},
	} {
		t.Run(tc.policy, func(t *testing.T) {
			if err := env.Client.ConfigSet(ctx, "maxmemory-policy", tc.policy).Err(); err != nil {
				t.Fatalf("CONFIG SET: %v", err)
			}
			err := env.Store.CheckEvictionPolicy(ctx)
			if (err != nil) != tc.wantErr {
				t.Errorf("CheckEvictionPolicy = %v, want error %v", err, tc.wantErr)
			}
		})
	}
}
