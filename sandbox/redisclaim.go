package sandbox

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ccm-ci/ccm/internal/redisurl"
	"github.com/ccm-ci/ccm/internal/text"
	"github.com/ccm-ci/ccm/state"
)

// sandboxOwnerKey marks REDIS_URL's database as a sandbox's: its value is
// the claiming run's token.
const sandboxOwnerKey = state.DefaultPrefix + "sandbox:owner"

// claimScript claims an empty database in one step: two sandboxes started
// on one REDIS_URL cannot both find it empty. KEYS[1] the owner key,
// ARGV[1] the token. Returns 0 claimed, else the number of keys found.
var claimScript = redis.NewScript(`
local n = redis.call('DBSIZE')
if n > 0 then return n end
redis.call('SET', KEYS[1], ARGV[1])
return 0
`)

// releaseScript empties the database only while the claim is still the
// caller's: a database someone else claimed or filled since (the owner key
// gone or another's) is not flushed. Returns 1 flushed, 0 left alone.
var releaseScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('FLUSHDB')
return 1
`)

// claimRedis connects to REDIS_URL for the sandbox, which wants a database
// of its own: asynq's queue keys carry no prefix, so a database a ccm
// serve uses would hand it the sandbox's tasks, and a database an earlier
// run left would replay its state. It claims the database while empty and
// returns the claim's token for releaseRedis. A URL that cannot be dialled
// gives a nil client: service.New (or state.Open) then says so, as ccm
// serve does.
func claimRedis(ctx context.Context, url string) (*redis.Client, string, error) {
	// The service's own parser: a Sentinel URL must be checked for
	// emptiness too, or the sandbox could join a production queue.
	target, err := redisurl.Parse(url)
	if err != nil {
		return nil, "", &SetupError{Err: fmt.Errorf("REDIS_URL: %w", err)}
	}
	c := target.NewClient()
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	token := randomHex(16)
	n, err := claimScript.Run(ctx, c, []string{sandboxOwnerKey}, token).Int64()
	if err != nil {
		_ = c.Close()
		var op *net.OpError
		if errors.As(err, &op) && op.Op == "dial" {
			return nil, "", nil // unreachable: the store's clearer message follows
		}
		return nil, "", &SetupError{Err: fmt.Errorf("REDIS_URL: cannot check that the database is empty: %w", err)}
	}
	if n > 0 {
		_ = c.Close()
		return nil, "", &SetupError{Err: fmt.Errorf("REDIS_URL: database %d at %s holds %s; the sandbox needs an empty database of its own "+
			"(it empties it when it ends): name another one (redis://HOST:PORT/15) or unset REDIS_URL for an embedded Redis", c.Options().DB, target, text.Count(int(n), "key", "keys"))}
	}
	return c, token, nil
}

// releaseRedis empties the database claimRedis claimed with token, if the
// claim is still token's, and says whether it did.
func releaseRedis(ctx context.Context, c *redis.Client, token string) (bool, error) {
	n, err := releaseScript.Run(ctx, c, []string{sandboxOwnerKey}, token).Int()
	if err != nil {
		return false, fmt.Errorf("sandbox: empty REDIS_URL's database: %w", err)
	}
	return n == 1, nil
}
