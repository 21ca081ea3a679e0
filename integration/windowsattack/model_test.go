package windowsattack_test

import (
	"errors"
	"math/rand"
	"testing"
	"time"

	"github.com/statekit/statekit/backends/memory"
	"github.com/statekit/statekit/runtime"
	"github.com/statekit/statekit/runtime/stateimpl"
)

// Random Add/FireDue/restart against a brute-force model, negative times,
// slides that do not divide the size. (Held at the time of writing.)
func TestModelLateRuleBoundaries(t *testing.T) {
	r := rand.New(rand.NewSource(7))
	for round := 0; round < 300; round++ {
		size := time.Duration(1+r.Intn(12)) * time.Nanosecond
		slide := time.Duration(1+r.Intn(int(size))) * time.Nanosecond
		late := time.Duration(r.Intn(5)) * time.Nanosecond
		sp := spec(size, slide, late, 0)
		b := memory.New(memory.Options{})
		w := stateimpl.NewWindows(b, sp)
		W := int64(-1 << 62)
		have := false
		want := map[[2]int64]int{} // window start,end -> accepted
		got := map[[2]int64]int{}
		fired := map[[2]int64]bool{}
		base := int64(-40)
		for step := 0; step < 60; step++ {
			switch r.Intn(4) {
			case 0:
				wm := base + int64(r.Intn(80))
				n, err := w.FireDue(ctx, time.Unix(0, wm), func(_ []byte, win runtime.Window, v []byte) error {
					k := [2]int64{win.Start.UnixNano(), win.End.UnixNano()}
					if fired[k] {
						t.Fatalf("window %v fired twice", k)
					}
					fired[k] = true
					got[k] += int(v[0])
					return nil
				})
				_ = n
				if err != nil {
					t.Fatal(err)
				}
				if !have || wm > W {
					W, have = wm, true
				}
			case 1:
				w = stateimpl.NewWindows(b, sp) // restart
			default:
				at := base + int64(r.Intn(80))
				var wins []int64
				for s := (at/int64(slide) - int64(size)/int64(slide) - 2) * int64(slide); s <= at; s += int64(slide) {
					if s <= at && at < s+int64(size) {
						wins = append(wins, s)
					}
				}
				late := have
				for _, s := range wins {
					if !have || s+int64(size)+int64(sp.Lateness) > W {
						late = false
					}
				}
				err := w.Add(ctx, []byte("k"), time.Unix(0, at), add1)
				if late != errors.Is(err, runtime.ErrLate) {
					t.Fatalf("size %v slide %v late %v W %d at %d: Add err %v, model late %v", size, slide, sp.Lateness, W, at, err, late)
				}
				if err == nil {
					for _, s := range wins {
						if !have || s+int64(size)+int64(sp.Lateness) > W {
							want[[2]int64{s, s + int64(size)}]++
						}
					}
				}
			}
		}
		w.FireDue(ctx, time.Unix(0, 1<<40), func(_ []byte, win runtime.Window, v []byte) error {
			k := [2]int64{win.Start.UnixNano(), win.End.UnixNano()}
			if fired[k] {
				t.Fatalf("window %v fired twice", k)
			}
			got[k] += int(v[0])
			return nil
		})
		for k, n := range want {
			if got[k] != n {
				t.Fatalf("round %d size %v slide %v: window %v got %d want %d", round, size, slide, k, got[k], n)
			}
		}
	}
}
