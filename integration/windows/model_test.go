package windows_test

import (
	"cmp"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"testing"
	"time"

	gocmp "github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"

	"github.com/statekit/statekit/backends/memory"
	"github.com/statekit/statekit/runtime"
	"github.com/statekit/statekit/runtime/stateimpl"
)

// modelWindow is one window of one key in the reference model.
type modelWindow struct {
	Key        string
	Start, End int64
}

// modelFiring is what FireDue reported for one window.
type modelFiring struct {
	Key        string
	Start, End int64
	IDs        []uint64
}

// modelState is the brute-force reference: every window's events and the
// highest watermark fired.
type modelState struct {
	windows map[modelWindow][]uint64
	mark    int64
}

func (m modelState) clone() modelState {
	c := modelState{windows: map[modelWindow][]uint64{}, mark: m.mark}
	for k, v := range m.windows {
		c.windows[k] = slices.Clone(v)
	}
	return c
}

// TestWindowsMatchModel runs random interleavings of Add, FireDue, restart
// (a new engine over the same backend), checkpoint (a snapshot) and restore
// of any earlier checkpoint under the live engine, for random window shapes,
// against a brute-force model of the rule: an event goes to each of its
// windows with End+lateness > W and is refused when there is none; FireDue(wm)
// fires each window with End+lateness <= wm once, oldest end first, then by
// key, with every event accepted for it.
func TestWindowsMatchModel(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		size := time.Duration(rapid.IntRange(1, 12).Draw(rt, "size"))
		slide := time.Duration(rapid.IntRange(1, int(size)).Draw(rt, "slide"))
		lateness := time.Duration(rapid.SampledFrom([]int{0, 1, 3, 13}).Draw(rt, "lateness"))
		sp := spec(size, slide, lateness)
		b := memory.New(memory.Options{})
		defer b.Close()
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
			"checkpoint": func(rt *rapid.T) {
				var es []runtime.Entry
				for e, err := range b.Snapshot(ctx) {
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
				if err := b.Restore(ctx, entries(c.entries)); err != nil {
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

var _ = fmt.Sprint
