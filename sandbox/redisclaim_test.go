package sandbox

import (
	"context"
	"errors"
	"net"
	"strings"
	"sync"
	"testing"

	"github.com/alicebob/miniredis/v2"
)

// Sandboxes started together on one REDIS_URL: exactly one claims the
// database; the others are told it is not empty, and the winner's end
// empties it only while the claim is still its own.
func TestClaimRedis(t *testing.T) {
	ctx := context.Background()
	m := miniredis.RunT(t)
	url := "redis://" + m.Addr() + "/0"
	const n = 6
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		won    []string
		refuse int
	)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, token, err := claimRedis(ctx, url)
			mu.Lock()
			defer mu.Unlock()
			var se *SetupError
			switch {
			case err == nil && c != nil:
				won = append(won, token)
				_ = c.Close()
			case errors.As(err, &se) && strings.Contains(err.Error(), "holds 1 key;"):
				refuse++
			default:
				t.Errorf("claimRedis: %v", err)
			}
		}()
	}
	wg.Wait()
	if len(won) != 1 || refuse != n-1 {
		t.Fatalf("%d claimed, %d refused: want 1 and %d", len(won), refuse, n-1)
	}
	other := miniredis.RunT(t)
	c2, token, err := claimRedis(ctx, "redis://"+other.Addr()+"/0")
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	other.Set("ccm:thread", "x")
	other.Set(sandboxOwnerKey, "someone else's")
	if flushed, err := releaseRedis(ctx, c2, token); err != nil || flushed || !other.Exists("ccm:thread") {
		t.Errorf("release of a claim taken over = %v, %v, keys %v: want nothing flushed", flushed, err, other.Keys())
	}
	other.Set(sandboxOwnerKey, token)
	if flushed, err := releaseRedis(ctx, c2, token); err != nil || !flushed || len(other.Keys()) != 0 {
		t.Errorf("release of its own claim = %v, %v, keys %v: want the database emptied", flushed, err, other.Keys())
	}
}

// A database the sandbox cannot check is a setup error, not a skipped
// check; one it cannot reach at all is left to the store's message.
func TestClaimRedisUncheckable(t *testing.T) {
	ctx := context.Background()
	m := miniredis.RunT(t)
	m.RequireAuth("secret")
	c, _, err := claimRedis(ctx, "redis://"+m.Addr()+"/0")
	var se *SetupError
	if c != nil || !errors.As(err, &se) || !strings.Contains(err.Error(), "REDIS_URL: cannot check that the database is empty") {
		t.Errorf("claimRedis(no password) = %v, %v: want a SetupError saying the check failed", c, err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	if c, _, err := claimRedis(ctx, "redis://"+addr+"/0"); c != nil || err != nil {
		t.Errorf("claimRedis(nowhere) = %v, %v: want nil, nil (state.Open says it is unreachable)", c, err)
	}
}
