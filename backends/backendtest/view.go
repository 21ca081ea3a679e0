package backendtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"iter"
	"testing"

	"github.com/statekit/statekit/runtime"
)

// testSnapshotView checks runtime.SnapshotViewer: the same entries as
// Snapshot, at one point in time, whatever is written, deleted or restored
// while the borrowed entries are read.
func (s *suite) testSnapshotView(t *testing.T) {
	ctx := context.Background()
	viewer := func(t *testing.T, b runtime.Backend) runtime.SnapshotViewer {
		t.Helper()
		v, ok := b.(runtime.SnapshotViewer)
		if !ok {
			t.Skip("backend has no SnapshotViewer")
		}
		return v
	}
	// collect copies what the view lends, as its consumer must.
	collect := func(t *testing.T, seq iter.Seq2[runtime.Entry, error]) []runtime.Entry {
		t.Helper()
		var out []runtime.Entry
		for e, err := range seq {
			if err != nil {
				t.Fatalf("SnapshotView: %v", err)
			}
			e.Key, e.Value = bytes.Clone(e.Key), bytes.Clone(e.Value)
			if e.Value == nil {
				e.Value = []byte{}
			}
			out = append(out, e)
		}
		return out
	}
	t.Run("the snapshot's entries", func(t *testing.T) {
		b := s.open(t)
		v := viewer(t, b)
		for i := range 3000 {
			put(t, b, fmt.Sprintf("v:%05d", (i*7919)%3000), fmt.Sprintf("value %d", i))
		}
		put(t, b, "v:empty", "")
		if tw, ok := b.(runtime.TTLWriter); ok {
			if err := tw.PutTTL(ctx, []byte("v:ttl"), []byte("t"), 1000*hour); err != nil {
				t.Fatal(err)
			}
		}
		want := Snapshot(t, snapshotter(t, b))
		EqualEntries(t, "SnapshotView against Snapshot", collect(t, v.SnapshotView(ctx)), want, 0)
	})
	t.Run("point in time", func(t *testing.T) {
		b := s.open(t)
		v := viewer(t, b)
		const n = 2000
		for i := range n {
			put(t, b, fmt.Sprintf("p:%04d", i), "before")
		}
		next, stop := iter.Pull2(v.SnapshotView(ctx))
		defer stop()
		first, err, ok := next() // iteration has begun: the point in time is fixed
		if !ok || err != nil {
			t.Fatalf("first entry: ok %v, err %v", ok, err)
		}
		seen := []runtime.Entry{{Key: bytes.Clone(first.Key), Value: bytes.Clone(first.Value)}}
		for i := range n {
			put(t, b, fmt.Sprintf("p:%04d", i), "after")
		}
		put(t, b, "p:new", "after")
		if err := b.Delete(ctx, []byte("p:0500")); err != nil {
			t.Fatal(err)
		}
		if sn, ok := b.(runtime.Snapshotter); ok { // a Restore replaces everything under the reader
			if err := sn.Restore(ctx, entrySeq(runtime.Entry{Key: []byte("p:0001"), Value: []byte("restored")})); err != nil {
				t.Fatal(err)
			}
		}
		for {
			e, err, ok := next()
			if !ok {
				break
			}
			if err != nil {
				t.Fatalf("SnapshotView: %v", err)
			}
			seen = append(seen, runtime.Entry{Key: bytes.Clone(e.Key), Value: bytes.Clone(e.Value)})
		}
		if len(seen) != n {
			t.Fatalf("view has %d entries, want the %d there when it began", len(seen), n)
		}
		for i, e := range seen {
			if want := fmt.Sprintf("p:%04d", i); string(e.Key) != want || string(e.Value) != "before" {
				t.Fatalf("entry %d = %q=%q, want %q=before (sorted, as of the start)", i, e.Key, e.Value, want)
			}
		}
		if got, _ := get(t, b, "p:0001"); got != "restored" {
			t.Fatalf("after the view, p:0001 = %q, want the restored value", got)
		}
	})
	t.Run("stopped early, then written", func(t *testing.T) {
		b := s.open(t)
		v := viewer(t, b)
		for i := range 100 {
			put(t, b, fmt.Sprintf("s:%03d", i), "x")
		}
		for range 3 { // a view left early must release what it holds
			for range v.SnapshotView(ctx) {
				break
			}
		}
		put(t, b, "s:000", "y")
		if got, _ := get(t, b, "s:000"); got != "y" {
			t.Fatalf("s:000 = %q after a write, want y", got)
		}
		if got := collect(t, v.SnapshotView(ctx)); len(got) != 100 || string(got[0].Value) != "y" {
			t.Fatalf("view after the write: %d entries, first %q", len(got), got[0].Value)
		}
	})
	t.Run("cancelled", func(t *testing.T) {
		b := s.open(t)
		v := viewer(t, b)
		put(t, b, "c", "1")
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		var last error
		for _, err := range v.SnapshotView(cctx) {
			last = err
		}
		if !errors.Is(last, context.Canceled) {
			t.Fatalf("a view with a cancelled ctx ended with %v, want context.Canceled", last)
		}
	})
}
