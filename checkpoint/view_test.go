package checkpoint_test

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"path/filepath"
	goruntime "runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/statekit/statekit/backends/backendtest"
	"github.com/statekit/statekit/checkpoint"
	"github.com/statekit/statekit/runtime"
)

// lender lends its snapshot the way runtime.SnapshotViewer allows at the
// limit: one buffer for every entry, scribbled over as soon as the consumer
// asks for the next. Its Snapshot fails, so a checkpoint that does not use the
// view fails too.
type lender struct {
	runtime.Backend
	entries []runtime.Entry
	views   atomic.Int64
}

var errCopyUsed = errors.New("Snapshot called: the writer should borrow the view")

func (l *lender) Snapshot(context.Context) iter.Seq2[runtime.Entry, error] {
	return func(yield func(runtime.Entry, error) bool) { yield(runtime.Entry{}, errCopyUsed) }
}

func (l *lender) Restore(context.Context, iter.Seq2[runtime.Entry, error]) error { return nil }

func (l *lender) SnapshotView(context.Context) iter.Seq2[runtime.Entry, error] {
	l.views.Add(1)
	return func(yield func(runtime.Entry, error) bool) {
		key, value := make([]byte, 0, 64), make([]byte, 0, 256)
		for _, e := range l.entries {
			key, value = append(key[:0], e.Key...), append(value[:0], e.Value...)
			ok := yield(runtime.Entry{Key: key, Value: value, ExpiresAt: e.ExpiresAt}, nil)
			for i := range key[:cap(key)] { // the consumer asked for more: the bytes are ours again
				key[:cap(key)][i] = '#'
			}
			for i := range value[:cap(value)] {
				value[:cap(value)][i] = '#'
			}
			if !ok {
				return
			}
		}
	}
}

// TestCheckpointBorrowsTheView: a backend that lends its snapshot
// (runtime.SnapshotViewer) is checkpointed from the view, and the file holds
// the entries as lent even though the lender reuses its bytes at once: the
// writer keeps nothing of an entry past the next, the previous key it
// prefix-compresses against included.
func TestCheckpointBorrowsTheView(t *testing.T) {
	ctx := context.Background()
	var entries []runtime.Entry
	for i := range 5000 {
		e := runtime.Entry{
			Key:   fmt.Appendf(nil, "w/Clicks/user%05d/%d", i/4, i%4), // neighbours share prefixes
			Value: fmt.Appendf(nil, "value %d", i),
		}
		if i%3 == 0 {
			e.ExpiresAt = epoch.Add(time.Duration(i+1) * time.Hour)
		}
		entries = append(entries, e)
	}
	for _, compress := range []bool{false, true} {
		t.Run(fmt.Sprintf("compress=%v", compress), func(t *testing.T) {
			l := &lender{entries: entries}
			c, dir := newCoordinator(t, l, checkpoint.Options{Compress: compress, Clock: runtime.NewManualClock(epoch)})
			info, err := c.CreateCheckpoint(ctx)
			if err != nil {
				t.Fatalf("CreateCheckpoint: %v", err)
			}
			if l.views.Load() != 1 {
				t.Fatalf("%d views taken, want 1", l.views.Load())
			}
			r, err := checkpoint.OpenFile(filepath.Join(dir, info.ID+".ckpt"))
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			var got []runtime.Entry
			for e, err := range r.Entries(ctx) {
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, e)
			}
			backendtest.EqualEntries(t, "checkpointed from a lent view", got, entries, 0)
		})
	}
}

