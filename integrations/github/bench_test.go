package github

import (
	"context"
	"testing"
	"time"

	"github.com/ccm-ci/ccm/sim/githubsim"
)

// BenchmarkListFailedRuns_ETag compares a poll with an empty ETag cache
// (every list answered 200 and decoded from the wire) with the next poll
// of unchanged runs (answered 304, served from the cache), and reports
// the rate-limit requests each poll spends.
func BenchmarkListFailedRuns_ETag(b *testing.B) {
	s := githubsim.New(b)
	clock := newFakeClock()
	now := clock.Now()
	for i := range 100 {
		s.AddRun("acme/web", githubsim.Run{ID: int64(i + 1), Conclusion: "failure", CreatedAt: now.Add(-time.Duration(i) * time.Minute)})
	}
	ctx := context.Background()
	var cold, warm time.Duration
	var coldSpent, warmSpent int
	for b.Loop() {
		c, err := New(testOptions(s, clock, nil))
		if err != nil {
			b.Fatal(err)
		}
		r0, t0 := s.Remaining(), time.Now()
		if _, err := c.ListFailedRuns(ctx, "acme/web", now.Add(-24*time.Hour)); err != nil {
			b.Fatal(err)
		}
		r1, t1 := s.Remaining(), time.Now()
		if _, err := c.ListFailedRuns(ctx, "acme/web", now.Add(-24*time.Hour)); err != nil {
			b.Fatal(err)
		}
		cold, warm = cold+t1.Sub(t0), warm+time.Since(t1)
		coldSpent, warmSpent = coldSpent+r0-r1, warmSpent+r1-s.Remaining()
		s.RateLimitRemaining(5000)
		s.ResetRequests()
	}
	b.ReportMetric(float64(warm)/float64(cold), "warm/cold")
	b.ReportMetric(float64(coldSpent)/float64(b.N), "cold-requests/op")
	b.ReportMetric(float64(warmSpent)/float64(b.N), "warm-requests/op")
}
