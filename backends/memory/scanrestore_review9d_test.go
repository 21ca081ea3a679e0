package memory_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/statekit/statekit/backends/memory"
	"github.com/statekit/statekit/runtime"
)

// TestReview9dScanOvertakenByRestoreBetweenRuns: Scan's doc says "A Restore
// that overtakes a Scan (or ListKeys) makes it fail with an error wrapping
// runtime.ErrConflict rather than visit two contents". The check is made
// only when the scan visits a key; the index is walked in runs (8 keys, then
// 32, 128, up to 512), each read from the index as it is then. When a
// Restore swaps the index in between two runs and the restored contents have
// no key after the last one visited (here: all lower, none at all, or none
// in the prefix), the next run is empty, no key is visited, no check is
// made, and the Scan returns nil having seen 8 entries of 20, as though the
// old contents had ended there. ListKeys walks the same way. Found by
// TestReview9dRestoreFilesRaceCheckpointsAndScans (checkpoint), where a scan
// racing RestoreFile returned a prefix of a checkpoint without an error. Here
// the Restore is made from the scan's callback at the last key of the first
// run, deterministically.
func TestReview9dScanOvertakenByRestoreBetweenRuns(t *testing.T) {
	ctx := context.Background()
	entries := func(prefix string, n int) []runtime.Entry {
		var es []runtime.Entry
		for i := range n {
			es = append(es, runtime.Entry{Key: fmt.Appendf(nil, "%s%02d", prefix, i), Value: []byte(prefix)})
		}
		return es
	}
	seq := func(es []runtime.Entry) func(yield func(runtime.Entry, error) bool) {
		return func(yield func(runtime.Entry, error) bool) {
			for _, e := range es {
				if !yield(e, nil) {
					return
				}
			}
		}
	}
	cases := []struct {
		name     string
		prefix   string
		restored []runtime.Entry
	}{
		{"restored keys all lower", "", entries("A", 10)},
		{"nothing restored", "", nil},
		{"restored keys outside the prefix", "B", entries("C", 10)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := memory.New(memory.Options{})
			defer b.Close()
			if err := b.Restore(ctx, seq(entries("B", 20))); err != nil {
				t.Fatal(err)
			}
			seen := 0
			err := b.Scan(ctx, []byte(tc.prefix), func(k, v []byte) error {
				if seen++; seen == 8 { // the last key of the first run
					if err := b.Restore(ctx, seq(tc.restored)); err != nil {
						return err
					}
				}
				return nil
			})
			if !errors.Is(err, runtime.ErrConflict) {
				t.Errorf("Scan overtaken by a Restore after %d of 20 entries: %v, want an error wrapping ErrConflict", seen, err)
			}
		})
	}
}
