package badger

import (
	"context"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestGateStress: many goroutines take the gate, some of them (as a Scan
// callback would) calling in again while admitted, while a Restore takes it
// exclusively over and over. No operation is ever inside while the Restore
// holds the gate, nobody hangs, and both sides make progress.
func TestGateStress(t *testing.T) {
	var g gate
	var inside, ops, restores, violations atomic.Int64
	var held atomic.Bool
	stop := make(chan struct{})
	var wg sync.WaitGroup
	op := func(kind gateKind) bool {
		if g.admit(kind, true) != nil {
			return false
		}
		inside.Add(1)
		if held.Load() {
			violations.Add(1)
		}
		return true
	}
	done := func(kind gateKind) {
		inside.Add(-1)
		ops.Add(1)
		g.exit(kind)
	}
	for w := range 8 {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(w), 1))
			for {
				select {
				case <-stop:
					return
				default:
				}
				if rng.IntN(3) > 0 {
					if op(plainOp) {
						done(plainOp)
					}
					continue
				}
				if !op(callingOp) { // a Scan whose callback calls in, several times
					continue
				}
				for range rng.IntN(4) {
					if op(plainOp) {
						done(plainOp)
					}
					time.Sleep(time.Duration(rng.IntN(50)) * time.Microsecond)
				}
				done(callingOp)
			}
		})
	}
	wg.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			if err := g.lockRestore(context.Background()); err != nil {
				t.Error(err)
				return
			}
			held.Store(true)
			if inside.Load() != 0 {
				violations.Add(1)
			}
			time.Sleep(100 * time.Microsecond)
			held.Store(false)
			g.unlockRestore()
			restores.Add(1)
			time.Sleep(time.Millisecond) // restores are rare: leave room between them
		}
	})
	time.Sleep(time.Second)
	close(stop)
	finished := make(chan struct{})
	go func() { wg.Wait(); close(finished) }()
	select {
	case <-finished:
	case <-time.After(20 * time.Second):
		t.Fatal("hang: the gate's users did not finish")
	}
	if v := violations.Load(); v != 0 {
		t.Errorf("%d operations were inside while a Restore held the gate", v)
	}
	if ops.Load() < 100 || restores.Load() < 10 {
		t.Errorf("no progress: %d operations, %d restores", ops.Load(), restores.Load())
	}
	t.Logf("%d operations, %d restores", ops.Load(), restores.Load())
	if !g.close() || g.admit(plainOp, true) == nil {
		t.Error("after close, the gate admits")
	}
}
