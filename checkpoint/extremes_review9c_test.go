package checkpoint_test

import (
	"context"
	"math"
	"path/filepath"
	"testing"
	"time"

	"github.com/statekit/statekit/checkpoint"
	"github.com/statekit/statekit/runtime"
)

// TestReview9cExpiryExtremesMemoryBadgerMemory checkpoints a memory backend
// holding expiries at their extremes (never, an hour, the 2262 clamp, the
// epoch and 1600, both past), restores the file into Badger, adds there an
// expiry Badger holds and memory cannot (year 5000), checkpoints Badger and
// restores that into a new memory backend. Every live entry must arrive live,
// with an expiry no earlier than it had (Badger rounds up to a second; memory
// clamps to 2262), and the past ones must not arrive. The existing tests
// round-trip only TTLs of hours; this crosses both clamps. It passed when
// written.
func TestReview9cExpiryExtremesMemoryBadgerMemory(t *testing.T) {
	ctx := context.Background()
	hour := time.Now().Add(time.Hour)
	last := time.Unix(0, math.MaxInt64)
	mem := newMemory(t, nil)
	w := mem.NewBatch()
	for _, e := range []runtime.Entry{
		{Key: []byte("never"), Value: []byte("n")},
		{Key: []byte("hour"), Value: []byte("h"), ExpiresAt: hour},
		{Key: []byte("y3000"), Value: []byte("f"), ExpiresAt: time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC)},
		{Key: []byte("epoch"), Value: []byte("e"), ExpiresAt: time.Unix(0, 0)},
		{Key: []byte("y1600"), Value: []byte("o"), ExpiresAt: time.Date(1600, 1, 1, 0, 0, 0, 0, time.UTC)},
	} {
		if err := w.PutEntry(e); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	c1, dir1 := newCoordinator(t, mem, checkpoint.Options{})
	info1, err := c1.CreateCheckpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	bdg := newBadger(t)
	if _, err := checkpoint.RestoreFile(ctx, bdg, filepath.Join(dir1, info1.ID+".ckpt"), time.Now()); err != nil {
		t.Fatalf("restore into Badger: %v", err)
	}
	bw := bdg.NewBatch()
	if err := bw.PutEntry(runtime.Entry{Key: []byte("y5000"), Value: []byte("b"), ExpiresAt: time.Date(5000, 1, 1, 0, 0, 0, 0, time.UTC)}); err != nil {
		t.Fatal(err)
	}
	if err := bw.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	c2, dir2 := newCoordinator(t, bdg, checkpoint.Options{})
	info2, err := c2.CreateCheckpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	back := newMemory(t, nil)
	if _, err := checkpoint.RestoreFile(ctx, back, filepath.Join(dir2, info2.ID+".ckpt"), time.Now()); err != nil {
		t.Fatalf("restore into memory: %v", err)
	}
	want := map[string]time.Time{ // the earliest expiry each may come back with; zero: never
		"never": {}, "hour": hour, "y3000": last, "y5000": last,
	}
	for name, b := range map[string]runtime.Snapshotter{"badger": bdg, "memory again": back} {
		got := map[string]time.Time{}
		for e, err := range b.Snapshot(ctx) {
			if err != nil {
				t.Fatal(err)
			}
			got[string(e.Key)] = e.ExpiresAt
		}
		for k, at := range want {
			if name == "badger" && k == "y3000" {
				at = last // memory stored it clamped
			}
			g, ok := got[k]
			switch {
			case !ok && (name != "badger" || k != "y5000"):
				t.Errorf("%s: %q missing", name, k)
			case ok && at.IsZero() != g.IsZero():
				t.Errorf("%s: %q expires at %v, want %v", name, k, g, at)
			case ok && g.Before(at.Truncate(time.Second)):
				t.Errorf("%s: %q expires at %v, before %v", name, k, g, at)
			}
			delete(got, k)
		}
		if len(got) > 0 {
			t.Errorf("%s: entries that had expired came back: %v", name, got)
		}
	}
}
