package backendtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"iter"
	"math/rand/v2"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/statekit/statekit/runtime"
)

func snapshotter(t *testing.T, b runtime.Backend) runtime.Snapshotter {
	t.Helper()
	sn, ok := b.(runtime.Snapshotter)
	if !ok {
		t.Skip("backend has no Snapshotter")
	}
	return sn
}

func (s *suite) testSnapshot(t *testing.T) {
	ctx := context.Background()
	t.Run("point in time", func(t *testing.T) {
		b := s.open(t)
		sn := snapshotter(t, b)
		const n = 2000
		for i := range n {
			put(t, b, fmt.Sprintf("p:%04d", i), "before")
		}
		next, stop := iter.Pull2(sn.Snapshot(ctx))
		defer stop()
		first, err, ok := next() // iteration has begun: the point in time is fixed
		if !ok || err != nil {
			t.Fatalf("first entry: ok %v, err %v", ok, err)
		}
		for i := range n {
			put(t, b, fmt.Sprintf("p:%04d", i), "after")
		}
		put(t, b, "p:new", "after")
		if err := b.Delete(ctx, []byte("p:0500")); err != nil {
			t.Fatal(err)
		}
		seen := []runtime.Entry{first}
		for {
			e, err, ok := next()
			if !ok {
				break
			}
			if err != nil {
				t.Fatalf("Snapshot: %v", err)
			}
			seen = append(seen, e)
		}
		if len(seen) != n {
			t.Fatalf("snapshot has %d entries, want the %d there when it began", len(seen), n)
		}
		for i, e := range seen {
			if want := fmt.Sprintf("p:%04d", i); string(e.Key) != want || string(e.Value) != "before" {
				t.Fatalf("entry %d = %q=%q, want %q=before (sorted, as of the start)", i, e.Key, e.Value, want)
			}
		}
	})
	t.Run("copies the caller owns", func(t *testing.T) {
		b := s.open(t)
		sn := snapshotter(t, b)
		put(t, b, "k1", "v1")
		put(t, b, "k2", "v2")
		entries := Snapshot(t, sn)
		for _, e := range entries {
			e.Key[0], e.Value[0] = 'X', 'X'
			_ = append(e.Key, "tail"...) // must not run into the next entry
			_ = append(e.Value, "tail"...)
		}
		if v, _ := get(t, b, "k1"); v != "v1" {
			t.Errorf("changing a snapshot entry changed the store: k1=%q", v)
		}
		if string(entries[1].Key) != "X2" || string(entries[1].Value) != "X2" {
			t.Errorf("appending to one entry overwrote the next: %q=%q", entries[1].Key, entries[1].Value)
		}
	})
	t.Run("consistent under concurrent writes", func(t *testing.T) {
		b := s.open(t)
		sn := snapshotter(t, b)
		for i := range 3000 {
			put(t, b, fmt.Sprintf("fill:%05d", i), "x")
		}
		// The writer keeps an invariant across two keys: "a" is written before
		// "b", so in any point-in-time view a >= b >= a-1.
		var done atomic.Bool
		var wg sync.WaitGroup
		wg.Go(func() {
			for i := 1; !done.Load(); i++ {
				v := []byte(strconv.Itoa(i))
				if b.Put(ctx, []byte("inv:a"), v) != nil || b.Put(ctx, []byte("inv:b"), v) != nil {
					return
				}
			}
		})
		defer func() { done.Store(true); wg.Wait() }()
		for range 20 {
			var a, bv int
			for _, e := range Snapshot(t, sn) {
				switch string(e.Key) {
				case "inv:a":
					a, _ = strconv.Atoi(string(e.Value))
				case "inv:b":
					bv, _ = strconv.Atoi(string(e.Value))
				}
			}
			if a < bv || a > bv+1 {
				t.Fatalf("snapshot saw a=%d b=%d: not one point in time", a, bv)
			}
		}
	})
}

