package badger_test

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"log/slog"
	"testing"

	"github.com/statekit/statekit/backends/backendtest"
	"github.com/statekit/statekit/backends/badger"
	"github.com/statekit/statekit/runtime"
)

// TestReview9cUsableAfterFailedBulkRestore: a Restore past 4,096 entries has
// dropped the old contents and begun the StreamWriter (or, keys out of order,
// a WriteBatch) when its input fails, or it meets a value it refuses or a
// reserved key. It leaves part, as documented; this holds it to the rest:
// the backend stays usable (Put, Get, ListKeys, Snapshot, Update, a batch
// and a new Restore all work, with the value cache on), on disk and in
// memory. Existing tests stop at the error. It passed when written.
func TestReview9cUsableAfterFailedBulkRestore(t *testing.T) {
	ctx := context.Background()
	boom := errors.New("input broke")
	failing := func(n int, outOfOrder bool, last runtime.Entry, lastErr error) iter.Seq2[runtime.Entry, error] {
		return func(yield func(runtime.Entry, error) bool) {
			for i := range n {
				k := fmt.Appendf(nil, "f/%05d", i)
				if outOfOrder && i == n/2 {
					k = []byte("a") // out of order from here: a WriteBatch
				}
				if !yield(runtime.Entry{Key: k, Value: []byte("y")}, nil) {
					return
				}
			}
			yield(last, lastErr)
		}
	}
	big := make([]byte, 1<<30)
	cases := []struct {
		name  string
		input iter.Seq2[runtime.Entry, error]
		want  error
	}{
		{"stream, input error", failing(6000, false, runtime.Entry{}, boom), boom},
		{"stream, value refused", failing(6000, false, runtime.Entry{Key: []byte("z"), Value: big}, nil), runtime.ErrInvalidArgument},
		{"stream, reserved key", failing(6000, true, runtime.Entry{Key: []byte("!badger!x"), Value: []byte("v")}, nil), runtime.ErrInvalidKey},
		{"write batch, input error", failing(6000, true, runtime.Entry{}, boom), boom},
	}
	for _, mode := range []string{"disk", "memory"} {
		for _, tc := range cases {
			t.Run(mode+"/"+tc.name, func(t *testing.T) {
				cfg := badger.NewConfig(t.TempDir()).WithCacheCapacity(1 << 20)
				if mode == "memory" {
					cfg = badger.NewConfig("").WithInMemory(true).WithCacheCapacity(1 << 20)
				}
				b, err := badger.Open(ctx, cfg.WithLogger(slog.New(slog.DiscardHandler)))
				if err != nil {
					t.Fatal(err)
				}
				defer b.Close()
				if err := b.Put(ctx, []byte("old"), []byte("o")); err != nil {
					t.Fatal(err)
				}
				if err := b.Restore(ctx, tc.input); !errors.Is(err, tc.want) {
					t.Fatalf("Restore: %v; want %v", err, tc.want)
				}
				if err := b.Put(ctx, []byte("after"), []byte("a")); err != nil {
					t.Fatalf("Put after the failed Restore: %v", err)
				}
				for range 2 { // the second Get may come from the cache
					if v, found, err := b.Get(ctx, []byte("after")); err != nil || !found || string(v) != "a" {
						t.Fatalf("Get after the failed Restore: %q %v %v", v, found, err)
					}
				}
				if err := b.Update(ctx, []byte("after"), 0, func(old []byte, _ bool) ([]byte, bool, error) { return append(old, 'u'), true, nil }); err != nil {
					t.Fatal(err)
				}
				w := b.NewBatch()
				if err := w.Put([]byte("batched"), []byte("b")); err != nil {
					t.Fatal(err)
				}
				if err := w.Commit(ctx); err != nil {
					t.Fatal(err)
				}
				keys, err := b.ListKeys(ctx, nil)
				if err != nil {
					t.Fatal(err)
				}
				n := 0
				for _, err := range b.Snapshot(ctx) {
					if err != nil {
						t.Fatal(err)
					}
					n++
				}
				if n != len(keys) {
					t.Errorf("Snapshot yields %d entries, ListKeys %d keys", n, len(keys))
				}
				if err := b.Restore(ctx, backendtest.Entries([]runtime.Entry{{Key: []byte("fresh"), Value: []byte("f")}})); err != nil {
					t.Fatalf("a Restore after the failed one: %v", err)
				}
				keys, err = b.ListKeys(ctx, nil)
				if err != nil || len(keys) != 1 {
					t.Fatalf("after a good Restore: %d keys, %v", len(keys), err)
				}
				if _, found, _ := b.Get(ctx, []byte("after")); found {
					t.Error("Get finds a key the good Restore replaced")
				}
			})
		}
	}
}
