package memory

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// BenchmarkSnapshotPhases times the phases of a 1M-entry snapshot: the cut
// (copying item pointers), sorting, and yielding copies.
func BenchmarkSnapshotPhases(b *testing.B) {
	const n = 1_000_000
	m := New(Options{})
	defer m.Close()
	ctx := context.Background()
	value := make([]byte, 100)
	for i := range n {
		_ = m.Put(ctx, fmt.Appendf(nil, "window:user%07d:0", i*7919%n), value)
	}
	var cut, sorting, total time.Duration
	for b.Loop() {
		t0 := time.Now()
		parts, _, err := m.cut(ctx)
		if err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		sortParts(parts)
		t2 := time.Now()
		cut += t1.Sub(t0)
		sorting += t2.Sub(t1)
		t3 := time.Now()
		count := 0
		for _, err := range m.Snapshot(ctx) {
			if err != nil {
				b.Fatal(err)
			}
			count++
		}
		total += time.Since(t3)
		if count != n {
			b.Fatalf("%d entries", count)
		}
	}
	b.ReportMetric(float64(cut.Milliseconds())/float64(b.N), "cut-ms")
	b.ReportMetric(float64(sorting.Milliseconds())/float64(b.N), "sort-ms")
	b.ReportMetric(float64(total.Milliseconds())/float64(b.N), "snapshot-ms")
}
