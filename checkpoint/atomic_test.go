package checkpoint_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/statekit/statekit/checkpoint"
	"github.com/statekit/statekit/runtime"
)

// TestAtomicRestoreOfDamagedFiles: into a backend whose Restore is all or
// nothing, a checkpoint is restored in one pass, verified as it is read.
// Damage anywhere in the file — a flipped bit in a header, a record, the
// compressed stream, the trailer, or a truncation — still fails with
// ErrCorrupt and leaves the backend as it was.
func TestAtomicRestoreOfDamagedFiles(t *testing.T) {
	ctx := context.Background()
	for _, compress := range []bool{false, true} {
		t.Run(fmt.Sprint("compress=", compress), func(t *testing.T) {
			src := newMemory(t, nil)
			fill(t, src, 300)
			c, dir := newCoordinator(t, src, checkpoint.Options{Compress: compress})
			info, err := c.CreateCheckpoint(ctx)
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(dir, info.ID+".ckpt")
			good, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			dst := newMemory(t, nil)
			if _, ok := runtime.Backend(dst).(runtime.AtomicRestorer); !ok {
				t.Fatal("the memory backend is no AtomicRestorer: this test tests nothing")
			}
			if err := dst.Put(ctx, []byte("precious"), []byte("keep me")); err != nil {
				t.Fatal(err)
			}
			r, _ := newCoordinator(t, dst, checkpoint.Options{Dir: dir})
			damages := map[string][]byte{"truncated": good[:len(good)-20]}
			for i := 0; i < len(good); i += max(1, len(good)/40) {
				bad := append([]byte(nil), good...)
				bad[i] ^= 0x04
				damages[fmt.Sprint("bit flipped at ", i)] = bad
			}
			for name, bad := range damages {
				if err := os.WriteFile(path, bad, 0o600); err != nil {
					t.Fatal(err)
				}
				err := r.Restore(ctx, info.ID)
				if !errors.Is(err, runtime.ErrCorrupt) && !errors.Is(err, checkpoint.ErrUnsupportedVersion) {
					t.Errorf("%s: Restore = %v, want ErrCorrupt", name, err)
				}
				keys, _ := dst.ListKeys(ctx, nil)
				if len(keys) != 1 || string(keys[0]) != "precious" {
					t.Fatalf("%s: a failed restore changed the backend: %d keys", name, len(keys))
				}
			}
			if err := os.WriteFile(path, good, 0o600); err != nil {
				t.Fatal(err)
			}
			if err := r.Restore(ctx, info.ID); err != nil {
				t.Fatal(err)
			}
			if keys, _ := dst.ListKeys(ctx, nil); len(keys) != 300 {
				t.Fatalf("restored %d keys, want 300", len(keys))
			}
		})
	}
}
