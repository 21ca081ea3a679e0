package memory_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/statekit/statekit/backends/backendtest"
	"github.com/statekit/statekit/backends/memory"
	"github.com/statekit/statekit/runtime"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func open(t *testing.T, opts memory.Options) *memory.Backend {
	b := memory.New(opts)
	t.Cleanup(func() { _ = b.Close() })
	return b
}

func TestConformance(t *testing.T) {
	for _, shards := range []int{1, 4, 256} {
		t.Run(fmt.Sprintf("shards=%d", shards), func(t *testing.T) {
			backendtest.Run(t,
				func(t *testing.T) runtime.Backend { return open(t, memory.Options{Shards: shards}) },
				backendtest.WithClock(func(t *testing.T, c runtime.Clock) runtime.Backend {
					return open(t, memory.Options{Shards: shards, Clock: c})
				}),
			)
		})
	}
}

func TestOptionsValidate(t *testing.T) {
	tests := []struct {
		name    string
		opts    memory.Options
		wantErr bool
	}{
		{"zero", memory.Options{}, false},
		{"ttl and shards", memory.Options{TTL: time.Minute, Shards: 64}, false},
		{"negative ttl", memory.Options{TTL: -time.Second}, true},
		{"negative shards", memory.Options{Shards: -1}, true},
		{"too many shards", memory.Options{Shards: 1 << 20}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.opts.Validate()
			if (err != nil) != tc.wantErr {
				t.Fatalf("Validate() = %v, want error %v", err, tc.wantErr)
			}
			if err != nil && !errors.Is(err, runtime.ErrInvalidArgument) {
				t.Errorf("error %v does not wrap ErrInvalidArgument", err)
			}
			b := open(t, tc.opts) // New accepts anything and still works
			if err := b.Put(context.Background(), []byte("k"), []byte("v")); err != nil {
				t.Fatalf("Put: %v", err)
			}
			if _, ok, _ := b.Get(context.Background(), []byte("k")); !ok {
				t.Fatal("an entry vanished: a bad TTL must not expire entries at once")
			}
		})
	}
}

func TestDefaultTTL(t *testing.T) {
	clock := runtime.NewManualClock(time.Unix(1_700_000_000, 0))
	b := open(t, memory.Options{TTL: time.Minute, Clock: clock})
	ctx := context.Background()
	mustPut(t, b, "plain")
	if err := b.PutTTL(ctx, []byte("own"), []byte("v"), time.Hour); err != nil {
		t.Fatal(err)
	}
	w := b.NewBatch()
	if err := w.Put([]byte("batched"), []byte("v")); err != nil {
		t.Fatal(err)
	}
	if err := w.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Minute)
	for key, want := range map[string]bool{"plain": false, "batched": false, "own": true} {
		if _, ok, _ := b.Get(ctx, []byte(key)); ok != want {
			t.Errorf("%s found=%v a minute later, want %v", key, ok, want)
		}
	}
}

func mustPut(t *testing.T, b *memory.Backend, key string) {
	t.Helper()
	if err := b.Put(context.Background(), []byte(key), []byte("value")); err != nil {
		t.Fatal(err)
	}
}

func TestCleanupExpired(t *testing.T) {
	clock := runtime.NewManualClock(time.Unix(1_700_000_000, 0))
	b := open(t, memory.Options{Clock: clock})
	ctx := context.Background()
	for i := range 100 {
		ttl := time.Duration(0)
		if i%4 != 0 {
			ttl = time.Duration(i) * time.Second
		}
		if err := b.PutTTL(ctx, fmt.Appendf(nil, "k%03d", i), []byte("v"), ttl); err != nil {
			t.Fatal(err)
		}
	}
	before := b.MemoryUsage()
	clock.Advance(50 * time.Second) // expires i%4 != 0 && i <= 50: 38 entries
	if n := b.CleanupExpired(ctx); n != 38 {
		t.Fatalf("CleanupExpired removed %d, want 38", n)
	}
	st := b.Stats()
	if st.ExpiredCount != 38 || st.Entries != 62 {
		t.Errorf("Stats after cleanup: ExpiredCount %d, Entries %d; want 38, 62", st.ExpiredCount, st.Entries)
	}
	if after := b.MemoryUsage(); after >= before || after <= 0 {
		t.Errorf("MemoryUsage %d -> %d, want it to shrink and stay positive", before, after)
	}
	if n := b.CleanupExpired(ctx); n != 0 {
		t.Errorf("second CleanupExpired removed %d, want 0", n)
	}
}

