package badger_test

import (
	"bytes"
	"context"
	"fmt"
	"iter"
	"log/slog"
	"testing"

	"github.com/statekit/statekit/backends/badger"
	"github.com/statekit/statekit/runtime"
)

// TestReview9cLargestKeyAndValueOnEveryPath writes the largest key
// (runtime.MaxKeySize) with the largest value an in-memory Badger holds
// (MaxInMemoryValue) through every write path, held and spilled batches and
// the three ways a Restore writes (one batch, the StreamWriter, the
// WriteBatch it falls back to for keys out of order), on disk and in memory,
// and reads it back through Get, Scan and Snapshot. Existing tests write the
// largest key only through Put, and the largest in-memory value only through
// Put; this covers the rest. It passed when written.
func TestReview9cLargestKeyAndValueOnEveryPath(t *testing.T) {
	ctx := context.Background()
	key := bytes.Repeat([]byte{'k'}, runtime.MaxKeySize)
	value := bytes.Repeat([]byte{'v'}, badger.MaxInMemoryValue)
	filler := func(i int) []byte { return fmt.Appendf(nil, "f/%06d", i) }
	// restoreOf restores n fillers, then the largest entry ("k..." sorts
	// after "f/...": the keys ascend).
	restoreOf := func(n int) func(b *badger.Backend) error {
		return func(b *badger.Backend) error {
			var seq iter.Seq2[runtime.Entry, error] = func(yield func(runtime.Entry, error) bool) {
				for i := range n {
					if !yield(runtime.Entry{Key: filler(i), Value: []byte("y")}, nil) {
						return
					}
				}
				yield(runtime.Entry{Key: key, Value: value}, nil)
			}
			return b.Restore(ctx, seq)
		}
	}
	outOfOrder := func(b *badger.Backend) error {
		var seq iter.Seq2[runtime.Entry, error] = func(yield func(runtime.Entry, error) bool) {
			for i := range 5000 {
				if !yield(runtime.Entry{Key: filler(i), Value: []byte("y")}, nil) {
					return
				}
			}
			if !yield(runtime.Entry{Key: []byte("a"), Value: []byte("x")}, nil) { // out of order: WriteBatch from here
				return
			}
			yield(runtime.Entry{Key: key, Value: value}, nil)
		}
		return b.Restore(ctx, seq)
	}
	cases := []struct {
		name  string
		write func(b *badger.Backend) error
	}{
		{"Put", func(b *badger.Backend) error { return b.Put(ctx, key, value) }},
		{"Update", func(b *badger.Backend) error {
			return b.Update(ctx, key, 0, func([]byte, bool) ([]byte, bool, error) { return value, true, nil })
		}},
		{"held batch", func(b *badger.Backend) error {
			w := b.NewBatch()
			if err := w.PutEntry(runtime.Entry{Key: key, Value: value}); err != nil {
				return err
			}
			return w.Commit(ctx)
		}},
		{"spilled batch", func(b *badger.Backend) error {
			w := b.NewBatch()
			for i := range 5000 {
				if err := w.Put(filler(i), []byte("y")); err != nil {
					return err
				}
			}
			if err := w.Put(key, value); err != nil {
				return err
			}
			return w.Commit(ctx)
		}},
		{"Restore, one batch", restoreOf(10)},
		{"Restore, StreamWriter", restoreOf(5000)},
		{"Restore, WriteBatch", outOfOrder},
	}
	for _, mode := range []string{"disk", "memory"} {
		for _, tc := range cases {
			t.Run(mode+"/"+tc.name, func(t *testing.T) {
				cfg := badger.NewConfig(t.TempDir())
				if mode == "memory" {
					cfg = badger.NewConfig("").WithInMemory(true)
				}
				b, err := badger.Open(ctx, cfg.WithLogger(slog.New(slog.DiscardHandler)))
				if err != nil {
					t.Fatal(err)
				}
				defer b.Close()
				if err := tc.write(b); err != nil {
					t.Fatalf("write: %.300v", err)
				}
				got, found, err := b.Get(ctx, key)
				if err != nil || !found || !bytes.Equal(got, value) {
					t.Fatalf("Get: %d bytes, found %v, %v", len(got), found, err)
				}
				scanned := false
				if err := b.Scan(ctx, []byte("kkk"), func(k, v []byte) error {
					scanned = bytes.Equal(k, key) && bytes.Equal(v, value)
					return nil
				}); err != nil || !scanned {
					t.Fatalf("Scan: found %v, %v", scanned, err)
				}
				snapped := false
				for e, err := range b.Snapshot(ctx) {
					if err != nil {
						t.Fatal(err)
					}
					snapped = snapped || (bytes.Equal(e.Key, key) && bytes.Equal(e.Value, value))
				}
				if !snapped {
					t.Fatal("Snapshot does not hold the entry")
				}
			})
		}
	}
}
