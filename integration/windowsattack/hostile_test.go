// The window engine attacked by a hostile review: each test was a defect
// (restores under live stores, TTLs at their edges, watermarks at the end of
// time, kill -9) and is kept as its regression test; the Held ones held.
package windowsattack_test

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/statekit/statekit/backends/memory"
	"github.com/statekit/statekit/integration/stores"
	"github.com/statekit/statekit/runtime"
	"github.com/statekit/statekit/runtime/stateimpl"
)

var ctx = context.Background()

func spec(size, slide, late, ttl time.Duration) stateimpl.WindowSpec {
	return stateimpl.WindowSpec{Size: size, Slide: slide, Lateness: late, TTL: ttl,
		StatePrefix: []byte("w/H/"), TimerPrefix: []byte("t/H/")}
}

func add1(old []byte, found bool) ([]byte, bool, error) {
	n := byte(0)
	if found && len(old) == 1 {
		n = old[0]
	}
	return []byte{n + 1}, true, nil
}

// A ttl of exactly size+lateness would let state written at its window's
// Start expire at the very instant the window fires: it is refused, and one
// nanosecond more fires the window at that instant.
func TestTTLMinimumFiresAtDueInstant(t *testing.T) {
	if err := spec(time.Minute, time.Minute, 5*time.Second, time.Minute+5*time.Second).Validate(); !errors.Is(err, runtime.ErrInvalidArgument) {
		t.Fatalf("Validate(ttl = size+lateness) = %v, want ErrInvalidArgument", err)
	}
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clk := runtime.NewManualClock(start)
	b := memory.New(memory.Options{Clock: clk})
	w := stateimpl.NewWindows(b, spec(time.Minute, time.Minute, 5*time.Second, time.Minute+5*time.Second+1))
	if err := w.Add(ctx, []byte("k"), start, add1); err != nil {
		t.Fatal(err)
	}
	due := start.Add(time.Minute + 5*time.Second) // End + lateness
	clk.Set(due)
	n, err := w.FireDue(ctx, due, func([]byte, runtime.Window, []byte) error { return nil })
	if err != nil || n != 1 {
		t.Fatalf("FireDue at End+lateness = %d, %v; want the window", n, err)
	}
}

// A window store with ttl=0 takes the backend's default TTL: one too short
// for its windows used to drop every Tumbling (size=10s) window before it
// fired. It is refused at the store's first call, naming both.
func TestBackendDefaultTTLShorterThanWindowIsRefused(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clk := runtime.NewManualClock(start)
	b := memory.New(memory.Options{Clock: clk, TTL: 5 * time.Second})
	s := stores.NewTumblingStore(b)
	err := s.Add(ctx, start.Add(time.Second), stores.Tumbling{Key: []byte("k"), Sum: 7})
	if !errors.Is(err, runtime.ErrInvalidArgument) || !strings.Contains(err.Error(), "default TTL 5s") {
		t.Fatalf("Add on a backend whose default TTL is shorter than the window: %v, want ErrInvalidArgument naming it", err)
	}
	if _, err := s.FireDue(ctx, start, func(stores.TumblingKey, runtime.Window, stores.Tumbling) error { return nil }); !errors.Is(err, runtime.ErrInvalidArgument) {
		t.Fatalf("FireDue: %v, want ErrInvalidArgument", err)
	}
	long := memory.New(memory.Options{Clock: clk, TTL: time.Hour})
	if err := stores.NewTumblingStore(long).Add(ctx, start, stores.Tumbling{Key: []byte("k")}); err != nil {
		t.Fatalf("a default TTL of an hour: %v", err)
	}
}

// FireDue clamps its watermark to 2262-04-11; W is then recorded as the
// clamp, not the watermark given. A window whose End+lateness lies past the
// clamp is accepted after FireDue(year 3000) — the late rule says it must be
// refused (End+lateness <= W) — and no FireDue can ever fire it.
func TestWatermarkBeyondInt64NanosIsTheEndOfTime(t *testing.T) {
	b := memory.New(memory.Options{})
	w := stateimpl.NewWindows(b, spec(time.Second, time.Second, time.Hour, 0))
	far := time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC)
	if _, err := w.FireDue(ctx, far, func([]byte, runtime.Window, []byte) error { return nil }); err != nil {
		t.Fatal(err)
	}
	at := time.Unix(0, math.MaxInt64-10*int64(time.Second))
	err := w.Add(ctx, []byte("k"), at, add1)
	if err == nil {
		n, _ := w.FireDue(ctx, far, func([]byte, runtime.Window, []byte) error { return nil })
		t.Fatalf("event at %v after FireDue(%v), lateness 1h: accepted (want ErrLate); a second FireDue(%v) fired %d", at, far, far, n)
	}
	if !errors.Is(err, runtime.ErrLate) {
		t.Fatalf("Add: %v, want ErrLate", err)
	}
}
