package state

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// cursorLayout is fixed-width UTC, so byte order of two cursors is their
// time order and the script can compare them without parsing.
const cursorLayout = "2006-01-02T15:04:05.000000000Z"

// setCursorScript moves a repository's cursor forward, never back.
//
// KEYS[1] cursors hash. ARGV[1] repo, ARGV[2] new cursor (cursorLayout).
// Returns 1 when moved, 0 when the stored cursor is already at or past it.
// Bytes are compared one by one: Lua's < on strings follows the server's
// locale collation, which need not be byte order.
var setCursorScript = redis.NewScript(`
local cur = redis.call('HGET', KEYS[1], ARGV[1])
if cur and #cur == #ARGV[2] then
  local new = ARGV[2]
  local newer = false
  for i = 1, #new do
    local a, b = string.byte(new, i), string.byte(cur, i)
    if a ~= b then newer = a > b; break end
  end
  if not newer then return 0 end
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return 1
`)

// IsProcessed reports whether a failure ID was ever ingested (and not yet
// removed by retention).
func (s *Store) IsProcessed(ctx context.Context, id string) (bool, error) {
	err := s.rdb.ZScore(ctx, s.k.processed(), id).Err()
	switch {
	case errors.Is(err, redis.Nil):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("is processed %s: %w", id, err)
	}
	return true, nil
}

// Cursor returns the last run time seen for repo, zero if none.
func (s *Store) Cursor(ctx context.Context, repo string) (time.Time, error) {
	v, err := s.rdb.HGet(ctx, s.k.cursors(), repo).Result()
	switch {
	case errors.Is(err, redis.Nil):
		return time.Time{}, nil
	case err != nil:
		return time.Time{}, fmt.Errorf("cursor %s: %w", repo, err)
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return time.Time{}, fmt.Errorf("cursor %s: %w", repo, err)
	}
	return t.UTC(), nil
}

// SetCursor moves repo's cursor to t if t is later than the stored one;
// an earlier t is ignored, so concurrent pollers never move it back.
func (s *Store) SetCursor(ctx context.Context, repo string, t time.Time) error {
	if repo == "" {
		return fmt.Errorf("%w: cursor without repo", ErrInvalid)
	}
	t = t.UTC()
	if t.Year() < 1 || t.Year() > 9999 || t.IsZero() {
		return fmt.Errorf("%w: cursor %s: time %s is outside 0001-9999", ErrInvalid, repo, t)
	}
	if err := setCursorScript.Run(ctx, s.rdb, []string{s.k.cursors()}, repo, t.Format(cursorLayout)).Err(); err != nil {
		return fmt.Errorf("set cursor %s: %w", repo, err)
	}
	return nil
}
