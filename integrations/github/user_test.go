package github

import (
	"context"
	"errors"
	"testing"

	"github.com/ccm-ci/ccm/sim/githubsim"
)

// Login reads the token's user once; a failed read is not kept.
func TestLoginIsReadOnce(t *testing.T) {
	s := githubsim.New(t)
	s.SetLogin("ccm-ops")
	c, err := New(testOptions(s, newFakeClock(), func(o *Options) { o.MaxAttempts = 1 }))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	s.FailNext(githubsim.RouteUser, githubsim.ServerError(502))
	var re *RetryError
	if _, err := c.Login(ctx); !errors.As(err, &re) {
		t.Fatalf("Login after a 502: %v, want a RetryError", err)
	}
	for range 2 {
		if got, err := c.Login(ctx); err != nil || got != "ccm-ops" {
			t.Fatalf("Login = %q, %v; want ccm-ops", got, err)
		}
	}
	if n := len(s.RequestsTo(githubsim.RouteUser)); n != 2 {
		t.Errorf("%d GET /user, want 2 (the failed one, then one read kept)", n)
	}
}
