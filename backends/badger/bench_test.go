package badger

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"testing"
	"time"

	bdb "github.com/dgraph-io/badger/v4"

	"github.com/statekit/statekit/backends/memory"
	"github.com/statekit/statekit/runtime"
)

// Peers: raw Badger with the same options, doing the same work: db.Update for a
// put, db.View with ValueCopy for a get, an iterator for a prefix scan, and
// WriteBatch for a bulk load. Keys ~20 bytes, values 100 bytes.

const benchKeys = 100_000

func benchKey(i int) []byte { return fmt.Appendf(nil, "window:user%05d:%03d", i/10, i%10) }

var benchValue = bytes.Repeat([]byte("0123456789"), 10)

func quietConfig(dir string) Config {
	return NewConfig(dir).WithLogger(slog.New(slog.DiscardHandler))
}

// openPair opens a statekit Backend and a raw Badger DB with identical options,
// each in its own directory, both filled with benchKeys keys.
func openPair(b *testing.B, fill int) (*Backend, *bdb.DB) {
	ctx := context.Background()
	sk, err := Open(ctx, quietConfig(b.TempDir()))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { sk.Close() })
	cfg := quietConfig(b.TempDir())
	raw, err := bdb.Open(cfg.badgerOptions(slog.New(slog.DiscardHandler)))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { raw.Close() })
	for _, db := range []*bdb.DB{sk.db, raw} {
		wb := db.NewWriteBatch()
		for i := range fill {
			if err := wb.Set(benchKey(i), benchValue); err != nil {
				b.Fatal(err)
			}
		}
		if err := wb.Flush(); err != nil {
			b.Fatal(err)
		}
	}
	return sk, raw
}

// rawGet is the peer's Get: a read transaction and a copy of the value.
func rawGet(db *bdb.DB, key []byte) error {
	return db.View(func(txn *bdb.Txn) error {
		item, err := txn.Get(key)
		if err != nil {
			return err
		}
		_, err = item.ValueCopy(nil)
		return err
	})
}

func randomOrder() []int {
	rng := rand.New(rand.NewPCG(2, 2))
	order := make([]int, 1<<16)
	for i := range order {
		order[i] = rng.IntN(benchKeys)
	}
	return order
}

