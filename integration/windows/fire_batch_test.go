package windows_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/statekit/statekit/runtime"
	"github.com/statekit/statekit/runtime/stateimpl"
)

// TestFailingCallbackKeepsTheFired: FireDue deletes a chunk's windows together
// after their callbacks (on backends with batches). When a callback fails,
// the windows fired before it are deleted all the same, and only the failing
// one and those after it fire next time: nothing is lost, nothing already
// delivered fires again. Likewise when ctx is cancelled by the callback.
func TestFailingCallbackKeepsTheFired(t *testing.T) {
	for _, be := range backends {
		for _, how := range []string{"error", "cancel"} {
			t.Run(be.name+"/"+how, func(t *testing.T) {
				b := be.open(t, t.TempDir())
				w := stateimpl.NewWindows(b, spec(time.Second, time.Second, 0))
				const n = 20
				for i := range n {
					key := []byte(fmt.Sprintf("k%02d", i))
					if err := w.Add(ctx, key, time.Unix(0, 0), addID(uint64(i))); err != nil {
						t.Fatal(err)
					}
				}
				var first []string
				boom := errors.New("sink down")
				cctx, cancel := context.WithCancel(ctx)
				defer cancel()
				fired, err := w.FireDue(cctx, time.Unix(1, 0), func(fields []byte, _ runtime.Window, _ []byte) error {
					if len(first) == 7 {
						if how == "cancel" {
							cancel()
							return cctx.Err()
						}
						return boom
					}
					first = append(first, string(fields))
					return nil
				})
				if err == nil || fired != 7 {
					t.Fatalf("FireDue = %d, %v; want 7 fired and the callback's error", fired, err)
				}
				var second []string
				fired, err = w.FireDue(ctx, time.Unix(1, 0), func(fields []byte, _ runtime.Window, _ []byte) error {
					second = append(second, string(fields))
					return nil
				})
				if err != nil || fired != n-7 {
					t.Fatalf("FireDue again = %d, %v; want %d", fired, err, n-7)
				}
				all := append(slices.Clone(first), second...)
				slices.Sort(all)
				if len(all) != n || len(slices.Compact(slices.Clone(all))) != n {
					t.Fatalf("fired %v then %v: want each of the %d windows once", first, second, n)
				}
				keys, err := b.ListKeys(ctx, nil)
				if err != nil {
					t.Fatal(err)
				}
				if len(keys) != 1 { // the watermark
					t.Fatalf("left %q; want only the watermark", keys)
				}
			})
		}
	}
}

// TestFireAfterRestoreBelowTheFloor: FireDue scans timers from past those it
// has fired; a Restore brings back timers below that point, and the next
// FireDue must find them.
func TestFireAfterRestoreBelowTheFloor(t *testing.T) {
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			b := be.open(t, t.TempDir())
			snap, ok := b.(runtime.Snapshotter)
			if !ok {
				t.Skip("no snapshots")
			}
			w := stateimpl.NewWindows(b, spec(time.Second, time.Second, 0))
			for i := range 10 {
				if err := w.Add(ctx, []byte("k"), time.Unix(int64(i), 0), addID(uint64(i))); err != nil {
					t.Fatal(err)
				}
			}
			var saved []runtime.Entry
			for e, err := range snap.Snapshot(ctx) {
				if err != nil {
					t.Fatal(err)
				}
				saved = append(saved, runtime.Entry{Key: slices.Clone(e.Key), Value: slices.Clone(e.Value), ExpiresAt: e.ExpiresAt})
			}
			if got := fireAll(t, w, time.Unix(6, 0)); len(got) != 6 {
				t.Fatalf("fired %d windows, want 6", len(got))
			}
			entries := func(yield func(runtime.Entry, error) bool) {
				for _, e := range saved {
					if !yield(e, nil) {
						return
					}
				}
			}
			if err := snap.Restore(ctx, entries); err != nil {
				t.Fatal(err)
			}
			if got := fireAll(t, w, time.Unix(6, 0)); len(got) != 6 {
				t.Fatalf("after the restore, fired %d windows, want the 6 restored", len(got))
			}
			if got := fireAll(t, w, time.Unix(10, 0)); len(got) != 4 {
				t.Fatalf("then fired %d windows, want 4", len(got))
			}
		})
	}
}

// TestSkippedWindowIsNotPassedOver: a FireDue that skips a window another
// FireDue is firing must not record that everything before it is gone: when
// the other's callback fails, the window has to fire next time.
func TestSkippedWindowIsNotPassedOver(t *testing.T) {
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			b := be.open(t, t.TempDir())
			w := stateimpl.NewWindows(b, spec(time.Second, time.Second, 0))
			for i := range 10 {
				if err := w.Add(ctx, []byte(fmt.Sprintf("k%d", i)), time.Unix(0, 0), addID(uint64(i))); err != nil {
					t.Fatal(err)
				}
			}
			started, release := make(chan struct{}), make(chan struct{})
			errA := make(chan error, 1)
			go func() {
				_, err := w.FireDue(ctx, time.Unix(1, 0), func(fields []byte, _ runtime.Window, _ []byte) error {
					close(started)
					<-release
					return errors.New("sink down")
				})
				errA <- err
			}()
			<-started
			n, err := w.FireDue(ctx, time.Unix(1, 0), func([]byte, runtime.Window, []byte) error { return nil })
			if err != nil || n != 9 {
				t.Fatalf("the second FireDue = %d, %v; want the 9 windows not being fired", n, err)
			}
			close(release)
			if err := <-errA; err == nil {
				t.Fatal("the first FireDue did not fail")
			}
			if got := fireAll(t, w, time.Unix(1, 0)); len(got) != 1 {
				t.Fatalf("fired %d windows after the failure, want the one that failed", len(got))
			}
		})
	}
}
