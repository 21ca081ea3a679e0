package checkpoint_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/statekit/statekit/checkpoint"
	"github.com/statekit/statekit/runtime"
)

// TestReview9dHostileRecordsIntoRedis restores files whose SHA-256 is right
// but whose records lie (as TestHostileRecords crafts them: the checksum is
// not keyed, so anyone who edits a file can fix it) into a Redis backend
// holding one key. README: "a restore verifies the file before it touches the
// backend, so a corrupt checkpoint changes nothing". Into Badger that holds:
// VerifyFor decodes every record (Badger is a runtime.EntryChecker). Redis
// is neither an AtomicRestorer nor an EntryChecker, so VerifyFor checks the
// checksum alone; RestoreInto then deletes every key, starts decoding,
// and finds the lie only when it reaches it: the restore fails with
// ErrCorrupt, and Redis has lost its key (it is left empty).
func TestReview9dHostileRecordsIntoRedis(t *testing.T) {
	ctx := context.Background()
	rb := openRedis(t, "r9dhostile", 0)
	two := append(record("a", "v", 0), record("b", "v", 0)...)
	tests := []struct {
		name    string
		body    []byte
		entries uint64
	}{
		{"count too high", two, 3},
		{"count too low", two, 1},
		{"last record cut short", append(record("a", "v", 0), record("b", "value", 0)[:6]...), 2},
		{"non-minimal varint after a record", append(record("a", "v", 0), 0x80, 0x00, 1, 'b', 1, 'v', 0), 2},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			keep := []byte(fmt.Sprintf("keep%d", i))
			if err := rb.Put(ctx, keep, []byte("k")); err != nil {
				t.Fatal(err)
			}
			path := craft(t, tc.body, tc.entries, nil)
			_, err := checkpoint.RestoreFile(ctx, rb, path, time.Now())
			if !errors.Is(err, runtime.ErrCorrupt) {
				t.Errorf("RestoreFile: %v, want an error wrapping ErrCorrupt", err)
			}
			keys, lerr := rb.ListKeys(ctx, nil)
			if lerr != nil {
				t.Fatal(lerr)
			}
			if len(keys) != 1 || string(keys[0]) != string(keep) {
				t.Errorf("after a refused restore Redis holds %q, want only %q", keys, keep)
			}
			for _, k := range keys {
				if err := rb.Delete(ctx, k); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}
