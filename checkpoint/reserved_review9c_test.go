package checkpoint_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/statekit/statekit/checkpoint"
	"github.com/statekit/statekit/runtime"
)

// TestReview9cReservedKeyMemoryToBadger: the README says a checkpoint holding
// a key Badger reserves ("!badger!...") restores into memory, and into Badger
// fails with ErrInvalidKey at that key. Such a key sorts before letters and
// digits, so it is among the first entries, which Badger reads before it drops
// anything: the failed restore must leave Badger's contents as they were, for
// a small checkpoint and for one past 4,096 entries. The checkpoint then still
// restores into a new memory backend whole. Only Badger's Restore was tested
// with such a key, not a checkpoint file through RestoreFile. It passed when
// written.
func TestReview9cReservedKeyMemoryToBadger(t *testing.T) {
	ctx := context.Background()
	for _, n := range []int{3, 5000} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			mem := newMemory(t, nil)
			if err := mem.Put(ctx, []byte("!badger!x"), []byte("r")); err != nil {
				t.Fatal(err)
			}
			for i := range n {
				if err := mem.PutTTL(ctx, fmt.Appendf(nil, "k/%05d", i), []byte("v"), time.Hour); err != nil {
					t.Fatal(err)
				}
			}
			c, dir := newCoordinator(t, mem, checkpoint.Options{})
			info, err := c.CreateCheckpoint(ctx)
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(dir, info.ID+".ckpt")
			bdg := newBadger(t)
			if err := bdg.Put(ctx, []byte("before"), []byte("b")); err != nil {
				t.Fatal(err)
			}
			_, err = checkpoint.RestoreFile(ctx, bdg, path, time.Now())
			if !errors.Is(err, runtime.ErrInvalidKey) {
				t.Fatalf("restore into Badger: %v; want ErrInvalidKey", err)
			}
			var re *runtime.Error
			if !errors.As(err, &re) || string(re.Key) != "!badger!x" {
				t.Errorf("error %v does not name the key", err)
			}
			keys, err := bdg.ListKeys(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(keys) != 1 || string(keys[0]) != "before" {
				t.Errorf("after the refused restore Badger holds %d keys, want only \"before\"", len(keys))
			}
			back := newMemory(t, nil)
			if _, err := checkpoint.RestoreFile(ctx, back, path, time.Now()); err != nil {
				t.Fatal(err)
			}
			if v, found, err := back.Get(ctx, []byte("!badger!x")); err != nil || !found || string(v) != "r" {
				t.Errorf("into memory: %q %v %v", v, found, err)
			}
			if got := back.Stats().Entries; got != int64(n+1) {
				t.Errorf("into memory: %d entries, want %d", got, n+1)
			}
		})
	}
}
