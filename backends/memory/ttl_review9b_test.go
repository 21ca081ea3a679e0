package memory_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/statekit/statekit/backends/memory"
	"github.com/statekit/statekit/runtime"
)

// TestReview9bTTLWithClockAtExtremes: the backend keeps expiries in Unix
// nanoseconds of its Options.Clock. A clock before 1970 (a replay of old data)
// still has to expire an entry written with a TTL once the TTL has passed, and
// a snapshot has to report the expiry the entry was given: an overflow made
// every such expiry "2262", and the entries immortal. An int64 of nanoseconds
// ends in 2262: with the clock past it (a test clock far ahead) a TTL cannot
// be kept, and the write is refused with ErrInvalidArgument instead of
// storing an entry that never expires; a write without a TTL still works.
func TestReview9bTTLWithClockAtExtremes(t *testing.T) {
	ctx := context.Background()
	const ttl = time.Hour
	cases := []struct {
		name    string
		start   time.Time
		refused bool
	}{
		{"2026", time.Date(2026, 11, 27, 8, 0, 0, 0, time.UTC), false}, // the control
		{"1969, a second before the epoch", time.Unix(-1, 0), false},
		{"1900", time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC), false},
		{"2300", time.Date(2300, 1, 1, 0, 0, 0, 0, time.UTC), true},
		{"1600", time.Date(1600, 1, 1, 0, 0, 0, 0, time.UTC), true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			clock := runtime.NewManualClock(tc.start)
			b := memory.New(memory.Options{Clock: clock})
			defer b.Close()
			key := []byte("k")
			err := b.PutTTL(ctx, key, []byte("v"), ttl)
			if tc.refused {
				if !errors.Is(err, runtime.ErrInvalidArgument) {
					t.Fatalf("PutTTL with the clock at %v = %v; want an error wrapping ErrInvalidArgument", tc.start, err)
				}
				if err := b.Put(ctx, key, []byte("v")); err != nil {
					t.Fatalf("Put without a TTL with the clock at %v: %v", tc.start, err)
				}
				if _, found, err := b.Get(ctx, key); err != nil || !found {
					t.Fatalf("Get after a Put without a TTL = %v, %v", found, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var exp time.Time
			n := 0
			for e, err := range b.Snapshot(ctx) {
				if err != nil {
					t.Fatal(err)
				}
				exp, n = e.ExpiresAt, n+1
			}
			if want := tc.start.Add(ttl); n != 1 || !exp.Equal(want) {
				t.Errorf("Snapshot: %d entries, ExpiresAt %v; want 1, %v", n, exp, want)
			}
			clock.Advance(2 * ttl)
			if v, found, err := b.Get(ctx, key); err != nil || found {
				t.Errorf("Get two TTLs after PutTTL = %q, %v, %v; want expired", v, found, err)
			}
		})
	}
}
