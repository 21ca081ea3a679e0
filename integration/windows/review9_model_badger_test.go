package windows_test

import (
	"cmp"
	"errors"
	"log/slog"
	"maps"
	"math"
	"slices"
	"testing"
	"time"

	gocmp "github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"pgregory.net/rapid"

	"github.com/statekit/statekit/backends/backendtest"
	"github.com/statekit/statekit/backends/badger"
	"github.com/statekit/statekit/runtime"
	"github.com/statekit/statekit/runtime/stateimpl"
)

// TestWindowsMatchModelBadger is TestWindowsMatchModel on Badger (in memory),
// the one backend where FireDue scans timers from its floor
// (runtime.RangeScanner) and commits a chunk's deletes as one transaction.
func TestWindowsMatchModelBadger(t *testing.T) {
	checkWindowsModel(t, func(rt *rapid.T) runtime.Backend {
		b, err := badger.Open(ctx, badger.NewConfig("").WithInMemory(true).WithLogger(slog.New(slog.DiscardHandler)))
		if err != nil {
			rt.Fatal(err)
		}
		return b
	})
}

// checkWindowsModel is the model test of the window engine on the backends
// open returns (see TestWindowsMatchModel), with FireDue calls whose
// callback fails part-way besides: the windows fired before the failure are
// gone, the failing one and those after it stay.
func checkWindowsModel(t *testing.T, open func(rt *rapid.T) runtime.Backend) {
	rapid.Check(t, func(rt *rapid.T) {
		size := time.Duration(rapid.IntRange(1, 12).Draw(rt, "size"))
		slide := time.Duration(rapid.IntRange(1, int(size)).Draw(rt, "slide"))
		lateness := time.Duration(rapid.SampledFrom([]int{0, 1, 3, 13}).Draw(rt, "lateness"))
		sp := spec(size, slide, lateness)
		b := open(rt)
		defer b.Close()
		snap := b.(runtime.Snapshotter)
		w := stateimpl.NewWindows(b, sp)
		model := modelState{windows: map[modelWindow][]uint64{}, mark: math.MinInt64}
		type saved struct {
			entries []runtime.Entry
			model   modelState
		}
		var checkpoints []saved
		lastWm := int64(-20)
		var id uint64

		rt.Repeat(map[string]func(*rapid.T){
			"add": func(rt *rapid.T) {
				key := rapid.SampledFrom([]string{"k1", "k2", "k3"}).Draw(rt, "key")
				at := int64(rapid.IntRange(-40, 80).Draw(rt, "at"))
				id++
				wins, err := runtime.AppendWindows(nil, time.Unix(0, at), size, slide)
				if err != nil {
					rt.Fatal(err)
				}
				var open []modelWindow
				for _, win := range wins {
					if win.End.UnixNano()+int64(lateness) > model.mark || model.mark == math.MinInt64 {
						open = append(open, modelWindow{key, win.Start.UnixNano(), win.End.UnixNano()})
					}
				}
				err = w.Add(ctx, []byte(key), time.Unix(0, at), addID(id))
				if len(open) == 0 {
					if !errors.Is(err, runtime.ErrLate) {
						rt.Fatalf("Add(%s, %d) with W=%d: %v, want ErrLate", key, at, model.mark, err)
					}
					return
				}
				if err != nil {
					rt.Fatalf("Add(%s, %d) with W=%d: %v", key, at, model.mark, err)
				}
				for _, mw := range open {
					model.windows[mw] = append(model.windows[mw], id)
				}
			},
			"fire": func(rt *rapid.T) {
				wm := lastWm + int64(rapid.IntRange(-5, 25).Draw(rt, "advance"))
				lastWm = max(lastWm, wm)
				var want []modelFiring
				for mw, ids := range model.windows {
					if mw.End+int64(lateness) <= wm {
						want = append(want, modelFiring{mw.Key, mw.Start, mw.End, ids})
						delete(model.windows, mw)
					}
				}
				slices.SortFunc(want, func(a, b modelFiring) int {
					return cmp.Or(cmp.Compare(a.End, b.End), cmp.Compare(a.Key, b.Key))
				})
				model.mark = max(model.mark, wm)
				var got []modelFiring
				n, err := w.FireDue(ctx, time.Unix(0, wm), func(fields []byte, win runtime.Window, v []byte) error {
					got = append(got, modelFiring{string(fields), win.Start.UnixNano(), win.End.UnixNano(), idsOf(v)})
					return nil
				})
				if err != nil || n != len(got) {
					rt.Fatalf("FireDue(%d) = %d, %v; saw %d", wm, n, err, len(got))
				}
				if diff := gocmp.Diff(want, got); diff != "" {
					rt.Fatalf("FireDue(%d) (-want +got):\n%s", wm, diff)
				}
			},
			"fire, failing": func(rt *rapid.T) {
				wm := lastWm + int64(rapid.IntRange(-5, 25).Draw(rt, "advance"))
				lastWm = max(lastWm, wm)
				var want []modelFiring
				for mw, ids := range model.windows {
					if mw.End+int64(lateness) <= wm {
						want = append(want, modelFiring{mw.Key, mw.Start, mw.End, ids})
					}
				}
				slices.SortFunc(want, func(a, b modelFiring) int {
					return cmp.Or(cmp.Compare(a.End, b.End), cmp.Compare(a.Key, b.Key))
				})
				failAt := rapid.IntRange(0, len(want)).Draw(rt, "failAt") // len(want): never fails
				for _, f := range want[:failAt] {
					delete(model.windows, modelWindow{f.Key, f.Start, f.End})
				}
				model.mark = max(model.mark, wm)
				var got []modelFiring
				boom := errors.New("sink down")
				n, err := w.FireDue(ctx, time.Unix(0, wm), func(fields []byte, win runtime.Window, v []byte) error {
					if len(got) == failAt {
						return boom
					}
					got = append(got, modelFiring{string(fields), win.Start.UnixNano(), win.End.UnixNano(), idsOf(v)})
					return nil
				})
				if failAt < len(want) && !errors.Is(err, boom) || failAt == len(want) && err != nil || n != len(got) {
					rt.Fatalf("FireDue(%d) failing at %d of %d = %d, %v; saw %d", wm, failAt, len(want), n, err, len(got))
				}
				if diff := gocmp.Diff(want[:failAt], got, cmpopts.EquateEmpty()); diff != "" {
					rt.Fatalf("FireDue(%d) failing at %d (-want +got):\n%s", wm, failAt, diff)
				}
			},
			"checkpoint": func(rt *rapid.T) {
				var es []runtime.Entry
				for e, err := range snap.Snapshot(ctx) {
					if err != nil {
						rt.Fatal(err)
					}
					es = append(es, e)
				}
				checkpoints = append(checkpoints, saved{es, model.clone()})
			},
			"restore": func(rt *rapid.T) {
				if len(checkpoints) == 0 {
					rt.Skip("no checkpoint yet")
				}
				c := checkpoints[rapid.IntRange(0, len(checkpoints)-1).Draw(rt, "checkpoint")]
				if err := snap.Restore(ctx, backendtest.Entries(c.entries)); err != nil {
					rt.Fatal(err)
				}
				model = c.model.clone()
			},
			"restart": func(*rapid.T) {
				w = stateimpl.NewWindows(b, sp)
			},
			"": func(rt *rapid.T) {
				// Every window of the model holds its events, no more.
				for _, key := range []string{"k1", "k2", "k3"} {
					got := map[modelWindow][]uint64{}
					if err := w.Scan(ctx, []byte(key), func(win runtime.Window, v []byte) error {
						got[modelWindow{key, win.Start.UnixNano(), win.End.UnixNano()}] = idsOf(v)
						return nil
					}); err != nil {
						rt.Fatal(err)
					}
					want := map[modelWindow][]uint64{}
					for mw, ids := range maps.All(model.windows) {
						if mw.Key == key {
							want[mw] = ids
						}
					}
					if diff := gocmp.Diff(want, got); diff != "" {
						rt.Fatalf("windows of %s (-want +got):\n%s", key, diff)
					}
				}
			},
		})
	})
}
