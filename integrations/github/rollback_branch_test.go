package github

import (
	"context"
	"errors"
	"testing"

	"github.com/ccm-ci/ccm/sim/githubsim"
)

// TestDeleteFixBranch_OnlyOurs: DeleteFixBranch deletes the fix branch only
// when its head is ccm's fix commit for the failure on the base SHA; a
// branch of that name holding anything else is ErrNotOurBranch, and a
// check GitHub cannot answer deletes nothing. Neither sends a DELETE.
func TestDeleteFixBranch_OnlyOurs(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	branch := FixBranch(fixID)

	t.Run("ccm's branch is deleted", func(t *testing.T) {
		t.Parallel()
		c, s, fix := fixSetup(t, nil)
		if _, err := c.OpenFixPR(ctx, remRepo, fix); err != nil {
			t.Fatal(err)
		}
		s.ResetWrites()
		if err := c.DeleteFixBranch(ctx, remRepo, fix.FailureID, fix.BaseSHA); err != nil {
			t.Fatal(err)
		}
		if _, ok := s.Branch(remRepo, branch); ok {
			t.Errorf("branch %s left", branch)
		}
		checkWrites(t, s, 1, githubsim.RouteDeleteRef)
		// Repeated (a crash after the DELETE): gone is done, nothing sent.
		s.ResetWrites()
		if err := c.DeleteFixBranch(ctx, remRepo, fix.FailureID, fix.BaseSHA); err != nil {
			t.Errorf("deleting a deleted branch: %v", err)
		}
		checkWrites(t, s, 0)
	})

	notOurs := map[string]func(s *githubsim.Server, fix FixPR) (baseSHA string){
		"someone else's branch, unrelated history": func(s *githubsim.Server, fix FixPR) string {
			s.PushCommit(remRepo, branch, map[string]string{"other.txt": "someone's\n"})
			return fix.BaseSHA
		},
		"someone else's branch on the base, no trailer": func(s *githubsim.Server, fix FixPR) string {
			s.SetBranch(remRepo, branch, fix.BaseSHA)
			s.PushCommit(remRepo, branch, map[string]string{"other.txt": "someone's\n"})
			return fix.BaseSHA
		},
		"ccm's branch someone pushed to": func(s *githubsim.Server, fix FixPR) string {
			s.PushCommit(remRepo, branch, map[string]string{"more.txt": "a person's commit\n"})
			return fix.BaseSHA
		},
		"ccm's commit on another base": func(s *githubsim.Server, fix FixPR) string {
			return "0123456789abcdef0123456789abcdef01234567"
		},
	}
	for name, setup := range notOurs {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c, s, fix := fixSetup(t, nil)
			if name == "ccm's branch someone pushed to" || name == "ccm's commit on another base" {
				if _, err := c.OpenFixPR(ctx, remRepo, fix); err != nil {
					t.Fatal(err)
				}
			}
			base := setup(s, fix)
			head, _ := s.Branch(remRepo, branch)
			s.ResetWrites()
			err := c.DeleteFixBranch(ctx, remRepo, fix.FailureID, base)
			if !errors.Is(err, ErrNotOurBranch) || !errors.Is(err, ErrRefused) {
				t.Errorf("err %v, want ErrNotOurBranch", err)
			}
			if got, ok := s.Branch(remRepo, branch); !ok || got != head {
				t.Errorf("branch %s at %q (exists %v), want kept at %s", branch, got, ok, head)
			}
			checkWrites(t, s, 0)
		})
	}

	for _, route := range []string{githubsim.RouteGetRef, githubsim.RouteGetGitCommit} {
		t.Run("503 on "+route, func(t *testing.T) {
			t.Parallel()
			c, s, fix := fixSetup(t, nil)
			head := s.PushCommit(remRepo, branch, map[string]string{"other.txt": "someone's\n"})
			s.FailNext(route, githubsim.ServerError(503).WithCount(-1))
			err := c.DeleteFixBranch(ctx, remRepo, fix.FailureID, fix.BaseSHA)
			var re *RetryError
			if !errors.As(err, &re) || errors.Is(err, ErrNotOurBranch) {
				t.Errorf("err %v, want the check's RetryError", err)
			}
			if got, ok := s.Branch(remRepo, branch); !ok || got != head {
				t.Errorf("branch %s at %q (exists %v), want kept at %s", branch, got, ok, head)
			}
			checkWrites(t, s, 0)
		})
	}

	t.Run("nothing to prove it with", func(t *testing.T) {
		t.Parallel()
		c, s, fix := fixSetup(t, nil)
		s.PushCommit(remRepo, branch, map[string]string{"other.txt": "someone's\n"})
		s.ResetRequests()
		for _, args := range [][2]string{{"", fix.BaseSHA}, {fix.FailureID, ""}, {fix.FailureID, "main"}} {
			if err := c.DeleteFixBranch(ctx, remRepo, args[0], args[1]); !errors.Is(err, ErrRefused) {
				t.Errorf("DeleteFixBranch(%q, %q) = %v, want ErrRefused", args[0], args[1], err)
			}
		}
		if n := len(s.Requests()); n != 0 {
			t.Errorf("refused deletes sent %d requests", n)
		}
	})
}
