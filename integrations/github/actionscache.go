package github

import (
	"context"
	"fmt"
	"strings"
	"time"

	gh "github.com/google/go-github/v60/github"
)

// ActionsCache is one GitHub Actions cache entry.
type ActionsCache struct {
	ID                        int64
	Key, Ref, Version         string
	SizeBytes                 int64
	CreatedAt, LastAccessedAt time.Time
}

// cacheRef is the ref GitHub stores caches under: a bare branch name means
// refs/heads/<branch>.
func cacheRef(ref string) string {
	if strings.HasPrefix(ref, "refs/") {
		return ref
	}
	return "refs/heads/" + ref
}

// ListCaches returns the Actions caches of one ref (a branch name or a
// full ref such as refs/pull/7/merge), every page up to Options.MaxPages.
// An empty ref is refused: a cache may only be deleted if GitHub lists it
// for the failing ref, so listing all refs has no use here.
func (c *Client) ListCaches(ctx context.Context, repo, ref string) ([]ActionsCache, error) {
	what := fmt.Sprintf("list caches %s@%s", repo, ref)
	owner, name, err := splitRepo(repo)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	if ref == "" {
		return nil, fmt.Errorf("%s: %w: ref is empty", what, ErrRefused)
	}
	ref = cacheRef(ref)
	opts := &gh.ActionsCacheListOptions{Ref: &ref, ListOptions: gh.ListOptions{PerPage: 100, Page: 1}}
	var out []ActionsCache
	for page := 1; ; page++ {
		var list *gh.ActionsCacheList
		var resp *gh.Response
		err := c.call(ctx, func() (*gh.Response, error) {
			var err error
			list, resp, err = c.gh.Actions.ListCaches(ctx, owner, name, opts)
			return resp, err
		})
		if err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		if list == nil {
			return nil, fmt.Errorf("%s: %w: empty cache list", what, ErrMalformedResponse)
		}
		for _, a := range list.ActionsCaches {
			if a == nil || a.GetRef() != ref {
				continue // a server answering for other refs must not widen the list
			}
			out = append(out, ActionsCache{
				ID: a.GetID(), Key: a.GetKey(), Ref: a.GetRef(), Version: a.GetVersion(), SizeBytes: a.GetSizeInBytes(),
				CreatedAt: a.GetCreatedAt().Time, LastAccessedAt: a.GetLastAccessedAt().Time,
			})
		}
		if resp.NextPage == 0 || page >= c.maxPages {
			break
		}
		opts.Page = resp.NextPage
	}
	return out, nil
}

// DeleteCache deletes the caches with exactly this key on this ref
// (DELETE /actions/caches?key=&ref=; needs actions:write). An empty key or
// ref is refused without a request: GitHub would read a missing ref as
// "every ref". The caller deletes only a key ListCaches returned for the
// failing ref. A DELETE is idempotent, so the transport retries a 5xx or a
// lost answer; a key that is gone is ErrNotFound, which after such a retry
// can mean the first attempt deleted it: either way it is gone.
func (c *Client) DeleteCache(ctx context.Context, repo, key, ref string) error {
	what := fmt.Sprintf("delete cache %q %s@%s", key, repo, ref)
	owner, name, err := splitRepo(repo)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if strings.TrimSpace(key) == "" || ref == "" {
		return fmt.Errorf("%s: %w: key and ref are required", what, ErrRefused)
	}
	ref = cacheRef(ref)
	err = c.write(ctx, ScopeActions, func() (*gh.Response, error) {
		return c.gh.Actions.DeleteCachesByKey(ctx, owner, name, key, &ref)
	})
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}
