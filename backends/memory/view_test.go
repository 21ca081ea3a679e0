package memory_test

import (
	"context"
	"fmt"
	"iter"
	goruntime "runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/statekit/statekit/backends/backendtest"
	"github.com/statekit/statekit/backends/memory"
	"github.com/statekit/statekit/runtime"
)

// TestSnapshotViewCopiesNothing: lending a snapshot allocates nothing per
// entry, where Snapshot copies every key and value. This is what keeps a
// checkpoint from growing the heap by the size of the state.
func TestSnapshotViewCopiesNothing(t *testing.T) {
	b := open(t, memory.Options{})
	ctx := context.Background()
	const n = 20_000
	value := make([]byte, 100)
	for i := range n {
		if err := b.Put(ctx, fmt.Appendf(nil, "k:%06d", (i*7919)%n), value); err != nil {
			t.Fatal(err)
		}
	}
	allocated := func(seq iter.Seq2[runtime.Entry, error]) (bytes uint64, count int) {
		var before, after goruntime.MemStats
		goruntime.ReadMemStats(&before)
		for _, err := range seq {
			if err != nil {
				t.Fatal(err)
			}
			count++
		}
		goruntime.ReadMemStats(&after)
		return after.TotalAlloc - before.TotalAlloc, count
	}
	const stateBytes = n * (8 + 100)
	tests := []struct {
		name     string
		seq      iter.Seq2[runtime.Entry, error]
		min, max uint64
	}{
		{"view", b.SnapshotView(ctx), 0, 16 << 10},            // the cut: a tree clone and a table list
		{"copy", b.Snapshot(ctx), stateBytes, 4 * stateBytes}, // the yardstick: a copy of everything
	}
	for _, tc := range tests {
		got, count := allocated(tc.seq)
		if count != n {
			t.Fatalf("%s: %d entries, want %d", tc.name, count, n)
		}
		if got < tc.min || got > tc.max {
			t.Errorf("%s of %d entries allocated %d bytes, want %d..%d", tc.name, n, got, tc.min, tc.max)
		}
	}
}

