package github

import (
	"context"
	"fmt"
	"sync"

	gh "github.com/google/go-github/v60/github"
)

// login is the token's user, read once: it never changes for a token.
type login struct {
	mu   sync.Mutex
	name string
}

// Login is the login of the user the token belongs to (GET /user; a
// fine-grained token reads it without any permission). GitHub names
// whoever sent a re-run as the new attempt's triggering actor, so this is
// how ccm tells its own re-run from a person's. It is read once and kept;
// a failed read is not kept, so the next call asks again.
func (c *Client) Login(ctx context.Context) (string, error) {
	c.me.mu.Lock()
	defer c.me.mu.Unlock()
	if c.me.name != "" {
		return c.me.name, nil
	}
	var u *gh.User
	err := c.call(ctx, func() (*gh.Response, error) {
		var resp *gh.Response
		var err error
		u, resp, err = c.gh.Users.Get(ctx, "")
		return resp, err
	})
	if err != nil {
		return "", fmt.Errorf("the token's user: %w", err)
	}
	if u.GetLogin() == "" {
		return "", fmt.Errorf("the token's user: %w: no login", ErrMalformedResponse)
	}
	c.me.name = u.GetLogin()
	return c.me.name, nil
}
