// Package windows_test attacks the window engine (stateimpl.Windows) under
// generated stores: lateness boundaries, concurrent Add and FireDue, a fired
// watermark that survives restarts and restores, and a reference model.
package windows_test

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"path/filepath"
	goruntime "runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/statekit/statekit/backends/backendtest"
	"github.com/statekit/statekit/backends/badger"
	"github.com/statekit/statekit/backends/memory"
	"github.com/statekit/statekit/checkpoint"
	"github.com/statekit/statekit/runtime"
	"github.com/statekit/statekit/runtime/stateimpl"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var ctx = context.Background()

// backends opens each backend for a test; badger's reopen opens dir again.
var backends = []struct {
	name string
	open func(t testing.TB, dir string) runtime.Backend
}{
	{"memory", func(t testing.TB, _ string) runtime.Backend {
		b := memory.New(memory.Options{})
		t.Cleanup(func() { b.Close() })
		return b
	}},
	{"badger", func(t testing.TB, dir string) runtime.Backend {
		b, err := badger.Open(ctx, badger.NewConfig(dir).WithLogger(slog.New(slog.DiscardHandler)))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { b.Close() })
		return b
	}},
}

func spec(size, slide, lateness time.Duration) stateimpl.WindowSpec {
	return stateimpl.WindowSpec{
		Size: size, Slide: slide, Lateness: lateness,
		StatePrefix: []byte("w/T/"), TimerPrefix: []byte("t/T/"),
	}
}

// ids is the window state of these tests: the 8-byte IDs of the events merged
// into it, in merge order. It lets a test see which events a window fired with.
func addID(id uint64) runtime.UpdateFunc {
	return func(old []byte, _ bool) ([]byte, bool, error) {
		return binary.BigEndian.AppendUint64(slices.Clip(old), id), true, nil
	}
}

func idsOf(v []byte) []uint64 {
	out := make([]uint64, 0, len(v)/8)
	for ; len(v) >= 8; v = v[8:] {
		out = append(out, binary.BigEndian.Uint64(v))
	}
	return out
}

func fireAll(t testing.TB, w *stateimpl.Windows, wm time.Time) map[runtime.Window][]uint64 {
	t.Helper()
	got := map[runtime.Window][]uint64{}
	if _, err := w.FireDue(ctx, wm, func(_ []byte, win runtime.Window, v []byte) error {
		got[win] = append(got[win], idsOf(v)...)
		return nil
	}); err != nil {
		t.Fatalf("FireDue(%v): %v", wm, err)
	}
	return got
}

func TestSpecValidate(t *testing.T) {
	tests := []struct {
		name string
		spec stateimpl.WindowSpec
		ok   bool
	}{
		{"tumbling", spec(time.Minute, time.Minute, 5*time.Second), true},
		{"1000 windows per event", spec(1000*time.Second, time.Second, 0), true},
		{"1001 windows per event", spec(1001*time.Second, time.Second, 0), false},
		{"size/slide rounded up past 1000", spec(1000*time.Second+1, time.Second, 0), false},
		{"a day sliding by 1ns", spec(24*time.Hour, time.Nanosecond, 0), false},
		{"ttl = size+lateness: expires as the window fires", func() stateimpl.WindowSpec {
			s := spec(time.Minute, time.Minute, 5*time.Second)
			s.TTL = 65 * time.Second
			return s
		}(), false},
		{"ttl > size+lateness", func() stateimpl.WindowSpec {
			s := spec(time.Minute, time.Minute, 5*time.Second)
			s.TTL = 65*time.Second + 1
			return s
		}(), true},
		{"ttl < size+lateness", func() stateimpl.WindowSpec {
			s := spec(time.Minute, time.Minute, 5*time.Second)
			s.TTL = time.Minute
			return s
		}(), false},
		{"ttl with a huge lateness", func() stateimpl.WindowSpec {
			s := spec(time.Minute, time.Minute, math.MaxInt64)
			s.TTL = time.Hour
			return s
		}(), false},
		{"timer prefix without a slash", func() stateimpl.WindowSpec {
			s := spec(time.Minute, time.Minute, 0)
			s.TimerPrefix = []byte("timers")
			return s
		}(), false},
		{"explicit watermark key", func() stateimpl.WindowSpec {
			s := spec(time.Minute, time.Minute, 0)
			s.TimerPrefix, s.WatermarkKey = []byte("timers"), []byte("mark")
			return s
		}(), true},
		{"watermark key under the timers", func() stateimpl.WindowSpec {
			s := spec(time.Minute, time.Minute, 0)
			s.WatermarkKey = []byte("t/T/mark")
			return s
		}(), false},
		{"overlapping prefixes", func() stateimpl.WindowSpec {
			s := spec(time.Minute, time.Minute, 0)
			s.TimerPrefix = []byte("w/T/t/")
			return s
		}(), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.spec.Validate()
			if (err == nil) != tt.ok || (err != nil && !errors.Is(err, runtime.ErrInvalidArgument)) {
				t.Fatalf("Validate() = %v, want ok=%v (else ErrInvalidArgument)", err, tt.ok)
			}
		})
	}
	if _, err := runtime.AppendWindows(nil, time.Unix(0, 0), 24*time.Hour, time.Nanosecond); !errors.Is(err, runtime.ErrInvalidArgument) {
		t.Errorf("AppendWindows with 8.64e13 windows per event: %v, want ErrInvalidArgument", err)
	}
}

