package state

import (
	"context"
	"fmt"

	"github.com/redis/go-redis/v9"
)

// pageByScore walks the members of the sorted set key scored up to
// maxScore (a ZRANGEBYSCORE bound such as "+inf" or "1700000000000"),
// lowest first, pageSize at a time, and hands each page to fn.
//
// fn returns how many members of the page it removed from key (retention
// deletes what it reads; a reader removes none). The next page starts after
// the members fn left, which still sort before everything not yet read, so
// nothing is skipped or read twice by the walk itself. Members others add
// or remove meanwhile may be missed or seen again, as with any paging; the
// callers are sweeps that run again. It stops at fn's first error, which is
// returned as it is.
func (s *Store) pageByScore(ctx context.Context, key, maxScore string, fn func(ids []string) (removed int, err error)) error {
	for offset := int64(0); ; {
		ids, err := s.rdb.ZRangeByScore(ctx, key, &redis.ZRangeBy{
			Min: "-inf", Max: maxScore, Offset: offset, Count: pageSize,
		}).Result()
		if err != nil {
			return fmt.Errorf("read %s: %w", key, err)
		}
		if len(ids) == 0 {
			return nil
		}
		removed, err := fn(ids)
		if err != nil {
			return err
		}
		if len(ids) < pageSize {
			return nil
		}
		offset += int64(len(ids) - removed)
	}
}
