package memory

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"pgregory.net/rapid"
)

// TestTableModel drives one table through random sets, deletes and rebuilds
// against a map. Hashes come from a tiny range so that keys collide and probe
// sequences cross tombstones.
func TestTableModel(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		var tab *table = newTable(minTableSize)
		model := map[string]string{}
		hashOf := func(k string) uint64 { return uint64(len(k)*7+int(k[0])) % 5 }
		keys := rapid.SampledFrom([]string{"a", "b", "c", "aa", "ab", "ba", "abc", "x", "yy", "zzz", "q", "qq"})
		rt.Repeat(map[string]func(*rapid.T){
			"set": func(rt *rapid.T) {
				k := keys.Draw(rt, "k")
				v := rapid.StringN(0, 4, 4).Draw(rt, "v")
				if tab.full() {
					tab = tab.rebuilt()
				}
				tab.set(hashOf(k), newItem([]byte(k), []byte(v), 0))
				model[k] = v
			},
			"del": func(rt *rapid.T) {
				k := keys.Draw(rt, "k")
				var old *item
				if i, found := tab.locate(hashOf(k), k); found {
					old = tab.removeAt(i)
				}
				if _, ok := model[k]; ok != (old != nil) {
					rt.Fatalf("del(%q) found %v, model has it: %v", k, old != nil, ok)
				}
				delete(model, k)
			},
			"rebuild": func(*rapid.T) { tab = tab.rebuilt() },
			"": func(rt *rapid.T) {
				if tab.live != len(model) {
					rt.Fatalf("live = %d, model has %d", tab.live, len(model))
				}
				if 4*tab.used > 3*len(tab.slots)+4 {
					rt.Fatalf("table too full: %d of %d slots used", tab.used, len(tab.slots))
				}
				for _, k := range []string{"a", "b", "c", "aa", "ab", "ba", "abc", "x", "yy", "zzz", "q", "qq"} {
					it := find(tab, hashOf(k), []byte(k))
					want, ok := model[k]
					if (it != nil) != ok || (ok && string(it.value()) != want) {
						rt.Fatalf("find(%q) = %v, model: %q, %v", k, it, want, ok)
					}
				}
			},
		})
	})
}

// TestLockFreeReadsDuringRebuilds checks that readers always find keys that are
// never deleted, with the right value, while writers churn other keys through
// the same shard: inserts, deletes, tombstones and rebuilds of the table.
func TestLockFreeReadsDuringRebuilds(t *testing.T) {
	b := New(Options{Shards: 1})
	defer b.Close()
	ctx := context.Background()
	const stable = 200
	for i := range stable {
		if err := b.Put(ctx, fmt.Appendf(nil, "stable%03d", i), fmt.Appendf(nil, "v%03d", i)); err != nil {
			t.Fatal(err)
		}
	}
	var stop atomic.Bool
	var writer sync.WaitGroup
	writer.Go(func() {
		for !stop.Load() {
			for i := range 2000 {
				_ = b.Put(ctx, fmt.Appendf(nil, "churn%d", i), []byte("x"))
			}
			for i := range 2000 {
				_ = b.Delete(ctx, fmt.Appendf(nil, "churn%d", i))
			}
		}
	})
	var readers sync.WaitGroup
	errs := make(chan error, 2)
	for range 2 {
		readers.Go(func() {
			for range 200 {
				for i := range stable {
					v, ok, err := b.Get(ctx, fmt.Appendf(nil, "stable%03d", i))
					if err != nil || !ok || string(v) != fmt.Sprintf("v%03d", i) {
						errs <- fmt.Errorf("stable%03d read as %q, %v, %v during churn", i, v, ok, err)
						return
					}
				}
			}
		})
	}
	readers.Wait()
	stop.Store(true)
	writer.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if n := len(b.shards[0].tab.Load().slots); n > 8192 {
		t.Errorf("table has %d slots after the churn ended: deletes should have shrunk it", n)
	}
}
