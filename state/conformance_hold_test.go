package state_test

import (
	"context"
	"testing"
	"time"

	"github.com/ccm-ci/ccm/state"
)

// testHoldLease: a held lease is renewed while its holder lives, refused
// to others with the time it still runs, ends on Release, and a holder
// whose lease is taken from it is told through its context.
func testHoldLease(t *testing.T, open backend) {
	ctx := context.Background()
	env := open(t, state.Options{})
	s := env.Store
	const ttl = 300 * time.Millisecond

	hold, _, err := s.HoldLease(ctx, "remediate:x", ttl)
	if err != nil || hold == nil {
		t.Fatalf("first HoldLease = %v, %v; want it taken", hold, err)
	}
	// Three TTLs later it is still held: the renewals kept it.
	for range 9 {
		if env.Mini != nil {
			env.Mini.FastForward(100 * time.Millisecond) // miniredis expires on its own clock
		}
		time.Sleep(100 * time.Millisecond)
	}
	other, left, err := s.HoldLease(ctx, "remediate:x", ttl)
	if err != nil || other != nil {
		t.Fatalf("HoldLease while held = %v, %v; want refused", other, err)
	}
	if left <= 0 || left > ttl {
		t.Errorf("refused with %s left, want (0, %s]", left, ttl)
	}
	if err := hold.Ctx.Err(); err != nil {
		t.Fatalf("holder's context ended while it held the lease: %v", err)
	}
	if err := hold.Release(); err != nil {
		t.Fatal(err)
	}
	if err := hold.Release(); err != nil {
		t.Fatalf("second Release: %v", err)
	}
	again, _, err := s.HoldLease(ctx, "remediate:x", ttl)
	if err != nil || again == nil {
		t.Fatalf("HoldLease after Release = %v, %v; want taken", again, err)
	}

	// The lease is taken from its holder (it lapsed while Redis was out
	// of reach, someone deleted it): the holder's context ends.
	if err := env.Client.Del(ctx, env.Prefix+"lease:remediate:x").Err(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-again.Ctx.Done():
		t.Logf("holder told: %v", context.Cause(again.Ctx))
	case <-time.After(5 * time.Second):
		t.Fatal("the holder's context did not end when its lease was gone")
	}
	if err := again.Release(); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.HoldLease(ctx, "", ttl); err == nil {
		t.Error("HoldLease with no name succeeded")
	}
}