func TestStartCleanup(t *testing.T) {
	clock := runtime.NewManualClock(time.Unix(1_700_000_000, 0))
	b := open(t, memory.Options{Clock: clock, TTL: time.Second})
	mustPut(t, b, "k")
	clock.Advance(2 * time.Second)
	stop := b.StartCleanup(time.Millisecond)
	deadline := time.Now().Add(5 * time.Second)
	for b.Stats().Entries != 0 {
		if time.Now().After(deadline) {
			t.Fatal("cleanup loop did not remove the expired entry within 5s")
		}
		time.Sleep(time.Millisecond)
	}
	stop()
	stop() // idempotent
	if noop := b.StartCleanup(0); noop == nil {
		t.Fatal("StartCleanup(0) returned a nil stop")
	} else {
		noop()
	}
}

// TestCloseStopsCleanup relies on goleak (TestMain): Close must end the loop.
func TestCloseStopsCleanup(t *testing.T) {
	b := memory.New(memory.Options{})
	b.StartCleanup(time.Millisecond)
	b.StartCleanup(time.Hour)
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if stop := b.StartCleanup(time.Millisecond); stop == nil {
		t.Fatal("nil stop")
	}
}

func TestMemoryUsage(t *testing.T) {
	b := open(t, memory.Options{})
	ctx := context.Background()
	if got := b.MemoryUsage(); got != 0 {
		t.Fatalf("empty backend uses %d bytes", got)
	}
	if err := b.Put(ctx, []byte("key"), make([]byte, 1000)); err != nil {
		t.Fatal(err)
	}
	one := b.MemoryUsage()
	if one < 1003 || one > 1003+256 {
		t.Fatalf("MemoryUsage %d for a 3-byte key and a 1000-byte value", one)
	}
	if err := b.Put(ctx, []byte("key"), make([]byte, 10)); err != nil {
		t.Fatal(err)
	}
	if got := b.MemoryUsage(); got < one-990-8 || got > one-990+8 {
		t.Errorf("after shrinking the value by 990 bytes: %d, want %d±8 (allocation rounding)", got, one-990)
	}
	if err := b.Delete(ctx, []byte("key")); err != nil {
		t.Fatal(err)
	}
	if got := b.MemoryUsage(); got != 0 {
		t.Errorf("after Delete: %d, want 0", got)
	}
	if st := b.Stats(); st.MemoryBytes != 0 || st.DiskBytes != 0 {
		t.Errorf("Stats sizes %+v", st)
	}
}

func TestRestoreFailureChangesNothing(t *testing.T) {
	b := open(t, memory.Options{})
	ctx := context.Background()
	mustPut(t, b, "keep")
	boom := errors.New("broken input")
	err := b.Restore(ctx, func(yield func(runtime.Entry, error) bool) {
		for i := range 10000 {
			if !yield(runtime.Entry{Key: fmt.Appendf(nil, "new%d", i), Value: []byte("x")}, nil) {
				return
			}
		}
		yield(runtime.Entry{}, boom)
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Restore = %v, want %v", err, boom)
	}
	keys, _ := b.ListKeys(ctx, nil)
	if len(keys) != 1 || string(keys[0]) != "keep" {
		t.Fatalf("a failed Restore changed the contents: %d keys", len(keys))
	}
}

func TestShardsRoundedUp(t *testing.T) {
	// 3 shards become 4; behaviour is checked by the conformance suite, this
	// checks that odd counts work at all.
	b := open(t, memory.Options{Shards: 3})
	for i := range 100 {
		mustPut(t, b, fmt.Sprint(i))
	}
	if keys, _ := b.ListKeys(context.Background(), nil); len(keys) != 100 {
		t.Fatalf("%d keys, want 100", len(keys))
	}
}
