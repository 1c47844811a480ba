package state_test

import (
	"context"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/ccm-ci/ccm/state"
)

// freezer forwards TCP to a Redis until frozen; then it holds every byte,
// as a network partition does: the holder's socket neither answers nor
// fails.
type freezer struct {
	ln     net.Listener
	mu     sync.Mutex
	frozen bool
}

func newFreezer(t *testing.T, target string) *freezer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &freezer{ln: ln}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			up, err := net.Dial("tcp", target)
			if err != nil {
				c.Close()
				continue
			}
			go f.pipe(c, up)
			go f.pipe(up, c)
		}
	}()
	return f
}

func (f *freezer) pipe(dst, src net.Conn) {
	defer dst.Close()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		for f.isFrozen() {
			time.Sleep(10 * time.Millisecond)
		}
		if n > 0 {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			if err != io.EOF {
				return
			}
			return
		}
	}
}

func (f *freezer) isFrozen() bool { f.mu.Lock(); defer f.mu.Unlock(); return f.frozen }
func (f *freezer) freeze()        { f.mu.Lock(); f.frozen = true; f.mu.Unlock() }
func (f *freezer) thaw()          { f.mu.Lock(); f.frozen = false; f.mu.Unlock() }

// TestHoldLeaseStopsBeforeItLapses: when the holder cannot reach Redis (its
// renewal blocks on a silent socket), its context ends before the lease
// could be anyone else's, not when the socket times out seconds later: two
// holders never work at once.
func TestHoldLeaseStopsBeforeItLapses(t *testing.T) {
	mr := miniredis.RunT(t)
	fz := newFreezer(t, mr.Addr())
	holder := state.New(redis.NewClient(&redis.Options{Addr: fz.ln.Addr().String(), ReadTimeout: 5 * time.Second, MaxRetries: -1}), state.Options{})
	other := state.New(redis.NewClient(&redis.Options{Addr: mr.Addr()}), state.Options{})
	ctx := context.Background()
	const ttl = 600 * time.Millisecond

	hold, _, err := holder.HoldLease(ctx, "remediate:p", ttl)
	if err != nil || hold == nil {
		t.Fatalf("HoldLease = %v, %v", hold, err)
	}
	defer hold.Release()
	fz.freeze()
	frozenAt := time.Now()

	// The other replica takes the lease as soon as Redis lets it go.
	var takenAt time.Time
	for time.Since(frozenAt) < 10*time.Second {
		mr.FastForward(50 * time.Millisecond)
		h, _, err := other.HoldLease(ctx, "remediate:p", ttl)
		if err != nil {
			t.Fatal(err)
		}
		if h != nil {
			takenAt = time.Now()
			defer h.Release()
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if takenAt.IsZero() {
		t.Fatal("the lease never lapsed in Redis")
	}
	select {
	case <-hold.Ctx.Done():
	default:
		t.Errorf("the holder still works %s after the freeze, when another holds the lease", takenAt.Sub(frozenAt))
	}
	fz.thaw() // let the deferred releases through
}
