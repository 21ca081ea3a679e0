package backendtest

import (
	"context"
	"errors"
	goruntime "runtime"
	"strconv"
	"sync"
	"testing"

	"github.com/statekit/statekit/runtime"
)

func (s *suite) testUpdateSemantics(t *testing.T) {
	for _, path := range []struct {
		name string
		wrap func(runtime.Backend) runtime.Backend
	}{
		{"backend", func(b runtime.Backend) runtime.Backend { return b }},
		{"striped locks", func(b runtime.Backend) runtime.Backend { return plain{b} }},
	} {
		t.Run(path.name, func(t *testing.T) {
			b := path.wrap(s.open(t))
			ctx := context.Background()
			key := []byte("upd")
			// missing key: fn sees found=false and nil old
			err := runtime.Update(ctx, b, key, func(old []byte, found bool) ([]byte, bool, error) {
				if found || old != nil {
					t.Errorf("fn(%q, %v) for a missing key, want (nil, false)", old, found)
				}
				return []byte("1"), true, nil
			})
			if err != nil {
				t.Fatalf("Update: %v", err)
			}
			if v, _ := get(t, b, "upd"); v != "1" {
				t.Fatalf("after Update: %q, want 1", v)
			}
			// fn's error leaves the old value and is returned as is
			boom := errors.New("boom")
			err = runtime.Update(ctx, b, key, func([]byte, bool) ([]byte, bool, error) { return []byte("2"), true, boom })
			if !errors.Is(err, boom) {
				t.Fatalf("Update returned %v, want fn's error", err)
			}
			if v, _ := get(t, b, "upd"); v != "1" {
				t.Fatalf("a failed Update changed the value to %q", v)
			}
			// keep=false deletes
			err = runtime.Update(ctx, b, key, func(old []byte, found bool) ([]byte, bool, error) {
				if !found || string(old) != "1" {
					t.Errorf("fn(%q, %v), want (1, true)", old, found)
				}
				return nil, false, nil
			})
			if err != nil {
				t.Fatalf("Update deleting: %v", err)
			}
			if _, ok := get(t, b, "upd"); ok {
				t.Fatal("keep=false did not delete the key")
			}
			// keep=false on a missing key is a no-op
			if err := runtime.Update(ctx, b, key, func([]byte, bool) ([]byte, bool, error) { return nil, false, nil }); err != nil {
				t.Fatalf("deleting a missing key through Update: %v", err)
			}
		})
	}
}

// testUpdateConcurrent has 8 goroutines increment one counter; not one increment
// may be lost, through the backend's Updater and through runtime's striped locks.
func (s *suite) testUpdateConcurrent(t *testing.T) {
	const goroutines, increments = 8, 250
	for _, path := range []struct {
		name string
		wrap func(runtime.Backend) runtime.Backend
	}{
		{"backend", func(b runtime.Backend) runtime.Backend { return b }},
		{"striped locks", func(b runtime.Backend) runtime.Backend { return plain{b} }},
	} {
		t.Run(path.name, func(t *testing.T) {
			b := path.wrap(s.open(t))
			ctx := context.Background()
			key := []byte("counter")
			incr := func(old []byte, found bool) ([]byte, bool, error) {
				n := 0
				if found {
					var err error
					if n, err = strconv.Atoi(string(old)); err != nil {
						return nil, false, err
					}
				}
				goruntime.Gosched() // widen the window in which a broken Update loses a write
				return strconv.AppendInt(nil, int64(n+1), 10), true, nil
			}
			var wg sync.WaitGroup
			errs := make(chan error, goroutines)
			for range goroutines {
				wg.Go(func() {
					for range increments {
						if err := runtime.Update(ctx, b, key, incr); err != nil {
							errs <- err
							return
						}
					}
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Fatalf("Update: %v", err)
			}
			if v, _ := get(t, b, "counter"); v != strconv.Itoa(goroutines*increments) {
				t.Fatalf("counter = %s after %d increments: updates were lost", v, goroutines*increments)
			}
		})
	}
}
