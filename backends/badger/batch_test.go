package badger_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/statekit/statekit/backends/backendtest"
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

// TestRestoreOvertakesSpilledBatch: a batch large enough to have moved to
// Badger's WriteBatch keeps a transaction open between its calls; a Restore
// ends it before it drops anything (its StreamWriter with that transaction
// open stopped the process: integration/review9b). The batch then fails, on
// its next write and at Commit, with ErrConflict, and nothing of it survives
// the Restore, not even in the value cache; a batch small enough to be held
// commits after the Restore, as on the memory backend.
func TestRestoreOvertakesSpilledBatch(t *testing.T) {
	ctx := context.Background()
	for _, restoreN := range []int{10, 5000} { // one transaction, and the StreamWriter
		t.Run(fmt.Sprint(restoreN), func(t *testing.T) {
			b := openCached(t, 1<<20)
			big, small := b.NewBatch(), b.NewBatch()
			for i := range 6000 { // past the held limit: spilled into a WriteBatch
				if err := big.Put(fmt.Appendf(nil, "big/%05d", i), []byte("b")); err != nil {
					t.Fatal(err)
				}
			}
			if err := small.Put([]byte("small"), []byte("s")); err != nil {
				t.Fatal(err)
			}
			if _, _, err := b.Get(ctx, []byte("big/00000")); err != nil { // may cache what the WriteBatch wrote so far
				t.Fatal(err)
			}
			var entries []runtime.Entry
			for i := range restoreN {
				entries = append(entries, runtime.Entry{Key: fmt.Appendf(nil, "r/%05d", i), Value: []byte("r")})
			}
			if err := b.Restore(ctx, backendtest.Entries(entries)); err != nil {
				t.Fatal(err)
			}
			if err := big.Put([]byte("big/late"), []byte("b")); !errors.Is(err, runtime.ErrConflict) {
				t.Errorf("Put on an overtaken batch = %v, want ErrConflict", err)
			}
			if err := big.Commit(ctx); !errors.Is(err, runtime.ErrConflict) {
				t.Errorf("Commit of an overtaken batch = %v, want ErrConflict", err)
			}
			if err := small.Commit(ctx); err != nil {
				t.Errorf("Commit of a held batch after a Restore: %v", err)
			}
			keys, err := b.ListKeys(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(keys) != restoreN+1 || string(keys[len(keys)-1]) != "small" {
				t.Errorf("%d keys after the Restore (last %q), want the %d restored and small", len(keys), keys[len(keys)-1], restoreN)
			}
			if v, found, err := b.Get(ctx, []byte("big/00000")); err != nil || found {
				t.Errorf("Get of an overtaken batch's key = %q, %v, %v; want not found", v, found, err)
			}
		})
	}
}
