package github

import (
	"context"
	"errors"
	"io"
	"net/http"
	"sync"
	"time"

	"pgregory.net/rapid"

	"github.com/ccm-ci/ccm/sim/githubsim"
)

// propSetup is newTestClient for a rapid check: a fresh fake GitHub on a
// fake clock, closed (and checked for unexpected requests) afterwards.
func propSetup(rt *rapid.T, mod func(*Options)) (*Client, *githubsim.Server, *fakeClock) {
	s := githubsim.NewServer()
	rt.Cleanup(func() {
		s.Close()
		for _, u := range s.Unexpected() {
			rt.Errorf("githubsim: %s", u)
		}
	})
	clock := newFakeClock()
	s.SetClock(clock.Now)
	c, err := New(testOptions(s, clock, mod))
	if err != nil {
		rt.Fatalf("New: %v", err)
	}
	return c, s, clock
}

// ownTransport is a fresh transport per check, so no connection outlives
// its fake server.
func ownTransport(rt *rapid.T) *http.Transport {
	tr := &http.Transport{}
	rt.Cleanup(tr.CloseIdleConnections)
	return tr
}

// planTransport fails requests according to a plan, one step per request:
// 0 is a network error, any other number a 5xx the fake answers with.
// After the plan, requests go through untouched.
type planTransport struct {
	mu       sync.Mutex
	plan     []int
	requests int
	s        *githubsim.Server
	next     http.RoundTripper
}

func (p *planTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	p.mu.Lock()
	p.requests++
	step, planned := 0, len(p.plan) > 0
	if planned {
		step, p.plan = p.plan[0], p.plan[1:]
	}
	p.mu.Unlock()
	if planned && step == 0 {
		return nil, errors.New("read: connection reset by peer")
	}
	if planned {
		p.s.FailNext("*", githubsim.ServerError(step))
	}
	return p.next.RoundTrip(req)
}

func (p *planTransport) count() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.requests
}

// operation is one public read call, named as its errors are.
type operation struct {
	name string
	// prefix every error of the call starts with.
	prefix string
	// route of the call's first request, and how many requests it makes
	// there when nothing fails.
	route      string
	routeCalls int
	call       func(ctx context.Context, c *Client) error
}

// operations on run 1 (job 11) of repo, as set up by failedRun.
func operations(repo string) []operation {
	return []operation{
		{name: "ListFailedRuns", prefix: "list failed runs " + repo + ": ", route: githubsim.RouteListRuns, routeCalls: len(FailedConclusions), call: func(ctx context.Context, c *Client) error {
			_, err := c.ListFailedRuns(ctx, repo, time.Time{})
			return err
		}},
		{name: "GetRun", prefix: "get run " + repo + "#1: ", route: githubsim.RouteGetRun, routeCalls: 1, call: func(ctx context.Context, c *Client) error {
			_, err := c.GetRun(ctx, repo, 1, 0)
			return err
		}},
		{name: "ListJobs", prefix: "list jobs " + repo + "#1: ", route: githubsim.RouteListJobs, routeCalls: 1, call: func(ctx context.Context, c *Client) error {
			_, err := c.ListJobs(ctx, repo, 1, 0)
			return err
		}},
		{name: "JobLog", prefix: "job log " + repo + " job 11: ", route: githubsim.RouteJobLogs, routeCalls: 1, call: func(ctx context.Context, c *Client) error {
			return c.JobLog(ctx, repo, 11, func(r io.Reader) error {
				_, err := io.Copy(io.Discard, r)
				return err
			})
		}},
	}
}

func drawOperation(rt *rapid.T, repo string) operation {
	ops := operations(repo)
	return ops[rapid.IntRange(0, len(ops)-1).Draw(rt, "operation")]
}
