package memory_test

import (
	"context"
	"errors"
	"math"
	"testing"
	"time"

	"github.com/statekit/statekit/backends/backendtest"
	"github.com/statekit/statekit/backends/memory"
	"github.com/statekit/statekit/runtime"
)

// TestReview9cTTLClampedBelowItsTime: the backend keeps expiries in Unix
// nanoseconds and clamps a later expiry to the last one an int64 holds
// (2262-04-11T23:47:16.854775807Z). With the clock inside the range but an
// expiry beyond it, the write is accepted and the entry then expires at that
// last nanosecond, while the clock is still inside the range and long before
// its TTL or its ExpiresAt: a write with a TTL of an hour is gone a second
// later, without an error. The review9b fix refuses a TTL only when the clock
// itself is outside the range; this attacks the clock just inside it. Each
// write path must either keep the entry until its expiry (while the clock can
// still tell the time) or refuse it with ErrInvalidArgument.
func TestReview9cTTLClampedBelowItsTime(t *testing.T) {
	ctx := context.Background()
	last := time.Unix(0, math.MaxInt64) // the last instant the backend's clock can tell
	start := last.Add(-time.Second)
	later := time.Date(2300, 1, 1, 0, 0, 0, 0, time.UTC)
	key, value := []byte("k"), []byte("v")
	cases := []struct {
		name  string
		write func(b *memory.Backend) error
	}{
		{"PutTTL", func(b *memory.Backend) error { return b.PutTTL(ctx, key, value, time.Hour) }},
		{"Put with Options.TTL", nil}, // below: needs its own backend
		{"Update", func(b *memory.Backend) error {
			return b.Update(ctx, key, time.Hour, func([]byte, bool) ([]byte, bool, error) { return value, true, nil })
		}},
		{"Batch.PutEntry", func(b *memory.Backend) error {
			w := b.NewBatch()
			if err := w.PutEntry(runtime.Entry{Key: key, Value: value, ExpiresAt: later}); err != nil {
				return err
			}
			return w.Commit(ctx)
		}},
		{"Restore", func(b *memory.Backend) error {
			return b.Restore(ctx, backendtest.Entries([]runtime.Entry{{Key: key, Value: value, ExpiresAt: later}}))
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			clock := runtime.NewManualClock(start)
			opts := memory.Options{Clock: clock}
			write := tc.write
			if write == nil {
				opts.TTL = time.Hour
				write = func(b *memory.Backend) error { return b.Put(ctx, key, value) }
			}
			b := memory.New(opts)
			defer b.Close()
			if err := write(b); err != nil {
				if !errors.Is(err, runtime.ErrInvalidArgument) {
					t.Fatalf("write: %v; want stored, or an error wrapping ErrInvalidArgument", err)
				}
				return
			}
			clock.Set(last) // one second on: still inside the range, well before the expiry
			if _, found, err := b.Get(ctx, key); err != nil || !found {
				t.Errorf("Get one second after a write expiring an hour (or centuries) later, at %v = found %v, %v; want found", last, found, err)
			}
		})
	}
}