// TestLateBoundaries checks the rule at its edges, for tumbling windows,
// sliding windows whose slide divides the size and ones whose slide does
// not, with and without lateness, and at times before 1970: an event is
// refused exactly when every window containing it has End+lateness <= W.
func TestLateBoundaries(t *testing.T) {
	specs := []struct{ size, slide, lateness time.Duration }{
		{10, 10, 0},
		{2 * time.Millisecond, 2 * time.Millisecond, 2 * time.Millisecond},
		{10, 5, 3},
		{10, 3, 4}, // slide does not divide size: 3 or 4 windows per event
		{time.Minute, 20 * time.Second, 5 * time.Second},
		{7, 7, 100},
	}
	times := []int64{0, 1, 9, 10, 11, -1, -9, -10, -11, -1e9 - 7, 1e12 + 3}
	for _, sp := range specs {
		for _, at := range times {
			name := fmt.Sprintf("size=%v,slide=%v,lateness=%v,at=%d", sp.size, sp.slide, sp.lateness, at)
			t.Run(name, func(t *testing.T) {
				event := time.Unix(0, at)
				wins, err := runtime.AppendWindows(nil, event, sp.size, sp.slide)
				if err != nil {
					t.Fatal(err)
				}
				lastDue := wins[len(wins)-1].End.Add(sp.lateness) // the newest window's End+lateness
				firstDue := wins[0].End.Add(sp.lateness)
				for _, c := range []struct {
					wm   time.Time
					late bool
				}{
					{lastDue.Add(-1), false},
					{lastDue, true},
					{firstDue.Add(-1), false},
				} {
					b := memory.New(memory.Options{})
					defer b.Close()
					w := stateimpl.NewWindows(b, spec(sp.size, sp.slide, sp.lateness))
					if _, err := w.FireDue(ctx, c.wm, func([]byte, runtime.Window, []byte) error { return nil }); err != nil {
						t.Fatal(err)
					}
					err := w.Add(ctx, []byte("k"), event, addID(1))
					if c.late != errors.Is(err, runtime.ErrLate) || (!c.late && err != nil) {
						t.Fatalf("Add after FireDue(%v): %v, want late=%v", c.wm, err, c.late)
					}
					// The event is in exactly the windows not yet due.
					var in []runtime.Window
					if err := w.Scan(ctx, []byte("k"), func(win runtime.Window, _ []byte) error {
						in = append(in, win)
						return nil
					}); err != nil {
						t.Fatal(err)
					}
					var want []runtime.Window
					for _, win := range wins {
						if win.End.Add(sp.lateness).After(c.wm) {
							want = append(want, win)
						}
					}
					if !slices.Equal(in, want) {
						t.Fatalf("after FireDue(%v) the event went to %v, want %v", c.wm, in, want)
					}
				}
				// Firing: nothing at End+lateness-1ns, the oldest window at End+lateness.
				b := memory.New(memory.Options{})
				defer b.Close()
				w := stateimpl.NewWindows(b, spec(sp.size, sp.slide, sp.lateness))
				if err := w.Add(ctx, []byte("k"), event, addID(1)); err != nil {
					t.Fatal(err)
				}
				if got := fireAll(t, w, firstDue.Add(-1)); len(got) != 0 {
					t.Fatalf("FireDue(End+lateness-1ns) fired %v", got)
				}
				if got := fireAll(t, w, firstDue); len(got) != 1 || got[wins[0]] == nil {
					t.Fatalf("FireDue(End+lateness) fired %v, want just %v", got, wins[0])
				}
			})
		}
	}
}