func (s *suite) testRestore(t *testing.T) {
	ctx := context.Background()
	t.Run("round trip between two instances", func(t *testing.T) {
		src, dst := s.open(t), s.open(t)
		snSrc, snDst := snapshotter(t, src), snapshotter(t, dst)
		rng := rand.New(rand.NewPCG(3, 4))
		for i := range 5000 {
			v := make([]byte, rng.IntN(200))
			for j := range v {
				v[j] = byte(rng.IntN(256))
			}
			put(t, src, fmt.Sprintf("rt:%06d\x00\xff", rng.IntN(1_000_000)), string(v))
			_ = i
		}
		if tw, ok := src.(runtime.TTLWriter); ok {
			if err := tw.PutTTL(ctx, []byte("rt:ttl"), []byte("t"), 1000*hour); err != nil {
				t.Fatal(err)
			}
		}
		for i := range 100 {
			put(t, dst, fmt.Sprintf("junk:%d", i), "junk")
		}
		want := Snapshot(t, snSrc)
		if err := snDst.Restore(ctx, snSrc.Snapshot(ctx)); err != nil {
			t.Fatalf("Restore: %v", err)
		}
		EqualEntries(t, "restored contents", Snapshot(t, snDst), want, s.cfg.ttlResolution)
		put(t, dst, "after", "restore") // still usable
		if v, _ := get(t, dst, "after"); v != "restore" {
			t.Fatal("backend not usable after Restore")
		}
	})
	t.Run("unsorted input with duplicates", func(t *testing.T) {
		b := s.open(t)
		sn := snapshotter(t, b)
		put(t, b, "old", "gone")
		in := []runtime.Entry{
			{Key: []byte("c"), Value: []byte("c1")},
			{Key: []byte("a"), Value: []byte("a1")},
			{Key: []byte("b"), Value: []byte("b1")},
			{Key: []byte("a"), Value: []byte("a2")},
			{Key: []byte("d"), Value: []byte{}},
		}
		if err := sn.Restore(ctx, entrySeq(in...)); err != nil {
			t.Fatalf("Restore: %v", err)
		}
		want := []runtime.Entry{
			{Key: []byte("a"), Value: []byte("a2")},
			{Key: []byte("b"), Value: []byte("b1")},
			{Key: []byte("c"), Value: []byte("c1")},
			{Key: []byte("d"), Value: []byte{}},
		}
		EqualEntries(t, "restored", Snapshot(t, sn), want, 0)
	})
	t.Run("many unsorted", func(t *testing.T) {
		b := s.open(t)
		sn := snapshotter(t, b)
		rng := rand.New(rand.NewPCG(5, 6))
		model := map[string]string{}
		var in []runtime.Entry
		for i := range 20000 {
			k := fmt.Sprintf("m:%05d", rng.IntN(15000))
			v := strconv.Itoa(i)
			model[k] = v
			in = append(in, runtime.Entry{Key: []byte(k), Value: []byte(v)})
		}
		if err := sn.Restore(ctx, entrySeq(in...)); err != nil {
			t.Fatalf("Restore: %v", err)
		}
		got := Snapshot(t, sn)
		if len(got) != len(model) {
			t.Fatalf("restored %d entries, want %d", len(got), len(model))
		}
		for i, e := range got {
			if i > 0 && bytes.Compare(got[i-1].Key, e.Key) >= 0 {
				t.Fatalf("snapshot not strictly ascending at %q", e.Key)
			}
			if model[string(e.Key)] != string(e.Value) {
				t.Fatalf("%q = %q, want %q (the last write)", e.Key, e.Value, model[string(e.Key)])
			}
		}
	})
	t.Run("source reuses its buffers", func(t *testing.T) {
		b := s.open(t)
		sn := snapshotter(t, b)
		key, value := make([]byte, 8), make([]byte, 8)
		err := sn.Restore(ctx, func(yield func(runtime.Entry, error) bool) {
			for i := range 100 {
				copy(key, fmt.Sprintf("r:%06d", i)) // overwrites the previous entry's bytes
				copy(value, fmt.Sprintf("v:%06d", i))
				if !yield(runtime.Entry{Key: key, Value: value}, nil) {
					return
				}
			}
		})
		if err != nil {
			t.Fatalf("Restore: %v", err)
		}
		got := Snapshot(t, sn)
		if len(got) != 100 {
			t.Fatalf("%d entries, want 100", len(got))
		}
		for i, e := range got {
			if string(e.Key) != fmt.Sprintf("r:%06d", i) || string(e.Value) != fmt.Sprintf("v:%06d", i) {
				t.Fatalf("entry %d = %q=%q: Restore kept a slice the source reused", i, e.Key, e.Value)
			}
		}
	})
	t.Run("input error", func(t *testing.T) {
		b := s.open(t)
		sn := snapshotter(t, b)
		boom := errors.New("input broke")
		err := sn.Restore(ctx, func(yield func(runtime.Entry, error) bool) {
			if yield(runtime.Entry{Key: []byte("x"), Value: []byte("1")}, nil) {
				yield(runtime.Entry{}, boom)
			}
		})
		if !errors.Is(err, boom) {
			t.Fatalf("Restore returned %v, want the input's error", err)
		}
	})
	t.Run("invalid key", func(t *testing.T) {
		b := s.open(t)
		sn := snapshotter(t, b)
		err := sn.Restore(ctx, entrySeq(runtime.Entry{Key: nil, Value: []byte("1")}))
		wantBackendError(t, "Restore of an empty key", err, runtime.ErrInvalidKey)
	})
}

