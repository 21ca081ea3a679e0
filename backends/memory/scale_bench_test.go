package memory_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	goruntime "runtime"
	"slices"
	"testing"
	"time"

	"github.com/statekit/statekit/backends/memory"
	"github.com/statekit/statekit/backends/memory/internal/unordered"
	"github.com/statekit/statekit/checkpoint"
	"github.com/statekit/statekit/internal/heappeak"
	"github.com/statekit/statekit/runtime"
)

// Benchmarks of the memory backend at a million entries and more, against the
// backend before its keys were ordered ("memory-unordered") and plain Go maps.
// -short leaves them out; STATEKIT_BENCH_1M=1 adds 4M entries where noted.

// scaleEntries yields n entries in key order: 23-byte keys, 100-byte values
// that look like a real aggregate's encoding.
func scaleEntries(n int) func(yield func(runtime.Entry, error) bool) {
	return func(yield func(runtime.Entry, error) bool) {
		value := make([]byte, 100)
		for i := range n {
			key := fmt.Appendf(nil, "window:user%08d:%03d", i/10, i%10)
			v := fmt.Appendf(value[:0], `{"clicks":%d,"bytes":%d,"model":"m%02d","tag":"%08x"}`, i%1000, i*7, i%20, uint32(i)*2654435761)
			for len(v) < 100 {
				v = append(v, ' ')
			}
			if !yield(runtime.Entry{Key: key, Value: v}, nil) {
				return
			}
		}
	}
}

func skipShort(b *testing.B) {
	if testing.Short() {
		b.Skip("millions of entries: not with -short")
	}
}

