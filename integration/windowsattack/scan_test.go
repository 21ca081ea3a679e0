package windowsattack_test

import (
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/statekit/statekit/backends/backendtest"
	"github.com/statekit/statekit/backends/memory"
	"github.com/statekit/statekit/integration/stores"
	"github.com/statekit/statekit/runtime"
)

// memory's Restore promises "readers see the old contents or the new". A
// store's Windows scan running while the backend is restored sees some of
// its windows from the old contents and some from the new.
func TestWindowsScanDuringRestoreNeverMixes(t *testing.T) {
	const nwin = 64
	k := stores.TumblingKey{Key: []byte("k")}
	mk := func(sum uint64) []runtime.Entry {
		b := memory.New(memory.Options{})
		s := stores.NewTumblingStore(b)
		for i := 0; i < nwin; i++ {
			if err := s.Add(ctx, time.Unix(int64(10*i), 0), stores.Tumbling{Key: k.Key, Sum: sum}); err != nil {
				t.Fatal(err)
			}
		}
		return collect(t, b)
	}
	a, bb := mk(1), mk(2)
	b := memory.New(memory.Options{})
	if err := b.Restore(ctx, backendtest.Entries(a)); err != nil {
		t.Fatal(err)
	}
	s := stores.NewTumblingStore(b)
	var stop atomic.Bool
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; !stop.Load(); i++ {
			src := a
			if i%2 == 0 {
				src = bb
			}
			if err := b.Restore(ctx, backendtest.Entries(src)); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	defer func() { stop.Store(true); wg.Wait() }()
	deadline := time.Now().Add(3 * time.Second)
	whole, refused := 0, 0
	for time.Now().Before(deadline) {
		sums := map[uint64]int{}
		n := 0
		err := s.Windows(ctx, k, func(_ runtime.Window, v stores.Tumbling) error {
			sums[v.Sum]++
			n++
			return nil
		})
		if errors.Is(err, runtime.ErrConflict) {
			refused++ // a Restore overtook the scan: it says so instead of mixing
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		whole++
		if len(sums) != 1 || n != nwin {
			t.Fatalf("one Windows scan during Restore saw %d windows with sums %v: a mix of two contents", n, sums)
		}
	}
	t.Logf("%d scans whole, %d refused by a Restore", whole, refused)
}
