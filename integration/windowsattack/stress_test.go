package windowsattack_test

import (
	"encoding/binary"
	"errors"
	"math/rand"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/statekit/statekit/backends/badger"
	"github.com/statekit/statekit/backends/memory"
	"github.com/statekit/statekit/runtime"
	"github.com/statekit/statekit/runtime/stateimpl"
)

func addN(old []byte, found bool) ([]byte, bool, error) {
	var n uint64
	if found {
		n = binary.BigEndian.Uint64(old)
	}
	return binary.BigEndian.AppendUint64(nil, n+1), true, nil
}

func stress(t *testing.T, b runtime.Backend, d time.Duration) {
	sp := spec(3*time.Millisecond, 3*time.Millisecond, time.Millisecond, 0) // tumbling: one window per event
	w := stateimpl.NewWindows(b, sp)
	var wm atomic.Int64
	var in, out atomic.Int64
	var stop atomic.Bool
	var wg sync.WaitGroup
	fail := func(err error) { t.Error(err); stop.Store(true) }
	adder := func(seed int64, key string) {
		defer wg.Done()
		r := rand.New(rand.NewSource(seed))
		for !stop.Load() {
			at := wm.Load() - 3e6 + r.Int63n(8e6)
			err := w.Add(ctx, []byte(key), time.Unix(0, at), addN)
			if errors.Is(err, runtime.ErrLate) {
				continue
			}
			if err != nil {
				fail(err)
				return
			}
			in.Add(1)
		}
	}
	for g := 0; g < 3; g++ {
		wg.Add(1)
		go adder(int64(g), string(rune('a'+g)))
	}
	fire := func(_ []byte, _ runtime.Window, v []byte) error {
		out.Add(int64(binary.BigEndian.Uint64(v)))
		// the callback adds one more event in the future
		if err := w.Add(ctx, []byte("cb"), time.Unix(0, wm.Load()+2e6), addN); err == nil {
			in.Add(1)
		} else if !errors.Is(err, runtime.ErrLate) {
			return err
		}
		return nil
	}
	for g := 0; g < 2; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				if _, err := w.FireDue(ctx, time.Unix(0, wm.Load()), fire); err != nil {
					fail(err)
					return
				}
			}
		}()
	}
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) && !stop.Load() {
		wm.Add(1e5)
		time.Sleep(50 * time.Microsecond)
	}
	stop.Store(true)
	wg.Wait()
	if _, err := w.FireDue(ctx, time.Unix(0, wm.Load()+1e9), fire); err != nil {
		t.Fatal(err)
	}
	if _, err := w.FireDue(ctx, time.Unix(0, wm.Load()+2e9), fire); err != nil {
		t.Fatal(err)
	}
	if in.Load() != out.Load() {
		t.Fatalf("accepted %d events, fired %d", in.Load(), out.Load())
	}
	t.Logf("accepted = fired = %d", in.Load())
	left := 0
	if err := b.Scan(ctx, []byte("w/H/"), func(k, v []byte) error { left++; return nil }); err != nil {
		t.Fatal(err)
	}
	if left != 0 {
		t.Fatalf("%d window states left after the final FireDue", left)
	}
}

func TestHeldStressMemory(t *testing.T) { stress(t, memory.New(memory.Options{}), 2*time.Second) }

func TestHeldStressBadger(t *testing.T) {
	b, err := badger.Open(ctx, badger.NewConfig(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	stress(t, b, 2*time.Second)
}
