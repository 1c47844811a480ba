package state

import (
	"context"
	"fmt"
	"testing"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
)

// TestPageByScore: over several pages, with fn deleting some of each page
// as retention does, every member up to the bound is seen exactly once.
func TestPageByScore(t *testing.T) {
	ctx := context.Background()
	m := miniredis.RunT(t)
	rdb := redis.NewClient(&redis.Options{Addr: m.Addr()})
	t.Cleanup(func() { _ = rdb.Close() })
	s := New(rdb, Options{Prefix: "pagetest:"})
	const n, bound = 2*pageSize + 37, 2*pageSize + 20
	key := s.k.p + "index"
	for i := range n {
		if err := rdb.ZAdd(ctx, key, redis.Z{Score: float64(i), Member: fmt.Sprintf("m%04d", i)}).Err(); err != nil {
			t.Fatal(err)
		}
	}
	for _, remove := range []bool{false, true} {
		seen := map[string]int{}
		err := s.pageByScore(ctx, key, fmt.Sprint(bound), func(ids []string) (int, error) {
			removed := 0
			for _, id := range ids {
				seen[id]++
				var i int
				_, _ = fmt.Sscanf(id, "m%04d", &i)
				if remove && i%3 == 0 {
					if err := rdb.ZRem(ctx, key, id).Err(); err != nil {
						return 0, err
					}
					removed++
				}
			}
			return removed, nil
		})
		if err != nil {
			t.Fatal(err)
		}
		for i := range n {
			id := fmt.Sprintf("m%04d", i)
			want := 0
			if i <= bound {
				want = 1
			}
			if seen[id] != want {
				t.Fatalf("remove=%v: %s seen %d times, want %d", remove, id, seen[id], want)
			}
		}
	}
	if err := s.pageByScore(ctx, key, "(0", func([]string) (int, error) { t.Fatal("called for nothing"); return 0, nil }); err != nil {
		t.Fatal(err)
	}
}
