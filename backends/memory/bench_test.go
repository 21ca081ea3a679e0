package memory_test

import (
	"context"
	"fmt"
	"hash/maphash"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/puzpuzpuz/xsync/v4"

	"github.com/statekit/statekit/backends/memory"
	"github.com/statekit/statekit/backends/memory/internal/unordered"
)

// The peers do what the backend does for Get and Put: copy the value out on
// Get, store a private copy on Put. Keys are ~20 bytes like
// "window:user12345:000", values 100 bytes, 100K keys, random access.
// "memory-unordered" is this backend as it was before its keys were kept in
// order (package internal/unordered), the baseline of issue 9's goals.

const benchKeys = 100_000

type kv interface {
	get(key []byte) ([]byte, bool)
	put(key, value []byte)
	del(key []byte)
}

type statekitKV struct{ b *memory.Backend }

func (s statekitKV) get(k []byte) ([]byte, bool) {
	v, ok, _ := s.b.Get(context.Background(), k)
	return v, ok
}
func (s statekitKV) put(k, v []byte) { _ = s.b.Put(context.Background(), k, v) }
func (s statekitKV) del(k []byte)    { _ = s.b.Delete(context.Background(), k) }

type unorderedKV struct{ b *unordered.Backend }

func (s unorderedKV) get(k []byte) ([]byte, bool) {
	v, ok, _ := s.b.Get(context.Background(), k)
	return v, ok
}
func (s unorderedKV) put(k, v []byte) { _ = s.b.Put(context.Background(), k, v) }
func (s unorderedKV) del(k []byte)    { _ = s.b.Delete(context.Background(), k) }

type syncMapKV struct{ m sync.Map }

func (s *syncMapKV) get(k []byte) ([]byte, bool) {
	v, ok := s.m.Load(string(k))
	if !ok {
		return nil, false
	}
	return append([]byte(nil), v.([]byte)...), true
}
func (s *syncMapKV) put(k, v []byte) { s.m.Store(string(k), append([]byte(nil), v...)) }
func (s *syncMapKV) del(k []byte)    { s.m.Delete(string(k)) }

type xsyncKV struct{ m *xsync.Map[string, []byte] }

func (s xsyncKV) get(k []byte) ([]byte, bool) {
	v, ok := s.m.Load(string(k))
	if !ok {
		return nil, false
	}
	return append([]byte(nil), v...), true
}
func (s xsyncKV) put(k, v []byte) { s.m.Store(string(k), append([]byte(nil), v...)) }
func (s xsyncKV) del(k []byte)    { s.m.Delete(string(k)) }

// shardedKV is the usual hand-rolled concurrent map: 64 RWMutex-guarded maps.
type shardedKV struct {
	seed   maphash.Seed
	shards [64]struct {
		sync.RWMutex
		m map[string][]byte
	}
}

func newShardedKV() *shardedKV {
	s := &shardedKV{seed: maphash.MakeSeed()}
	for i := range s.shards {
		s.shards[i].m = map[string][]byte{}
	}
	return s
}

func (s *shardedKV) get(k []byte) ([]byte, bool) {
	sh := &s.shards[maphash.Bytes(s.seed, k)%64]
	sh.RLock()
	v, ok := sh.m[string(k)]
	sh.RUnlock()
	if !ok {
		return nil, false
	}
	return append([]byte(nil), v...), true
}

func (s *shardedKV) put(k, v []byte) {
	c := append([]byte(nil), v...)
	sh := &s.shards[maphash.Bytes(s.seed, k)%64]
	sh.Lock()
	sh.m[string(k)] = c
	sh.Unlock()
}

func (s *shardedKV) del(k []byte) {
	sh := &s.shards[maphash.Bytes(s.seed, k)%64]
	sh.Lock()
	delete(sh.m, string(k))
	sh.Unlock()
}

// mapKV is one Go map with no lock at all: the floor for a single goroutine.
type mapKV struct{ m map[string][]byte }

func (s mapKV) get(k []byte) ([]byte, bool) {
	v, ok := s.m[string(k)]
	if !ok {
		return nil, false
	}
	return append([]byte(nil), v...), true
}
func (s mapKV) put(k, v []byte) { s.m[string(k)] = append([]byte(nil), v...) }
func (s mapKV) del(k []byte)    { delete(s.m, string(k)) }

type peer struct {
	name     string
	new      func(b *testing.B) kv
	parallel bool // safe for concurrent use
}

var peers = []peer{
	{"statekit", func(b *testing.B) kv {
		m := memory.New(memory.Options{})
		b.Cleanup(func() { m.Close() })
		return statekitKV{m}
	}, true},
	{"memory-unordered", func(b *testing.B) kv {
		m := unordered.New(unordered.Options{})
		b.Cleanup(func() { m.Close() })
		return unorderedKV{m}
	}, true},
	{"sync.Map", func(*testing.B) kv { return &syncMapKV{} }, true},
	{"xsync.Map", func(*testing.B) kv { return xsyncKV{xsync.NewMap[string, []byte]()} }, true},
	{"rwmutex-64-shards", func(*testing.B) kv { return newShardedKV() }, true},
	{"go-map-unlocked", func(*testing.B) kv { return mapKV{map[string][]byte{}} }, false},
}

