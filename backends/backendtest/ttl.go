package backendtest

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/statekit/statekit/runtime"
)

// epoch is where injected clocks start: an arbitrary, non-round instant.
var epoch = time.Date(2026, 3, 14, 15, 9, 26, 535897932, time.UTC)

func (s *suite) testTTL(t *testing.T) {
	if _, ok := s.open(t).(runtime.TTLWriter); !ok {
		t.Skip("backend has no TTLWriter")
	}
	if s.cfg.openWithClock != nil {
		s.testTTLWithClock(t)
		return
	}
	s.testTTLRealTime(t)
}

func (s *suite) testTTLWithClock(t *testing.T) {
	clock := runtime.NewManualClock(epoch)
	b := s.cfg.openWithClock(t, clock)
	tw := b.(runtime.TTLWriter)
	ctx := context.Background()

	if err := tw.PutTTL(ctx, []byte("short"), []byte("s"), 10*time.Second); err != nil {
		t.Fatal(err)
	}
	if err := tw.PutTTL(ctx, []byte("long"), []byte("l"), time.Hour); err != nil {
		t.Fatal(err)
	}
	put(t, b, "forever", "f")
	err := runtime.UpdateTTL(ctx, b, []byte("updated"), 20*time.Second, func([]byte, bool) ([]byte, bool, error) {
		return []byte("u"), true, nil
	})
	if err != nil {
		t.Fatalf("UpdateTTL: %v", err)
	}
	wantBackendError(t, "PutTTL with a negative ttl", tw.PutTTL(ctx, []byte("neg"), []byte("n"), -time.Second), runtime.ErrInvalidArgument)

	if sn, ok := b.(runtime.Snapshotter); ok {
		want := []runtime.Entry{
			{Key: []byte("forever"), Value: []byte("f")},
			{Key: []byte("long"), Value: []byte("l"), ExpiresAt: epoch.Add(time.Hour)},
			{Key: []byte("short"), Value: []byte("s"), ExpiresAt: epoch.Add(10 * time.Second)},
			{Key: []byte("updated"), Value: []byte("u"), ExpiresAt: epoch.Add(20 * time.Second)},
		}
		EqualEntries(t, "Snapshot reports expiry times", Snapshot(t, sn), want, 0)
	}

	clock.Advance(10*time.Second - time.Nanosecond)
	if _, ok := get(t, b, "short"); !ok {
		t.Fatal("entry gone 1ns before its TTL")
	}
	clock.Advance(time.Nanosecond)
	if _, ok := get(t, b, "short"); ok {
		t.Fatal("entry still there at its TTL")
	}
	if diff := cmp.Diff([]string{"forever", "long", "updated"}, listKeys(t, b, "")); diff != "" {
		t.Errorf("ListKeys after expiry (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]kv{{"forever", "f"}, {"long", "l"}, {"updated", "u"}}, scanAll(t, b, "")); diff != "" {
		t.Errorf("Scan after expiry (-want +got):\n%s", diff)
	}
	err = runtime.Update(ctx, b, []byte("short"), func(old []byte, found bool) ([]byte, bool, error) {
		if found {
			t.Errorf("Update saw an expired entry: %q", old)
		}
		return nil, false, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	clock.Advance(1000 * time.Hour)
	if diff := cmp.Diff([]string{"forever"}, listKeys(t, b, "")); diff != "" {
		t.Errorf("ListKeys long after (-want +got):\n%s", diff)
	}

	if sn, ok := b.(runtime.Snapshotter); ok {
		now := clock.Now()
		err := sn.Restore(ctx, entrySeq(
			runtime.Entry{Key: []byte("past"), Value: []byte("p"), ExpiresAt: now.Add(-time.Second)},
			runtime.Entry{Key: []byte("now"), Value: []byte("n"), ExpiresAt: now},
			runtime.Entry{Key: []byte("soon"), Value: []byte("s"), ExpiresAt: now.Add(10 * time.Minute)},
		))
		if err != nil {
			t.Fatalf("Restore: %v", err)
		}
		want := []runtime.Entry{{Key: []byte("soon"), Value: []byte("s"), ExpiresAt: now.Add(10 * time.Minute)}}
		EqualEntries(t, "Restore skips expired entries and keeps TTLs", Snapshot(t, sn), want, 0)
		clock.Advance(10 * time.Minute)
		if _, ok := get(t, b, "soon"); ok {
			t.Error("a restored entry outlived its TTL")
		}
	}
}

func (s *suite) testTTLRealTime(t *testing.T) {
	r := s.cfg.ttlResolution
	b := s.open(t)
	tw := b.(runtime.TTLWriter)
	ctx := context.Background()
	start := time.Now()
	if err := tw.PutTTL(ctx, []byte("short"), []byte("s"), 2*r); err != nil {
		t.Fatal(err)
	}
	if err := tw.PutTTL(ctx, []byte("long"), []byte("l"), time.Hour); err != nil {
		t.Fatal(err)
	}
	wantBackendError(t, "PutTTL with a negative ttl", tw.PutTTL(ctx, []byte("neg"), []byte("n"), -time.Second), runtime.ErrInvalidArgument)
	if time.Since(start) < r {
		if _, ok := get(t, b, "short"); !ok {
			t.Fatalf("entry with ttl %v gone at once", 2*r)
		}
	}
	if sn, ok := b.(runtime.Snapshotter); ok {
		want := []runtime.Entry{
			{Key: []byte("long"), Value: []byte("l"), ExpiresAt: start.Add(time.Hour)},
			{Key: []byte("short"), Value: []byte("s"), ExpiresAt: start.Add(2 * r)},
		}
		if time.Since(start) < r {
			EqualEntries(t, "Snapshot reports expiry times", Snapshot(t, sn), want, r+time.Second/10)
		}
	}
	time.Sleep(time.Until(start.Add(3 * r)))
	if _, ok := get(t, b, "short"); ok {
		t.Fatalf("entry with ttl %v still there after %v", 2*r, time.Since(start))
	}
	if diff := cmp.Diff([]string{"long"}, listKeys(t, b, "")); diff != "" {
		t.Errorf("ListKeys after expiry (-want +got):\n%s", diff)
	}
}

// entrySeq yields entries as a Restore input.
func entrySeq(entries ...runtime.Entry) func(yield func(runtime.Entry, error) bool) {
	return func(yield func(runtime.Entry, error) bool) {
		for _, e := range entries {
			if !yield(e, nil) {
				return
			}
		}
	}
}
