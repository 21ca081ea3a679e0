package memory

import (
	"context"
	"fmt"
	"testing"
	"time"

	skrt "github.com/statekit/statekit/runtime"
)

// BenchmarkSnapshotPhases times the phases of a 1M-entry snapshot: the cut
// (cloning the index, freezing the tables), the whole snapshot yielding copies,
// and the whole snapshot lent (SnapshotView). Keys are written in random order,
// as a real state's are, so neighbours in key order are far apart in memory.
func BenchmarkSnapshotPhases(b *testing.B) {
	const n = 1_000_000
	m := New(Options{})
	defer m.Close()
	ctx := context.Background()
	value := make([]byte, 100)
	for i := range n {
		_ = m.Put(ctx, fmt.Appendf(nil, "window:user%07d:0", i*7919%n), value)
	}
	var cut, total, view time.Duration
	for b.Loop() {
		t0 := time.Now()
		f, err := m.cut()
		if err != nil {
			b.Fatal(err)
		}
		cut += time.Since(t0)
		m.release(f)
		t1 := time.Now()
		count := 0
		for _, err := range m.Snapshot(ctx) {
			if err != nil {
				b.Fatal(err)
			}
			count++
		}
		total += time.Since(t1)
		if count != n {
			b.Fatalf("%d entries", count)
		}
		t2 := time.Now()
		count = 0
		for _, err := range m.SnapshotView(ctx) {
			if err != nil {
				b.Fatal(err)
			}
			count++
		}
		view += time.Since(t2)
		if count != n {
			b.Fatalf("view: %d entries", count)
		}
	}
	b.ReportMetric(float64(cut.Microseconds())/float64(b.N), "cut-µs")
	b.ReportMetric(float64(total.Milliseconds())/float64(b.N), "snapshot-ms")
	b.ReportMetric(float64(view.Milliseconds())/float64(b.N), "view-ms")
}

// BenchmarkRestore1M restores 1M entries from memory (23-byte keys in
// ascending order, as a checkpoint yields them, and 100-byte values): the
// backend's Restore alone, without a checkpoint file's decoding.
func BenchmarkRestore1M(b *testing.B) {
	const n = 1_000_000
	entries := make([]skrt.Entry, n)
	value := make([]byte, 100)
	for i := range entries {
		entries[i] = skrt.Entry{Key: fmt.Appendf(nil, "window:user%07d:0", i), Value: value}
	}
	seq := func(yield func(skrt.Entry, error) bool) {
		for _, e := range entries {
			if !yield(e, nil) {
				return
			}
		}
	}
	ctx := context.Background()
	for b.Loop() {
		b.StopTimer()
		m := New(Options{})
		b.StartTimer()
		if err := m.Restore(ctx, seq); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		m.Close()
		b.StartTimer()
	}
}