// benchData returns the keys, a value, and a random access order.
func benchData() (keys [][]byte, value []byte, order []int) {
	keys = make([][]byte, benchKeys)
	for i := range keys {
		keys[i] = fmt.Appendf(nil, "window:user%05d:%03d", i/10, i%10)
	}
	value = make([]byte, 100)
	for i := range value {
		value[i] = byte('a' + i%26)
	}
	rng := rand.New(rand.NewPCG(1, 1))
	order = make([]int, 1<<20)
	for i := range order {
		order[i] = rng.IntN(benchKeys)
	}
	return keys, value, order
}

func filled(b *testing.B, p peer, keys [][]byte, value []byte) kv {
	s := p.new(b)
	for _, k := range keys {
		s.put(k, value)
	}
	return s
}

func BenchmarkGet(b *testing.B) {
	keys, value, order := benchData()
	for _, p := range peers {
		b.Run(p.name, func(b *testing.B) {
			s := filled(b, p, keys, value)
			i := 0
			for b.Loop() {
				if _, ok := s.get(keys[order[i&(len(order)-1)]]); !ok {
					b.Fatal("missing key")
				}
				i++
			}
		})
	}
}

func BenchmarkPut(b *testing.B) {
	keys, value, order := benchData()
	for _, p := range peers {
		b.Run(p.name, func(b *testing.B) {
			s := filled(b, p, keys, value)
			i := 0
			for b.Loop() {
				s.put(keys[order[i&(len(order)-1)]], value)
				i++
			}
		})
	}
}

// BenchmarkInsertDelete deletes a random key and puts it back: a write that
// removes a key and one that adds it, where BenchmarkPut only overwrites. These
// are the writes that change the memory backend's ordered index.
func BenchmarkInsertDelete(b *testing.B) {
	keys, value, order := benchData()
	for _, p := range peers {
		b.Run(p.name, func(b *testing.B) {
			s := filled(b, p, keys, value)
			i := 0
			for b.Loop() {
				k := keys[order[i&(len(order)-1)]]
				s.del(k)
				s.put(k, value)
				i++
			}
		})
	}
}

// BenchmarkMixed is 90% Get, 10% Put from GOMAXPROCS goroutines (make bench
// runs it with -cpu=2).
func BenchmarkMixed(b *testing.B) {
	keys, value, order := benchData()
	for _, p := range peers {
		if !p.parallel {
			continue
		}
		b.Run(p.name, func(b *testing.B) {
			s := filled(b, p, keys, value)
			var seed sync.Mutex
			next := uint64(0)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				seed.Lock()
				i := int(next) * 7919
				next++
				seed.Unlock()
				for pb.Next() {
					k := keys[order[i&(len(order)-1)]]
					if i%10 == 0 {
						s.put(k, value)
					} else if _, ok := s.get(k); !ok {
						b.Fatal("missing key")
					}
					i++
				}
			})
		})
	}
}

// BenchmarkSnapshotWritePause measures what a snapshot of 1M entries costs a
// writer: the latency of Puts made while the snapshot runs, next to Puts made
// for as long without one, in the same run. On a machine with few cores most of
// the tail is CPU scheduling (the snapshot, the garbage collector and the writer
// share the cores), which is why the baseline is reported beside it.
func BenchmarkSnapshotWritePause(b *testing.B) {
	const n = 1_000_000
	m := memory.New(memory.Options{})
	defer m.Close()
	ctx := context.Background()
	value := make([]byte, 100)
	for i := range n {
		_ = m.Put(ctx, fmt.Appendf(nil, "window:user%07d:0", i), value)
	}
	// write runs Puts until done is closed and returns their latencies.
	write := func(done <-chan struct{}) <-chan []time.Duration {
		out := make(chan []time.Duration, 1)
		go func() {
			var lat []time.Duration
			key := make([]byte, 0, 32)
			for i := 0; ; i++ {
				select {
				case <-done:
					out <- lat
					return
				default:
				}
				key = fmt.Appendf(key[:0], "window:user%07d:0", i*7919%n)
				start := time.Now()
				_ = m.Put(ctx, key, value)
				lat = append(lat, time.Since(start))
			}
		}()
		return out
	}
	var during, baseline []time.Duration
	var snapTime time.Duration
	for b.Loop() {
		done := make(chan struct{})
		lat := write(done)
		start := time.Now()
		count := 0
		for _, err := range m.Snapshot(ctx) {
			if err != nil {
				b.Fatal(err)
			}
			count++
		}
		took := time.Since(start)
		snapTime += took
		close(done)
		during = append(during, <-lat...)
		if count != n {
			b.Fatalf("snapshot of %d entries, want %d", count, n)
		}
		done = make(chan struct{})
		lat = write(done)
		time.Sleep(took)
		close(done)
		baseline = append(baseline, <-lat...)
	}
	pct := func(lat []time.Duration, p float64) float64 {
		slices.Sort(lat)
		return float64(lat[int(p*float64(len(lat)-1))]) / 1e3
	}
	b.ReportMetric(float64(snapTime.Milliseconds())/float64(b.N), "snapshot-ms")
	b.ReportMetric(pct(during, 0.99), "put-p99-µs")
	b.ReportMetric(pct(during, 0.9999), "put-p99.99-µs")
	b.ReportMetric(pct(during, 1), "put-max-µs")
	b.ReportMetric(pct(baseline, 0.99), "baseline-p99-µs")
	b.ReportMetric(pct(baseline, 0.9999), "baseline-p99.99-µs")
	b.ReportMetric(pct(baseline, 1), "baseline-max-µs")
}
