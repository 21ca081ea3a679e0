package badger_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/statekit/statekit/runtime"
)

// TestReview9cCloseWithSpilledBatch closes the backend while a batch past
// 4,096 writes (spilled into Badger's WriteBatch, whose transaction stays
// open between the batch's calls) is open, then uses the batch: each call
// must fail with ErrClosed, and none may panic or hang. A Restore ends such a
// batch before it drops anything (TestRestoreOvertakesSpilledBatch); Close
// does not, and this attacks that path.
func TestReview9cCloseWithSpilledBatch(t *testing.T) {
	ctx := context.Background()
	for _, end := range []string{"Commit", "Discard", "Put"} {
		t.Run(end, func(t *testing.T) {
			b := openCached(t, 1<<20)
			w := b.NewBatch()
			for i := range 6000 {
				if err := w.Put(fmt.Appendf(nil, "big/%05d", i), []byte("b")); err != nil {
					t.Fatal(err)
				}
			}
			if err := b.Close(); err != nil {
				t.Fatalf("Close with a spilled batch open: %v", err)
			}
			done := make(chan error, 1)
			go func() {
				switch end {
				case "Commit":
					done <- w.Commit(ctx)
				case "Discard":
					w.Discard()
					done <- runtime.ErrClosed
				case "Put":
					done <- w.Put([]byte("late"), []byte("x"))
					w.Discard()
				}
			}()
			select {
			case err := <-done:
				if !errors.Is(err, runtime.ErrClosed) {
					t.Errorf("%s after Close = %v; want ErrClosed", end, err)
				}
			case <-time.After(10 * time.Second):
				t.Fatalf("%s after Close hangs", end)
			}
		})
	}
}
