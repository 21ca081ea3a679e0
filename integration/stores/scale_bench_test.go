package stores

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"testing"
	"time"

	"github.com/statekit/statekit/backends/badger"
	"github.com/statekit/statekit/backends/memory"
	"github.com/statekit/statekit/runtime"
)

// BenchmarkScale measures what window firing and scans cost as the state
// grows: the Tumbling store with n open windows, one per key, on the memory
// backend at 1K, 100K and 300K windows and on Badger at 300K. The reference
// ("statekit-memory-300K") is the memory backend at 300K; its peers are the
// same backend at fewer windows and Badger at as many, so the ratios printed
// by make bench read: memory-1K / statekit-memory-300K at least 0.25 means
// 300K costs at most 4x 1K, and badger-300K at least 0.5 means memory at most
// 2x Badger. STATEKIT_BENCH_1M=1 adds both backends at 1M windows; -short
// leaves out everything above 1K.
//
// Operations:
//   - FireDueNone: FireDue with nothing due (every watermark tick of a quiet
//     stream);
//   - FireDue500, FireDue1000: FireDue with 500 or 1,000 windows due; the
//     fired windows are added again, ending after all others, outside the
//     timer, so n stays the same;
//   - Windows: one key's windows (Windows, a prefix scan of one key);
//   - Scan100: a backend Scan of a prefix holding 100 windows' states;
//   - Get, Put: the backend's Get and Put of a random window state key.
func BenchmarkScale(b *testing.B) {
	type size struct {
		name string
		n    int
	}
	var sizes []size
	sizes = append(sizes, size{"1K", 1_000})
	if !testing.Short() {
		sizes = append(sizes, size{"100K", 100_000}, size{"300K", 300_000})
	}
	big := !testing.Short() && os.Getenv("STATEKIT_BENCH_1M") == "1"
	if big {
		sizes = append(sizes, size{"1M", 1_000_000})
	}
	var fixtures []*scaleFixture
	for _, sz := range sizes {
		name := "memory-" + sz.name
		if sz.n == 300_000 {
			name = "statekit-" + name
		}
		fixtures = append(fixtures, newScaleFixture(b, name, sz.n, false))
		if sz.n == 300_000 || sz.n == 1_000_000 {
			fixtures = append(fixtures, newScaleFixture(b, "badger-"+sz.name, sz.n, true))
		}
	}
	// the reference first, as benchreport takes the first statekit one
	for i, f := range fixtures {
		if f.name == "statekit-memory-300K" {
			fixtures[0], fixtures[i] = fixtures[i], fixtures[0]
		}
	}
	ctx := context.Background()
	ops := []struct {
		name string
		run  func(b *testing.B, f *scaleFixture)
	}{
		{"FireDueNone", func(b *testing.B, f *scaleFixture) {
			for b.Loop() {
				n, err := f.s.FireDue(ctx, f.watermark(0), func(TumblingKey, runtime.Window, Tumbling) error { return nil })
				if err != nil || n != 0 {
					b.Fatalf("FireDue = %d, %v; want nothing due", n, err)
				}
			}
		}},
		{"FireDue500", func(b *testing.B, f *scaleFixture) { fireDue(b, f, 500) }},
		{"FireDue1000", func(b *testing.B, f *scaleFixture) { fireDue(b, f, 1000) }},
		{"Windows", func(b *testing.B, f *scaleFixture) {
			for b.Loop() {
				k := TumblingKey{Key: scaleKey(f.rng.IntN(f.n))}
				seen := 0
				err := f.s.Windows(ctx, k, func(runtime.Window, Tumbling) error { seen++; return nil })
				if err != nil || seen != 1 {
					b.Fatalf("Windows(%s) saw %d windows, %v; want 1", k.Key, seen, err)
				}
			}
		}},
		{"Scan100", func(b *testing.B, f *scaleFixture) {
			for b.Loop() {
				prefix := fmt.Appendf([]byte("w/Tumbling/"), "dev%05d", f.rng.IntN(f.n/100))
				seen := 0
				err := f.b.Scan(ctx, prefix, func(_, _ []byte) error { seen++; return nil })
				if err != nil || seen != 100 {
					b.Fatalf("Scan(%q) saw %d keys, %v; want 100", prefix, seen, err)
				}
			}
		}},
		{"Get", func(b *testing.B, f *scaleFixture) {
			keys := f.stateKeys(b)
			for b.Loop() {
				if _, ok, err := f.b.Get(ctx, keys[f.rng.IntN(len(keys))]); !ok || err != nil {
					b.Fatalf("Get: %v, %v", ok, err)
				}
			}
		}},
		{"Put", func(b *testing.B, f *scaleFixture) {
			keys := f.stateKeys(b)
			value, _, err := f.b.Get(ctx, keys[0])
			if err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				if err := f.b.Put(ctx, keys[f.rng.IntN(len(keys))], value); err != nil {
					b.Fatal(err)
				}
			}
		}},
	}
	for _, op := range ops {
		for _, f := range fixtures {
			b.Run(op.name+"/"+f.name, func(b *testing.B) { op.run(b, f) })
		}
	}
}

