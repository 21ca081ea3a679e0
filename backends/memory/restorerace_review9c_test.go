package memory_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/statekit/statekit/backends/backendtest"
	"github.com/statekit/statekit/backends/memory"
	"github.com/statekit/statekit/runtime"
)

// TestReview9cRestoresAmidBatchesAndUpdates races Restores against three
// goroutines committing and discarding batches (small and past 4,096 writes,
// with short TTLs), running Updates and CleanupExpired, with a Snapshot
// taken now and then. No call may fail; at the end, with nothing running,
// the ordered index, the hash tables and a snapshot must agree: ListKeys lists
// exactly the keys Get finds, Scan and Snapshot yield the values Get returns.
// No existing memory test races Restore with batch commits. It passed when
// written.
func TestReview9cRestoresAmidBatchesAndUpdates(t *testing.T) {
	ctx := context.Background()
	clock := runtime.NewManualClock(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC))
	b := memory.New(memory.Options{Shards: 8, Clock: clock})
	defer b.Close()
	key := func(i int) []byte { return fmt.Appendf(nil, "k/%04d", i) }
	const keys = 6000
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var rounds atomic.Int64
	errs := make(chan error, 8)
	for g := range 3 {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(g), 7))
			for round := 0; ; round++ {
				select {
				case <-stop:
					return
				default:
				}
				var err error
				switch rng.IntN(3) {
				case 0:
					err = b.Update(ctx, key(rng.IntN(keys)), time.Duration(rng.IntN(3))*time.Second, func(old []byte, _ bool) ([]byte, bool, error) {
						return append(old[:len(old):len(old)], 'u'), len(old) < 5, nil
					})
				default:
					n := 10
					if rng.IntN(3) == 0 {
						n = 5000
					}
					w := b.NewBatch()
					for i := 0; i < n && err == nil; i++ {
						k := key(rng.IntN(keys))
						switch rng.IntN(4) {
						case 0:
							err = w.Delete(k)
						case 1:
							err = w.PutEntry(runtime.Entry{Key: k, Value: []byte("e"), ExpiresAt: clock.Now().Add(time.Duration(rng.IntN(3)) * time.Second)})
						default:
							err = w.Put(k, fmt.Appendf(nil, "g%d", g))
						}
					}
					if err == nil && rng.IntN(4) == 0 {
						w.Discard()
					} else if err == nil {
						err = w.Commit(ctx)
					}
				}
				if err != nil {
					errs <- fmt.Errorf("goroutine %d: %w", g, err)
					return
				}
				if rng.IntN(50) == 0 {
					b.CleanupExpired(ctx)
				}
				rounds.Add(1)
			}
		})
	}
	for round := range 30 {
		for r := rounds.Load(); rounds.Load() < r+3; {
			time.Sleep(50 * time.Microsecond)
		}
		if round%5 == 0 {
			clock.Advance(time.Second)
			for _, err := range b.Snapshot(ctx) {
				if err != nil {
					t.Fatal(err)
				}
			}
		}
		var entries []runtime.Entry
		for i := 0; i < keys; i += 1 + round%3 {
			entries = append(entries, runtime.Entry{Key: key(i), Value: fmt.Appendf(nil, "r%d", round)})
		}
		if err := b.Restore(ctx, backendtest.Entries(entries)); err != nil {
			t.Fatal(err)
		}
	}
	close(stop)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	want := map[string]string{}
	var found []string
	for i := range keys {
		v, ok, err := b.Get(ctx, key(i))
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			want[string(key(i))] = string(v)
			found = append(found, string(key(i)))
		}
	}
	listed, err := b.ListKeys(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, k := range listed {
		got = append(got, string(k))
	}
	if !slices.Equal(found, got) {
		t.Errorf("ListKeys lists %d keys, Get finds %d", len(got), len(found))
	}
	scanned := map[string]string{}
	if err := b.Scan(ctx, nil, func(k, v []byte) error { scanned[string(k)] = string(v); return nil }); err != nil {
		t.Fatal(err)
	}
	snapped := map[string]string{}
	for e, err := range b.Snapshot(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		snapped[string(e.Key)] = string(e.Value)
	}
	for name, m := range map[string]map[string]string{"Scan": scanned, "Snapshot": snapped} {
		if len(m) != len(want) {
			t.Errorf("%s yields %d entries, Get finds %d", name, len(m), len(want))
		}
		for k, v := range want {
			if m[k] != v {
				t.Errorf("%s: %s = %q, Get %q", name, k, m[k], v)
				break
			}
		}
	}
}
