package backendtest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/statekit/statekit/runtime"
)

// hangTimeout is how long the reentry tests wait before declaring a hang.
const hangTimeout = 20 * time.Second

// testReentryDuringRestore: code a backend runs for its caller (a Scan
// callback, the body of a Snapshot loop, an UpdateFunc) calls the backend
// again while a Restore of that backend is waiting to start. Pruning while
// iterating is a natural pattern: every such call completes, or fails with an
// error; none hangs, and neither does the Restore.
func (s *suite) testReentryDuringRestore(t *testing.T) {
	ctx := context.Background()
	type nested func(b runtime.Backend, key []byte) error
	ops := []struct {
		name string
		op   nested
	}{
		{"Delete", func(b runtime.Backend, k []byte) error { return b.Delete(ctx, k) }},
		{"Put", func(b runtime.Backend, k []byte) error { return b.Put(ctx, k, []byte("again")) }},
		{"Get", func(b runtime.Backend, k []byte) error { _, _, err := b.Get(ctx, k); return err }},
		{"ListKeys", func(b runtime.Backend, k []byte) error { _, err := b.ListKeys(ctx, k); return err }},
		{"Scan", func(b runtime.Backend, k []byte) error {
			return b.Scan(ctx, k, func(_, _ []byte) error { return nil })
		}},
		{"Update", func(b runtime.Backend, k []byte) error {
			return runtime.Update(ctx, b, k, func(old []byte, found bool) ([]byte, bool, error) {
				return nil, false, nil
			})
		}},
	}
	outers := []struct {
		name string
		// visit calls each(key) for every key under "s:", from code the
		// backend runs for its caller.
		visit func(b runtime.Backend, each func(key []byte) error) error
	}{
		{"Scan callback", func(b runtime.Backend, each func([]byte) error) error {
			return b.Scan(ctx, []byte("s:"), func(k, _ []byte) error { return each(k) })
		}},
		{"Snapshot loop", func(b runtime.Backend, each func([]byte) error) error {
			for e, err := range b.(runtime.Snapshotter).Snapshot(ctx) {
				if err != nil {
					return err
				}
				if string(e.Key[:2]) == "s:" {
					if err := each(e.Key); err != nil {
						return err
					}
				}
			}
			return nil
		}},
		{"UpdateFunc", func(b runtime.Backend, each func([]byte) error) error {
			up, ok := b.(runtime.Updater)
			if !ok {
				return errSkip
			}
			return up.Update(ctx, []byte("s:000"), 0, func(old []byte, found bool) ([]byte, bool, error) {
				return nil, false, each([]byte("s:001"))
			})
		}},
	}
	for _, outer := range outers {
		for _, op := range ops {
			t.Run(outer.name+" calls "+op.name, func(t *testing.T) {
				b := s.open(t)
				sn := snapshotter(t, b)
				for i := range 20 {
					put(t, b, fmt.Sprintf("s:%03d", i), "v")
				}
				restored := []runtime.Entry{{Key: []byte("r:1"), Value: []byte("restored")}}
				started := make(chan struct{})
				restoreDone := make(chan error, 1)
				first := true
				visitDone := make(chan error, 1)
				go func() {
					visitDone <- outer.visit(b, func(key []byte) error {
						if first {
							first = false
							close(started)
							// Let the Restore begin to wait for this
							// operation before calling the backend again.
							time.Sleep(50 * time.Millisecond)
						}
						return op.op(b, key)
					})
				}()
				go func() {
					select {
					case <-started:
					case <-time.After(hangTimeout):
					}
					restoreDone <- sn.Restore(ctx, entrySeq(restored...))
				}()
				var visitErr, restoreErr error
				for range 2 {
					select {
					case visitErr = <-visitDone:
					case restoreErr = <-restoreDone:
					case <-time.After(hangTimeout):
						t.Fatalf("hang: a %s that calls %s, and a Restore waiting for it, did not finish in %v", outer.name, op.name, hangTimeout)
					}
				}
				if visitErr == errSkip {
					t.Skip("backend has no Updater")
				}
				if visitErr != nil {
					t.Logf("%s calling %s during a Restore failed (allowed): %v", outer.name, op.name, visitErr)
				}
				if restoreErr != nil {
					t.Fatalf("Restore: %v", restoreErr)
				}
				// The Restore ran before or after the nested calls, never in
				// the middle of one: only what it restored is left, plus what a
				// nested Put wrote after it.
				for _, e := range Snapshot(t, sn) {
					if string(e.Key) == "r:1" {
						continue
					}
					if op.name != "Put" {
						t.Errorf("after the Restore: unexpected key %q", e.Key)
					}
				}
				if v, ok := get(t, b, "r:1"); !ok || v != "restored" {
					t.Errorf("restored key: %q, %v", v, ok)
				}
			})
		}
	}
}

// errSkip marks a case the backend cannot run.
var errSkip = fmt.Errorf("skip")

// testNestedUpdate: an UpdateFunc that updates its own key breaks the rule
// that fn be free of side effects, and cannot succeed as written (the inner
// write always invalidates the outer one). It must still end: with nil, with
// an error wrapping runtime.ErrConflict, or when its ctx ends; never hang.
func (s *suite) testNestedUpdate(t *testing.T) {
	b := s.open(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	key := []byte("nested")
	done := make(chan error, 1)
	go func() {
		done <- runtime.Update(ctx, b, key, func(old []byte, found bool) ([]byte, bool, error) {
			err := runtime.Update(ctx, b, key, func([]byte, bool) ([]byte, bool, error) { return []byte("inner"), true, nil })
			return []byte("outer"), true, err
		})
	}()
	select {
	case err := <-done:
		if err != nil && !errors.Is(err, runtime.ErrConflict) && !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("nested Update: %v; want nil, ErrConflict or the ctx's deadline", err)
		}
	case <-time.After(hangTimeout):
		t.Fatalf("hang: an Update nested in an UpdateFunc on its own key did not end within %v of its ctx's deadline", hangTimeout)
	}
}
