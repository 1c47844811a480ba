package state_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ccm-ci/ccm/state"
)

func testLease(t *testing.T, open backend) {
	ctx := context.Background()
	env := open(t, state.Options{})
	s := env.Store

	release, ok, err := s.Lease(ctx, "analyze:fp1", time.Minute)
	if err != nil || !ok {
		t.Fatalf("first Lease = %v, %v; want it taken", ok, err)
	}
	if _, ok, err := s.Lease(ctx, "analyze:fp1", time.Minute); err != nil || ok {
		t.Fatalf("second Lease while held = %v, %v; want refused", ok, err)
	}
	if _, ok, err := s.Lease(ctx, "analyze:fp2", time.Minute); err != nil || !ok {
		t.Fatalf("Lease of another name = %v, %v; want taken", ok, err)
	}
	if err := release(ctx); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := s.Lease(ctx, "analyze:fp1", time.Minute); err != nil || !ok {
		t.Fatalf("Lease after release = %v, %v; want taken", ok, err)
	}
	if _, _, err := s.Lease(ctx, "", time.Minute); err == nil {
		t.Error("Lease with no name succeeded")
	}

	// Twenty contenders: one winner.
	var wins atomic.Int32
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, ok, err := s.Lease(ctx, "analyze:race", time.Minute); err == nil && ok {
				wins.Add(1)
			}
		}()
	}
	wg.Wait()
	if wins.Load() != 1 {
		t.Fatalf("winners = %d, want 1", wins.Load())
	}

	// A holder whose lease expired cannot release the next holder's.
	stale, ok, err := s.Lease(ctx, "analyze:short", 50*time.Millisecond)
	if err != nil || !ok {
		t.Fatal(ok, err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		if env.Mini != nil {
			env.Mini.FastForward(100 * time.Millisecond) // miniredis expires on its own clock
		}
		if _, ok, _ := s.Lease(ctx, "analyze:short", time.Minute); ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("lease never expired")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := stale(ctx); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := s.Lease(ctx, "analyze:short", time.Minute); ok {
		t.Fatal("a stale release freed the current holder's lease")
	}
}

func testCount(t *testing.T, open backend) {
	ctx := context.Background()
	env := open(t, state.Options{})
	s := env.Store
	for want := int64(1); want <= 3; want++ {
		n, err := s.Count(ctx, "requeue:x", 50*time.Millisecond)
		if err != nil || n != want {
			t.Fatalf("Count = %d, %v; want %d", n, err, want)
		}
	}
	if n, _ := s.Count(ctx, "requeue:y", time.Minute); n != 1 {
		t.Fatalf("another counter = %d, want 1", n)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		if env.Mini != nil {
			env.Mini.FastForward(100 * time.Millisecond)
		}
		if n, _ := s.Count(ctx, "requeue:x", time.Minute); n == 1 {
			break // the window ended and a new one started
		}
		if time.Now().After(deadline) {
			t.Fatal("the counter's window never ended")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if _, err := s.Count(ctx, "", time.Minute); err == nil {
		t.Error("Count with no name succeeded")
	}
}
