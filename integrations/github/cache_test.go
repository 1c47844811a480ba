package github

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ccm-ci/ccm/sim/githubsim"
)

func TestETagCache_SecondListServedFrom304(t *testing.T) {
	var mu sync.Mutex
	var obs []Observation
	c, s, clock := newTestClient(t, func(o *Options) {
		o.Observe = func(ob Observation) {
			mu.Lock()
			defer mu.Unlock()
			obs = append(obs, ob)
		}
	})
	s.AddRun("acme/web", failedRun(1, clock.Now()))
	ctx := context.Background()

	first, err := c.ListFailedRuns(ctx, "acme/web", clock.Now().Add(-1))
	if err != nil {
		t.Fatalf("first ListFailedRuns: %v", err)
	}
	remaining := s.Remaining()
	s.ResetRequests()
	mu.Lock()
	obs = nil
	mu.Unlock()

	second, err := c.ListFailedRuns(ctx, "acme/web", clock.Now().Add(-1))
	if err != nil {
		t.Fatalf("second ListFailedRuns: %v", err)
	}
	if diff := cmp.Diff(first, second); diff != "" {
		t.Errorf("cached answer differs (-first +second):\n%s", diff)
	}
	if got := s.Remaining(); got != remaining {
		t.Errorf("rate limit remaining went %d → %d; a 304 must not consume it", remaining, got)
	}
	reqs := s.RequestsTo(githubsim.RouteListRuns)
	if len(reqs) != len(FailedConclusions) {
		t.Fatalf("%d list requests, want %d", len(reqs), len(FailedConclusions))
	}
	for _, r := range reqs {
		if r.Header.Get("If-None-Match") == "" {
			t.Errorf("request %s?%s sent no If-None-Match", r.Path, r.Query.Encode())
		}
	}
	mu.Lock()
	seen := append([]Observation(nil), obs...)
	mu.Unlock()
	if len(seen) != len(FailedConclusions) {
		t.Errorf("%d observations, want %d", len(seen), len(FailedConclusions))
	}
	for _, o := range seen {
		want := Observation{Method: "GET", Route: "/repos/{owner}/{repo}/actions/runs", Code: 304,
			RateRemaining: remaining, RateReset: o.RateReset, FromCache: true}
		if diff := cmp.Diff(want, o); diff != "" {
			t.Errorf("observation (-want +got):\n%s", diff)
		}
	}

	// A change on the server changes the ETag: the new run is seen.
	s.AddRun("acme/web", failedRun(2, clock.Now()))
	third, err := c.ListFailedRuns(ctx, "acme/web", clock.Now().Add(-1))
	if err != nil {
		t.Fatalf("third ListFailedRuns: %v", err)
	}
	if diff := cmp.Diff([]int64{2, 1}, runIDs(third)); diff != "" {
		t.Errorf("after change (-want +got):\n%s", diff)
	}
}

func TestETagCache_NeverCachesLogs(t *testing.T) {
	c, s, clock := newTestClient(t, nil)
	s.AddRun("acme/web", failedRun(1, clock.Now()))
	for range 2 {
		if err := c.JobLog(context.Background(), "acme/web", 11, func(io.Reader) error { return nil }); err != nil {
			t.Fatalf("JobLog: %v", err)
		}
	}
	for _, r := range s.RequestsTo(githubsim.RouteJobLogs) {
		if r.Header.Get("If-None-Match") != "" {
			t.Errorf("log request carried If-None-Match")
		}
	}
}

func TestETagCache_LRUBounds(t *testing.T) {
	tests := []struct {
		name        string
		entries     int
		size        int
		wantEntries int
	}{
		{name: "entry bound", entries: cacheEntries + 10, size: 10, wantEntries: cacheEntries},
		{name: "byte bound", entries: 40, size: cacheBodyMax, wantEntries: cacheBytesMax / cacheBodyMax},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newETagCache()
			for i := range tt.entries {
				c.put(&cacheEntry{key: fmt.Sprint(i), etag: "x", body: []byte(strings.Repeat("a", tt.size))})
			}
			if got := c.len(); got != tt.wantEntries {
				t.Errorf("len = %d, want %d", got, tt.wantEntries)
			}
			if _, ok := c.get(fmt.Sprint(tt.entries - 1)); !ok {
				t.Errorf("newest entry evicted")
			}
			if _, ok := c.get("0"); ok {
				t.Errorf("oldest entry kept")
			}
		})
	}
}
