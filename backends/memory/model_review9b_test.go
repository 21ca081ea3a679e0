package memory_test

import (
	"context"
	"iter"
	"slices"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/statekit/statekit/backends/memory"
	"github.com/statekit/statekit/runtime"
)

// TestReview9bModelWithClock holds the memory backend to a map under an
// injected clock, over what backendtest's model leaves out: TTLs (PutTTL,
// Update, the default TTL, PutEntry's exact expiry) with the clock advanced
// past them, CleanupExpired, batches committed or discarded, Snapshot and
// Restore (of its own snapshot, and of entries out of order, with duplicates
// and expired ones), and keys at byte boundaries (0x00, 0xff, prefixes of
// each other), scanned by prefixes at those boundaries. It passed when
// written: it attacks what no other test combines.
func TestReview9bModelWithClock(t *testing.T) {
	ctx := context.Background()
	keys := []string{"\x00", "\x00\x00", "\x00\xff", "\xff", "\xff\x00", "\xff\xff", "a", "a\x00", "a\xff", "ab", "b"}
	prefixes := []string{"", "\x00", "\xff", "\xff\xff", "a", "a\xff", "c"}
	type entry struct {
		v   string
		exp int64 // Unix ns; 0: never
	}
	rapid.Check(t, func(rt *rapid.T) {
		clock := runtime.NewManualClock(time.Unix(1_700_000_000, 0))
		defTTL := time.Duration(rapid.SampledFrom([]int64{0, 3, 1000}).Draw(rt, "defaultTTL"))
		b := memory.New(memory.Options{Clock: clock, TTL: defTTL, Shards: rapid.SampledFrom([]int{1, 4, 256}).Draw(rt, "shards")})
		defer b.Close()
		model := map[string]entry{}
		now := func() int64 { return clock.Now().UnixNano() }
		expOf := func(ttl time.Duration) int64 {
			if ttl == 0 {
				ttl = defTTL
			}
			if ttl == 0 {
				return 0
			}
			return now() + int64(ttl)
		}
		live := func(e entry) bool { return e.exp == 0 || e.exp > now() }
		keyGen := rapid.SampledFrom(keys)
		valGen := rapid.StringN(0, 8, -1)
		ttlGen := rapid.SampledFrom([]time.Duration{0, 1, 2, 5, 100})
		want := func() []runtime.Entry {
			var out []runtime.Entry
			for k, e := range model {
				if live(e) {
					re := runtime.Entry{Key: []byte(k), Value: []byte(e.v)}
					if e.exp != 0 {
						re.ExpiresAt = time.Unix(0, e.exp)
					}
					out = append(out, re)
				}
			}
			slices.SortFunc(out, func(a, b runtime.Entry) int { return compare(string(a.Key), string(b.Key)) })
			return out
		}
		snapshot := func() []runtime.Entry {
			var out []runtime.Entry
			for e, err := range b.Snapshot(ctx) {
				if err != nil {
					rt.Fatal(err)
				}
				out = append(out, e)
			}
			return out
		}
		same := func(what string, got, want []runtime.Entry) {
			if len(got) != len(want) {
				rt.Fatalf("%s: %d entries %q, want %d %q", what, len(got), got, len(want), want)
			}
			for i := range got {
				if string(got[i].Key) != string(want[i].Key) || string(got[i].Value) != string(want[i].Value) || !got[i].ExpiresAt.Equal(want[i].ExpiresAt) {
					rt.Fatalf("%s: entry %d = %q %q %v, want %q %q %v", what, i, got[i].Key, got[i].Value, got[i].ExpiresAt, want[i].Key, want[i].Value, want[i].ExpiresAt)
				}
			}
		}
		rt.Repeat(map[string]func(*rapid.T){
			"": func(rt *rapid.T) { same("snapshot", snapshot(), want()) },
			"put": func(rt *rapid.T) {
				k, v := keyGen.Draw(rt, "k"), valGen.Draw(rt, "v")
				if err := b.Put(ctx, []byte(k), []byte(v)); err != nil {
					rt.Fatal(err)
				}
				model[k] = entry{v, expOf(0)}
			},
			"putTTL": func(rt *rapid.T) {
				k, v, ttl := keyGen.Draw(rt, "k"), valGen.Draw(rt, "v"), ttlGen.Draw(rt, "ttl")
				if err := b.PutTTL(ctx, []byte(k), []byte(v), ttl); err != nil {
					rt.Fatal(err)
				}
				model[k] = entry{v, expOf(ttl)}
			},
			"delete": func(rt *rapid.T) {
				k := keyGen.Draw(rt, "k")
				if err := b.Delete(ctx, []byte(k)); err != nil {
					rt.Fatal(err)
				}
				delete(model, k)
			},
			"update": func(rt *rapid.T) {
				k, suffix, ttl := keyGen.Draw(rt, "k"), valGen.Draw(rt, "suffix"), ttlGen.Draw(rt, "ttl")
				keep := rapid.Bool().Draw(rt, "keep")
				err := b.Update(ctx, []byte(k), ttl, func(old []byte, found bool) ([]byte, bool, error) {
					e, ok := model[k]
					if ok = ok && live(e); ok != found || (found && string(old) != e.v) {
						rt.Fatalf("Update of %q saw %q, %v; model %q, %v", k, old, found, e.v, ok)
					}
					return append(slices.Clip(old), suffix...), keep, nil
				})
				if err != nil {
					rt.Fatal(err)
				}
				if e, ok := model[k]; keep {
					if !ok || !live(e) {
						e.v = ""
					}
					model[k] = entry{e.v + suffix, expOf(ttl)}
				} else if e, ok := model[k]; ok && live(e) {
					delete(model, k) // an expired one stays for CleanupExpired to count
				}
			},
			"get": func(rt *rapid.T) {
				k := keyGen.Draw(rt, "k")
				v, found, err := b.Get(ctx, []byte(k))
				if err != nil {
					rt.Fatal(err)
				}
				e, ok := model[k]
				if ok = ok && live(e); ok != found || string(v) != e.v && found {
					rt.Fatalf("Get %q = %q, %v; model %q, %v", k, v, found, e.v, ok)
				}
			},
			"advance": func(rt *rapid.T) {
				clock.Advance(time.Duration(rapid.IntRange(0, 6).Draw(rt, "ns")))
			},
			"cleanup": func(rt *rapid.T) {
				wantN := 0
				for k, e := range model {
					if !live(e) {
						delete(model, k)
						wantN++
					}
				}
				if n := b.CleanupExpired(ctx); n != wantN {
					rt.Fatalf("CleanupExpired removed %d, want %d", n, wantN)
				}
			},
			"scan": func(rt *rapid.T) {
				p := rapid.SampledFrom(prefixes).Draw(rt, "prefix")
				var wantKeys, wantScan, gotKeys, gotScan []string
				for _, e := range want() {
					if len(e.Key) >= len(p) && string(e.Key[:len(p)]) == p {
						wantKeys = append(wantKeys, string(e.Key))
						wantScan = append(wantScan, string(e.Key)+"="+string(e.Value))
					}
				}
				ks, err := b.ListKeys(ctx, []byte(p))
				if err != nil {
					rt.Fatal(err)
				}
				for _, k := range ks {
					gotKeys = append(gotKeys, string(k))
				}
				err = b.Scan(ctx, []byte(p), func(k, v []byte) error {
					gotScan = append(gotScan, string(k)+"="+string(v))
					return nil
				})
				if err != nil {
					rt.Fatal(err)
				}
				if !slices.Equal(gotKeys, wantKeys) || !slices.Equal(gotScan, wantScan) {
					rt.Fatalf("prefix %q: ListKeys %q, Scan %q; want %q, %q", p, gotKeys, gotScan, wantKeys, wantScan)
				}
			},
			"batch": func(rt *rapid.T) {
				w := b.NewBatch()
				next := map[string]*entry{} // nil: deleted
				applied := map[string]*entry{}
				held := false
				n := rapid.IntRange(0, 6).Draw(rt, "n")
				for range n {
					k := keyGen.Draw(rt, "bk")
					switch rapid.IntRange(0, 2).Draw(rt, "op") {
					case 0:
						v := valGen.Draw(rt, "bv")
						if err := w.Put([]byte(k), []byte(v)); err != nil {
							rt.Fatal(err)
						}
						next[k] = &entry{v, expOf(0)}
						held = true
					case 1:
						v := valGen.Draw(rt, "bv")
						var exp int64
						re := runtime.Entry{Key: []byte(k), Value: []byte(v)}
						if rapid.Bool().Draw(rt, "expires") {
							exp = now() + int64(rapid.IntRange(-3, 3).Draw(rt, "d"))
							re.ExpiresAt = time.Unix(0, exp)
						}
						if err := w.PutEntry(re); err != nil {
							rt.Fatal(err)
						}
						next[k] = &entry{v, exp}
						held = true
					default:
						if err := w.Delete([]byte(k)); err != nil {
							rt.Fatal(err)
						}
						next[k] = nil
						if !held { // applied at once (see memory's batch.Delete)
							applied[k] = nil
						}
					}
				}
				commit := rapid.Bool().Draw(rt, "commit")
				if commit {
					if err := w.Commit(ctx); err != nil {
						rt.Fatal(err)
					}
				} else {
					w.Discard()
					next = applied
				}
				for k, e := range next {
					if e == nil {
						delete(model, k)
					} else {
						model[k] = *e
					}
				}
			},
			"restoreOwn": func(rt *rapid.T) {
				if err := b.Restore(ctx, b.Snapshot(ctx)); err != nil {
					rt.Fatal(err)
				}
				for k, e := range model {
					if !live(e) {
						delete(model, k)
					}
				}
			},
			"restore": func(rt *rapid.T) {
				n := rapid.IntRange(0, 8).Draw(rt, "n")
				var es []runtime.Entry
				fresh := map[string]entry{}
				for range n {
					k, v := keyGen.Draw(rt, "rk"), valGen.Draw(rt, "rv")
					e := runtime.Entry{Key: []byte(k), Value: []byte(v)}
					var exp int64
					if rapid.Bool().Draw(rt, "expires") {
						exp = now() + int64(rapid.IntRange(-3, 3).Draw(rt, "d"))
						e.ExpiresAt = time.Unix(0, exp)
					}
					es = append(es, e)
					if exp != 0 && exp <= now() {
						delete(fresh, k) // an expired later entry hides an earlier one
					} else {
						fresh[k] = entry{v, exp}
					}
				}
				if rapid.Bool().Draw(rt, "sorted") {
					slices.SortStableFunc(es, func(a, b runtime.Entry) int { return compare(string(a.Key), string(b.Key)) })
					fresh = map[string]entry{}
					for _, e := range es {
						var exp int64
						if !e.ExpiresAt.IsZero() {
							exp = e.ExpiresAt.UnixNano()
						}
						if exp != 0 && exp <= now() {
							delete(fresh, string(e.Key))
						} else {
							fresh[string(e.Key)] = entry{string(e.Value), exp}
						}
					}
				}
				var seq iter.Seq2[runtime.Entry, error] = func(yield func(runtime.Entry, error) bool) {
					for _, e := range es {
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
	})
}

func compare(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
