package stateimpl_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/statekit/statekit/backends/memory"
	"github.com/statekit/statekit/runtime"
	"github.com/statekit/statekit/runtime/stateimpl"
)

// count is a hand-written schema: a counter per name, encoded as decimal
// text. It is what stategen writes for a type, by hand, to test the generic
// stores without the generator.
type count struct {
	Name string
	N    int
}

func countSchema() stateimpl.Schema[string, count] {
	return stateimpl.Schema[string, count]{
		Name:   "count",
		Prefix: "c/",
		AppendKey: func(k string, dst []byte) ([]byte, error) {
			return runtime.AppendKeyString(dst, k), nil
		},
		DecodeKey: func(b []byte) (string, error) {
			r := runtime.NewKeyReader(b)
			s := r.ReadString()
			return s, r.Done()
		},
		KeyOf:   func(v count) string { return v.Name },
		WithKey: func(v count, k string) count { v.Name = k; return v },
		Encode:  func(v count, dst []byte) ([]byte, error) { return strconv.AppendInt(dst, int64(v.N), 10), nil },
		Decode: func(data []byte) (count, error) {
			n, err := strconv.Atoi(string(data))
			return count{N: n}, err
		},
		Merge: func(dst, old []byte, found bool, in count) ([]byte, error) {
			if found {
				n, err := strconv.Atoi(string(old))
				if err != nil {
					return dst, stateimpl.Undecodable(err)
				}
				in.N += n
			}
			return strconv.AppendInt(dst, int64(in.N), 10), nil
		},
	}
}

// ExampleNewAggregateStore builds the store stategen would generate for a
// type, from a hand-written Schema.
func ExampleNewAggregateStore() {
	ctx := context.Background()
	b := memory.New(memory.Options{})
	defer b.Close()
	s := stateimpl.NewAggregateStore(b, countSchema())
	for _, name := range []string{"b", "a", "b"} {
		if err := s.Merge(ctx, count{Name: name, N: 1}); err != nil {
			panic(err)
		}
	}
	for v, err := range s.All(ctx) {
		if err != nil {
			panic(err)
		}
		fmt.Println(v.Name, v.N)
	}
	// Output:
	// a 1
	// b 2
}

// TestMergeOfCorruptValueNamesKey: a stored value the merge cannot decode is
// ErrCorrupt naming the type and the key, and the value stays as it was.
func TestMergeOfCorruptValueNamesKey(t *testing.T) {
	ctx := context.Background()
	b := memory.New(memory.Options{})
	defer b.Close()
	s := stateimpl.NewAggregateStore(b, countSchema())
	key := runtime.AppendKeyString([]byte("c/"), "bad")
	if err := b.Put(ctx, key, []byte("not a number")); err != nil {
		t.Fatal(err)
	}
	err := s.Merge(ctx, count{Name: "bad", N: 1})
	if !errors.Is(err, runtime.ErrCorrupt) || !strings.Contains(err.Error(), "count value at key") ||
		!strings.Contains(err.Error(), `"c/bad`) {
		t.Fatalf("Merge = %v, want ErrCorrupt naming count and its key", err)
	}
	if got, _, _ := b.Get(ctx, key); !bytes.Equal(got, []byte("not a number")) {
		t.Fatalf("the corrupt value became %q", got)
	}
	if _, _, err := s.Get(ctx, "bad"); !errors.Is(err, runtime.ErrCorrupt) || !strings.Contains(err.Error(), `"c/bad`) {
		t.Fatalf("Get = %v, want ErrCorrupt naming the key", err)
	}
}

// TestPooledMergersDoNotMix: merges of many keys from many goroutines, each
// through a pooled merger and buffers, land on their own keys, every one.
func TestPooledMergersDoNotMix(t *testing.T) {
	ctx := context.Background()
	b := memory.New(memory.Options{})
	defer b.Close()
	s := stateimpl.NewAggregateStore(b, countSchema())
	const workers, keys, rounds = 8, 50, 40
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for r := range rounds {
				for k := range keys {
					// Key names of many lengths, so a buffer reused with a
					// longer key left in it would show.
					name := strings.Repeat("k", 1+(k+w+r)%7) + strconv.Itoa(k)
					if err := s.Merge(ctx, count{Name: name, N: k + 1}); err != nil {
						t.Error(err)
						return
					}
				}
			}
		})
	}
	wg.Wait()
	got := map[string]int{}
	if err := s.Scan(ctx, func(v count) error { got[v.Name] = v.N; return nil }); err != nil {
		t.Fatal(err)
	}
	want := map[string]int{}
	for w := range workers {
		for r := range rounds {
			for k := range keys {
				want[strings.Repeat("k", 1+(k+w+r)%7)+strconv.Itoa(k)] += k + 1
			}
		}
	}
	if len(got) != len(want) {
		t.Fatalf("%d keys stored, want %d", len(got), len(want))
	}
	for k, n := range want {
		if got[k] != n {
			t.Errorf("%s = %d, want %d", k, got[k], n)
		}
	}
}

// TestWindowStorePutThenRead: what Put stores under k and a window, Get and
// FireDue return under k, with the key fields from k whatever v carried.
// (That the stored bytes carry k's fields is tested on a generated store:
// integration/stores' TestWindowPutStoresTheKeyFields.)
func TestWindowStorePutThenRead(t *testing.T) {
	ctx := context.Background()
	b := memory.New(memory.Options{})
	defer b.Close()
	s := stateimpl.NewWindowStore(b, countSchema(), stateimpl.Windowing{Size: time.Minute, Slide: time.Minute, TimerPrefix: "t/"})
	w := runtime.Window{Start: time.Unix(60, 0).UTC(), End: time.Unix(120, 0).UTC()}
	if err := s.Put(ctx, "x", w, count{Name: "other", N: 5}); err != nil {
		t.Fatal(err)
	}
	v, ok, err := s.Get(ctx, "x", w)
	if err != nil || !ok || v != (count{Name: "x", N: 5}) {
		t.Fatalf("Get = %+v, %v, %v; want {x 5}", v, ok, err)
	}
	n, err := s.FireDue(ctx, w.End, func(k string, _ runtime.Window, v count) error {
		if k != "x" || v.Name != "x" || v.N != 5 {
			t.Errorf("fired %q %+v", k, v)
		}
		return nil
	})
	if err != nil || n != 1 {
		t.Fatalf("FireDue = %d, %v", n, err)
	}
}
