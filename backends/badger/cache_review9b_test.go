package badger_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	bdb "github.com/dgraph-io/badger/v4"

	"github.com/statekit/statekit/backends/badger"
	"github.com/statekit/statekit/runtime"
)

// dbValue reads key from Badger directly, past the value cache.
func dbValue(t *testing.T, b *badger.Backend, key []byte) []byte {
	t.Helper()
	var v []byte
	err := b.DB().View(func(txn *bdb.Txn) error {
		item, err := txn.Get(key)
		if err != nil {
			return err
		}
		v, err = item.ValueCopy(nil)
		return err
	})
	if err != nil && !errors.Is(err, bdb.ErrKeyNotFound) {
		t.Fatal(err)
	}
	return v
}

// TestReview9bCacheCoherentAfterBatchEndsWithoutCommit: a batch that grows
// past a small one's size goes to Badger's WriteBatch, which commits its
// writes in the background before Commit. A batch that then ends without a
// successful flush (Discard, or Commit with a cancelled ctx, which discards)
// leaves those writes in Badger ("Discard drops what is not yet applied"),
// but the batch only invalidates its keys in the cache after a flush. A Get
// that filled the cache between the batch's write and the background commit
// keeps returning the old value for good, while Badger, Scan and a reopened
// backend say otherwise.
func TestReview9bCacheCoherentAfterBatchEndsWithoutCommit(t *testing.T) {
	cases := []struct {
		name string
		end  func(runtime.Batch) error
	}{
		{"discard", func(w runtime.Batch) error { w.Discard(); return nil }},
		{"commit with cancelled ctx", func(w runtime.Batch) error {
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			return w.Commit(ctx)
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			b := openCached(t, 8<<20)
			key := []byte("hot")
			if err := b.Put(ctx, key, []byte("old")); err != nil {
				t.Fatal(err)
			}
			w := b.NewBatch()
			if err := w.Put(key, []byte("new")); err != nil {
				t.Fatal(err)
			}
			// A reader in the meantime: two misses admit the key, and it
			// caches what Badger holds, the old value.
			for range 3 {
				if v, _, err := b.Get(ctx, key); err != nil || string(v) != "old" {
					t.Fatalf("Get during the batch = %q, %v", v, err)
				}
			}
			// Grow the batch until Badger has committed the write of key.
			filler := bytes.Repeat([]byte{'x'}, 1024)
			deadline := time.Now().Add(30 * time.Second)
			for i := 0; string(dbValue(t, b, key)) != "new"; i++ {
				if time.Now().After(deadline) {
					t.Fatal("the WriteBatch never committed the key in the background")
				}
				if err := w.Put(fmt.Appendf(nil, "fill/%08d", i), filler); err != nil {
					t.Fatal(err)
				}
				if i%1024 == 1023 {
					time.Sleep(time.Millisecond)
				}
			}
			if err := tc.end(w); err != nil && !errors.Is(err, context.Canceled) {
				t.Fatal(err)
			}
			inDB := dbValue(t, b, key)
			got, _, err := b.Get(ctx, key)
			if err != nil {
				t.Fatal(err)
			}
			var scanned []byte
			if err := b.Scan(ctx, key, func(k, v []byte) error {
				if bytes.Equal(k, key) {
					scanned = bytes.Clone(v)
				}
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, inDB) || !bytes.Equal(got, scanned) {
				t.Fatalf("after the batch ended: Get = %q, Scan = %q, Badger holds %q", got, scanned, inDB)
			}
		})
	}
}
