package checkpoint_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/statekit/statekit/backends/redis"
	"github.com/statekit/statekit/checkpoint"
	"github.com/statekit/statekit/runtime"
)

// TestReview9dRedisRefusedValueLeavesContents: a checkpoint of the memory
// backend holding a value one byte longer than Redis holds
// (redis.MaxValueSize, which Put refuses with runtime.ErrInvalidArgument) is
// restored into a Redis backend holding one key. Redis's Restore is not all
// or nothing (it is not a Snapshotter: RestoreInto deletes every key, then
// puts), so the restore must find the refused entry before it starts
// (runtime.EntryChecker, as Badger does) and leave the key in place. Redis
// implements no CheckEntry, so VerifyFor only checks the checksum, RestoreInto
// deletes the key and then fails on the value: the backend is left empty.
func TestReview9dRedisRefusedValueLeavesContents(t *testing.T) {
	if testing.Short() {
		t.Skip("writes a 512 MiB value")
	}
	ctx := context.Background()
	mem := newMemory(t, nil)
	if err := mem.Put(ctx, []byte("big"), make([]byte, redis.MaxValueSize+1)); err != nil {
		t.Fatal(err)
	}
	c, dir := newCoordinator(t, mem, checkpoint.Options{})
	info, err := c.CreateCheckpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	mem.Close()
	rb := openRedis(t, "r9drefuse", 0)
	if err := rb.Put(ctx, []byte("keep"), []byte("v")); err != nil {
		t.Fatal(err)
	}
	_, err = checkpoint.RestoreFile(ctx, rb, filepath.Join(dir, info.ID+".ckpt"), time.Now())
	if !errors.Is(err, runtime.ErrInvalidArgument) {
		t.Fatalf("RestoreFile of a value past Redis's limit: %v, want an error wrapping ErrInvalidArgument", err)
	}
	if _, found, gerr := rb.Get(ctx, []byte("keep")); gerr != nil || !found {
		t.Errorf("after a refused restore (%v), the key already there: found %v, %v; want it kept", err, found, gerr)
	}
}
