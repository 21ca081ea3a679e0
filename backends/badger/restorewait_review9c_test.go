package badger_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/statekit/statekit/backends/badger"
	"github.com/statekit/statekit/runtime"
)

// TestReview9cSecondRestoreWaitEndsWithContext: Restore's doc says its wait
// for the operations in flight ends with its ctx, and
// TestRestoreWaitEndsWithContext holds it to that for one Restore. A second
// Restore, started while the first waits (or runs), waits for the first on
// the gate's mutex, which no ctx ends: it returns only when the first is done,
// however long after its deadline. Here the first Restore waits for a Scan
// that the test ends only after the second Restore returned (or 2 s passed):
// the second must give up at its deadline.
func TestReview9cSecondRestoreWaitEndsWithContext(t *testing.T) {
	b := open(t, badger.NewConfig(t.TempDir()))
	ctx := context.Background()
	if err := b.Put(ctx, []byte("k"), []byte("v")); err != nil {
		t.Fatal(err)
	}
	release := make(chan struct{})
	scanning := make(chan struct{})
	scanDone := make(chan error, 1)
	go func() {
		scanDone <- b.Scan(ctx, nil, func(_, _ []byte) error {
			close(scanning)
			<-release
			return nil
		})
	}()
	<-scanning
	firstCtx, cancelFirst := context.WithCancel(ctx)
	defer cancelFirst()
	firstDone := make(chan error, 1)
	go func() { firstDone <- b.Restore(firstCtx, func(yield func(runtime.Entry, error) bool) {}) }()
	time.Sleep(20 * time.Millisecond) // the first Restore is waiting for the Scan

	second := make(chan error, 1)
	go func() {
		rctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
		defer cancel()
		second <- b.Restore(rctx, func(yield func(runtime.Entry, error) bool) {})
	}()
	returned := false
	select {
	case err := <-second:
		returned = true
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("second Restore past its deadline: %v, want DeadlineExceeded", err)
		}
	case <-time.After(2 * time.Second):
		t.Errorf("second Restore still waiting 2 s after its 100 ms deadline")
	}
	close(release) // the Scan ends, the first Restore runs, the second (if still waiting) after it
	if err := <-scanDone; err != nil {
		t.Fatal(err)
	}
	if err := <-firstDone; err != nil {
		t.Fatal(err)
	}
	if returned {
		return
	}
	select {
	case <-second:
	case <-time.After(10 * time.Second):
		t.Fatal("second Restore never returned")
	}
}