// TestCheckpointOfMemoryWhileWriting: checkpoints of the memory backend (lent
// views) while writers put numbered keys, counting in against out: each
// checkpoint holds, for each writer, a gapless run of its first keys, at least
// those whose Put returned before the checkpoint began and at most those begun
// before it returned; and restored into a fresh backend, it is what it says.
func TestCheckpointOfMemoryWhileWriting(t *testing.T) {
	ctx := context.Background()
	b := newMemory(t, nil)
	c, dir := newCoordinator(t, b, checkpoint.Options{Compress: true, MaxCheckpoints: 100})
	const writers, perWriter = 3, 20_000
	var started, finished [writers]atomic.Int64
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range perWriter {
				started[w].Add(1)
				if err := b.Put(ctx, fmt.Appendf(nil, "w%d:%06d", w, i), fmt.Appendf(nil, "%d", i)); err != nil {
					t.Error(err)
					return
				}
				finished[w].Add(1)
			}
		})
	}
	type taken struct {
		id     string
		lo, hi [writers]int64
	}
	var all []taken
	for range 5 {
		var tk taken
		for w := range writers {
			tk.lo[w] = finished[w].Load()
		}
		info, err := c.CreateCheckpoint(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for w := range writers {
			tk.hi[w] = started[w].Load()
		}
		tk.id = info.ID
		all = append(all, tk)
	}
	wg.Wait()
	for _, tk := range all {
		r, err := checkpoint.OpenFile(filepath.Join(dir, tk.id+".ckpt"))
		if err != nil {
			t.Fatal(err)
		}
		var got [writers]int64
		for e, err := range r.Entries(ctx) {
			if err != nil {
				t.Fatal(err)
			}
			var w int
			var i int64
			if _, err := fmt.Sscanf(string(e.Key), "w%d:%06d", &w, &i); err != nil {
				t.Fatalf("key %q: %v", e.Key, err)
			}
			if i != got[w] || string(e.Value) != fmt.Sprint(i) {
				t.Fatalf("checkpoint %s: %q=%q after %d keys of writer %d", tk.id, e.Key, e.Value, got[w], w)
			}
			got[w]++
		}
		r.Close()
		for w := range got {
			if got[w] < tk.lo[w] || got[w] > tk.hi[w] {
				t.Fatalf("checkpoint %s: writer %d: %d keys, want %d..%d", tk.id, w, got[w], tk.lo[w], tk.hi[w])
			}
		}
	}
}

// TestRestoreManyBatches: a restore of many decoder batches and slabs, which
// the reader recycles as the backend's Restore copies them, restores every
// entry intact, into the memory backend and into Badger.
func TestRestoreManyBatches(t *testing.T) {
	ctx := context.Background()
	src := newMemory(t, nil)
	const n = 30_000 // 7 batches of entries, 30 slabs
	for i := range n {
		v := make([]byte, i%500)
		for j := range v {
			v[j] = byte(i + j)
		}
		if err := src.Put(ctx, fmt.Appendf(nil, "m:%06d", (i*7919)%n), v); err != nil {
			t.Fatal(err)
		}
	}
	c, dir := newCoordinator(t, src, checkpoint.Options{Compress: true})
	info, err := c.CreateCheckpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := backendtest.Snapshot(t, src)
	for _, dst := range []interface {
		runtime.Backend
		runtime.Snapshotter
	}{newMemory(t, nil), newBadger(t)} {
		r, err := checkpoint.OpenFile(filepath.Join(dir, info.ID+".ckpt"))
		if err != nil {
			t.Fatal(err)
		}
		if err := checkpoint.RestoreInto(ctx, dst, r, time.Now()); err != nil {
			t.Fatal(err)
		}
		r.Close()
		backendtest.EqualEntries(t, fmt.Sprintf("restored into %T", dst), backendtest.Snapshot(t, dst), want, 0)
	}
}

// TestCompressedCheckpointAllocates: the memory a compressed checkpoint takes
// beyond the state is its chunk buffers and one history buffer per encoder
// (one encoder per processor). zstd sizes that buffer by its window: 16 MiB at
// the default window, about 1 MiB at the window of one chunk. With 4
// processors, a checkpoint of about 4 MiB of records allocated 41 MiB with
// the default window and 13-22 MiB with one chunk's.
func TestCompressedCheckpointAllocates(t *testing.T) {
	defer goruntime.GOMAXPROCS(goruntime.GOMAXPROCS(4))
	ctx := context.Background()
	var entries []runtime.Entry
	for i := range 32_000 {
		entries = append(entries, runtime.Entry{
			Key:   fmt.Appendf(nil, "w/Clicks/user%07d", i),
			Value: fmt.Appendf(nil, "%0100d", i*7919),
		})
	}
	c, _ := newCoordinator(t, &lender{entries: entries}, checkpoint.Options{Compress: true, Clock: runtime.NewManualClock(epoch)})
	var before, after goruntime.MemStats
	goruntime.ReadMemStats(&before)
	if _, err := c.CreateCheckpoint(ctx); err != nil {
		t.Fatalf("CreateCheckpoint: %v", err)
	}
	goruntime.ReadMemStats(&after)
	got := float64(after.TotalAlloc-before.TotalAlloc) / (1 << 20)
	t.Logf("allocated %.1f MiB", got)
	if got > 28 {
		t.Errorf("a compressed checkpoint of %d entries allocated %.1f MiB, want under 28", len(entries), got)
	}
}
