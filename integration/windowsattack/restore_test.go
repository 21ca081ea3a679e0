package windowsattack_test

import (
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/statekit/statekit/backends/backendtest"
	"github.com/statekit/statekit/backends/memory"
	"github.com/statekit/statekit/runtime"
	"github.com/statekit/statekit/runtime/stateimpl"
)

func collect(t *testing.T, b *memory.Backend) []runtime.Entry {
	t.Helper()
	var out []runtime.Entry
	for e, err := range b.Snapshot(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, e)
	}
	return out
}

// A backend restored, under a live store, to a checkpoint in which window X
// has already fired (W past X's End+lateness). Adds for X running at the same
// time must either land before the Restore (and be wiped by it) or be refused
// with ErrLate after it. Instead, an Add that checked W before the Restore
// writes X's timer and state into the restored contents, and X fires a
// second time.
func TestRestoreUnderLiveStoreFiresOnce(t *testing.T) {
	sp := spec(10*time.Millisecond, 10*time.Millisecond, 0, 0)
	x := time.Unix(0, 5e6) // window [0, 10ms)
	nop := func([]byte, runtime.Window, []byte) error { return nil }

	// The checkpoint: X accepted and fired, W = 10ms.
	src := memory.New(memory.Options{})
	ws := stateimpl.NewWindows(src, sp)
	if err := ws.Add(ctx, []byte("k"), x, add1); err != nil {
		t.Fatal(err)
	}
	if n, err := ws.FireDue(ctx, time.Unix(0, 10e6), nop); err != nil || n != 1 {
		t.Fatal(n, err)
	}
	fired := collect(t, src)

	deadline := time.Now().Add(4 * time.Second)
	for iter := 0; time.Now().Before(deadline); iter++ {
		b := memory.New(memory.Options{})
		w := stateimpl.NewWindows(b, sp)
		if _, err := w.Watermark(ctx); err != nil { // load W (none) now
			t.Fatal(err)
		}
		var stop atomic.Bool
		var wg sync.WaitGroup
		var bad atomic.Value
		for g := 0; g < 3; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for !stop.Load() {
					if err := w.Add(ctx, []byte("k"), x, add1); err != nil && !errors.Is(err, runtime.ErrLate) {
						bad.Store(err)
						return
					}
				}
			}()
		}
		time.Sleep(200 * time.Microsecond)
		if err := b.Restore(ctx, backendtest.Entries(slices.Clone(fired))); err != nil {
			t.Fatal(err)
		}
		stop.Store(true)
		wg.Wait()
		if e := bad.Load(); e != nil {
			t.Fatal(e)
		}
		n, err := w.FireDue(ctx, time.Unix(0, 10e6), nop)
		if err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Fatalf("iteration %d: window [0,10ms), fired in the restored checkpoint (W=10ms), fired again after a Restore under live Adds: %d", iter, n)
		}
	}
}
