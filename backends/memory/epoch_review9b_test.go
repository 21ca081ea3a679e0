package memory_test

import (
	"context"
	"iter"
	"testing"
	"time"

	"github.com/statekit/statekit/backends/memory"
	"github.com/statekit/statekit/runtime"
)

// TestReview9bExpiryAtTheEpoch: the backend keeps an expiry as Unix
// nanoseconds with 0 meaning "never", so an entry whose ExpiresAt is the Unix
// epoch itself (a real instant, long past, not the zero time.Time) is stored
// as never expiring. Badger expires the same entry (its expiresAt clamps to
// 1 s). Written by Batch.PutEntry or Restore, it must not be served, and a
// snapshot must not hand it on as immortal.
func TestReview9bExpiryAtTheEpoch(t *testing.T) {
	ctx := context.Background()
	epoch := time.Unix(0, 0)
	cases := []struct {
		name  string
		write func(b *memory.Backend, e runtime.Entry) error
	}{
		{"Batch.PutEntry", func(b *memory.Backend, e runtime.Entry) error {
			w := b.NewBatch()
			if err := w.PutEntry(e); err != nil {
				return err
			}
			return w.Commit(ctx)
		}},
		{"Restore", func(b *memory.Backend, e runtime.Entry) error {
			var seq iter.Seq2[runtime.Entry, error] = func(yield func(runtime.Entry, error) bool) { yield(e, nil) }
			return b.Restore(ctx, seq)
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := memory.New(memory.Options{})
			defer b.Close()
			key := []byte("k")
			if err := tc.write(b, runtime.Entry{Key: key, Value: []byte("v"), ExpiresAt: epoch}); err != nil {
				t.Fatal(err)
			}
			if v, found, err := b.Get(ctx, key); err != nil || found {
				t.Errorf("Get of an entry that expired at the epoch = %q, %v, %v; want not found", v, found, err)
			}
			for e, err := range b.Snapshot(ctx) {
				if err != nil {
					t.Fatal(err)
				}
				t.Errorf("Snapshot yields %q expiring %v (zero: never)", e.Key, e.ExpiresAt)
			}
		})
	}
}
