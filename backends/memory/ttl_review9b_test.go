package memory_test

import (
	"context"
	"testing"
	"time"

	"github.com/statekit/statekit/backends/memory"
	"github.com/statekit/statekit/runtime"
)

// TestReview9bTTLWithClockAtExtremes: the backend keeps expiries in Unix
// nanoseconds of its Options.Clock, which an int64 holds only from 1678 to
// 2262. A clock outside that range (a replay of old data, a test clock far
// ahead) still has to expire an entry written with a TTL once the TTL has
// passed, and a snapshot has to report the expiry the entry was given.
func TestReview9bTTLWithClockAtExtremes(t *testing.T) {
	ctx := context.Background()
	const ttl = time.Hour
	cases := []struct {
		name  string
		start time.Time
	}{
		{"2026", time.Date(2026, 11, 27, 8, 0, 0, 0, time.UTC)}, // the control
		{"1969, a second before the epoch", time.Unix(-1, 0)},
		{"1900", time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC)},
		{"2300", time.Date(2300, 1, 1, 0, 0, 0, 0, time.UTC)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			clock := runtime.NewManualClock(tc.start)
			b := memory.New(memory.Options{Clock: clock})
			defer b.Close()
			key := []byte("k")
			if err := b.PutTTL(ctx, key, []byte("v"), ttl); err != nil {
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
