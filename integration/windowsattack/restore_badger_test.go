package windowsattack_test

import (
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/statekit/statekit/backends/backendtest"
	"github.com/statekit/statekit/backends/badger"
	"github.com/statekit/statekit/backends/memory"
	"github.com/statekit/statekit/runtime"
	"github.com/statekit/statekit/runtime/stateimpl"
)

// TestRestoreUnderLiveStoreFiresOnce on Badger.
func TestBadgerRestoreUnderLiveStoreFiresOnce(t *testing.T) {
	sp := spec(10*time.Millisecond, 10*time.Millisecond, 0, 0)
	x := time.Unix(0, 5e6)
	nop := func([]byte, runtime.Window, []byte) error { return nil }
	src := memory.New(memory.Options{})
	ws := stateimpl.NewWindows(src, sp)
	if err := ws.Add(ctx, []byte("k"), x, add1); err != nil {
		t.Fatal(err)
	}
	if n, err := ws.FireDue(ctx, time.Unix(0, 10e6), nop); err != nil || n != 1 {
		t.Fatal(n, err)
	}
	fired := collect(t, src)

	b, err := badger.Open(ctx, badger.NewConfig(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	for iter := 0; iter < 10; iter++ {
		if err := b.Restore(ctx, backendtest.Entries(nil)); err != nil { // empty: W none
			t.Fatal(err)
		}
		w := stateimpl.NewWindows(b, sp)
		if _, err := w.Watermark(ctx); err != nil {
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
		time.Sleep(2 * time.Millisecond)
		if err := b.Restore(ctx, backendtest.Entries(slices.Clone(fired))); err != nil {
			t.Fatal(err)
		}
		stop.Store(true)
		wg.Wait()
		if e := bad.Load(); e != nil {
			t.Logf("an Add straddling the Restore failed: %v", e)
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
