package windows_test

import (
	"math"
	"testing"
	"time"

	"github.com/statekit/statekit/runtime/stateimpl"
)

// TestFloorAtTheExtremes: windows just after the first representable instant
// (1677), around 1970 and just before the last (2262), fired by watermarks
// that raise the scan floor step by step, then by the end of time: every
// accepted event fires once, in its window, on every backend.
func TestFloorAtTheExtremes(t *testing.T) {
	const sec = int64(time.Second)
	ats := []int64{
		math.MinInt64 + 2*sec, math.MinInt64 + 3*sec + 5, math.MinInt64 + 7*sec,
		-2*sec - 1, -sec, 0, sec - 1,
		math.MaxInt64 - 9*sec, math.MaxInt64 - 4*sec, math.MaxInt64 - sec - 7,
	}
	wms := []int64{
		math.MinInt64, math.MinInt64 + 3*sec, math.MinInt64 + 3*sec, math.MinInt64 + 8*sec,
		-sec, 0, sec, math.MaxInt64 - 5*sec, math.MaxInt64 - sec, math.MaxInt64,
	}
	for _, be := range withRedis() {
		for _, late := range []time.Duration{0, 1500 * time.Millisecond} {
			t.Run(be.name+"/lateness "+late.String(), func(t *testing.T) {
				w := stateimpl.NewWindows(be.open(t, t.TempDir()), spec(time.Second, 500*time.Millisecond, late))
				accepted := map[uint64]bool{}
				fired := map[uint64]int{}
				next := 0
				for _, wm := range wms {
					// add what is not late yet, then fire
					for ; next < len(ats) && ats[next] <= wm+int64(late)+2*sec; next++ {
						if err := w.Add(ctx, []byte("k"), time.Unix(0, ats[next]), addID(uint64(next))); err == nil {
							accepted[uint64(next)] = true
						}
					}
					for win, ids := range fireAll(t, w, time.Unix(0, wm)) {
						for _, id := range ids {
							fired[id]++
							at := ats[id]
							if at < win.Start.UnixNano() || at >= win.End.UnixNano() {
								t.Errorf("event %d at %d fired in %v", id, at, win)
							}
						}
					}
				}
				for ; next < len(ats); next++ {
					if err := w.Add(ctx, []byte("k"), time.Unix(0, ats[next]), addID(uint64(next))); err == nil {
						accepted[uint64(next)] = true
					}
				}
				for win, ids := range fireAll(t, w, time.Unix(0, math.MaxInt64).Add(time.Hour)) {
					for _, id := range ids {
						fired[id]++
						_ = win
					}
				}
				for id := range accepted {
					// sliding by half the size: each event lies in two windows
					if fired[id] == 0 || fired[id] > 2 {
						t.Errorf("event %d at %d accepted, fired %d times", id, ats[id], fired[id])
					}
				}
				for id := range fired {
					if !accepted[id] {
						t.Errorf("event %d fired, never accepted", id)
					}
				}
				if len(accepted) < len(ats)/2 {
					t.Errorf("only %d of %d events accepted", len(accepted), len(ats))
				}
			})
		}
	}
}