func BenchmarkBadgerPut(b *testing.B) {
	order := randomOrder()
	ctx := context.Background()
	b.Run("statekit", func(b *testing.B) {
		sk, _ := openPair(b, 0)
		i := 0
		for b.Loop() {
			if err := sk.Put(ctx, benchKey(order[i&(len(order)-1)]), benchValue); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
	b.Run("badger", func(b *testing.B) {
		_, raw := openPair(b, 0)
		i := 0
		for b.Loop() {
			key := benchKey(order[i&(len(order)-1)])
			if err := raw.Update(func(txn *bdb.Txn) error { return txn.Set(key, benchValue) }); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
}

func BenchmarkBadgerGetCached(b *testing.B) {
	order := randomOrder()
	ctx := context.Background()
	b.Run("statekit", func(b *testing.B) {
		sk, _ := openPair(b, benchKeys)
		i := 0
		for b.Loop() {
			if _, ok, err := sk.Get(ctx, benchKey(order[i&(len(order)-1)])); err != nil || !ok {
				b.Fatal(ok, err)
			}
			i++
		}
	})
	b.Run("badger", func(b *testing.B) {
		_, raw := openPair(b, benchKeys)
		i := 0
		for b.Loop() {
			key := benchKey(order[i&(len(order)-1)])
			if err := rawGet(raw, key); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
}

// BenchmarkBadgerGetRandom1M reads random keys of 1M, far more than the
// default value cache holds: what the cache costs when it mostly misses
// (a ticket, then a fill that evicts). The peer is raw Badger.
func BenchmarkBadgerGetRandom1M(b *testing.B) {
	const n = 1_000_000
	rng := rand.New(rand.NewPCG(3, 3))
	order := make([]int, 1<<21) // ~880K distinct keys: ~160 MB of entries, 5x the cache
	for i := range order {
		order[i] = rng.IntN(n)
	}
	ctx := context.Background()
	b.Run("statekit", func(b *testing.B) {
		sk, _ := openPair(b, n)
		i := 0
		for b.Loop() {
			if _, ok, err := sk.Get(ctx, benchKey(order[i&(len(order)-1)])); err != nil || !ok {
				b.Fatal(ok, err)
			}
			i++
		}
	})
	b.Run("badger", func(b *testing.B) {
		_, raw := openPair(b, n)
		i := 0
		for b.Loop() {
			key := benchKey(order[i&(len(order)-1)])
			if err := rawGet(raw, key); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
}

// BenchmarkBadgerGetHot reads 1,000 hot keys, which the value cache holds:
// the peer is the memory backend reading the same keys, the bar the issue
// sets (at most 2.5x its time).
func BenchmarkBadgerGetHot(b *testing.B) {
	const hot = 1000
	ctx := context.Background()
	run := func(b *testing.B, get func(key []byte) (bool, error)) {
		keys := make([][]byte, hot)
		for i := range keys {
			keys[i] = benchKey(i * 97)
		}
		i := 0
		for b.Loop() {
			if ok, err := get(keys[i%hot]); err != nil || !ok {
				b.Fatal(ok, err)
			}
			i++
		}
	}
	b.Run("statekit", func(b *testing.B) {
		sk, _ := openPair(b, benchKeys)
		run(b, func(key []byte) (bool, error) { _, ok, err := sk.Get(ctx, key); return ok, err })
	})
	b.Run("memory", func(b *testing.B) {
		m := memory.New(memory.Options{})
		defer m.Close()
		for i := range benchKeys {
			if err := m.Put(ctx, benchKey(i), benchValue); err != nil {
				b.Fatal(err)
			}
		}
		run(b, func(key []byte) (bool, error) { _, ok, err := m.Get(ctx, key); return ok, err })
	})
}

// BenchmarkBadgerScanPrefix scans 100 keys: a prefix "window:user0xxx" covers
// 10 users of 10 keys each.
func BenchmarkBadgerScanPrefix(b *testing.B) {
	ctx := context.Background()
	prefixes := make([][]byte, 100)
	for i := range prefixes {
		prefixes[i] = fmt.Appendf(nil, "window:user%04d", i*97%1000)
	}
	b.Run("statekit", func(b *testing.B) {
		sk, _ := openPair(b, benchKeys)
		i := 0
		for b.Loop() {
			n := 0
			err := sk.Scan(ctx, prefixes[i%len(prefixes)], func(_, v []byte) error { n += len(v); return nil })
			if err != nil || n != 100*len(benchValue) {
				b.Fatal(n, err)
			}
			i++
		}
	})
	b.Run("badger", func(b *testing.B) {
		_, raw := openPair(b, benchKeys)
		i := 0
		for b.Loop() {
			prefix := prefixes[i%len(prefixes)]
			n := 0
			err := raw.View(func(txn *bdb.Txn) error {
				opts := bdb.DefaultIteratorOptions
				opts.PrefetchValues = false
				opts.Prefix = prefix
				it := txn.NewIterator(opts)
				defer it.Close()
				for it.Seek(prefix); it.ValidForPrefix(prefix); it.Next() {
					if err := it.Item().Value(func(v []byte) error { n += len(v); return nil }); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil || n != 100*len(benchValue) {
				b.Fatal(n, err)
			}
			i++
		}
	})
}

// BenchmarkBadgerBulkLoad writes 1M entries into an empty store three ways:
// statekit's Batch and Badger's own WriteBatch, given the entries in the same
// random order, and statekit's Restore (which bulk-loads sorted input with
// Badger's StreamWriter). A load takes seconds and
// this machine's speed drifts over that time, so every iteration runs all three,
// in rotating order, on fresh stores: the rates it reports are paired.
func BenchmarkBadgerBulkLoad(b *testing.B) {
	const n = 1_000_000
	// A load's keys arrive in no particular order, as a real one's do; the
	// values are distinct, so none is hot in cache. Restore gets the same
	// entries sorted, as a snapshot or a checkpoint yields them.
	keys := make([][]byte, n)
	values := make([][]byte, n)
	for i := range keys {
		keys[i] = fmt.Appendf(nil, "window:user%07d:0", i)
		values[i] = fmt.Appendf(bytes.Clone(benchValue[:90]), "%010d", i)
	}
	order := rand.New(rand.NewPCG(9, 9)).Perm(n)
	ctx := context.Background()
	loads := []struct {
		name string
		run  func(sk *Backend, raw *bdb.DB) error
	}{
		{"statekit-batch", func(sk *Backend, _ *bdb.DB) error {
			w := sk.NewBatch()
			for _, i := range order {
				if err := w.Put(keys[i], values[i]); err != nil {
					return err
				}
			}
			return w.Commit(ctx)
		}},
		{"badger-writebatch", func(_ *Backend, raw *bdb.DB) error {
			wb := raw.NewWriteBatch()
			for _, i := range order {
				if err := wb.Set(keys[i], values[i]); err != nil {
					return err
				}
			}
			return wb.Flush()
		}},
		{"statekit-restore", func(sk *Backend, _ *bdb.DB) error {
			return sk.Restore(ctx, func(yield func(runtime.Entry, error) bool) {
				for i, k := range keys {
					if !yield(runtime.Entry{Key: k, Value: values[i]}, nil) {
						return
					}
				}
			})
		}},
	}
	took := make([]time.Duration, len(loads))
	round := 0
	for b.Loop() {
		for j := range loads {
			l := (round + j) % len(loads)
			b.StopTimer()
			sk, raw := openPair(b, 0)
			b.StartTimer()
			start := time.Now()
			if err := loads[l].run(sk, raw); err != nil {
				b.Fatalf("%s: %v", loads[l].name, err)
			}
			took[l] += time.Since(start)
		}
		round++
	}
	rate := func(d time.Duration) float64 { return float64(n) * float64(b.N) / d.Seconds() }
	for i, l := range loads {
		b.ReportMetric(rate(took[i]), l.name+"-entries/s")
	}
	b.ReportMetric(rate(took[0])/rate(took[1]), "batch/writebatch")
	b.ReportMetric(rate(took[2])/rate(took[1]), "restore/writebatch")
}
