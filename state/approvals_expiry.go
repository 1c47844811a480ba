package state

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// moveApprovalExpiryScript moves a still-pending request's expiry: its
// hash's expires_at and its score in the pending index, together, so the
// expiry sweep never sees one without the other. A decided request is left
// alone (its decision stands).
//
// KEYS[1] approval hash, KEYS[2] pending index. ARGV[1] id, ARGV[2]
// expires_at (RFC 3339), ARGV[3] its Unix ms. Returns 1 moved, 0 not
// pending, -1 unknown.
var moveApprovalExpiryScript = redis.NewScript(`
local st = redis.call('HGET', KEYS[1], 'status')
if not st then return -1 end
if st ~= 'pending' then return 0 end
redis.call('HSET', KEYS[1], 'expires_at', ARGV[2])
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
return 1
`)

// MoveApprovalExpiry sets request id's expiry to at while it is still
// pending, and says whether it was (false: it was decided meanwhile and
// nothing changed). It is how `ccm sandbox --binary` brings a request to
// its expiry without waiting out the least approval_timeout a config file
// allows; it writes no audit entry (the expiry itself does).
func (s *Store) MoveApprovalExpiry(ctx context.Context, id string, at time.Time) (bool, error) {
	if !wellFormedID(id) {
		return false, fmt.Errorf("approval %q: %w", id, ErrNotFound)
	}
	at = at.UTC()
	n, err := moveApprovalExpiryScript.Run(ctx, s.rdb, []string{s.k.approval(id), s.k.approvalsPending()},
		id, at.Format(time.RFC3339Nano), at.UnixMilli()).Int()
	switch {
	case err != nil:
		return false, fmt.Errorf("move approval %s's expiry: %w", id, err)
	case n < 0:
		return false, fmt.Errorf("approval %s: %w", id, ErrNotFound)
	}
	return n == 1, nil
}
