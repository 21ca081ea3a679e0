package runtime_test

import (
	"sync"
	"testing"
	"time"

	"github.com/statekit/statekit/runtime"
)

func TestManualClock(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	c := runtime.NewManualClock(start)
	if !c.Now().Equal(start) {
		t.Fatalf("Now = %v", c.Now())
	}
	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() { c.Advance(time.Second) })
	}
	wg.Wait()
	if got := c.Now(); !got.Equal(start.Add(10 * time.Second)) {
		t.Fatalf("after 10 concurrent one-second advances: %v", got)
	}
	c.Set(start)
	if !c.Now().Equal(start) {
		t.Fatal("Set did not move the clock back")
	}
	if d := time.Since(runtime.SystemClock{}.Now()); d < 0 || d > time.Minute {
		t.Fatalf("SystemClock is %v off", d)
	}
}

func TestWindow(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	w := runtime.Window{Start: start, End: start.Add(time.Minute)}
	tests := []struct {
		at   time.Time
		want bool
	}{
		{start.Add(-time.Nanosecond), false},
		{start, true},
		{start.Add(59 * time.Second), true},
		{start.Add(time.Minute), false},
	}
	for _, tc := range tests {
		if got := w.Contains(tc.at); got != tc.want {
			t.Errorf("Contains(%v) = %v, want %v", tc.at, got, tc.want)
		}
	}
	if w.Size() != time.Minute || w.String() != "[2026-01-01T00:00:00Z, 2026-01-01T00:01:00Z)" {
		t.Errorf("Size %v, String %s", w.Size(), w)
	}
}
