package github

import (
	"context"
	"errors"
	"testing"

	"github.com/ccm-ci/ccm/sim/githubsim"
	"github.com/google/go-cmp/cmp"
)

func TestListCaches(t *testing.T) {
	t.Parallel()
	c, s, _ := newTestClient(t, nil)
	s.AddCache(remRepo, githubsim.Cache{Key: "npm-linux-abc", Ref: "refs/heads/main", SizeInBytes: 10})
	s.AddCache(remRepo, githubsim.Cache{Key: "npm-linux-def", Ref: "refs/heads/dev"})
	s.AddCache(remRepo, githubsim.Cache{Key: "go-linux", Ref: "refs/heads/main"})
	for _, ref := range []string{"main", "refs/heads/main"} {
		got, err := c.ListCaches(context.Background(), remRepo, ref)
		if err != nil {
			t.Fatal(err)
		}
		var keys []string
		for _, k := range got {
			keys = append(keys, k.Key+"@"+k.Ref)
		}
		if diff := cmp.Diff([]string{"npm-linux-abc@refs/heads/main", "go-linux@refs/heads/main"}, keys); diff != "" {
			t.Errorf("ListCaches(%q) (-want +got):\n%s", ref, diff)
		}
	}
	if _, err := c.ListCaches(context.Background(), remRepo, ""); !errors.Is(err, ErrRefused) {
		t.Errorf("empty ref: %v, want ErrRefused", err)
	}
	checkWrites(t, s, 0)
}

func TestDeleteCache(t *testing.T) {
	t.Parallel()
	del := githubsim.RouteDeleteCachesKey
	tests := []struct {
		name     string
		key, ref string
		fault    func(s *githubsim.Server)
		wantErr  error
		writes   []string
		applied  int
		wantLeft []string
	}{
		{name: "listed key on its ref", key: "npm-linux-abc", ref: "main",
			writes: []string{del}, applied: 1, wantLeft: []string{"npm-linux-abc@refs/heads/dev", "go-linux@refs/heads/main"}},
		{name: "same key on another ref is kept", key: "npm-linux-abc", ref: "dev",
			writes: []string{del}, applied: 1, wantLeft: []string{"npm-linux-abc@refs/heads/main", "go-linux@refs/heads/main"}},
		{name: "key that does not exist", key: "nope", ref: "main", wantErr: ErrNotFound,
			writes: []string{del}, wantLeft: all3},
		{name: "empty key refused", key: " ", ref: "main", wantErr: ErrRefused, wantLeft: all3},
		{name: "empty ref refused", key: "go-linux", ref: "", wantErr: ErrRefused, wantLeft: all3},
		{name: "403 without actions:write", key: "go-linux", ref: "main",
			fault:   func(s *githubsim.Server) { s.FailNext(del, githubsim.NoPermission()) },
			wantErr: ErrForbidden, writes: []string{del}, wantLeft: all3},
		{name: "5xx then success (DELETE is idempotent)", key: "go-linux", ref: "main",
			fault:  func(s *githubsim.Server) { s.FailNext(del, githubsim.ServerError(502)) },
			writes: []string{del, del}, applied: 1, wantLeft: []string{"npm-linux-abc@refs/heads/main", "npm-linux-abc@refs/heads/dev"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, s, _ := newTestClient(t, nil)
			for _, k := range all3 {
				key, ref, _ := cut(k)
				s.AddCache(remRepo, githubsim.Cache{Key: key, Ref: ref})
			}
			if tt.fault != nil {
				tt.fault(s)
			}
			checkErr(t, c.DeleteCache(context.Background(), remRepo, tt.key, tt.ref), tt.wantErr)
			var left []string
			for _, k := range s.Caches(remRepo) {
				left = append(left, k.Key+"@"+k.Ref)
			}
			if diff := cmp.Diff(tt.wantLeft, left); diff != "" {
				t.Errorf("caches left (-want +got):\n%s", diff)
			}
			checkWrites(t, s, tt.applied, tt.writes...)
		})
	}
}

var all3 = []string{"npm-linux-abc@refs/heads/main", "npm-linux-abc@refs/heads/dev", "go-linux@refs/heads/main"}

func cut(k string) (string, string, bool) {
	for i := len(k) - 1; i >= 0; i-- {
		if k[i] == '@' {
			return k[:i], k[i+1:], true
		}
	}
	return k, "", false
}
