package badger_test

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/statekit/statekit/backends/badger"
	"github.com/statekit/statekit/runtime"
)

// TestReview9cValueOverLimitOnEveryPath sends a value one byte over the limit
// (1 GiB - 1 on disk, MaxInMemoryValue in memory) through the write paths the
// existing tests leave out: PutTTL, Batch.PutEntry (held, and spilled past
// 4,096 writes), Restore among its first 4,096 entries and past them (the
// StreamWriter). Each must fail with an error wrapping ErrInvalidArgument,
// short (no dump of the value) and naming the key; a refused batch write
// leaves the batch usable and the key's old value in place, and a Restore
// refused among its first entries changes nothing. The value is never
// written to: it costs address space, not memory. It passed when written.
func TestReview9cValueOverLimitOnEveryPath(t *testing.T) {
	ctx := context.Background()
	key := []byte("huge-key")
	restore := func(before int) func(b *badger.Backend, huge []byte) error {
		return func(b *badger.Backend, huge []byte) error {
			var seq iter.Seq2[runtime.Entry, error] = func(yield func(runtime.Entry, error) bool) {
				for i := range before {
					if !yield(runtime.Entry{Key: fmt.Appendf(nil, "a/%05d", i), Value: []byte("y")}, nil) {
						return
					}
				}
				yield(runtime.Entry{Key: key, Value: huge}, nil)
			}
			return b.Restore(ctx, seq)
		}
	}
	batch := func(spill bool, entry bool) func(b *badger.Backend, huge []byte) error {
		return func(b *badger.Backend, huge []byte) error {
			w := b.NewBatch()
			n := 1
			if spill {
				n = 5000
			}
			for i := range n {
				if err := w.Put(fmt.Appendf(nil, "b/%05d", i), []byte("y")); err != nil {
					return err
				}
			}
			var err error
			if entry {
				err = w.PutEntry(runtime.Entry{Key: key, Value: huge, ExpiresAt: time.Now().Add(time.Hour)})
			} else {
				err = w.Put(key, huge)
			}
			if cerr := w.Commit(ctx); cerr != nil {
				return fmt.Errorf("commit after the refused write: %w", cerr)
			}
			if _, found, _ := b.Get(ctx, []byte("b/00000")); !found {
				return errors.New("the batch's other writes were not committed")
			}
			return err
		}
	}
	cases := []struct {
		name   string
		write  func(b *badger.Backend, huge []byte) error
		atomic bool // the old value must survive
	}{
		{"PutTTL", func(b *badger.Backend, huge []byte) error { return b.PutTTL(ctx, key, huge, time.Hour) }, true},
		{"held Batch.PutEntry", batch(false, true), true},
		{"spilled Batch.PutEntry", batch(true, true), true},
		{"spilled Batch.Put", batch(true, false), true},
		{"Restore, first entry", restore(0), true},
		{"Restore, entry 4097", restore(4096), false},
		{"Restore, entry 6001", restore(6000), false},
	}
	for _, mode := range []string{"disk", "memory"} {
		limit := 1<<30 - 1
		if mode == "memory" {
			limit = badger.MaxInMemoryValue
		}
		huge := make([]byte, limit+1)
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
				if err := b.Put(ctx, key, []byte("old")); err != nil {
					t.Fatal(err)
				}
				err = tc.write(b, huge)
				if !errors.Is(err, runtime.ErrInvalidArgument) {
					t.Fatalf("value of %d bytes: %.300v; want ErrInvalidArgument", len(huge), err)
				}
				if msg := err.Error(); len(msg) > 300 || !strings.Contains(msg, string(key)) {
					t.Errorf("error %.400q: want it short and naming the key", msg)
				}
				if !tc.atomic {
					return
				}
				if v, found, err := b.Get(ctx, key); err != nil || !found || string(v) != "old" {
					t.Errorf("after the refused write Get = %.20q %v %v; want \"old\"", v, found, err)
				}
			})
		}
	}
}
