package badger_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"iter"
	"testing"

	"github.com/statekit/statekit/backends/badger"
	"github.com/statekit/statekit/runtime"
)

// TestReview9bReservedBadgerPrefix: runtime.ValidKey accepts any 1 to
// MaxKeySize bytes, and the memory backend stores a key such as "!badger!x",
// but Badger reserves the prefix "!badger!" for itself. Each write path of
// the backend must then either store such a key like any other (Get,
// ListKeys and Snapshot all see it, so a checkpoint keeps it) or refuse it
// with an error wrapping runtime.ErrInvalidKey, as for any key the backend
// cannot hold. Today Put, Update and a batch's Commit fail with Badger's
// own unclassified error (the batch's Put accepts it and the whole Commit
// fails), a Restore of up to 4096 entries fails the same way, and a larger
// Restore (the StreamWriter) stores it where Get finds it but ListKeys and
// Snapshot do not: the next checkpoint drops it without a word.
func TestReview9bReservedBadgerPrefix(t *testing.T) {
	ctx := context.Background()
	key := []byte("!badger!x")
	restoreOf := func(n int) func(b *badger.Backend) error {
		return func(b *badger.Backend) error {
			var seq iter.Seq2[runtime.Entry, error] = func(yield func(runtime.Entry, error) bool) {
				if !yield(runtime.Entry{Key: key, Value: []byte("v")}, nil) {
					return
				}
				for i := range n {
					if !yield(runtime.Entry{Key: fmt.Appendf(nil, "k/%06d", i), Value: []byte("y")}, nil) {
						return
					}
				}
			}
			return b.Restore(ctx, seq)
		}
	}
	cases := []struct {
		name  string
		write func(b *badger.Backend) error
	}{
		{"Put", func(b *badger.Backend) error { return b.Put(ctx, key, []byte("v")) }},
		{"Update", func(b *badger.Backend) error {
			return b.Update(ctx, key, 0, func([]byte, bool) ([]byte, bool, error) { return []byte("v"), true, nil })
		}},
		{"Batch", func(b *badger.Backend) error {
			w := b.NewBatch()
			if err := w.Put([]byte("another"), []byte("v")); err != nil {
				return err
			}
			if err := w.Put(key, []byte("v")); err != nil {
				return err
			}
			return w.Commit(ctx)
		}},
		{"Restore of 1 entry", restoreOf(0)},
		{"Restore of 5001 entries", restoreOf(5000)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := openCached(t, 1<<20)
			err := tc.write(b)
			if err != nil {
				if !errors.Is(err, runtime.ErrInvalidKey) {
					t.Fatalf("write of %q: %v; want stored, or an error wrapping ErrInvalidKey", key, err)
				}
				return
			}
			_, found, err := b.Get(ctx, key)
			if err != nil {
				t.Fatal(err)
			}
			keys, err := b.ListKeys(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			listed := false
			for _, k := range keys {
				listed = listed || bytes.Equal(k, key)
			}
			snapped := false
			for e, err := range b.Snapshot(ctx) {
				if err != nil {
					t.Fatal(err)
				}
				snapped = snapped || bytes.Equal(e.Key, key)
			}
			if !found || !listed || !snapped {
				t.Fatalf("%q stored without error: Get finds it %v, ListKeys %v, Snapshot %v", key, found, listed, snapped)
			}
		})
	}
}
