package state

import (
	"context"
	"errors"
	"fmt"

	"github.com/redis/go-redis/v9"
)

// setSettingScript stores one setting with its audit entry.
//
// KEYS[1] settings hash, KEYS[2..4] audit keys.
// ARGV[1] setting name, ARGV[2] value, ARGV[3..24] audit args.
// Returns the audit entry ID.
var setSettingScript = redis.NewScript(auditLua + `
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return audit(2, 3)
`)

// SetSetting stores a runtime setting (set from Slack; it wins over the
// config file) and appends ev to the audit stream in the same step.
func (s *Store) SetSetting(ctx context.Context, key, value string, ev AuditEntry) error {
	if key == "" {
		return fmt.Errorf("%w: setting without a name", ErrInvalid)
	}
	aargs, err := s.auditArgs(&ev)
	if err != nil {
		return fmt.Errorf("set setting %s: %w", key, err)
	}
	keys := append([]string{s.k.settings()}, s.k.auditKeys()...)
	args := append([]any{key, value}, aargs...)
	if err := setSettingScript.Run(ctx, s.rdb, keys, args...).Err(); err != nil {
		return fmt.Errorf("set setting %s: %w", key, err)
	}
	return nil
}

// Setting returns a runtime setting and whether it is set.
func (s *Store) Setting(ctx context.Context, key string) (string, bool, error) {
	v, err := s.rdb.HGet(ctx, s.k.settings(), key).Result()
	switch {
	case errors.Is(err, redis.Nil):
		return "", false, nil
	case err != nil:
		return "", false, fmt.Errorf("setting %s: %w", key, err)
	}
	return v, true, nil
}