func (s *suite) testBatch(t *testing.T) {
	b := s.open(t)
	bt, ok := b.(runtime.Batcher)
	if !ok {
		t.Skip("backend has no Batcher")
	}
	ctx := context.Background()
	put(t, b, "pre:1", "old")
	put(t, b, "pre:2", "old")
	w := bt.NewBatch()
	key, val := []byte("w:0000"), []byte("v")
	for i := range 3000 {
		copy(key[2:], fmt.Sprintf("%04d", i))
		if err := w.Put(key, val); err != nil {
			t.Fatal(err)
		}
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(w.Delete([]byte("pre:1")))
	must(w.Put([]byte("seq"), []byte("1")))
	must(w.Delete([]byte("seq")))
	must(w.Put([]byte("seq"), []byte("2")))
	must(w.Put([]byte("gone"), []byte("1")))
	must(w.Delete([]byte("gone")))
	must(w.PutEntry(runtime.Entry{Key: []byte("entry"), Value: []byte("e"), ExpiresAt: epoch.Add(1000000 * hour)}))
	must(w.Commit(ctx))
	if err := w.Put([]byte("late"), []byte("x")); err == nil {
		t.Error("Put after Commit succeeded")
	}
	if err := w.Commit(ctx); err == nil {
		t.Error("second Commit succeeded")
	}
	w.Discard() // safe after Commit

	if n := len(listKeys(t, b, "w:")); n != 3000 {
		t.Errorf("%d batched keys, want 3000", n)
	}
	for k, want := range map[string]string{"pre:1": "", "pre:2": "old", "seq": "2", "gone": "", "entry": "e", "w:0042": "v", "late": ""} {
		v, ok := get(t, b, k)
		if want == "" && ok {
			t.Errorf("%s = %q, want missing", k, v)
		} else if want != "" && v != want {
			t.Errorf("%s = %q, want %q", k, v, want)
		}
	}

	d := bt.NewBatch()
	must(d.Put([]byte("discarded"), []byte("x")))
	d.Discard()
	if _, ok := get(t, b, "discarded"); ok {
		t.Error("a discarded batch was applied")
	}
}

func (s *suite) testFlush(t *testing.T) {
	b := s.open(t)
	f, ok := b.(runtime.Flusher)
	if !ok {
		t.Skip("backend has no Flusher")
	}
	put(t, b, "k", "v")
	if err := f.Flush(context.Background()); err != nil {
		t.Fatalf("Flush: %v", err)
	}
}

func (s *suite) testStats(t *testing.T) {
	b := s.open(t)
	sr, ok := b.(runtime.StatsReporter)
	if !ok {
		t.Skip("backend has no StatsReporter")
	}
	ctx := context.Background()
	put(t, b, "a", "1")
	put(t, b, "b", "2")
	put(t, b, "c", "3")
	get(t, b, "a")
	get(t, b, "b")
	get(t, b, "missing")
	if err := b.Delete(ctx, []byte("c")); err != nil {
		t.Fatal(err)
	}
	listKeys(t, b, "")
	st := sr.Stats()
	if st.GetCount != 3 || st.HitCount != 2 || st.MissCount != 1 || st.PutCount != 3 || st.DeleteCount != 1 || st.ListCount != 1 {
		t.Errorf("Stats = %+v, want 3 gets (2 hits, 1 miss), 3 puts, 1 delete, 1 list", st)
	}
	if got := st.HitRate(); got < 0.66 || got > 0.67 {
		t.Errorf("HitRate = %v, want 2/3", got)
	}
}

const hour = time.Hour
