package checkpoint_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/statekit/statekit/checkpoint"
	"github.com/statekit/statekit/runtime"
)

// TestRetentionDeletesOnlyWhatItIdentified: retention deletes older valid
// checkpoints and damaged files of this format, and keeps files of a newer
// format version and files that are not checkpoints, however old.
func TestRetentionDeletesOnlyWhatItIdentified(t *testing.T) {
	ctx := context.Background()
	clock := runtime.NewManualClock(epoch)
	b := newMemory(t, clock)
	fill(t, b, 10)
	c, dir := newCoordinator(t, b, checkpoint.Options{MaxCheckpoints: 2, Clock: clock})
	var ids []string
	for range 5 {
		info, err := c.CreateCheckpoint(ctx)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, info.ID)
		clock.Advance(time.Second)
	}
	assertFiles(t, dir, ids[3:])
	// Older files appear: as after a rollback (a newer version, intact), a
	// damaged one, and something that is no checkpoint at all.
	newer := "20200101T000000.000000001Z"
	damaged := "20200101T000000.000000002Z"
	foreign := "20200101T000000.000000003Z"
	src := filepath.Join(dir, ids[4]+".ckpt")
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{newer, damaged} {
		if err := os.WriteFile(filepath.Join(dir, id+".ckpt"), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	withVersion(t, filepath.Join(dir, newer+".ckpt"), 3, true)
	if err := os.Truncate(filepath.Join(dir, damaged+".ckpt"), 200); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, foreign+".ckpt"), []byte("my notes"), 0o600); err != nil {
		t.Fatal(err)
	}
	info, err := c.CreateCheckpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	assertFiles(t, dir, []string{newer, foreign, ids[4], info.ID})
}

// TestRestoreLatestStopsAtNewerVersion: after a rollback, RestoreLatest does
// not go back to an older checkpoint past one it cannot read: it says so, and
// leaves the backend as it was.
func TestRestoreLatestStopsAtNewerVersion(t *testing.T) {
	ctx := context.Background()
	clock := runtime.NewManualClock(epoch)
	src := newMemory(t, clock)
	fill(t, src, 10)
	c, dir := newCoordinator(t, src, checkpoint.Options{Clock: clock})
	if _, err := c.CreateCheckpoint(ctx); err != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Second)
	info, err := c.CreateCheckpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	withVersion(t, filepath.Join(dir, info.ID+".ckpt"), 3, true)

	dst := newMemory(t, clock)
	put(t, dst, "mine", "untouched")
	rc, _ := newCoordinator(t, dst, checkpoint.Options{Dir: dir, Clock: clock})
	_, err = rc.RestoreLatest(ctx)
	if !errors.Is(err, checkpoint.ErrUnsupportedVersion) || errors.Is(err, runtime.ErrCorrupt) || errors.Is(err, checkpoint.ErrNoCheckpoint) {
		t.Fatalf("RestoreLatest: %v, want ErrUnsupportedVersion only", err)
	}
	if !strings.Contains(err.Error(), info.ID) || !strings.Contains(err.Error(), "newer statekit") {
		t.Errorf("error %q does not name the newer checkpoint plainly", err)
	}
	keys, err := dst.ListKeys(ctx, nil)
	if err != nil || len(keys) != 1 || string(keys[0]) != "mine" {
		t.Fatalf("backend changed: %q, %v", keys, err)
	}
	if s := rc.Stats(); s.CorruptSkipped != 0 {
		t.Errorf("the newer checkpoint was counted as corrupt: %+v", s)
	}
}

func put(t *testing.T, b runtime.Backend, k, v string) {
	t.Helper()
	if err := b.Put(context.Background(), []byte(k), []byte(v)); err != nil {
		t.Fatal(err)
	}
}
