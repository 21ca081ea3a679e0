package memory_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"iter"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/statekit/statekit/backends/memory"
	"github.com/statekit/statekit/runtime"
)

// TestScanCallbackWrites: a Scan or ListKeys callback may Put, Delete and
// Update on the same backend, inside and outside the range it scans, while
// Snapshots and Restores run in other goroutines. Nothing deadlocks, every scan
// stays in ascending order without repeats, and the writes all land.
func TestScanCallbackWrites(t *testing.T) {
	for _, shards := range []int{1, 256} {
		t.Run(fmt.Sprintf("shards=%d", shards), func(t *testing.T) {
			b := open(t, memory.Options{Shards: shards})
			ctx := context.Background()
			const n = 500
			for i := range n {
				key := fmt.Appendf(nil, "s:%05d", i)
				if err := b.Put(ctx, key, []byte("0")); err != nil {
					t.Fatal(err)
				}
			}
			stop := make(chan struct{})
			var wg sync.WaitGroup
			var snapshots, restores atomic.Int64
			wg.Go(func() { // snapshots, read slowly so that writers meet frozen tables
				for i := 0; ; i++ {
					select {
					case <-stop:
						return
					default:
					}
					next, done := iter.Pull2(b.Snapshot(ctx))
					for j := 0; ; j++ {
						_, err, ok := next()
						if !ok {
							break
						}
						if err != nil {
							t.Error(err)
							break
						}
						if j%500 == 0 {
							time.Sleep(50 * time.Microsecond)
						}
					}
					done()
					snapshots.Add(1)
				}
			})
			wg.Go(func() { // restores of the scanned keys and others
				for {
					select {
					case <-stop:
						return
					default:
					}
					err := b.Restore(ctx, func(yield func(runtime.Entry, error) bool) {
						for i := range n {
							if !yield(runtime.Entry{Key: fmt.Appendf(nil, "r:%05d", i), Value: []byte("r")}, nil) {
								return
							}
						}
						for i := range n {
							if !yield(runtime.Entry{Key: fmt.Appendf(nil, "s:%05d", i), Value: []byte("r")}, nil) {
								return
							}
						}
					})
					if err != nil {
						t.Error(err)
						return
					}
					restores.Add(1)
					time.Sleep(time.Millisecond)
				}
			})
			var writes atomic.Int64
			var scanners sync.WaitGroup
			for g := range 4 {
				scanners.Go(func() {
					for round := range 5 {
						var prev []byte
						err := b.Scan(ctx, []byte("s:"), func(k, v []byte) error {
							if prev != nil && bytes.Compare(prev, k) >= 0 {
								return fmt.Errorf("scan went from %q to %q", prev, k)
							}
							prev = append(prev[:0], k...)
							// in range, ahead of and behind the scan; out of range
							mine := fmt.Appendf(nil, "s:%05d:g%d", round, g)
							if err := b.Put(ctx, mine, []byte("x")); err != nil {
								return err
							}
							if err := b.Delete(ctx, mine); err != nil {
								return err
							}
							if err := b.Update(ctx, k, 0, func(old []byte, _ bool) ([]byte, bool, error) {
								return old, true, nil
							}); err != nil {
								return err
							}
							if err := b.Put(ctx, fmt.Appendf(nil, "o:%d", g), k); err != nil {
								return err
							}
							writes.Add(1)
							return nil
						})
						if errors.Is(err, runtime.ErrConflict) {
							continue // a Restore overtook the scan: it failed rather than mix contents
						}
						if err != nil {
							t.Error(err)
							return
						}
						keys, err := b.ListKeys(ctx, []byte("s:"))
						if errors.Is(err, runtime.ErrConflict) {
							continue
						}
						if err != nil {
							t.Error(err)
							return
						}
						for i := 1; i < len(keys); i++ {
							if bytes.Compare(keys[i-1], keys[i]) >= 0 {
								t.Errorf("ListKeys out of order: %q then %q", keys[i-1], keys[i])
								return
							}
						}
					}
				})
			}
			finished := make(chan struct{})
			go func() {
				scanners.Wait()
				close(finished)
			}()
			select {
			case <-finished:
			case <-time.After(2 * time.Minute):
				panic("scanners did not finish in two minutes: deadlock") // with every goroutine's stack
			}
			close(stop)
			wg.Wait()
			if t.Failed() {
				return
			}
			// What is left must agree between ListKeys, Snapshot, Get and Stats.
			keys, err := b.ListKeys(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			var snap [][]byte
			for e, err := range b.Snapshot(ctx) {
				if err != nil {
					t.Fatal(err)
				}
				snap = append(snap, e.Key)
			}
			if len(snap) != len(keys) {
				t.Fatalf("Snapshot has %d keys, ListKeys %d", len(snap), len(keys))
			}
			for i, k := range keys {
				if !bytes.Equal(k, snap[i]) {
					t.Fatalf("key %d: ListKeys %q, Snapshot %q", i, k, snap[i])
				}
				if _, ok, err := b.Get(ctx, k); !ok || err != nil {
					t.Fatalf("Get(%q) = %v, %v for a listed key", k, ok, err)
				}
			}
			if st := b.Stats(); st.Entries != int64(len(keys)) {
				t.Fatalf("Stats.Entries %d, %d keys listed", st.Entries, len(keys))
			}
			t.Logf("%d callback writes, %d snapshots, %d restores", writes.Load(), snapshots.Load(), restores.Load())
		})
	}
}

// TestSnapshotsShareFrozenTables: two snapshots cut with no write between them
// freeze the same tables. The first one to finish must not let writers change
// the tables the second still reads.
func TestSnapshotsShareFrozenTables(t *testing.T) {
	b := open(t, memory.Options{Shards: 1})
	ctx := context.Background()
	for i := range 100 {
		if err := b.Put(ctx, fmt.Appendf(nil, "k%03d", i), []byte("old")); err != nil {
			t.Fatal(err)
		}
	}
	next1, stop1 := iter.Pull2(b.Snapshot(ctx))
	defer stop1()
	next2, stop2 := iter.Pull2(b.Snapshot(ctx))
	defer stop2()
	if _, err, ok := next1(); !ok || err != nil {
		t.Fatal("first snapshot: no entry", err)
	}
	if _, err, ok := next2(); !ok || err != nil {
		t.Fatal("second snapshot: no entry", err)
	}
	stop1() // the first snapshot ends
	for i := range 100 {
		if err := b.Put(ctx, fmt.Appendf(nil, "k%03d", i), []byte("new")); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Delete(ctx, []byte("k050")); err != nil {
		t.Fatal(err)
	}
	n := 1
	for {
		e, err, ok := next2()
		if !ok {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if string(e.Value) != "old" {
			t.Fatalf("second snapshot saw %q=%q, written after it began", e.Key, e.Value)
		}
		n++
	}
	if n != 100 {
		t.Fatalf("second snapshot has %d entries, want 100", n)
	}
}

// TestScanVisitsOnlyItsRange: a scan reads the index from its prefix on, and
// stops at the first key past it, whatever the keys around it.
func TestScanVisitsOnlyItsRange(t *testing.T) {
	b := open(t, memory.Options{})
	ctx := context.Background()
	for _, k := range []string{"a", "ab", "ab\x00", "ab\xff", "abc", "abd", "ac", "b", "\xff\xff"} {
		if err := b.Put(ctx, []byte(k), []byte(k)); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 5000 { // enough for several index runs
		if err := b.Put(ctx, fmt.Appendf(nil, "abz%05d", i), nil); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		prefix string
		want   int
		first  string
		last   string
	}{
		{"ab", 5005, "ab", "ab\xff"},
		{"abz", 5000, "abz00000", "abz04999"},
		{"abc", 1, "abc", "abc"},
		{"ab\x00", 1, "ab\x00", "ab\x00"},
		{"\xff", 1, "\xff\xff", "\xff\xff"},
		{"c", 0, "", ""},
		{"", 5009, "a", "\xff\xff"},
	}
	for _, tt := range tests {
		t.Run(strconv.Quote(tt.prefix), func(t *testing.T) {
			var got []string
			err := b.Scan(ctx, []byte(tt.prefix), func(k, v []byte) error {
				got = append(got, string(k))
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != tt.want {
				t.Fatalf("Scan(%q) visited %d keys, want %d", tt.prefix, len(got), tt.want)
			}
			if tt.want > 0 && (got[0] != tt.first || got[len(got)-1] != tt.last) {
				t.Fatalf("Scan(%q) from %q to %q, want %q to %q", tt.prefix, got[0], got[len(got)-1], tt.first, tt.last)
			}
			keys, err := b.ListKeys(ctx, []byte(tt.prefix))
			if err != nil || len(keys) != tt.want {
				t.Fatalf("ListKeys(%q) = %d keys, %v", tt.prefix, len(keys), err)
			}
		})
	}
}

// TestLongKeysInOrder: the index stores each key's length in two bytes; keys
// of every length up to the limit come back whole and in order.
func TestLongKeysInOrder(t *testing.T) {
	b := open(t, memory.Options{})
	ctx := context.Background()
	var want [][]byte
	for _, n := range []int{1, 2, 255, 256, 257, 511, 512, 4096, 65535 - 536, 65000} {
		for _, last := range []byte{0x00, 0x7f, 0xff} {
			k := bytes.Repeat([]byte{'k'}, n)
			k[n-1] = last
			want = append(want, k)
		}
	}
	for i := len(want) - 1; i >= 0; i-- { // out of order
		if err := b.Put(ctx, want[i], want[i][:1]); err != nil {
			t.Fatal(err)
		}
	}
	slices.SortFunc(want, bytes.Compare)
	keys, err := b.ListKeys(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	var snap [][]byte
	for e, err := range b.Snapshot(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		snap = append(snap, e.Key)
	}
	for name, got := range map[string][][]byte{"ListKeys": keys, "Snapshot": snap} {
		if len(got) != len(want) {
			t.Fatalf("%s: %d keys, want %d", name, len(got), len(want))
		}
		for i := range want {
			if !bytes.Equal(got[i], want[i]) {
				t.Fatalf("%s: key %d has %d bytes ending %x, want %d ending %x", name, i, len(got[i]), got[i][len(got[i])-1], len(want[i]), want[i][len(want[i])-1])
			}
		}
	}
	for _, k := range want {
		if err := b.Delete(ctx, k); err != nil {
			t.Fatal(err)
		}
	}
	if keys, _ := b.ListKeys(ctx, nil); len(keys) != 0 {
		t.Fatalf("%d keys left after deleting all", len(keys))
	}
}

// TestCloseDuringScansAndSnapshots: Close while scans, snapshots, restores and
// writers run. Every call returns nil or an error wrapping ErrClosed; nothing
// panics or hangs.
func TestCloseDuringScansAndSnapshots(t *testing.T) {
	for round := range 20 {
		b := memory.New(memory.Options{Shards: 4})
		ctx := context.Background()
		for i := range 500 {
			if err := b.Put(ctx, fmt.Appendf(nil, "k%04d", i), []byte("v")); err != nil {
				t.Fatal(err)
			}
		}
		check := func(op string, err error) {
			if err != nil && !errors.Is(err, runtime.ErrClosed) {
				t.Errorf("round %d: %s: %v, want nil or ErrClosed", round, op, err)
			}
		}
		var wg sync.WaitGroup
		for g := range 4 {
			wg.Go(func() {
				for i := 0; i < 200; i++ {
					switch (g + i) % 4 {
					case 0:
						check("Scan", b.Scan(ctx, []byte("k"), func(k, _ []byte) error {
							return b.Put(ctx, append([]byte("o"), k...), nil) // outside the scan
						}))
					case 1:
						for _, err := range b.Snapshot(ctx) {
							check("Snapshot", err)
						}
					case 2:
						check("Put", b.Put(ctx, fmt.Appendf(nil, "n%d", i), nil))
						check("Delete", b.Delete(ctx, fmt.Appendf(nil, "k%04d", i)))
					case 3:
						_, err := b.ListKeys(ctx, nil)
						check("ListKeys", err)
					}
				}
			})
		}
		time.Sleep(time.Duration(round%5) * time.Millisecond)
		if err := b.Close(); err != nil {
			t.Fatal(err)
		}
		wg.Wait()
	}
}
