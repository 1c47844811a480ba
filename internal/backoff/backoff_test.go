package backoff

import (
	"context"
	"errors"
	"math"
	"testing"
	"time"

	"pgregory.net/rapid"
)

func TestExp(t *testing.T) {
	tests := []struct {
		name          string
		attempt       int
		initial, maxD time.Duration
		want          time.Duration
	}{
		{"first attempt is initial", 1, time.Second, time.Minute, time.Second},
		{"attempt 0 is initial", 0, time.Second, time.Minute, time.Second},
		{"doubles", 2, time.Second, time.Minute, 2 * time.Second},
		{"doubles again", 4, time.Second, time.Minute, 8 * time.Second},
		{"capped", 7, time.Second, time.Minute, time.Minute},
		{"cap below initial lifts to initial", 3, time.Second, time.Millisecond, time.Second},
		{"no initial, no delay", 5, 0, time.Minute, 0},
		{"huge attempt does not overflow", 10_000, time.Nanosecond, math.MaxInt64, math.MaxInt64},
		{"cap near overflow", 64, math.MaxInt64/2 + 1, math.MaxInt64, math.MaxInt64},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Exp(tt.attempt, tt.initial, tt.maxD); got != tt.want {
				t.Errorf("Exp(%d, %v, %v) = %v, want %v", tt.attempt, tt.initial, tt.maxD, got, tt.want)
			}
		})
	}
}

func TestDelayJitterEnds(t *testing.T) {
	lowest := func(int64) int64 { return 0 }
	highest := func(n int64) int64 { return n - 1 }
	tests := []struct {
		name string
		rnd  func(int64) int64
		want time.Duration
	}{
		{"lowest draw is half", lowest, 4 * time.Second},
		{"highest draw is all", highest, 8 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Delay(4, time.Second, time.Minute, tt.rnd); got != tt.want {
				t.Errorf("Delay(4, 1s, 1m) = %v, want %v", got, tt.want)
			}
		})
	}
}

// Delay stays within [Exp/2, Exp], never decreases its bounds with the
// attempt and never passes the cap.
func TestDelayProperty(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		attempt := rapid.IntRange(0, 200).Draw(rt, "attempt")
		initial := time.Duration(rapid.Int64Range(1, int64(time.Hour)).Draw(rt, "initial"))
		maxD := time.Duration(rapid.Int64Range(1, int64(24*time.Hour)).Draw(rt, "max"))
		e := Exp(attempt, initial, maxD)
		if e < initial || e > max(initial, maxD) {
			rt.Fatalf("Exp = %v outside [%v, %v]", e, initial, max(initial, maxD))
		}
		if next := Exp(attempt+1, initial, maxD); next < e || next > 2*e {
			rt.Fatalf("Exp(%d) = %v after %v: want between 1x and 2x", attempt+1, next, e)
		}
		if d := Delay(attempt, initial, maxD, nil); d < e/2 || d > e {
			rt.Fatalf("Delay = %v, want within [%v, %v]", d, e/2, e)
		}
	})
}

func TestSleep(t *testing.T) {
	cause := errors.New("shutting down")
	cancelled, cancel := context.WithCancelCause(context.Background())
	cancel(cause)
	tests := []struct {
		name string
		ctx  context.Context
		d    time.Duration
		want error
	}{
		{"waits out a short delay", context.Background(), time.Millisecond, nil},
		{"zero returns at once", context.Background(), 0, nil},
		{"done context returns its cause", cancelled, time.Hour, cause},
		{"done context with zero delay", cancelled, 0, cause},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			err := Sleep(tt.ctx, tt.d)
			if !errors.Is(err, tt.want) || (tt.want == nil && err != nil) {
				t.Errorf("Sleep = %v, want %v", err, tt.want)
			}
			if el := time.Since(start); tt.want == nil && el < tt.d {
				t.Errorf("Sleep returned after %v, before %v", el, tt.d)
			}
		})
	}
}
