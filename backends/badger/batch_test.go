package badger_test

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/statekit/statekit/backends/badger"
	"github.com/statekit/statekit/runtime"
)

// TestBatchSizes: a batch commits as one transaction while it is small and
// moves to a WriteBatch past 4,096 writes or 4 MiB; on either side, and
// across the move, every write lands, in order per key, with its expiry.
func TestBatchSizes(t *testing.T) {
	tests := []struct {
		name   string
		writes int
		value  int
	}{
		{"one", 1, 10},
		{"small", 500, 100},
		{"at the count limit", 4096, 10},
		{"past the count limit", 4097, 10},
		{"past the byte limit", 100, 64 << 10},
		{"large", 20000, 50},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			b := open(t, badger.NewConfig(t.TempDir()))
			w := b.NewBatch()
			value := func(i, round int) []byte {
				return append(bytes.Repeat([]byte{byte(i)}, tc.value), byte(round))
			}
			// Every key twice, then every third deleted: the last write wins.
			for round := range 2 {
				for i := range tc.writes {
					if err := w.Put(fmt.Appendf(nil, "k%06d", i), value(i, round)); err != nil {
						t.Fatal(err)
					}
				}
			}
			for i := 0; i < tc.writes; i += 3 {
				if err := w.Delete(fmt.Appendf(nil, "k%06d", i)); err != nil {
					t.Fatal(err)
				}
			}
			exp := time.Now().Add(time.Hour).Truncate(time.Second)
			if err := w.PutEntry(runtime.Entry{Key: []byte("z"), Value: []byte("v"), ExpiresAt: exp}); err != nil {
				t.Fatal(err)
			}
			if err := w.Commit(ctx); err != nil {
				t.Fatal(err)
			}
			for i := range tc.writes {
				got, ok, err := b.Get(ctx, fmt.Appendf(nil, "k%06d", i))
				if err != nil {
					t.Fatal(err)
				}
				if i%3 == 0 {
					if ok {
						t.Fatalf("k%06d: deleted, but found", i)
					}
					continue
				}
				if !ok || !bytes.Equal(got, value(i, 1)) {
					t.Fatalf("k%06d = %d bytes, %v; want the second write", i, len(got), ok)
				}
			}
			var found bool
			for e, err := range b.Snapshot(ctx) {
				if err != nil {
					t.Fatal(err)
				}
				if string(e.Key) == "z" {
					found = true
					if !e.ExpiresAt.Equal(exp) {
						t.Fatalf("z expires %v, want %v", e.ExpiresAt, exp)
					}
				}
			}
			if !found {
				t.Fatal("z lost")
			}
		})
	}
}
