package badger_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/statekit/statekit/backends/backendtest"
	"github.com/statekit/statekit/runtime"
)

// TestReview9cRestoresAmidBatches runs Restores (of one batch and of the
// StreamWriter) while three goroutines open batches, small (held) and past
// 4,096 writes (spilled into a WriteBatch), and end them with Commit or
// Discard, and two read every key the whole time so that the value cache
// holds what they saw. A batch call may fail only with ErrConflict (a Restore
// overtook a spilled batch). At the end, with nothing running, Get must agree
// with a Snapshot for every key ever written: the value cache must hold
// nothing a Restore, a Discard or an overtaken batch left behind. Existing
// tests overtake one batch with one Restore, with no reader racing; this
// races them. It passed when written.
func TestReview9cRestoresAmidBatches(t *testing.T) {
	ctx := context.Background()
	b := openCached(t, 4<<20)
	const writers, restores = 3, 8
	key := func(g, i int) []byte { return fmt.Appendf(nil, "g%d/%05d", g, i) }
	stop := make(chan struct{})
	var wg, readers sync.WaitGroup
	errs := make(chan error, writers+4)
	var rounds, overtaken atomic.Int64
	for g := range writers {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(g), 3))
			for round := 0; ; round++ {
				select {
				case <-stop:
					return
				default:
				}
				n := 20
				if rng.IntN(3) == 0 {
					n = 5000
				}
				w := b.NewBatch()
				var err error
				for i := range n {
					if err = w.Put(key(g, rng.IntN(6000)), fmt.Appendf(nil, "g%d-%d", g, round)); err != nil {
						break
					}
					if i%7 == 0 {
						if err = w.Delete(key(g, rng.IntN(6000))); err != nil {
							break
						}
					}
				}
				if err == nil {
					if rng.IntN(4) == 0 {
						w.Discard()
					} else {
						err = w.Commit(ctx)
					}
				} else {
					w.Discard()
				}
				if err != nil && !errors.Is(err, runtime.ErrConflict) {
					errs <- fmt.Errorf("writer %d: %w", g, err)
					return
				}
				if err != nil {
					overtaken.Add(1)
				}
				rounds.Add(1)
			}
		})
	}
	for r := range 2 {
		readers.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(r), 5))
			for {
				select {
				case <-stop:
					return
				default:
				}
				k := key(rng.IntN(writers), rng.IntN(6000))
				if rng.IntN(2) == 0 {
					k = fmt.Appendf(nil, "r/%05d", rng.IntN(6000))
				}
				if _, _, err := b.Get(ctx, k); err != nil {
					errs <- fmt.Errorf("reader: %w", err)
					return
				}
			}
		})
	}
	for round := 0; round < restores || overtaken.Load() < 3; round++ {
		if round > 400 {
			t.Fatalf("no batch overtaken in %d Restores (%d batches)", round, rounds.Load())
		}
		for r := rounds.Load(); rounds.Load() < r+2; { // let the writers go on between Restores
			pause()
		}
		n := 100
		if round%2 == 1 {
			n = 5000
		}
		var entries []runtime.Entry
		for i := range n {
			entries = append(entries, runtime.Entry{Key: fmt.Appendf(nil, "r/%05d", i), Value: fmt.Appendf(nil, "r%d", round)})
		}
		if err := b.Restore(ctx, backendtest.Entries(entries)); err != nil {
			t.Fatalf("Restore %d: %v", round, err)
		}
	}
	close(stop)
	wg.Wait()
	readers.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	t.Logf("%d batches, %d overtaken", rounds.Load(), overtaken.Load())
	truth := map[string]string{}
	for e, err := range b.Snapshot(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		truth[string(e.Key)] = string(e.Value)
	}
	check := func(k []byte) {
		v, found, err := b.Get(ctx, k)
		if err != nil {
			t.Fatal(err)
		}
		want, ok := truth[string(k)]
		if found != ok || string(v) != want {
			t.Errorf("Get(%q) = %q %v; the store holds %q %v", k, v, found, want, ok)
		}
	}
	for g := range writers {
		for i := range 6000 {
			check(key(g, i))
		}
	}
	for i := range 6000 {
		check(fmt.Appendf(nil, "r/%05d", i))
	}
}

// pause lets the other goroutines run a little.
func pause() { time.Sleep(100 * time.Microsecond) }