// TestLatenessCountedOnce is the review's case: with lateness=2ms, an event
// for [0,2ms) was accepted at watermark 5ms and fired a second time.
func TestLatenessCountedOnce(t *testing.T) {
	b := memory.New(memory.Options{})
	defer b.Close()
	ms := time.Millisecond
	w := stateimpl.NewWindows(b, spec(2*ms, 2*ms, 2*ms))
	epoch := time.Unix(0, 0)
	if err := w.Add(ctx, []byte("k"), epoch.Add(ms), addID(1)); err != nil {
		t.Fatal(err)
	}
	if got := fireAll(t, w, epoch.Add(4*ms)); len(got) != 1 {
		t.Fatalf("FireDue(4ms) fired %v, want [0,2ms)", got)
	}
	if err := w.Add(ctx, []byte("k"), epoch.Add(ms), addID(2)); !errors.Is(err, runtime.ErrLate) {
		t.Fatalf("Add into [0,2ms) after watermark 4ms: %v, want ErrLate", err)
	}
	if got := fireAll(t, w, epoch.Add(5*ms)); len(got) != 0 {
		t.Fatalf("FireDue(5ms) fired %v again", got)
	}
}

// TestWatermarkSurvives: the fired watermark is in the backend, so a new
// store over it, a reopened Badger, a backend restored from a snapshot and a
// store whose backend is restored under it all refuse late events at once.
func TestWatermarkSurvives(t *testing.T) {
	sp := spec(10*time.Second, 10*time.Second, time.Second)
	t0 := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	wm := t0.Add(11 * time.Second) // [t0, t0+10s) has fired
	late := func(t *testing.T, w *stateimpl.Windows) {
		t.Helper()
		if err := w.Add(ctx, []byte("k"), t0.Add(time.Second), addID(9)); !errors.Is(err, runtime.ErrLate) {
			t.Fatalf("Add into a window fired before: %v, want ErrLate", err)
		}
		if got, err := w.Watermark(ctx); err != nil || !got.Equal(wm) {
			t.Fatalf("Watermark() = %v, %v; want %v", got, err, wm)
		}
	}
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			dir := t.TempDir()
			b := be.open(t, dir)
			w := stateimpl.NewWindows(b, sp)
			if err := w.Add(ctx, []byte("k"), t0, addID(1)); err != nil {
				t.Fatal(err)
			}
			if got := fireAll(t, w, wm); len(got) != 1 {
				t.Fatalf("fired %v", got)
			}
			late(t, stateimpl.NewWindows(b, sp)) // a second store, a restart of the process
			snap := b.(runtime.Snapshotter).Snapshot(ctx)
			var saved []runtime.Entry
			for e, err := range snap {
				if err != nil {
					t.Fatal(err)
				}
				saved = append(saved, e)
			}
			fresh := backends[0].open(t, "")
			if err := fresh.(runtime.Snapshotter).Restore(ctx, backendtest.Entries(saved)); err != nil {
				t.Fatal(err)
			}
			late(t, stateimpl.NewWindows(fresh, sp)) // restored elsewhere
			if be.name == "badger" {
				if err := b.Close(); err != nil {
					t.Fatal(err)
				}
				late(t, stateimpl.NewWindows(be.open(t, dir), sp)) // reopened
			}
		})
	}
}

