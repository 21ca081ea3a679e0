package checkpoint_test

import (
	"context"
	"iter"
	"testing"
	"time"

	"github.com/statekit/statekit/checkpoint"
	"github.com/statekit/statekit/runtime"
)

// sliceBackend snapshots a prepared slice: it costs nothing, so a checkpoint of
// it measures the writer alone.
type sliceBackend struct {
	runtime.Backend
	entries []runtime.Entry
}

func (s sliceBackend) Snapshot(context.Context) iter.Seq2[runtime.Entry, error] {
	return func(yield func(runtime.Entry, error) bool) {
		for _, e := range s.entries {
			if !yield(e, nil) {
				return
			}
		}
	}
}

func (s sliceBackend) Restore(context.Context, iter.Seq2[runtime.Entry, error]) error { return nil }

// BenchmarkWriter measures the checkpoint writer alone on 1M entries:
// encoding, compression, hashing and the durable write.
func BenchmarkWriter(b *testing.B) {
	var entries []runtime.Entry
	for e := range benchEntries(1_000_000) {
		entries = append(entries, e)
	}
	for _, compress := range []bool{false, true} {
		name := "plain"
		if compress {
			name = "zstd"
		}
		b.Run(name, func(b *testing.B) {
			c, err := checkpoint.New(sliceBackend{entries: entries}, time.Hour, checkpoint.Options{Dir: b.TempDir(), MaxCheckpoints: 1, Compress: compress, Logger: quiet})
			if err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				if _, err := c.CreateCheckpoint(context.Background()); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
