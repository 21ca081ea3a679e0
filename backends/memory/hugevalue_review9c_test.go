package memory_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/statekit/statekit/backends/backendtest"
	"github.com/statekit/statekit/backends/memory"
	"github.com/statekit/statekit/runtime"
)

// TestReview9cValueOverMaxOnEveryPath: TestReview9bValueOf4GiB refuses a
// value over memory.MaxValueSize through Put only. This sends one through
// every other write path (PutTTL, Update, Batch.Put, Batch.PutEntry, Restore):
// each must fail with an error wrapping ErrInvalidArgument that names the key
// and is short (no dump of the value), leave the key's old value in place,
// and, for a batch, leave its other writes to commit. The value is never
// written to, so it costs address space, not memory. It passed when written.
func TestReview9cValueOverMaxOnEveryPath(t *testing.T) {
	ctx := context.Background()
	huge := make([]byte, memory.MaxValueSize+1)
	key := []byte("huge-key")
	cases := []struct {
		name  string
		write func(b *memory.Backend) error
	}{
		{"PutTTL", func(b *memory.Backend) error { return b.PutTTL(ctx, key, huge, time.Hour) }},
		{"Update", func(b *memory.Backend) error {
			return b.Update(ctx, key, 0, func([]byte, bool) ([]byte, bool, error) { return huge, true, nil })
		}},
		{"Batch.Put", func(b *memory.Backend) error {
			w := b.NewBatch()
			if err := w.Put([]byte("other"), []byte("o")); err != nil {
				return err
			}
			err := w.Put(key, huge)
			if cerr := w.Commit(ctx); cerr != nil {
				return cerr
			}
			return err
		}},
		{"Batch.PutEntry", func(b *memory.Backend) error {
			w := b.NewBatch()
			if err := w.Put([]byte("other"), []byte("o")); err != nil {
				return err
			}
			err := w.PutEntry(runtime.Entry{Key: key, Value: huge})
			if cerr := w.Commit(ctx); cerr != nil {
				return cerr
			}
			return err
		}},
		{"Restore", func(b *memory.Backend) error {
			return b.Restore(ctx, backendtest.Entries([]runtime.Entry{{Key: []byte("a"), Value: []byte("x")}, {Key: key, Value: huge}}))
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := memory.New(memory.Options{})
			defer b.Close()
			if err := b.Put(ctx, key, []byte("old")); err != nil {
				t.Fatal(err)
			}
			err := tc.write(b)
			if !errors.Is(err, runtime.ErrInvalidArgument) {
				t.Fatalf("value of %d bytes: %.200v; want ErrInvalidArgument", len(huge), err)
			}
			if msg := err.Error(); len(msg) > 300 || !strings.Contains(msg, string(key)) {
				t.Errorf("error %.400q: want it short and naming the key", msg)
			}
			if v, found, err := b.Get(ctx, key); err != nil || !found || string(v) != "old" {
				t.Errorf("after the refused write Get = %.20q %v %v; want \"old\"", v, found, err)
			}
			if strings.HasPrefix(tc.name, "Batch") {
				if v, found, _ := b.Get(ctx, []byte("other")); !found || string(v) != "o" {
					t.Errorf("the batch's other write: %q %v; want committed", v, found)
				}
			}
			if tc.name == "Restore" {
				if _, found, _ := b.Get(ctx, []byte("a")); found {
					t.Error("a refused Restore applied part of its entries")
				}
			}
		})
	}
}