// TestRestoreUnderLiveStore: restoring an older state under a live store
// makes it take the older watermark at once: events the restored state has
// not fired are accepted again (they will be replayed), and fire once.
func TestRestoreUnderLiveStore(t *testing.T) {
	sp := spec(10*time.Second, 10*time.Second, 0)
	t0 := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			b := be.open(t, t.TempDir())
			w := stateimpl.NewWindows(b, sp)
			if err := w.Add(ctx, []byte("k"), t0, addID(1)); err != nil {
				t.Fatal(err)
			}
			var older []runtime.Entry
			for e, err := range b.(runtime.Snapshotter).Snapshot(ctx) {
				if err != nil {
					t.Fatal(err)
				}
				older = append(older, e)
			}
			if got := fireAll(t, w, t0.Add(time.Minute)); len(got) != 1 {
				t.Fatalf("fired %v", got)
			}
			if err := w.Add(ctx, []byte("k"), t0.Add(time.Second), addID(2)); !errors.Is(err, runtime.ErrLate) {
				t.Fatalf("Add after firing: %v, want ErrLate", err)
			}
			if err := b.(runtime.Snapshotter).Restore(ctx, backendtest.Entries(older)); err != nil {
				t.Fatal(err)
			}
			if err := w.Add(ctx, []byte("k"), t0.Add(time.Second), addID(2)); err != nil {
				t.Fatalf("Add after restoring the state before the firing: %v", err)
			}
			got := fireAll(t, w, t0.Add(time.Minute))
			if want := []uint64{1, 2}; len(got) != 1 || !slices.Equal(got[runtime.Window{Start: t0, End: t0.Add(10 * time.Second)}], want) {
				t.Fatalf("fired %v, want one window with events %v", got, want)
			}
		})
	}
}

func TestCorruptWatermark(t *testing.T) {
	b := memory.New(memory.Options{})
	defer b.Close()
	if err := b.Put(ctx, []byte("t/T:watermark"), []byte("garbage")); err != nil {
		t.Fatal(err)
	}
	w := stateimpl.NewWindows(b, spec(10, 10, 0))
	err := w.Add(ctx, []byte("k"), time.Unix(0, 0), addID(1))
	var re *runtime.Error
	if !errors.Is(err, runtime.ErrCorrupt) || !errors.As(err, &re) || string(re.Key) != "t/T:watermark" {
		t.Fatalf("Add with a corrupt watermark: %v, want ErrCorrupt naming the key", err)
	}
}

