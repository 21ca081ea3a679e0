package windows_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/statekit/statekit/runtime"
	"github.com/statekit/statekit/runtime/stateimpl"
)

// TestFailingCallbackKeepsTheFired: FireDue deletes a chunk's windows together
// after their callbacks (on backends with batches). When a callback fails,
// the windows fired before it are deleted all the same, and only the failing
// one and those after it fire next time: nothing is lost, nothing already
// delivered fires again. Likewise when ctx is cancelled by the callback.
func TestFailingCallbackKeepsTheFired(t *testing.T) {
	for _, be := range backends {
		for _, how := range []string{"error", "cancel"} {
			t.Run(be.name+"/"+how, func(t *testing.T) {
				b := be.open(t, t.TempDir())
				w := stateimpl.NewWindows(b, spec(time.Second, time.Second, 0))
				const n = 20
				for i := range n {
					key := []byte(fmt.Sprintf("k%02d", i))
					if err := w.Add(ctx, key, time.Unix(0, 0), addID(uint64(i))); err != nil {
						t.Fatal(err)
					}
				}
				var first []string
				boom := errors.New("sink down")
				cctx, cancel := context.WithCancel(ctx)
				defer cancel()
				fired, err := w.FireDue(cctx, time.Unix(1, 0), func(fields []byte, _ runtime.Window, _ []byte) error {
					if len(first) == 7 {
						if how == "cancel" {
							cancel()
							return cctx.Err()
						}
						return boom
					}
					first = append(first, string(fields))
					return nil
				})
				if err == nil || fired != 7 {
					t.Fatalf("FireDue = %d, %v; want 7 fired and the callback's error", fired, err)
				}
				var second []string
				fired, err = w.FireDue(ctx, time.Unix(1, 0), func(fields []byte, _ runtime.Window, _ []byte) error {
					second = append(second, string(fields))
					return nil
				})
				if err != nil || fired != n-7 {
					t.Fatalf("FireDue again = %d, %v; want %d", fired, err, n-7)
				}
				all := append(slices.Clone(first), second...)
				slices.Sort(all)
				if len(all) != n || len(slices.Compact(slices.Clone(all))) != n {
					t.Fatalf("fired %v then %v: want each of the %d windows once", first, second, n)
				}
				keys, err := b.ListKeys(ctx, nil)
				if err != nil {
					t.Fatal(err)
				}
				if len(keys) != 1 { // the watermark
					t.Fatalf("left %q; want only the watermark", keys)
				}
			})
		}
	}
}
