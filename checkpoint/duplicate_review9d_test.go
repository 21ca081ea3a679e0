package checkpoint_test

import (
	"context"
	"testing"
	"time"

	"github.com/statekit/statekit/checkpoint"
	"github.com/statekit/statekit/runtime"
)

// TestReview9dExpiredLaterDuplicateHidesEarlier: FORMAT.md puts records in
// "the backend's snapshot order", so a file may hold one key twice (a
// backend whose snapshot is not ordered, or a file crafted with a right
// checksum: the reader accepts both). Every backend's Restore gives the last
// of duplicate keys, and an expired one hides an earlier write (memory: "it
// deletes what an earlier entry of its key wrote"; Badger: "an expired later
// write hides an earlier one"). RestoreInto filters the expired entries out
// before the backend sees them, so restoring the file k=old, then k expired,
// leaves k=old alive, where the backend's own Restore of the same entries
// leaves no k. The two restores of one input must agree.
func TestReview9dExpiredLaterDuplicateHidesEarlier(t *testing.T) {
	ctx := context.Background()
	// v1 records: expiry 1 is 1ns after the Unix epoch, long expired.
	path := craft(t, append(record("k", "old", 0), record("k", "new", 1)...), 2, nil)

	direct := newMemory(t, nil)
	if err := direct.Restore(ctx, func(yield func(runtime.Entry, error) bool) {
		_ = yield(runtime.Entry{Key: []byte("k"), Value: []byte("old")}, nil) &&
			yield(runtime.Entry{Key: []byte("k"), Value: []byte("new"), ExpiresAt: time.Unix(0, 1)}, nil)
	}); err != nil {
		t.Fatal(err)
	}
	_, wantFound, err := direct.Get(ctx, []byte("k"))
	if err != nil {
		t.Fatal(err)
	}
	for name, b := range map[string]runtime.Backend{"memory": newMemory(t, nil), "badger": newBadger(t)} {
		if _, err := checkpoint.RestoreFile(ctx, b, path, time.Now()); err != nil {
			t.Fatalf("%s: RestoreFile: %v", name, err)
		}
		v, found, err := b.Get(ctx, []byte("k"))
		if err != nil {
			t.Fatal(err)
		}
		if found != wantFound {
			t.Errorf("%s: after RestoreFile of k=old then k expired, k found=%v (%q); the backend's Restore of the same entries: found=%v", name, found, v, wantFound)
		}
	}
}