// heapInUse is the bytes of live heap objects after a full collection.
func heapInUse() uint64 {
	goruntime.GC()
	var ms goruntime.MemStats
	goruntime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// BenchmarkBytesPerEntry is the heap one entry costs (1M entries of 23-byte
// keys and 100-byte values, after a collection), in the backend, in the backend
// before its keys were ordered, and in a plain map[string][]byte holding the
// same copies. Its only metric is B/entry.
func BenchmarkBytesPerEntry(b *testing.B) {
	skipShort(b)
	const n = 1_000_000
	ctx := context.Background()
	fill := func(put func(k, v []byte)) {
		for e := range scaleEntries(n) {
			put(e.Key, e.Value)
		}
	}
	run := func(b *testing.B, build func() any) {
		var per float64
		for b.Loop() {
			before := heapInUse()
			x := build()
			per = float64(heapInUse()-before) / n
			goruntime.KeepAlive(x)
		}
		b.ReportMetric(0, "ns/op")
		b.ReportMetric(per, "B/entry")
	}
	b.Run("statekit", func(b *testing.B) {
		run(b, func() any {
			m := memory.New(memory.Options{})
			fill(func(k, v []byte) { _ = m.Put(ctx, k, v) })
			return m
		})
	})
	b.Run("memory-unordered", func(b *testing.B) {
		run(b, func() any {
			m := unordered.New(unordered.Options{})
			fill(func(k, v []byte) { _ = m.Put(ctx, k, v) })
			return m
		})
	})
	b.Run("go-map", func(b *testing.B) {
		run(b, func() any {
			m := make(map[string][]byte)
			fill(func(k, v []byte) { m[string(k)] = append([]byte(nil), v...) })
			return m
		})
	})
}

type snapshotBackend interface {
	runtime.Backend
	runtime.Snapshotter
}

// checkpointOnce writes one checkpoint of be (compressed, as the coordinator
// does by default in the benchmarks of package checkpoint).
func checkpointOnce(b *testing.B, be snapshotBackend) {
	c, err := checkpoint.New(be, time.Hour, checkpoint.Options{
		Dir: b.TempDir(), MaxCheckpoints: 1, Compress: true, Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := c.CreateCheckpoint(context.Background()); err != nil {
			b.Fatal(err)
		}
	}
}

func restored(b *testing.B, be snapshotBackend, n int) snapshotBackend {
	b.Cleanup(func() { be.Close() })
	if err := be.Restore(context.Background(), scaleEntries(n)); err != nil {
		b.Fatal(err)
	}
	return be
}

// BenchmarkCheckpointPerEntry is the time per entry of a checkpoint of the
// backend: at 1M entries (the reference), 100K and, with STATEKIT_BENCH_1M=1,
// 4M, so that a ratio near 1 means linear; and the backend before its keys were
// ordered at the same sizes. A checkpoint also costs a part that does not grow
// with the state (the file's and the directory's syncs, the encoders, filling
// and draining the pipeline, retention): fixed-ms is the median time of a
// checkpoint of 1K entries, and net-ns/entry the time per entry without it.
func BenchmarkCheckpointPerEntry(b *testing.B) {
	skipShort(b)
	sizes := []struct {
		name string
		n    int
	}{{"1M", 1_000_000}, {"100K", 100_000}}
	if os.Getenv("STATEKIT_BENCH_1M") == "1" {
		sizes = append(sizes, struct {
			name string
			n    int
		}{"4M", 4_000_000})
	}
	// fixed is the median time of a checkpoint of 1K entries, measured once
	// here, outside every sub-benchmark's timer.
	fixed := func() float64 {
		be := restored(b, memory.New(memory.Options{}), 1_000)
		c, err := checkpoint.New(be, time.Hour, checkpoint.Options{
			Dir: b.TempDir(), MaxCheckpoints: 1, Compress: true, Logger: slog.New(slog.DiscardHandler),
		})
		if err != nil {
			b.Fatal(err)
		}
		took := make([]float64, 31)
		for i := range took {
			start := time.Now()
			if _, err := c.CreateCheckpoint(context.Background()); err != nil {
				b.Fatal(err)
			}
			took[i] = float64(time.Since(start).Nanoseconds())
		}
		slices.Sort(took)
		return took[len(took)/2]
	}()
	run := func(b *testing.B, be snapshotBackend, n int) {
		start := time.Now()
		checkpointOnce(b, be)
		per := float64(time.Since(start).Nanoseconds()) / float64(b.N)
		b.ReportMetric(0, "ns/op")
		b.ReportMetric(per/float64(n), "ns/entry")
		b.ReportMetric((per-fixed)/float64(n), "net-ns/entry")
		b.ReportMetric(fixed/1e6, "fixed-ms")
	}
	for i, sz := range sizes {
		name := "at-" + sz.name
		if i == 0 {
			name = "statekit-" + sz.name
		}
		b.Run(name, func(b *testing.B) { run(b, restored(b, memory.New(memory.Options{}), sz.n), sz.n) })
	}
	for _, sz := range sizes {
		b.Run("memory-unordered-"+sz.name, func(b *testing.B) {
			run(b, restored(b, unordered.New(unordered.Options{}), sz.n), sz.n)
		})
	}
}

// BenchmarkCheckpointPeakHeap is how far the heap grows while a checkpoint of
// 1M entries is written (its only metric, peak-heap-MB), against the backend
// before its keys were ordered.
func BenchmarkCheckpointPeakHeap(b *testing.B) {
	skipShort(b)
	const n = 1_000_000
	run := func(b *testing.B, be snapshotBackend) {
		var peak uint64
		var took time.Duration
		c, err := checkpoint.New(be, time.Hour, checkpoint.Options{
			Dir: b.TempDir(), MaxCheckpoints: 1, Compress: true, Logger: slog.New(slog.DiscardHandler),
		})
		if err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			peak = max(peak, heappeak.During(b, func() {
				start := time.Now()
				if _, err := c.CreateCheckpoint(context.Background()); err != nil {
					b.Fatal(err)
				}
				took += time.Since(start)
			}))
		}
		b.ReportMetric(0, "ns/op")
		b.ReportMetric(float64(peak)/1e6, "peak-heap-MB")
		b.ReportMetric(float64(took.Milliseconds())/float64(b.N), "took-ms")
	}
	b.Run("statekit", func(b *testing.B) { run(b, restored(b, memory.New(memory.Options{}), n)) })
	b.Run("memory-unordered", func(b *testing.B) { run(b, restored(b, unordered.New(unordered.Options{}), n)) })
}
