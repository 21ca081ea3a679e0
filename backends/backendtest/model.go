package backendtest

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"

	"github.com/statekit/statekit/runtime"
)

// testModel runs random sequences of operations against the backend and a plain
// map side by side, checking every result. Each sequence works under its own
// key prefix of one shared backend, so that one backend serves every run.
func (s *suite) testModel(t *testing.T) {
	b := s.open(t)
	ctx := context.Background()
	bt, hasBatch := b.(runtime.Batcher)
	sn, hasSnap := b.(runtime.Snapshotter)
	runs := 0
	rapid.Check(t, func(rt *rapid.T) {
		runs++
		ns := fmt.Sprintf("model%05d/", runs)
		model := map[string]string{}
		keyGen := rapid.Custom(func(rt *rapid.T) string { return ns + rapid.SampledFrom(orderKeys).Draw(rt, "key") })
		valueGen := rapid.Custom(func(rt *rapid.T) string { return string(rapid.SliceOfN(rapid.Byte(), 0, 6).Draw(rt, "value")) })
		prefixGen := rapid.Custom(func(rt *rapid.T) string {
			k := rapid.SampledFrom(orderKeys).Draw(rt, "from")
			return ns + k[:rapid.IntRange(0, len(k)).Draw(rt, "len")]
		})
		want := func(prefix string) []kv {
			var out []kv
			for _, k := range slices.Sorted(maps.Keys(model)) {
				if strings.HasPrefix(k, prefix) {
					out = append(out, kv{k, model[k]})
				}
			}
			return out
		}
		actions := map[string]func(*rapid.T){
			"Put": func(rt *rapid.T) {
				k, v := keyGen.Draw(rt, "k"), valueGen.Draw(rt, "v")
				if err := b.Put(ctx, []byte(k), []byte(v)); err != nil {
					rt.Fatalf("Put(%q): %v", k, err)
				}
				model[k] = v
			},
			"Get": func(rt *rapid.T) {
				k := keyGen.Draw(rt, "k")
				got, ok, err := b.Get(ctx, []byte(k))
				wantV, wantOK := model[k]
				if err != nil || ok != wantOK || string(got) != wantV {
					rt.Fatalf("Get(%q) = %q, %v, %v; want %q, %v", k, got, ok, err, wantV, wantOK)
				}
			},
			"Delete": func(rt *rapid.T) {
				k := keyGen.Draw(rt, "k")
				if err := b.Delete(ctx, []byte(k)); err != nil {
					rt.Fatalf("Delete(%q): %v", k, err)
				}
				delete(model, k)
			},
			"Update": func(rt *rapid.T) {
				k, v := keyGen.Draw(rt, "k"), valueGen.Draw(rt, "v")
				drop := rapid.Bool().Draw(rt, "delete")
				err := runtime.Update(ctx, b, []byte(k), func(old []byte, found bool) ([]byte, bool, error) {
					if wantV, wantOK := model[k]; found != wantOK || string(old) != wantV {
						rt.Fatalf("Update(%q) saw %q, %v; want %q, %v", k, old, found, wantV, wantOK)
					}
					return append(old[:len(old):len(old)], v...), !drop, nil
				})
				if err != nil {
					rt.Fatalf("Update(%q): %v", k, err)
				}
				if drop {
					delete(model, k)
				} else {
					model[k] += v
				}
			},
			"ListKeys": func(rt *rapid.T) {
				p := prefixGen.Draw(rt, "prefix")
				var wantKeys []string
				for _, x := range want(p) {
					wantKeys = append(wantKeys, x.K)
				}
				keys, err := b.ListKeys(ctx, []byte(p))
				if err != nil {
					rt.Fatalf("ListKeys(%q): %v", p, err)
				}
				var got []string
				for _, k := range keys {
					got = append(got, string(k))
				}
				if diff := cmp.Diff(wantKeys, got); diff != "" {
					rt.Fatalf("ListKeys(%q) (-want +got):\n%s", p, diff)
				}
			},
			"Scan": func(rt *rapid.T) {
				p := prefixGen.Draw(rt, "prefix")
				var got []kv
				err := b.Scan(ctx, []byte(p), func(k, v []byte) error {
					got = append(got, kv{string(k), string(v)})
					return nil
				})
				if err != nil {
					rt.Fatalf("Scan(%q): %v", p, err)
				}
				if diff := cmp.Diff(want(p), got); diff != "" {
					rt.Fatalf("Scan(%q) (-want +got):\n%s", p, diff)
				}
			},
		}
		if hasBatch {
			actions["Batch"] = func(rt *rapid.T) {
				w := bt.NewBatch()
				for i := range rapid.IntRange(0, 6).Draw(rt, "ops") {
					k := keyGen.Draw(rt, fmt.Sprint("k", i))
					if rapid.Bool().Draw(rt, fmt.Sprint("del", i)) {
						if err := w.Delete([]byte(k)); err != nil {
							rt.Fatal(err)
						}
						delete(model, k)
						continue
					}
					v := valueGen.Draw(rt, fmt.Sprint("v", i))
					if err := w.Put([]byte(k), []byte(v)); err != nil {
						rt.Fatal(err)
					}
					model[k] = v
				}
				if err := w.Commit(ctx); err != nil {
					rt.Fatalf("Commit: %v", err)
				}
			}
		}
		if hasSnap {
			actions["Snapshot"] = func(rt *rapid.T) {
				var got []kv
				for e, err := range sn.Snapshot(ctx) {
					if err != nil {
						rt.Fatalf("Snapshot: %v", err)
					}
					if strings.HasPrefix(string(e.Key), ns) {
						got = append(got, kv{string(e.Key), string(e.Value)})
					}
				}
				if diff := cmp.Diff(want(ns), got); diff != "" {
					rt.Fatalf("Snapshot (-want +got):\n%s", diff)
				}
			}
		}
		rt.Repeat(actions)
	})
}