// scaleFixture is a Tumbling store holding n windows, one per key. Window
// number s (counting every window ever added) belongs to key s mod n and
// starts at s*10s after scaleBase, so windows end in the order they were added.
type scaleFixture struct {
	name  string
	n     int
	b     runtime.Backend
	s     *TumblingStore
	added int // windows added so far
	fired int // windows fired so far: the live ones are fired..added-1
	rng   *rand.Rand
	keys  [][]byte
}

var scaleBase = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func scaleKey(i int) []byte { return fmt.Appendf(nil, "dev%07d", i) }

// newScaleFixture fills a store with n windows. Badger is filled from a
// snapshot of a memory backend filled the same way (its bulk load is much
// faster than n transactions), so both hold the same bytes.
func newScaleFixture(b *testing.B, name string, n int, onBadger bool) *scaleFixture {
	ctx := context.Background()
	mem := memory.New(memory.Options{})
	f := &scaleFixture{name: name, n: n, b: mem, s: NewTumblingStore(mem), rng: rand.New(rand.NewPCG(uint64(n), 9))}
	f.add(b, n)
	if onBadger {
		bdg, err := badger.Open(ctx, badger.NewConfig(b.TempDir()).WithLogger(slog.New(slog.DiscardHandler)))
		if err != nil {
			b.Fatal(err)
		}
		if err := bdg.Restore(ctx, mem.Snapshot(ctx)); err != nil {
			b.Fatal(err)
		}
		mem.Close()
		f.b, f.s = bdg, NewTumblingStore(bdg)
	}
	b.Cleanup(func() { f.b.Close() })
	return f
}

// add adds the next k windows.
func (f *scaleFixture) add(b *testing.B, k int) {
	ctx := context.Background()
	for range k {
		s := f.added
		at := scaleBase.Add(time.Duration(s)*10*time.Second + time.Second)
		if err := f.s.Add(ctx, at, Tumbling{Key: scaleKey(s % f.n), N: 1, Sum: uint64(s)}); err != nil {
			b.Fatal(err)
		}
		f.added++
	}
}

// watermark is the watermark at which the next due windows are due: the k
// oldest live ones.
func (f *scaleFixture) watermark(due int) time.Time {
	return scaleBase.Add(time.Duration(f.fired+due) * 10 * time.Second)
}

// stateKeys lists the backend keys of the live windows' states.
func (f *scaleFixture) stateKeys(b *testing.B) [][]byte {
	if f.keys == nil {
		keys, err := f.b.ListKeys(context.Background(), []byte("w/Tumbling/"))
		if err != nil {
			b.Fatal(err)
		}
		f.keys = keys
	}
	return f.keys
}

// fireDue fires due windows per iteration and adds as many again.
func fireDue(b *testing.B, f *scaleFixture, due int) {
	ctx := context.Background()
	for b.Loop() {
		n, err := f.s.FireDue(ctx, f.watermark(due), func(TumblingKey, runtime.Window, Tumbling) error { return nil })
		if err != nil || n != due {
			b.Fatalf("FireDue = %d, %v; want %d", n, err, due)
		}
		b.StopTimer()
		f.fired += due
		f.add(b, due)
		b.StartTimer()
	}
}
