package stores

import (
	"context"
	"testing"
	"time"

	"github.com/statekit/statekit/backends/badger"
	"github.com/statekit/statekit/backends/memory"
	"github.com/statekit/statekit/runtime"
)

// BenchmarkWindowFireDue measures FireDue on Tumbling windows: each iteration
// fills fireBenchDue windows (one per key, one ten-second window) and fires
// them with one FireDue call; ns/op divided by fireBenchDue is the cost of one
// fired window, the filling included (its share is BenchmarkWindowAdd's). The
// "nothing-due" cases call FireDue on a store holding fireBenchDue open
// windows of which none is due, as a processor does on most watermark ticks.
func BenchmarkWindowFireDue(b *testing.B) {
	const fireBenchDue = 500
	ctx := context.Background()
	base := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	keys := make([][]byte, fireBenchDue)
	for i := range keys {
		keys[i] = []byte(benchTenants[i%benchKeys])
	}
	backends := []struct {
		name string
		open func(b *testing.B) runtime.Backend
	}{
		{"memory", func(*testing.B) runtime.Backend { return memory.New(memory.Options{}) }},
		{"badger", func(b *testing.B) runtime.Backend {
			db, err := badger.Open(ctx, badger.NewConfig(b.TempDir()))
			if err != nil {
				b.Fatal(err)
			}
			return db
		}},
	}
	for _, be := range backends {
		b.Run(be.name+"/due-500", func(b *testing.B) {
			db := be.open(b)
			defer db.Close()
			s := NewTumblingStore(db)
			round := 0
			for b.Loop() {
				b.StopTimer()
				at := base.Add(time.Duration(round) * 10 * time.Second)
				for _, k := range keys {
					if err := s.Add(ctx, at, Tumbling{Key: k, Sum: 1}); err != nil {
						b.Fatal(err)
					}
				}
				b.StartTimer()
				n, err := s.FireDue(ctx, at.Add(10*time.Second), func(TumblingKey, runtime.Window, Tumbling) error { return nil })
				if err != nil || n != fireBenchDue {
					b.Fatalf("FireDue = %d, %v; want %d", n, err, fireBenchDue)
				}
				round++
			}
		})
		b.Run(be.name+"/nothing-due", func(b *testing.B) {
			db := be.open(b)
			defer db.Close()
			s := NewTumblingStore(db)
			for _, k := range keys {
				if err := s.Add(ctx, base, Tumbling{Key: k, Sum: 1}); err != nil {
					b.Fatal(err)
				}
			}
			wm := base.Add(-24 * time.Hour)
			for b.Loop() {
				wm = wm.Add(time.Microsecond) // a watermark that advances, never reaching the windows
				if n, err := s.FireDue(ctx, wm, func(TumblingKey, runtime.Window, Tumbling) error { return nil }); err != nil || n != 0 {
					b.Fatalf("FireDue = %d, %v; want nothing due", n, err)
				}
			}
		})
	}
}
