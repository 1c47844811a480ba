package github

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/ccm-ci/ccm/sim/githubsim"
)

const testToken = "ghp_testtoken"

// fakeClock stands in for time: Sleep records the wait and moves the clock
// forward by it, so rate-limit resets pass without a real wait.
type fakeClock struct {
	mu    sync.Mutex
	now   time.Time
	waits []time.Duration
}

func newFakeClock() *fakeClock {
	// Whole seconds, like X-RateLimit-Reset, so waits come out exact.
	return &fakeClock{now: time.Now().Truncate(time.Second)}
}

func (f *fakeClock) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

func (f *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.waits = append(f.waits, d)
	f.now = f.now.Add(d)
	return ctx.Err()
}

func (f *fakeClock) Waits() []time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]time.Duration(nil), f.waits...)
}

// testOptions are fast, deterministic options against the fake; mod
// adjusts them.
func testOptions(s *githubsim.Server, clock *fakeClock, mod func(*Options)) Options {
	opt := Options{
		Token: testToken, BaseURL: s.URL,
		InitialBackoff: 100 * time.Millisecond, MaxBackoff: 2 * time.Second,
		SecondaryBackoff: time.Second, MaxWait: 2 * time.Minute,
		Sleep: clock.Sleep, Now: clock.Now,
	}
	if mod != nil {
		mod(&opt)
	}
	return opt
}

// newTestClient returns a fake GitHub (on the fake clock) and a client for it.
func newTestClient(t *testing.T, mod func(*Options)) (*Client, *githubsim.Server, *fakeClock) {
	t.Helper()
	s := githubsim.New(t)
	clock := newFakeClock()
	s.SetClock(clock.Now)
	c, err := New(testOptions(s, clock, mod))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c, s, clock
}

// failedRun is a completed failed run with one failed job and its log.
func failedRun(id int64, created time.Time) githubsim.Run {
	return githubsim.Run{
		ID: id, Conclusion: "failure", CreatedAt: created,
		Jobs: []githubsim.Job{{
			ID: id*10 + 1, Name: "test", Conclusion: "failure",
			Steps: []githubsim.Step{{Number: 1, Name: "Run tests", Status: "completed", Conclusion: "failure"}},
			Log:   "##[error]Process completed with exit code 1.\n",
		}},
	}
}

func runIDs(runs []Run) []int64 {
	ids := make([]int64, 0, len(runs))
	for _, r := range runs {
		ids = append(ids, r.ID)
	}
	return ids
}

// testNow is a since an hour back, for calls where since does not matter.
func testNow() time.Time { return time.Now().Add(-time.Hour) }
