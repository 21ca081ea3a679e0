package windows_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/statekit/statekit/backends/badger"
	"github.com/statekit/statekit/runtime"
	"github.com/statekit/statekit/runtime/stateimpl"
)

// snapshotOf copies every entry of b.
func snapshotOf(t *testing.T, b runtime.Backend) []runtime.Entry {
	t.Helper()
	var saved []runtime.Entry
	for e, err := range b.(runtime.Snapshotter).Snapshot(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		saved = append(saved, runtime.Entry{Key: slices.Clone(e.Key), Value: slices.Clone(e.Value), ExpiresAt: e.ExpiresAt})
	}
	return saved
}

func entriesOf(saved []runtime.Entry) func(yield func(runtime.Entry, error) bool) {
	return func(yield func(runtime.Entry, error) bool) {
		for _, e := range saved {
			if !yield(e, nil) {
				return
			}
		}
	}
}

// TestCallbackErrorSurvivesARestore: a callback that fails makes FireDue stop
// and return its error (FireDue's doc), whatever else happened meanwhile. Here
// the backend is restored while the callback runs (a checkpoint coordinator's
// RestoreLatest from another goroutine; here from the callback itself, to
// place it deterministically). fireChunk joins the callback's error with the
// commit's errRestored, and FireDue, seeing errRestored, starts over against
// the restored contents: the sink's error is dropped, FireDue goes on calling
// the failing sink and returns nil. Before the batched deletes, the callback's
// error came back as it was.
func TestCallbackErrorSurvivesARestore(t *testing.T) {
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			b := be.open(t, t.TempDir())
			w := stateimpl.NewWindows(b, spec(time.Second, time.Second, 0))
			for i := range 5 {
				if err := w.Add(ctx, []byte(fmt.Sprintf("k%d", i)), time.Unix(0, 0), addID(uint64(i))); err != nil {
					t.Fatal(err)
				}
			}
			saved := snapshotOf(t, b)
			boom := errors.New("sink down")
			calls := 0
			_, err := w.FireDue(ctx, time.Unix(1, 0), func([]byte, runtime.Window, []byte) error {
				calls++
				if calls == 1 {
					if err := b.(runtime.Snapshotter).Restore(ctx, entriesOf(saved)); err != nil {
						t.Fatal(err)
					}
					return boom
				}
				return nil
			})
			if !errors.Is(err, boom) {
				t.Fatalf("FireDue = %v after %d callbacks; want the callback's error %q, and FireDue stopped at it", err, calls, boom)
			}
		})
	}
}

// restoreBeforeScan is Badger with a hook run at the start of the next Scan
// or ScanFrom: it places a Restore at the instant a concurrent one lands
// between FireDue's load of the watermark and its scan of timers. Everything
// else (Generation, Restore, batches, RangeScanner) is Badger's own.
type restoreBeforeScan struct {
	*badger.Backend
	hook atomic.Pointer[func()]
}

func (r *restoreBeforeScan) before() {
	if f := r.hook.Swap(nil); f != nil {
		(*f)()
	}
}

func (r *restoreBeforeScan) Scan(ctx context.Context, prefix []byte, fn func(k, v []byte) error) error {
	r.before()
	return r.Backend.Scan(ctx, prefix, fn)
}

func (r *restoreBeforeScan) ScanFrom(ctx context.Context, prefix, from []byte, fn func(k, v []byte) error) error {
	r.before()
	return r.Backend.ScanFrom(ctx, prefix, from, fn)
}

// TestRestoreJustBeforeTheScanFires: README, "Restores under a live store":
// a FireDue that a Restore overtakes starts over against the restored
// contents. A Restore that lands after FireDue loaded the watermark and
// before it scans timers brings back due timers below the floor; FireDue
// scans from the floor of the generation it loaded (stale), finds nothing
// above it, returns 0 with no error, and leaves the restored due windows
// unfired until some later call. Without the floor (the engine before), the
// scan met the restored timers, saw the new generation and started over.
func TestRestoreJustBeforeTheScanFires(t *testing.T) {
	bdg, ok := backends[1].open(t, t.TempDir()).(*badger.Backend)
	if !ok {
		t.Fatal("backends[1] is not Badger")
	}
	b := &restoreBeforeScan{Backend: bdg}
	w := stateimpl.NewWindows(b, spec(time.Second, time.Second, 0))
	for i := range 10 {
		if err := w.Add(ctx, []byte("k"), time.Unix(int64(i), 0), addID(uint64(i))); err != nil {
			t.Fatal(err)
		}
	}
	saved := snapshotOf(t, b) // ten windows, nothing fired
	if got := fireAll(t, w, time.Unix(6, 0)); len(got) != 6 {
		t.Fatalf("fired %d windows, want 6", len(got))
	}
	restore := func() {
		if err := b.Restore(ctx, entriesOf(saved)); err != nil {
			t.Error(err)
		}
	}
	b.hook.Store(&restore)
	got := fireAll(t, w, time.Unix(6, 0))
	if b.hook.Load() != nil {
		t.Fatal("FireDue did not scan")
	}
	if len(got) != 6 {
		t.Fatalf("FireDue(6s) after a Restore that landed before its scan fired %d windows; want the 6 restored due ones "+
			"(they are in the backend: the next FireDue fires %d)", len(got), len(fireAll(t, w, time.Unix(6, 0))))
	}
}
