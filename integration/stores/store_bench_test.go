package stores

import (
	"context"
	"testing"
	"time"

	"github.com/statekit/statekit/backends/memory"
	"github.com/statekit/statekit/runtime"
)

// BenchmarkStoreOps measures each typed store operation on the memory backend
// over benchKeys keys: its cost and allocations beside the backend's own, so
// that what the store adds (key encoding, codec, merge, the generic layer) is
// what the figures show. "scan-per-value" and "windows-per-value" divide one
// call by the values it visits.
func BenchmarkStoreOps(b *testing.B) {
	ctx := context.Background()
	at := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	latency := func(i int) ModelLatency {
		return ModelLatency{Tenant: benchTenants[i%benchKeys], Model: "gpt", Calls: 3, Total: 12.5,
			Worst: 12.5, Best: 1.5, Region: "eu", Last: "req-1"}
	}
	aggregate := func(b *testing.B) *ModelLatencyStore {
		be := memory.New(memory.Options{})
		b.Cleanup(func() { be.Close() })
		s := NewModelLatencyStore(be)
		for i := range benchKeys {
			if err := s.Put(ctx, latency(i)); err != nil {
				b.Fatal(err)
			}
		}
		return s
	}
	window := func(b *testing.B) *ClickWindowStore {
		be := memory.New(memory.Options{})
		b.Cleanup(func() { be.Close() })
		s := NewClickWindowStore(be)
		for i := range benchKeys {
			if err := s.Add(ctx, at, ClickWindow{UserID: benchTenants[i], Bytes: 512, First: at, Last: at}); err != nil {
				b.Fatal(err)
			}
		}
		return s
	}
	b.Run("aggregate/get", func(b *testing.B) {
		s := aggregate(b)
		i := 0
		for b.Loop() {
			if _, ok, err := s.Get(ctx, ModelLatencyKey{Tenant: benchTenants[i%benchKeys], Model: "gpt"}); !ok || err != nil {
				b.Fatal(ok, err)
			}
			i++
		}
	})
	b.Run("aggregate/put", func(b *testing.B) {
		s := aggregate(b)
		i := 0
		for b.Loop() {
			if err := s.Put(ctx, latency(i)); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
	b.Run("aggregate/scan-per-value", func(b *testing.B) {
		s := aggregate(b)
		n := 0
		for b.Loop() {
			if err := s.Scan(ctx, func(ModelLatency) error { n++; return nil }); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n), "ns/value")
	})
	b.Run("window/get", func(b *testing.B) {
		s := window(b)
		w := runtime.Window{Start: at.Truncate(20 * time.Second), End: at.Truncate(20 * time.Second).Add(time.Minute)}
		i := 0
		for b.Loop() {
			if _, ok, err := s.Get(ctx, ClickWindowKey{UserID: benchTenants[i%benchKeys]}, w); !ok || err != nil {
				b.Fatal(ok, err)
			}
			i++
		}
	})
	b.Run("window/put", func(b *testing.B) {
		s := window(b)
		w := runtime.Window{Start: at.Truncate(20 * time.Second), End: at.Truncate(20 * time.Second).Add(time.Minute)}
		i := 0
		for b.Loop() {
			k := ClickWindowKey{UserID: benchTenants[i%benchKeys]}
			if err := s.Put(ctx, k, w, ClickWindow{Clicks: 2, Bytes: 1024, First: at, Last: at}); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
	b.Run("window/windows-per-value", func(b *testing.B) {
		s := window(b)
		i, n := 0, 0
		for b.Loop() {
			err := s.Windows(ctx, ClickWindowKey{UserID: benchTenants[i%benchKeys]}, func(runtime.Window, ClickWindow) error {
				n++
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
			i++
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n), "ns/value")
	})
}
