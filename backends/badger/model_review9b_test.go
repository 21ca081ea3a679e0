package badger_test

import (
	"context"
	"fmt"
	"iter"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/statekit/statekit/runtime"
)

// TestReview9bModelAtByteBoundaries holds the Badger backend, with a value
// cache small enough to evict, to a map over keys at byte boundaries (0x00,
// 0xff, keys that are prefixes of each other) and the scans of prefixes at
// those boundaries: Get, ListKeys, Scan, ScanFrom and Snapshot after Put,
// PutTTL, Delete, Update, batches committed or discarded (held, so a Discard
// applies nothing) and Restores. TestCacheCoherentWithModel checks Gets of four
// plain keys; backendtest's model has no batches, restores or TTLs. It passed
// when written.
func TestReview9bModelAtByteBoundaries(t *testing.T) {
	ctx := context.Background()
	b := openCached(t, 64<<10)
	keys := []string{"\x00", "\x00\x00", "\x00\xff", "\xff", "\xff\x00", "\xff\xff", "a", "a\x00", "a\xff", "ab", "b"}
	prefixes := []string{"", "\x00", "\xff", "\xff\xff", "a", "a\xff", "c"}
	run := 0
	rapid.Check(t, func(rt *rapid.T) {
		run++
		ns := fmt.Sprintf("r%05d/", run) // each run in its own namespace of one store
		model := map[string]string{}
		keyGen := rapid.Custom(func(rt *rapid.T) string { return ns + rapid.SampledFrom(keys).Draw(rt, "key") })
		valGen := rapid.StringN(0, 200, -1)
		check := func(rt *rapid.T, p string) {
			p = ns + p
			var want, wantKV []string
			for _, k := range slices.Sorted(maps.Keys(model)) {
				if strings.HasPrefix(k, p) {
					want = append(want, k)
					wantKV = append(wantKV, k+"="+model[k])
				}
			}
			ks, err := b.ListKeys(ctx, []byte(p))
			if err != nil {
				rt.Fatal(err)
			}
			var got, gotKV, gotFrom []string
			for _, k := range ks {
				got = append(got, string(k))
			}
			if err := b.Scan(ctx, []byte(p), func(k, v []byte) error {
				gotKV = append(gotKV, string(k)+"="+string(v))
				return nil
			}); err != nil {
				rt.Fatal(err)
			}
			from := ns + rapid.SampledFrom(keys).Draw(rt, "from")
			var wantFrom []string
			for _, k := range want {
				if k >= from {
					wantFrom = append(wantFrom, k+"="+model[k])
				}
			}
			if err := b.ScanFrom(ctx, []byte(p), []byte(from), func(k, v []byte) error {
				gotFrom = append(gotFrom, string(k)+"="+string(v))
				return nil
			}); err != nil {
				rt.Fatal(err)
			}
			if !slices.Equal(got, want) || !slices.Equal(gotKV, wantKV) || !slices.Equal(gotFrom, wantFrom) {
				rt.Fatalf("prefix %q from %q: ListKeys %q, Scan %q, ScanFrom %q; want %q, %q, %q", p, from, got, gotKV, gotFrom, want, wantKV, wantFrom)
			}
		}
		rt.Repeat(map[string]func(*rapid.T){
			"": func(rt *rapid.T) { check(rt, rapid.SampledFrom(prefixes).Draw(rt, "prefix")) },
			"put": func(rt *rapid.T) {
				k, v := keyGen.Draw(rt, "k"), valGen.Draw(rt, "v")
				if err := b.Put(ctx, []byte(k), []byte(v)); err != nil {
					rt.Fatal(err)
				}
				model[k] = v
			},
			"putTTL": func(rt *rapid.T) {
				k, v := keyGen.Draw(rt, "k"), valGen.Draw(rt, "v")
				if err := b.PutTTL(ctx, []byte(k), []byte(v), time.Hour); err != nil {
					rt.Fatal(err)
				}
				model[k] = v
			},
			"delete": func(rt *rapid.T) {
				k := keyGen.Draw(rt, "k")
				if err := b.Delete(ctx, []byte(k)); err != nil {
					rt.Fatal(err)
				}
				delete(model, k)
			},
			"update": func(rt *rapid.T) {
				k, suffix, keep := keyGen.Draw(rt, "k"), valGen.Draw(rt, "suffix"), rapid.Bool().Draw(rt, "keep")
				if err := b.Update(ctx, []byte(k), 0, func(old []byte, found bool) ([]byte, bool, error) {
					return append(slices.Clip(old), suffix...), keep, nil
				}); err != nil {
					rt.Fatal(err)
				}
				if keep {
					model[k] += suffix
				} else {
					delete(model, k)
				}
			},
			"get": func(rt *rapid.T) {
				k := keyGen.Draw(rt, "k")
				v, found, err := b.Get(ctx, []byte(k))
				if err != nil {
					rt.Fatal(err)
				}
				if w, ok := model[k]; ok != found || w != string(v) {
					rt.Fatalf("Get %q = %q, %v; want %q, %v", k, v, found, w, ok)
				}
			},
			"batch": func(rt *rapid.T) {
				w := b.NewBatch()
				next := maps.Clone(model)
				for range rapid.IntRange(0, 6).Draw(rt, "n") {
					k := keyGen.Draw(rt, "bk")
					if rapid.Bool().Draw(rt, "del") {
						if err := w.Delete([]byte(k)); err != nil {
							rt.Fatal(err)
						}
						delete(next, k)
					} else {
						v := valGen.Draw(rt, "bv")
						if err := w.Put([]byte(k), []byte(v)); err != nil {
							rt.Fatal(err)
						}
						next[k] = v
					}
				}
				if rapid.Bool().Draw(rt, "commit") {
					if err := w.Commit(ctx); err != nil {
						rt.Fatal(err)
					}
					model = next
				} else {
					w.Discard()
				}
			},
			"restore": func(rt *rapid.T) {
				// The store holds the other runs' namespaces too: restore
				// them as they are, with this run's new contents.
				var others []runtime.Entry
				for e, err := range b.Snapshot(ctx) {
					if err != nil {
						rt.Fatal(err)
					}
					if !strings.HasPrefix(string(e.Key), ns) {
						others = append(others, e)
					}
				}
				fresh := map[string]string{}
				var mine []runtime.Entry
				for range rapid.IntRange(0, 6).Draw(rt, "n") {
					k, v := keyGen.Draw(rt, "rk"), valGen.Draw(rt, "rv")
					mine = append(mine, runtime.Entry{Key: []byte(k), Value: []byte(v)})
					fresh[k] = v
				}
				var seq iter.Seq2[runtime.Entry, error] = func(yield func(runtime.Entry, error) bool) {
					for _, e := range append(others, mine...) {
						if !yield(e, nil) {
							return
						}
					}
				}
				if err := b.Restore(ctx, seq); err != nil {
					rt.Fatal(err)
				}
				model = fresh
			},
		})
		for _, p := range prefixes {
			check(rt, p)
		}
	})
}