// TestConcurrentAddAndFire: adders put events near a watermark that firers
// (two, concurrently) keep advancing. Every accepted event must fire in each
// of its windows that was open when it was accepted, exactly once, and no
// refused event may fire; in tumbling windows that is exactly one window.
// Deleters remove windows of keys of their own, which must leave no state
// without its timer.
func TestConcurrentAddAndFire(t *testing.T) {
	specs := []struct {
		name string
		spec stateimpl.WindowSpec
	}{
		{"tumbling", spec(10*time.Millisecond, 10*time.Millisecond, 2*time.Millisecond)},
		{"sliding", spec(10*time.Millisecond, 4*time.Millisecond, 3*time.Millisecond)},
	}
	perAdder := map[string]int{"memory": 1500, "badger": 400} // about 15 s under -race in all
	if testing.Short() {
		perAdder = map[string]int{"memory": 300, "badger": 100}
	}
	for _, be := range backends {
		for _, sp := range specs {
			t.Run(be.name+"/"+sp.name, func(t *testing.T) {
				events := perAdder[be.name]
				b := be.open(t, t.TempDir())
				w := stateimpl.NewWindows(b, sp.spec)
				var wm atomic.Int64 // the watermark, in ms after the epoch
				const adders, keys = 4, 5
				var accepted [adders]map[uint64]time.Time
				var refused atomic.Int64
				var wg sync.WaitGroup
				for a := range adders {
					wg.Go(func() {
						r := rand.New(rand.NewPCG(uint64(a), 7))
						accepted[a] = map[uint64]time.Time{}
						seen := wm.Load()
						for i := range events {
							if i%20 == 0 { // keep pace with the firers, however the scheduler runs them
								for wm.Load() == seen {
									goruntime.Gosched()
								}
								seen = wm.Load()
							}
							id := uint64(a)<<32 | uint64(i)
							at := time.Unix(0, (wm.Load()+r.Int64N(30)-15)*int64(time.Millisecond)+r.Int64N(1e6))
							key := fmt.Appendf(nil, "key%d", r.IntN(keys))
							err := w.Add(ctx, key, at, addID(id))
							switch {
							case err == nil:
								accepted[a][id] = at
							case errors.Is(err, runtime.ErrLate):
								refused.Add(1)
							default:
								t.Error(err)
								return
							}
						}
					})
				}
				addersDone := make(chan struct{})
				var firedMu sync.Mutex
				fired := map[uint64]map[runtime.Window]int{}
				fire := func(watermark time.Time) {
					if _, err := w.FireDue(ctx, watermark, func(_ []byte, win runtime.Window, v []byte) error {
						firedMu.Lock()
						defer firedMu.Unlock()
						for _, id := range idsOf(v) {
							if fired[id] == nil {
								fired[id] = map[runtime.Window]int{}
							}
							fired[id][win]++
						}
						return nil
					}); err != nil {
						t.Error(err)
					}
				}
				var firers sync.WaitGroup
				for range 2 {
					firers.Go(func() {
						for {
							select {
							case <-addersDone:
								return
							default:
							}
							fire(time.Unix(0, wm.Add(1)*int64(time.Millisecond)))
						}
					})
				}
				// A deleter prunes windows of a key no adder uses, racing the
				// adders and firers on the same engine.
				firers.Go(func() {
					for i := 0; ; i++ {
						select {
						case <-addersDone:
							return
						default:
						}
						at := time.Unix(0, (wm.Load()+int64(i%20))*int64(time.Millisecond))
						if err := w.Add(ctx, []byte("pruned"), at, addID(math.MaxUint64)); err != nil && !errors.Is(err, runtime.ErrLate) {
							t.Error(err)
						}
						wins, _ := runtime.AppendWindows(nil, at, sp.spec.Size, sp.spec.Slide)
						if err := w.Delete(ctx, []byte("pruned"), wins[0]); err != nil {
							t.Error(err)
						}
					}
				})
				wg.Wait()
				close(addersDone)
				firers.Wait()
				checkTimers(t, b, sp.spec)
				// Drain: everything left fires now.
				fire(time.Unix(0, math.MaxInt64))

				total := 0
				for a := range adders {
					for id, at := range accepted[a] {
						total++
						wins := fired[id]
						if len(wins) == 0 {
							t.Fatalf("accepted event %x never fired", id)
						}
						for win, n := range wins {
							if n != 1 || !win.Contains(at) {
								t.Fatalf("event %x at %v fired %d times in %v", id, at, n, win)
							}
						}
						if sp.spec.Slide == sp.spec.Size && len(wins) != 1 {
							t.Fatalf("event %x fired in %d tumbling windows", id, len(wins))
						}
						delete(fired, id)
					}
				}
				delete(fired, math.MaxUint64)
				if len(fired) != 0 {
					t.Fatalf("%d refused events fired", len(fired))
				}
				// Nothing is left: no state without its timer, no timer behind.
				left, err := b.ListKeys(ctx, nil)
				if err != nil {
					t.Fatal(err)
				}
				for _, k := range left {
					if string(k) != "t/T:watermark" {
						t.Fatalf("left behind after draining: %q", k)
					}
				}
				t.Logf("%d events accepted, %d refused", total, refused.Load())
				if total == 0 || refused.Load() == 0 {
					t.Fatalf("the test did not reach both sides of the watermark: %d accepted, %d refused", total, refused.Load())
				}
			})
		}
	}
}

