package stateimpl

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/statekit/statekit/runtime"
)

// TestFireDueReleasesClaims: claims live only while FireDue fires, whether
// its callback succeeds or fails; a claim left behind would skip its window
// forever and grow the map with every window fired.
func TestFireDueReleasesClaims(t *testing.T) {
	ctx := context.Background()
	b := newMapBackend()
	w := NewWindows(b, WindowSpec{Size: 10, Slide: 10, StatePrefix: []byte("w/T/"), TimerPrefix: []byte("t/T/")})
	add := func(k string) {
		if err := w.Add(ctx, []byte(k), time.Unix(0, 1), func(old []byte, _ bool) ([]byte, bool, error) { return append(old, 1), true, nil }); err != nil {
			t.Fatal(err)
		}
	}
	add("a")
	add("b")
	boom := errors.New("sink down")
	if _, err := w.FireDue(ctx, time.Unix(0, 10), func(f []byte, _ runtime.Window, _ []byte) error {
		if string(f) == "b" {
			return boom
		}
		return nil
	}); !errors.Is(err, boom) {
		t.Fatalf("FireDue: %v, want the callback's error", err)
	}
	if len(w.firing) != 0 {
		t.Fatalf("%d claims left after a failed FireDue", len(w.firing))
	}
	n, err := w.FireDue(ctx, time.Unix(0, 10), func([]byte, runtime.Window, []byte) error { return nil })
	if err != nil || n != 1 || len(w.firing) != 0 {
		t.Fatalf("FireDue again = %d, %v with %d claims left; want b fired and none left", n, err, len(w.firing))
	}
}

// memBackend is a locked map with no capabilities, for the internal tests.
type memBackend struct{ m map[string][]byte }

func newMapBackend() *memBackend { return &memBackend{m: map[string][]byte{}} }

func (b *memBackend) Get(_ context.Context, k []byte) ([]byte, bool, error) {
	v, ok := b.m[string(k)]
	return append([]byte(nil), v...), ok, nil
}
func (b *memBackend) Put(_ context.Context, k, v []byte) error {
	b.m[string(k)] = append([]byte(nil), v...)
	return nil
}
func (b *memBackend) Delete(_ context.Context, k []byte) error { delete(b.m, string(k)); return nil }
func (b *memBackend) ListKeys(context.Context, []byte) ([][]byte, error) {
	return nil, errors.ErrUnsupported
}
func (b *memBackend) Scan(_ context.Context, prefix []byte, fn func(k, v []byte) error) error {
	keys := make([]string, 0, len(b.m))
	for k := range b.m {
		if len(k) >= len(prefix) && k[:len(prefix)] == string(prefix) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		if err := fn([]byte(k), b.m[k]); err != nil {
			if err == runtime.SkipAll {
				return nil
			}
			return err
		}
	}
	return nil
}
func (b *memBackend) Close() error { return nil }
