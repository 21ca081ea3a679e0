package windows_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/statekit/statekit/backends/redis"
	"github.com/statekit/statekit/backends/redis/redistest"
	"github.com/statekit/statekit/runtime"
	"github.com/statekit/statekit/runtime/stateimpl"
)

// withRedis is backends plus a single Redis server, whose Batch is a pipeline.
func withRedis() []struct {
	name string
	open func(t testing.TB, dir string) runtime.Backend
} {
	return append(backends[:len(backends):len(backends)], struct {
		name string
		open func(t testing.TB, dir string) runtime.Backend
	}{"redis", func(t testing.TB, _ string) runtime.Backend {
		redistest.Require(t)
		srv := redistest.StartServer(t)
		b, err := redis.Open(ctx, redis.Config{Addrs: []string{srv.Addr()}, Namespace: t.Name()})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { b.Close() })
		return b
	}})
}

// TestFailingBlockingCallbacksCountInOut: many Adds racing several FireDues
// whose callbacks fail, block, add events of their own, or see their ctx
// cancelled; tumbling and sliding windows with lateness. Every event Add
// accepted fires in at least one window, and no window fires an event twice
// (exactly once without crashes), on memory, Badger and Redis.
func TestFailingBlockingCallbacksCountInOut(t *testing.T) {
	if testing.Short() {
		t.Skip("stress")
	}
	for _, be := range withRedis() {
		for _, sp := range []struct {
			name string
			spec stateimpl.WindowSpec
		}{
			{"tumbling", spec(3*time.Millisecond, 3*time.Millisecond, time.Millisecond)},
			{"sliding", spec(4*time.Millisecond, time.Millisecond, time.Millisecond)},
		} {
			t.Run(be.name+"/"+sp.name, func(t *testing.T) {
				b := be.open(t, t.TempDir())
				w := stateimpl.NewWindows(b, sp.spec)
				countInOut(t, w, 1500*time.Millisecond)
			})
		}
	}
}

func countInOut(t *testing.T, w *stateimpl.Windows, d time.Duration) {
	var (
		wm, nextID atomic.Int64
		stop       atomic.Bool
		wg         sync.WaitGroup
		mu         sync.Mutex
		accepted   = map[uint64]bool{}
		fired      = map[runtime.Window]map[uint64]int{} // window -> event -> firings
		failures   atomic.Int64
	)
	fail := func(err error) { t.Error(err); stop.Store(true) }
	add := func(key string, at int64) error {
		id := uint64(nextID.Add(1))
		err := w.Add(ctx, []byte(key), time.Unix(0, at), addID(id))
		if err == nil {
			mu.Lock()
			accepted[id] = true
			mu.Unlock()
		} else if errors.Is(err, runtime.ErrLate) {
			err = nil
		}
		return err
	}
	for g := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(g), 1))
			for !stop.Load() {
				if err := add(fmt.Sprintf("k%d", r.IntN(5)), wm.Load()-3e6+r.Int64N(8e6)); err != nil {
					fail(err)
					return
				}
			}
		}()
	}
	boom := errors.New("sink down")
	for g := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(g), 2))
			for !stop.Load() {
				cctx, cancel := context.WithCancel(ctx)
				_, err := w.FireDue(cctx, time.Unix(0, wm.Load()), func(_ []byte, win runtime.Window, v []byte) error {
					switch x := r.IntN(100); {
					case x < 5:
						failures.Add(1)
						return boom
					case x < 8:
						cancel()
						failures.Add(1)
						return cctx.Err()
					case x < 12:
						time.Sleep(time.Duration(r.IntN(500)) * time.Microsecond)
					case x < 20:
						if err := add("cb", wm.Load()+2e6); err != nil {
							return err
						}
					}
					mu.Lock()
					if fired[win] == nil {
						fired[win] = map[uint64]int{}
					}
					for _, id := range idsOf(v) {
						fired[win][id]++
					}
					mu.Unlock()
					return nil
				})
				cancel()
				if err != nil && !errors.Is(err, boom) && !errors.Is(err, context.Canceled) {
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
	for range 2 {
		if _, err := w.FireDue(ctx, time.Unix(0, wm.Load()+1e9), func(_ []byte, win runtime.Window, v []byte) error {
			if fired[win] == nil {
				fired[win] = map[uint64]int{}
			}
			for _, id := range idsOf(v) {
				fired[win][id]++
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	seen := map[uint64]bool{}
	for win, ids := range fired {
		for id, n := range ids {
			seen[id] = true
			if n != 1 {
				t.Errorf("window %v fired event %d %d times", win, id, n)
			}
			if !accepted[id] {
				t.Errorf("window %v fired event %d, which Add refused", win, id)
			}
		}
	}
	lost := 0
	for id := range accepted {
		if !seen[id] {
			lost++
		}
	}
	if lost > 0 {
		t.Errorf("%d of %d accepted events never fired", lost, len(accepted))
	}
	t.Logf("%d events accepted, %d windows fired, %d callbacks failed", len(accepted), len(fired), failures.Load())
}
