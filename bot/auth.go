package bot

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/slack-go/slack"
)

// GroupMembers lists a user group's members (usergroups.users.list;
// *slack.Client satisfies it).
type GroupMembers interface {
	GetUserGroupMembersContext(ctx context.Context, group string, options ...slack.GetUserGroupMembersOption) ([]string, error)
}

// resolver answers "is this user one of these principals": user IDs (U…,
// W…) match themselves; user-group IDs (S…) match their members, looked
// up with usergroups.users.list and cached for ttl. While a group's
// lookup fails nobody is let in through it (fail closed), and the failure
// is retried after failTTL, not at every click.
type resolver struct {
	api GroupMembers
	ttl time.Duration
	now func() time.Time
	log *slog.Logger

	mu     sync.Mutex
	groups map[string]groupEntry
}

type groupEntry struct {
	members []string
	err     error
	at      time.Time
}

// failTTL is how long a failed group lookup is remembered.
const failTTL = 15 * time.Second

func newResolver(api GroupMembers, ttl time.Duration, now func() time.Time, log *slog.Logger) *resolver {
	return &resolver{api: api, ttl: ttl, now: now, log: log, groups: map[string]groupEntry{}}
}

// decision says whether a user is allowed and, when not, anything that
// kept the answer from being certain (a group that could not be read).
type decision struct {
	allowed bool
	// unknown names the groups whose members could not be read.
	unknown []string
}

// allowed reports whether user is one of principals. Users are checked
// before any group is looked up, so a listed user never waits on Slack.
func (r *resolver) allowed(ctx context.Context, principals []string, user string) decision {
	if user == "" {
		return decision{}
	}
	if slices.Contains(principals, user) {
		return decision{allowed: true}
	}
	var d decision
	for _, p := range principals {
		if !strings.HasPrefix(p, "S") {
			continue
		}
		members, err := r.members(ctx, p)
		if err != nil {
			d.unknown = append(d.unknown, p)
			continue
		}
		if slices.Contains(members, user) {
			return decision{allowed: true}
		}
	}
	return d
}

func (r *resolver) members(ctx context.Context, group string) ([]string, error) {
	now := r.now()
	r.mu.Lock()
	e, ok := r.groups[group]
	r.mu.Unlock()
	if ok && e.err == nil && now.Sub(e.at) < r.ttl {
		return e.members, nil
	}
	if ok && e.err != nil && now.Sub(e.at) < failTTL {
		return nil, e.err
	}
	members, err := r.api.GetUserGroupMembersContext(ctx, group)
	if err != nil {
		err = fmt.Errorf("usergroups.users.list %s: %w", group, err)
		r.log.Warn("cannot read a user group: nobody may decide through it until it can be read", "group", group, "err", err)
	}
	r.mu.Lock()
	r.groups[group] = groupEntry{members: members, err: err, at: now}
	r.mu.Unlock()
	return members, err
}
