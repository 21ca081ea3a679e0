package windows_test

import (
	"fmt"
	"log/slog"
	"testing"

	"github.com/statekit/statekit/backends/badger"
	"github.com/statekit/statekit/runtime"
)

// TestBatchSameKeyLastWriteWins: a batch's writes of one key apply in the
// order they were added, whether a delete comes first (memory applies it at
// once), the batch is small (Badger: one transaction) or spills past 4,096
// writes into a WriteBatch between the writes of one key, with Badger's value
// cache warm for every key (it must not keep a value the batch deleted).
func TestBatchSameKeyLastWriteWins(t *testing.T) {
	type op struct {
		del   bool
		value string
	}
	put := func(v string) op { return op{value: v} }
	del := op{del: true}
	sequences := []struct {
		name string
		ops  []op
		want string // "" : absent
	}{
		{"put delete", []op{put("a"), del}, ""},
		{"delete put", []op{del, put("a")}, "a"},
		{"put delete put", []op{put("a"), del, put("b")}, "b"},
		{"delete put delete", []op{del, put("a"), del}, ""},
		{"delete delete", []op{del, del}, ""},
	}
	opens := append(withRedis(), struct {
		name string
		open func(t testing.TB, dir string) runtime.Backend
	}{"badger-cached", func(t testing.TB, dir string) runtime.Backend {
		b, err := badger.Open(ctx, badger.NewConfig(dir).WithCacheCapacity(64<<20).WithLogger(slog.New(slog.DiscardHandler)))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { b.Close() })
		return b
	}})
	for _, be := range opens {
		for _, fillers := range []int{0, 4094, 20000} { // none; the spill between one key's writes; spilled before
			t.Run(fmt.Sprintf("%s/%d before", be.name, fillers), func(t *testing.T) {
				b := be.open(t, t.TempDir())
				key := func(s string, i int) []byte { return fmt.Appendf(nil, "%s%03d", s, i) }
				// Every sequence's key holds "old" and is read twice (Badger
				// caches a key on its second miss).
				for i := range sequences {
					if err := b.Put(ctx, key("k", i), []byte("old")); err != nil {
						t.Fatal(err)
					}
					for range 2 {
						if _, _, err := b.Get(ctx, key("k", i)); err != nil {
							t.Fatal(err)
						}
					}
				}
				w := b.(runtime.Batcher).NewBatch()
				defer w.Discard()
				for i := range fillers {
					if err := w.Delete(fmt.Appendf(nil, "filler%06d", i)); err != nil {
						t.Fatal(err)
					}
				}
				for step := 0; ; step++ {
					more := false
					for i, sq := range sequences {
						if step >= len(sq.ops) {
							continue
						}
						more = true
						var err error
						if o := sq.ops[step]; o.del {
							err = w.Delete(key("k", i))
						} else {
							err = w.Put(key("k", i), []byte(o.value))
						}
						if err != nil {
							t.Fatal(err)
						}
					}
					if !more {
						break
					}
				}
				if err := w.Commit(ctx); err != nil {
					t.Fatal(err)
				}
				for i, sq := range sequences {
					v, ok, err := b.Get(ctx, key("k", i))
					if err != nil {
						t.Fatal(err)
					}
					if got := map[bool]string{true: string(v)}[ok]; got != sq.want {
						t.Errorf("%s: %q, found %v; want %q", sq.name, v, ok, sq.want)
					}
				}
			})
		}
	}
}
