package state

import (
	"context"
	"errors"

	"github.com/redis/go-redis/v9"
)

// CheckPersistence warns when Redis would lose what ccm has acknowledged
// over a restart of Redis: a webhook answered 202 is a task in Redis, and
// only the append-only file keeps it past a restart (an RDB snapshot keeps
// what was there minutes ago). It only warns: a managed Redis persists in
// ways CONFIG does not show, and a trial needs no persistence.
func (s *Store) CheckPersistence(ctx context.Context) {
	if s.mini != nil {
		return // the embedded Redis already says nothing survives
	}
	res, err := s.rdb.ConfigGet(ctx, "appendonly").Result()
	if err != nil {
		var refused redis.Error
		if errors.As(err, &refused) {
			return // CONFIG disabled (managed Redis): CheckEvictionPolicy already said so
		}
		s.log.Warn("cannot read Redis's appendonly setting", "err", err)
		return
	}
	if res["appendonly"] == "no" {
		s.log.Warn("Redis runs without its append-only file (appendonly no): a restart of Redis loses the " +
			"failures, audit entries and queued tasks written since its last snapshot, webhooks ccm already " +
			"acknowledged among them; set appendonly yes (and appendfsync always to survive a crash of the Redis host)")
	}
}
