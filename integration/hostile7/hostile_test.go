package hostile7_test

import (
	"context"
	"errors"
	"math"
	"testing"
	"time"

	"github.com/statekit/statekit/backends/memory"
	"github.com/statekit/statekit/integration/stores"
	"github.com/statekit/statekit/runtime"
)

var ctx = context.Background()

func spec(size, slide, late, ttl time.Duration) runtime.WindowSpec {
	return runtime.WindowSpec{Size: size, Slide: slide, Lateness: late, TTL: ttl,
		StatePrefix: []byte("w/H/"), TimerPrefix: []byte("t/H/")}
}

func add1(old []byte, found bool) ([]byte, bool, error) {
	n := byte(0)
	if found && len(old) == 1 {
		n = old[0]
	}
	return []byte{n + 1}, true, nil
}

// A ttl of exactly size+lateness passes Validate (and stategen), yet with the
// event arriving at its window's Start and a watermark that tracks the
// backend clock exactly, the state has expired at the very instant FireDue
// may first fire it: the accepted event never fires.
func TestTTLMinimumLosesWindowAtDueInstant(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clk := runtime.NewManualClock(start)
	b := memory.New(memory.Options{Clock: clk})
	sp := spec(time.Minute, time.Minute, 5*time.Second, time.Minute+5*time.Second)
	if err := sp.Validate(); err != nil {
		t.Fatal(err)
	}
	w := runtime.NewWindows(b, sp)
	if err := w.Add(ctx, []byte("k"), start, add1); err != nil {
		t.Fatal(err)
	}
	due := start.Add(time.Minute + 5*time.Second) // End + lateness
	clk.Set(due)
	n, err := w.FireDue(ctx, due, func([]byte, runtime.Window, []byte) error { return nil })
	if err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Fatalf("accepted event at window start, ttl = size+lateness, watermark = clock: fired %d windows at End+lateness, want 1", n)
	}
}

// A window store with ttl=0 takes the backend's default TTL, which nobody
// checks against size+lateness: a memory backend with a default TTL for its
// aggregates silently drops every Tumbling (size=10s) window before it fires.
func TestBackendDefaultTTLShorterThanWindowLosesEvents(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clk := runtime.NewManualClock(start)
	b := memory.New(memory.Options{Clock: clk, TTL: 5 * time.Second})
	s := stores.NewTumblingStore(b)
	if err := s.Add(ctx, start.Add(time.Second), stores.Tumbling{Key: []byte("k"), Sum: 7}); err != nil {
		t.Fatal(err)
	}
	clk.Set(start.Add(10 * time.Second))
	n, err := s.FireDue(ctx, start.Add(10*time.Second), func(stores.TumblingKey, runtime.Window, stores.Tumbling) error { return nil })
	if err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Fatalf("Add returned nil, window due: fired %d, want 1 (state expired under the backend default TTL, nothing refused it)", n)
	}
}

// FireDue clamps its watermark to 2262-04-11; W is then recorded as the
// clamp, not the watermark given. A window whose End+lateness lies past the
// clamp is accepted after FireDue(year 3000) — the late rule says it must be
// refused (End+lateness <= W) — and no FireDue can ever fire it.
func TestWatermarkBeyondInt64NanosAcceptsLateEventThatNeverFires(t *testing.T) {
	b := memory.New(memory.Options{})
	w := runtime.NewWindows(b, spec(time.Second, time.Second, time.Hour, 0))
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