// TestSnapshotViewPointInTimeUnderWriters counts in against out: writers put
// numbered keys in sequence while views are taken. A view holds, for each
// writer, exactly a gapless run of its first keys: at least those whose Put
// returned before the view began, and none whose Put began after the view's
// first entry came back. Values are the bytes the writer wrote.
func TestSnapshotViewPointInTimeUnderWriters(t *testing.T) {
	b := open(t, memory.Options{Shards: 16})
	ctx := context.Background()
	const writers, perWriter = 4, 20_000
	var started, finished [writers]atomic.Int64
	var wg sync.WaitGroup
	var running atomic.Int64
	running.Store(writers)
	for w := range writers {
		wg.Go(func() {
			defer running.Add(-1)
			for i := range int64(perWriter) {
				started[w].Add(1)
				if err := b.Put(ctx, fmt.Appendf(nil, "w%d:%08d", w, i), strconv.AppendInt(nil, i, 10)); err != nil {
					t.Error(err)
					return
				}
				finished[w].Add(1)
			}
		})
	}
	defer wg.Wait()
	overlapped := 0 // views cut while writes were in flight
	for round := 0; running.Load() > 0 || overlapped < 3; round++ {
		if running.Load() == 0 {
			t.Skipf("the writers finished after %d rounds, %d of them under writes: the machine is too slow for this test", round, overlapped)
		}
		var lo, hi [writers]int64
		for w := range lo {
			lo[w] = finished[w].Load()
		}
		next, done := iter.Pull2(b.SnapshotView(ctx))
		var got [writers]int64
		first := true
		for {
			e, err, ok := next()
			if !ok {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			if first { // the cut is made: writes that begin now are not in it
				for w := range hi {
					hi[w] = started[w].Load()
				}
				first = false
			}
			var w int
			var i int64
			if _, err := fmt.Sscanf(string(e.Key), "w%d:%08d", &w, &i); err != nil {
				t.Fatalf("key %q: %v", e.Key, err)
			}
			if i != got[w] {
				t.Fatalf("round %d: writer %d: key %d after %d keys: a gap, a repeat or out of order", round, w, i, got[w])
			}
			if string(e.Value) != strconv.FormatInt(i, 10) {
				t.Fatalf("round %d: %q = %q", round, e.Key, e.Value)
			}
			got[w]++
		}
		done()
		for w := range got {
			if got[w] < hi[w] {
				overlapped++
				break
			}
		}
		for w := range got {
			if got[w] < lo[w] || (!first && got[w] > hi[w]) {
				t.Fatalf("round %d: writer %d: the view has %d keys; %d Puts had returned before it began, %d had begun when it was cut", round, w, got[w], lo[w], hi[w])
			}
		}
	}
}

// TestSnapshotViewDuringRestores: views read while other goroutines restore
// whole new contents, and while writers overwrite them. Each view yields one
// content only: every value carries the generation that wrote it, and a view
// sees one generation, all of its keys, and bytes that stay as lent.
func TestSnapshotViewDuringRestores(t *testing.T) {
	b := open(t, memory.Options{Shards: 8})
	ctx := context.Background()
	const n = 3000
	contents := func(gen int) iter.Seq2[runtime.Entry, error] {
		return func(yield func(runtime.Entry, error) bool) {
			v := fmt.Appendf(nil, "gen%06d", gen)
			for i := range n {
				if !yield(runtime.Entry{Key: fmt.Appendf(nil, "r:%05d", i), Value: v}, nil) {
					return
				}
			}
		}
	}
	if err := b.Restore(ctx, contents(0)); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var restores atomic.Int64
	wg.Go(func() {
		for gen := 1; ; gen++ {
			select {
			case <-stop:
				return
			default:
			}
			if err := b.Restore(ctx, contents(gen)); err != nil {
				t.Error(err)
				return
			}
			restores.Add(1)
		}
	})
	defer func() { close(stop); wg.Wait() }()
	for round := 0; round < 40 || restores.Load() < 3; round++ {
		var gen []byte
		count := 0
		var lent [][]byte // kept past their entry on purpose: checked at the end
		for e, err := range b.SnapshotView(ctx) {
			if err != nil {
				t.Fatal(err)
			}
			if gen == nil {
				gen = append([]byte(nil), e.Value...)
			}
			if string(e.Value) != string(gen) {
				t.Fatalf("round %d: %q = %q in a view of %q: two contents mixed", round, e.Key, e.Value, gen)
			}
			if count%500 == 0 {
				lent = append(lent, e.Value)
				goruntime.Gosched() // let the restorer in while the view is read
			}
			count++
		}
		if count != n {
			t.Fatalf("round %d: %d entries, want %d", round, count, n)
		}
		for _, v := range lent {
			if string(v) != string(gen) {
				t.Fatalf("round %d: a lent value changed to %q after a restore", round, v)
			}
		}
	}
}

// TestRestoreOrders: the bulk Restore appends keys that come in ascending
// order to the index and sorts any other order once; either way the result is
// the last write of each key, expired writes hiding earlier ones, in order.
func TestRestoreOrders(t *testing.T) {
	ctx := context.Background()
	clock := runtime.NewManualClock(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	past, future := clock.Now().Add(-time.Second), clock.Now().Add(time.Hour)
	e := func(k, v string, exp time.Time) runtime.Entry {
		return runtime.Entry{Key: []byte(k), Value: []byte(v), ExpiresAt: exp}
	}
	tests := []struct {
		name string
		in   []runtime.Entry
		want []runtime.Entry
	}{
		{"ascending", []runtime.Entry{e("a", "1", time.Time{}), e("b", "2", future), e("c", "3", time.Time{})},
			[]runtime.Entry{e("a", "1", time.Time{}), e("b", "2", future), e("c", "3", time.Time{})}},
		{"ascending with expired", []runtime.Entry{e("a", "1", time.Time{}), e("b", "2", past), e("c", "3", time.Time{})},
			[]runtime.Entry{e("a", "1", time.Time{}), e("c", "3", time.Time{})}},
		{"expired then live again", []runtime.Entry{e("a", "1", past), e("a", "2", time.Time{}), e("b", "3", time.Time{})},
			[]runtime.Entry{e("a", "2", time.Time{}), e("b", "3", time.Time{})}},
		{"a later expired write hides an earlier one", []runtime.Entry{e("a", "1", time.Time{}), e("b", "2", time.Time{}), e("a", "3", past)},
			[]runtime.Entry{e("b", "2", time.Time{})}},
		{"duplicate in order", []runtime.Entry{e("a", "1", time.Time{}), e("a", "2", future)},
			[]runtime.Entry{e("a", "2", future)}},
		{"descending", []runtime.Entry{e("c", "3", time.Time{}), e("b", "2", time.Time{}), e("a", "1", time.Time{})},
			[]runtime.Entry{e("a", "1", time.Time{}), e("b", "2", time.Time{}), e("c", "3", time.Time{})}},
		{"written, expired, then many more", manyThenExpired(), manyWant()},
		{"everything expired", []runtime.Entry{e("a", "1", past), e("b", "2", past)}, nil},
		{"empty", nil, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, shards := range []int{1, 4} {
				b := open(t, memory.Options{Shards: shards, Clock: clock})
				if err := b.Put(ctx, []byte("old"), []byte("gone")); err != nil {
					t.Fatal(err)
				}
				if err := b.Restore(ctx, backendtest.Entries(tc.in)); err != nil {
					t.Fatal(err)
				}
				backendtest.EqualEntries(t, "restored", backendtest.Snapshot(t, b), tc.want, 0)
				keys, err := b.ListKeys(ctx, nil)
				if err != nil {
					t.Fatal(err)
				}
				if len(keys) != len(tc.want) {
					t.Fatalf("shards=%d: the index lists %d keys, want %d", shards, len(keys), len(tc.want))
				}
				if got := b.Stats().Entries; got != int64(len(tc.want)) {
					t.Fatalf("shards=%d: Stats.Entries = %d, want %d", shards, got, len(tc.want))
				}
			}
		})
	}
}

// manyThenExpired writes 200 keys, expires them all, then writes 200 others:
// a table filled, emptied and filled again within one Restore.
func manyThenExpired() []runtime.Entry {
	past := time.Date(2026, 1, 2, 3, 4, 4, 0, time.UTC)
	var in []runtime.Entry
	for i := range 200 {
		in = append(in, runtime.Entry{Key: fmt.Appendf(nil, "x%03d", i), Value: []byte("v")})
	}
	for i := range 200 {
		in = append(in, runtime.Entry{Key: fmt.Appendf(nil, "x%03d", i), Value: []byte("v"), ExpiresAt: past})
	}
	return append(in, manyWant()...)
}

func manyWant() []runtime.Entry {
	var out []runtime.Entry
	for i := range 200 {
		out = append(out, runtime.Entry{Key: fmt.Appendf(nil, "y%03d", i), Value: []byte("w")})
	}
	return out
}
