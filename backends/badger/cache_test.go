package badger_test

import (
	"context"
	"encoding/binary"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/statekit/statekit/backends/badger"
	"github.com/statekit/statekit/runtime"
)

func openCached(t testing.TB, capacity int64) *badger.Backend {
	t.Helper()
	b, err := badger.Open(context.Background(), badger.NewConfig(t.TempDir()).
		WithCacheCapacity(capacity).WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

// TestCacheCoherentWithModel runs random writes through every write path
// (Put, PutTTL, Delete, Update, batches, Restore) interleaved with Gets on a
// backend with a small value cache (so entries are evicted too), and holds
// every Get to a plain map.
func TestCacheCoherentWithModel(t *testing.T) {
	ctx := context.Background()
	b := openCached(t, 64<<10)
	run := 0
	rapid.Check(t, func(rt *rapid.T) {
		run++
		ns := fmt.Sprintf("run%d/", run)
		model := map[string]string{}
		keyGen := rapid.Custom(func(rt *rapid.T) []byte {
			return []byte(ns + rapid.SampledFrom([]string{"a", "b", "c", "d"}).Draw(rt, "key"))
		})
		valGen := rapid.Custom(func(rt *rapid.T) string {
			return rapid.StringN(0, 300, -1).Draw(rt, "value")
		})
		rt.Repeat(map[string]func(*rapid.T){
			"put": func(rt *rapid.T) {
				k, v := keyGen.Draw(rt, "k"), valGen.Draw(rt, "v")
				if err := b.Put(ctx, k, []byte(v)); err != nil {
					rt.Fatal(err)
				}
				model[string(k)] = v
			},
			"putTTL": func(rt *rapid.T) {
				k, v := keyGen.Draw(rt, "k"), valGen.Draw(rt, "v")
				if err := b.PutTTL(ctx, k, []byte(v), time.Hour); err != nil {
					rt.Fatal(err)
				}
				model[string(k)] = v
			},
			"delete": func(rt *rapid.T) {
				k := keyGen.Draw(rt, "k")
				if err := b.Delete(ctx, k); err != nil {
					rt.Fatal(err)
				}
				delete(model, string(k))
			},
			"update": func(rt *rapid.T) {
				k, suffix := keyGen.Draw(rt, "k"), valGen.Draw(rt, "suffix")
				drop := rapid.Bool().Draw(rt, "drop")
				err := b.Update(ctx, k, 0, func(old []byte, found bool) ([]byte, bool, error) {
					return append(old[:len(old):len(old)], suffix...), !drop, nil
				})
				if err != nil {
					rt.Fatal(err)
				}
				if drop {
					delete(model, string(k))
				} else {
					model[string(k)] += suffix
				}
			},
			"batch": func(rt *rapid.T) {
				bt := b.NewBatch()
				defer bt.Discard()
				for i := range rapid.IntRange(1, 5).Draw(rt, "n") {
					k := keyGen.Draw(rt, fmt.Sprint("k", i))
					if rapid.Bool().Draw(rt, fmt.Sprint("del", i)) {
						if err := bt.Delete(k); err != nil {
							rt.Fatal(err)
						}
						delete(model, string(k))
						continue
					}
					v := valGen.Draw(rt, fmt.Sprint("v", i))
					if err := bt.Put(k, []byte(v)); err != nil {
						rt.Fatal(err)
					}
					model[string(k)] = v
				}
				if err := bt.Commit(ctx); err != nil {
					rt.Fatal(err)
				}
			},
			"restore": func(rt *rapid.T) {
				// Replace everything with a state that differs from the model
				// in one key, and one already expired entry.
				k, v := keyGen.Draw(rt, "k"), valGen.Draw(rt, "v")
				model[string(k)] = v
				var es []runtime.Entry
				for mk, mv := range model {
					es = append(es, runtime.Entry{Key: []byte(mk), Value: []byte(mv)})
				}
				es = append(es, runtime.Entry{Key: []byte(ns + "expired"), Value: []byte("x"), ExpiresAt: time.Now().Add(-time.Hour)})
				err := b.Restore(ctx, func(yield func(runtime.Entry, error) bool) {
					for _, e := range es {
						if !yield(e, nil) {
							return
						}
					}
				})
				if err != nil {
					rt.Fatal(err)
				}
			},
			"get": func(rt *rapid.T) {
				k := keyGen.Draw(rt, "k")
				for range 2 { // the second read comes from the cache
					v, found, err := b.Get(ctx, k)
					want, ok := model[string(k)]
					if err != nil || found != ok || string(v) != want {
						rt.Fatalf("Get(%q) = %q, %v, %v; the model has %q, %v", k, v, found, err, want, ok)
					}
				}
			},
		})
	})
	if s := b.Stats(); s.CacheHitCount == 0 || s.CacheMissCount == 0 {
		t.Fatalf("the cache was not exercised: %+v", s)
	}
}

// TestCacheNeverServesExpired: a cached entry stops being served when its
// Badger expiry passes (whole seconds: at most a second after its TTL).
func TestCacheNeverServesExpired(t *testing.T) {
	ctx := context.Background()
	b := openCached(t, 1<<20)
	if err := b.PutTTL(ctx, []byte("k"), []byte("v"), time.Second); err != nil {
		t.Fatal(err)
	}
	if _, found, _ := b.Get(ctx, []byte("k")); !found {
		t.Fatal("not found right after PutTTL")
	}
	if _, found, _ := b.Get(ctx, []byte("k")); !found { // now from the cache
		t.Fatal("not found in the cache")
	}
	time.Sleep(2100 * time.Millisecond)
	if v, found, err := b.Get(ctx, []byte("k")); found || err != nil {
		t.Fatalf("Get after expiry = %q, %v, %v; want not found", v, found, err)
	}
}

// TestCacheNeverOlderThanReturnedWrite: writers give each key increasing
// versions, and publish a version once its Put returned; readers, racing
// them, must never see a version older than one published before their Get
// began.
func TestCacheNeverOlderThanReturnedWrite(t *testing.T) {
	ctx := context.Background()
	b := openCached(t, 1<<20)
	const keys, writes = 4, 400
	var published [keys]atomic.Uint64
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for k := range keys {
		wg.Go(func() {
			key := fmt.Appendf(nil, "key%d", k)
			for v := uint64(1); v <= writes; v++ {
				var err error
				switch v % 3 {
				case 0:
					err = b.Put(ctx, key, binary.BigEndian.AppendUint64(nil, v))
				case 1:
					err = b.Update(ctx, key, 0, func([]byte, bool) ([]byte, bool, error) {
						return binary.BigEndian.AppendUint64(nil, v), true, nil
					})
				default:
					bt := b.NewBatch()
					if err = bt.Put(key, binary.BigEndian.AppendUint64(nil, v)); err == nil {
						err = bt.Commit(ctx)
					}
				}
				if err != nil {
					t.Error(err)
					return
				}
				published[k].Store(v)
			}
		})
	}
	var readers sync.WaitGroup
	for r := range 3 {
		readers.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				k := (r + i) % keys
				floor := published[k].Load()
				v, found, err := b.Get(ctx, fmt.Appendf(nil, "key%d", k))
				if err != nil {
					t.Error(err)
					return
				}
				if floor > 0 && (!found || binary.BigEndian.Uint64(v) < floor) {
					t.Errorf("key%d: read version %x after version %d had returned", k, v, floor)
					return
				}
			}
		})
	}
	wg.Wait()
	close(stop)
	readers.Wait()
	if s := b.Stats(); s.CacheHitCount == 0 {
		t.Fatalf("no read came from the cache: %+v", s)
	}
}