// checkTimers fails if any window state of sp on b has no timer.
func checkTimers(t *testing.T, b runtime.Backend, sp stateimpl.WindowSpec) {
	t.Helper()
	err := b.Scan(ctx, sp.StatePrefix, func(k, _ []byte) error {
		fields := k[len(sp.StatePrefix) : len(k)-8]
		r := runtime.NewKeyReader(k[len(k)-8:])
		start := r.ReadTime()
		tk, err := runtime.AppendKeyTime(slices.Clone(sp.TimerPrefix), start.Add(sp.Size))
		if err != nil || r.Err() != nil {
			return fmt.Errorf("state key %q: %v %v", k, err, r.Err())
		}
		tk = append(tk, fields...)
		if _, found, err := b.Get(ctx, tk); err != nil || !found {
			return fmt.Errorf("state %q has no timer %q (%v)", k, tk, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestTTLCoversTheWindow is the review's case: size=1m lateness=5s with a
// ttl of size+lateness, events at +1s and +50s, FireDue at +66s. The state's
// TTL is refreshed by the second event; the timer, written with the first,
// must not expire before it, or the window never fires.
func TestTTLCoversTheWindow(t *testing.T) {
	t0 := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	clock := runtime.NewManualClock(t0)
	for _, defaultTTL := range []time.Duration{0, time.Minute} { // the backend's own default TTL too
		b := memory.New(memory.Options{Clock: clock, TTL: defaultTTL})
		defer b.Close()
		clock.Set(t0)
		sp := spec(time.Minute, time.Minute, 5*time.Second)
		sp.TTL = 66 * time.Second
		w := stateimpl.NewWindows(b, sp)
		for i, at := range []time.Duration{time.Second, 50 * time.Second} {
			clock.Set(t0.Add(at))
			if err := w.Add(ctx, []byte("u"), t0.Add(at), addID(uint64(i))); err != nil {
				t.Fatal(err)
			}
		}
		clock.Set(t0.Add(66 * time.Second))
		got := fireAll(t, w, t0.Add(66*time.Second))
		if ids := got[runtime.Window{Start: t0, End: t0.Add(time.Minute)}]; !slices.Equal(ids, []uint64{0, 1}) {
			t.Fatalf("backend TTL %v: FireDue at +66s fired %v, want the window [+0, +1m) with both events", defaultTTL, got)
		}
	}
}

// TestWatermarkInCheckpoint: a checkpoint file carries the watermark, and a
// backend restored from it refuses late events at once.
func TestWatermarkInCheckpoint(t *testing.T) {
	sp := spec(10*time.Second, 10*time.Second, 0)
	t0 := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	dir := t.TempDir()
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			src := be.open(t, t.TempDir())
			w := stateimpl.NewWindows(src, sp)
			if err := w.Add(ctx, []byte("k"), t0, addID(1)); err != nil {
				t.Fatal(err)
			}
			fireAll(t, w, t0.Add(10*time.Second))
			c, err := checkpoint.New(src, time.Hour, checkpoint.Options{Dir: filepath.Join(dir, be.name), Compress: true, MaxCheckpoints: 3})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := c.CreateCheckpoint(ctx); err != nil {
				t.Fatal(err)
			}
			for _, into := range backends {
				dst := into.open(t, t.TempDir())
				r, err := checkpoint.New(dst, time.Hour, checkpoint.Options{Dir: filepath.Join(dir, be.name), MaxCheckpoints: 3})
				if err != nil {
					t.Fatal(err)
				}
				if _, err := r.RestoreLatest(ctx); err != nil {
					t.Fatal(err)
				}
				if err := stateimpl.NewWindows(dst, sp).Add(ctx, []byte("k"), t0.Add(time.Second), addID(2)); !errors.Is(err, runtime.ErrLate) {
					t.Fatalf("restored into %s: Add into a fired window: %v, want ErrLate", into.name, err)
				}
			}
		})
	}
}
