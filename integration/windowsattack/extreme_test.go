package windowsattack_test

import (
	"testing"
	"time"

	"github.com/statekit/statekit/backends/memory"
	"github.com/statekit/statekit/integration/stores"
	"github.com/statekit/statekit/runtime"
)

// State written with no TTL (store ttl=0, backend TTL 0: never expires) is
// guarded by a timer that expires after "a century" of backend clock. Move
// the injected clock past it and the state is left without its timer: it
// never fires, and FireDue never finds it.
func TestTimersOfImmortalStateNeverExpire(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clk := runtime.NewManualClock(start)
	b := memory.New(memory.Options{Clock: clk})
	s := stores.NewTumblingStore(b)
	k := []byte("k")
	if err := s.Add(ctx, start, stores.Tumbling{Key: k, Sum: 1}); err != nil {
		t.Fatal(err)
	}
	clk.Set(start.AddDate(101, 0, 0))
	timers, states := 0, 0
	b.Scan(ctx, []byte("t/Tumbling/"), func(_, _ []byte) error { timers++; return nil })
	b.Scan(ctx, []byte("w/Tumbling/"), func(_, _ []byte) error { states++; return nil })
	n, err := s.FireDue(ctx, start.Add(time.Hour), func(stores.TumblingKey, runtime.Window, stores.Tumbling) error { return nil })
	if err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Fatalf("after the clock moved 101 years: %d window states, %d timers; FireDue fired %d, want 1 (state without its timer)", states, timers, n)
	}
}
