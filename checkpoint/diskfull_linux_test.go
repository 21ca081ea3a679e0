//go:build linux

package checkpoint_test

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/statekit/statekit/backends/backendtest"
	"github.com/statekit/statekit/checkpoint"
)

// TestCheckpointOnFullDisk: a checkpoint that does not fit fails with ENOSPC,
// leaves no file behind, counts a failure, and leaves the older checkpoint
// restorable; once space is freed, checkpoints work again.
func TestCheckpointOnFullDisk(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("mounting a small tmpfs to fill needs root: skipped (run as root to test a full disk for real)")
	}
	dir := filepath.Join(t.TempDir(), "tmpfs")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size=1m"); err != nil {
		t.Skipf("cannot mount a tmpfs here (%v): skipped", err)
	}
	t.Cleanup(func() { _ = syscall.Unmount(dir, syscall.MNT_DETACH) })

	ctx := context.Background()
	b := newMemory(t, nil)
	fill(t, b, 20)
	want := backendtest.Snapshot(t, b)
	c, _ := newCoordinator(t, b, checkpoint.Options{Dir: dir, Compress: true})
	first, err := c.CreateCheckpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 40 { // 2.5 MiB that does not compress
		v := make([]byte, 64<<10)
		rand.Read(v)
		if err := b.Put(ctx, fmt.Appendf(nil, "big%02d", i), v); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.CreateCheckpoint(ctx); !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("checkpoint larger than the disk: %v, want ENOSPC", err)
	}
	assertFiles(t, dir, []string{first.ID})
	if s := c.Stats(); s.CheckpointFailures != 1 {
		t.Errorf("stats %+v: want 1 failure", s)
	}
	dst := newMemory(t, nil)
	rc, _ := newCoordinator(t, dst, checkpoint.Options{Dir: dir})
	if _, err := rc.RestoreLatest(ctx); err != nil {
		t.Fatal(err)
	}
	backendtest.EqualEntries(t, "the older checkpoint", backendtest.Snapshot(t, dst), want, 0)

	for i := range 40 {
		if err := b.Delete(ctx, fmt.Appendf(nil, "big%02d", i)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.CreateCheckpoint(ctx); err != nil {
		t.Fatalf("checkpoint after the state shrank: %v", err)
	}
}
