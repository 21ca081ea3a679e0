package checkpoint_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/statekit/statekit/backends/badger"
	"github.com/statekit/statekit/backends/memory"
	"github.com/statekit/statekit/checkpoint"
	"github.com/statekit/statekit/runtime"
)

// TestRestoreChecksEntriesFirst: a checkpoint of the memory backend may hold
// an entry Badger refuses (a key under Badger's reserved "!badger!" prefix).
// Badger's Restore is not all or nothing: past its first 4,096 entries it has
// dropped the old contents, so an entry refused there left the store half
// restored. RestoreFile now checks every entry against the backend
// (runtime.EntryChecker) before it starts: the restore fails with the
// backend's error, and the store keeps what it had.
func TestRestoreChecksEntriesFirst(t *testing.T) {
	ctx := context.Background()
	for _, n := range []int{10, 6000} { // one transaction; the bulk load
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			src := memory.New(memory.Options{})
			defer src.Close()
			for i := range n {
				// Keys that sort before "!badger!": the refused one comes last.
				if err := src.Put(ctx, fmt.Appendf(nil, " k/%05d", i), []byte("v")); err != nil {
					t.Fatal(err)
				}
			}
			if err := src.Put(ctx, []byte("!badger!x"), []byte("v")); err != nil {
				t.Fatal(err)
			}
			c, dir := newCoordinator(t, src, checkpoint.Options{})
			info, err := c.CreateCheckpoint(ctx)
			if err != nil {
				t.Fatal(err)
			}
			dst, err := badger.Open(ctx, badger.NewConfig(t.TempDir()).WithLogger(quiet))
			if err != nil {
				t.Fatal(err)
			}
			defer dst.Close()
			if err := dst.Put(ctx, []byte("before"), []byte("kept")); err != nil {
				t.Fatal(err)
			}
			_, err = checkpoint.RestoreFile(ctx, dst, filepath.Join(dir, info.ID+".ckpt"), time.Now())
			if !errors.Is(err, runtime.ErrInvalidKey) {
				t.Fatalf("RestoreFile with a reserved key = %v, want ErrInvalidKey", err)
			}
			keys, err := dst.ListKeys(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(keys) != 1 || string(keys[0]) != "before" {
				t.Fatalf("after the refused restore the store holds %d keys, want only before", len(keys))
			}
		})
	}
}
