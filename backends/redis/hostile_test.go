package redis_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/statekit/statekit/backends/redis"
	"github.com/statekit/statekit/backends/redis/redistest"
	"github.com/statekit/statekit/runtime"
)

// TestTTLExtremes writes TTLs and expiry times at the edges: a nanosecond
// (rounded up to a millisecond, never early), the largest Duration, times in
// the past (nothing is kept), and times beyond what Redis can hold (clamped).
func TestTTLExtremes(t *testing.T) {
	srv := redistest.StartServer(t)
	b := open(t, redis.Config{Addrs: []string{srv.Addr()}, Namespace: "ttl"})
	ctx := context.Background()
	expireAt := func(key string) time.Time { // PEXPIRETIME: the absolute expiry, in ms
		t.Helper()
		// the data key of a 1-shard namespace, read through the client
		keys, err := b.Client().Keys(ctx, "{ttl:0:*}d"+key).Result()
		if err != nil || len(keys) != 1 {
			t.Fatalf("data key of %q: %v %v", key, keys, err)
		}
		ms, err := b.Client().Do(ctx, "PEXPIRETIME", keys[0]).Int64()
		if err != nil {
			t.Fatal(err)
		}
		return time.UnixMilli(ms)
	}
	if err := b.PutTTL(ctx, []byte("max"), []byte("v"), time.Duration(math.MaxInt64)); err != nil {
		t.Fatalf("PutTTL of the largest Duration: %v", err)
	}
	if at := expireAt("max"); at.Before(time.Now().Add(290 * 365 * 24 * time.Hour)) {
		t.Errorf("expiry after the largest Duration = %v", at)
	}
	if err := b.PutTTL(ctx, []byte("ns"), []byte("v"), time.Nanosecond); err != nil {
		t.Fatalf("PutTTL of 1ns: %v", err)
	}
	w := b.NewBatch()
	for _, e := range []runtime.Entry{
		{Key: []byte("past"), Value: []byte("v"), ExpiresAt: time.Now().Add(-time.Hour)},
		{Key: []byte("epoch"), Value: []byte("v"), ExpiresAt: time.Unix(0, 1)},
		{Key: []byte("far"), Value: []byte("v"), ExpiresAt: time.Date(200000, 1, 1, 0, 0, 0, 0, time.UTC)},
		{Key: []byte("y9999"), Value: []byte("v"), ExpiresAt: time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)},
	} {
		if err := w.PutEntry(e); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Commit(ctx); err != nil {
		t.Fatalf("Commit: %v", err)
	}
	time.Sleep(5 * time.Millisecond)
	keys, err := b.ListKeys(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, k := range keys {
		got = append(got, string(k))
	}
	if diff := cmp.Diff([]string{"far", "max", "y9999"}, got); diff != "" {
		t.Errorf("keys (-want +got):\n%s", diff)
	}
	if at, want := expireAt("y9999"), time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC); !at.Equal(want) {
		t.Errorf("expiry of an entry expiring at %v = %v", want, at)
	}
	if at := expireAt("far"); at.Year() < 100000 {
		t.Errorf("expiry of an entry expiring in year 200000 = %v (clamped, but far)", at)
	}
}

// TestIndexConsistentUnderConcurrency has 8 goroutines put, put with short
// TTLs, delete, update and batch random keys of one small set at once; at the
// end ListKeys must list exactly the keys Get finds, and Scan the same pairs.
func TestIndexConsistentUnderConcurrency(t *testing.T) {
	srv := redistest.StartServer(t)
	b := open(t, redis.Config{Addrs: []string{srv.Addr()}, Namespace: "conc", Shards: 4})
	ctx := context.Background()
	const keys = 64
	key := func(i int) []byte { return []byte("k" + strconv.Itoa(i)) }
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := range 8 {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(g), 1))
			for range 400 {
				k := key(rng.IntN(keys))
				var err error
				switch rng.IntN(5) {
				case 0:
					err = b.Put(ctx, k, []byte("p"))
				case 1:
					err = b.PutTTL(ctx, k, []byte("t"), time.Duration(1+rng.IntN(20))*time.Millisecond)
				case 2:
					err = b.Delete(ctx, k)
				case 3:
					err = b.Update(ctx, k, 0, func(old []byte, found bool) ([]byte, bool, error) {
						return append(old[:len(old):len(old)], 'u'), len(old) < 8, nil
					})
				case 4:
					w := b.NewBatch()
					for range 5 {
						k := key(rng.IntN(keys))
						if rng.IntN(2) == 0 {
							err = w.Delete(k)
						} else {
							err = w.Put(k, []byte("b"))
						}
					}
					if err == nil {
						err = w.Commit(ctx)
					}
				}
				if err != nil {
					errs <- fmt.Errorf("goroutine %d: %w", g, err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	time.Sleep(25 * time.Millisecond) // every short TTL is over
	indexAgrees(t, b, keys, key)
}

// TestCloseDuringCalls closes the backend while 8 goroutines call it: every
// call succeeds or fails with an error wrapping runtime.ErrClosed, none
// panics or hangs.
func TestCloseDuringCalls(t *testing.T) {
	srv := redistest.StartServer(t)
	b := open(t, redis.Config{Addrs: []string{srv.Addr()}, Namespace: "close", Shards: 3})
	ctx := context.Background()
	var wg sync.WaitGroup
	var ok, closed [8]int
	errs := make(chan error, 8)
	for g := range 8 {
		wg.Go(func() {
			for i := 0; ; i++ {
				k := fmt.Appendf(nil, "g%d:%d", g, i%50)
				var err error
				switch i % 4 {
				case 0:
					err = b.Put(ctx, k, []byte("v"))
				case 1:
					_, _, err = b.Get(ctx, k)
				case 2:
					_, err = b.ListKeys(ctx, []byte("g"))
				case 3:
					err = b.Update(ctx, k, 0, func(old []byte, _ bool) ([]byte, bool, error) { return old, true, nil })
				}
				switch {
				case err == nil:
					ok[g]++
				case errors.Is(err, runtime.ErrClosed):
					if closed[g]++; closed[g] == 20 {
						return
					}
				default:
					errs <- err
					return
				}
			}
		})
	}
	time.Sleep(50 * time.Millisecond)
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("a call during Close failed with %v, not ErrClosed", err)
	}
	for g := range 8 {
		if ok[g] == 0 {
			t.Errorf("goroutine %d: no call succeeded before Close", g)
		}
	}
}

// TestPoolLimit caps the backend at 2 connections and runs 8 goroutines
// through it: all calls succeed, and the server never sees more than 2
// connections from the backend.
func TestPoolLimit(t *testing.T) {
	srv := redistest.StartServer(t)
	b := open(t, redis.Config{Addrs: []string{srv.Addr()}, Namespace: "pool", PoolSize: 2, MaxActiveConns: 2, PoolTimeout: 5 * time.Second})
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	var peak atomic.Int64
	for g := range 8 {
		wg.Go(func() {
			for i := range 100 {
				if err := b.Put(ctx, fmt.Appendf(nil, "g%d:%d", g, i), []byte("v")); err != nil {
					errs <- err
					return
				}
				if i%25 == 0 {
					n := int64(b.Client().PoolStats().TotalConns)
					for {
						old := peak.Load()
						if n <= old || peak.CompareAndSwap(old, n) {
							break
						}
					}
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if p := peak.Load(); p > 2 {
		t.Errorf("the pool held %d connections, limit 2", p)
	}
	info, err := srv.Do("INFO", "clients")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(info, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "connected_clients:"); ok {
			if n, _ := strconv.Atoi(v); n > 3 { // 2 of the backend, 1 of redis-cli
				t.Errorf("the server has %d clients, want at most 3", n)
			}
		}
	}
}

// indexAgrees checks that ListKeys lists exactly the keys key(0..n-1) that Get
// finds, and Scan the same pairs, and returns them: what the backend's key
// and expiry indexes must agree on after any mix of writes.
func indexAgrees(t *testing.T, b *redis.Backend, n int, key func(int) []byte) map[string]string {
	t.Helper()
	ctx := context.Background()
	var found []string
	want := map[string]string{}
	for i := range n {
		v, ok, err := b.Get(ctx, key(i))
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			found = append(found, string(key(i)))
			want[string(key(i))] = string(v)
		}
	}
	slices.Sort(found)
	listed, err := b.ListKeys(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, k := range listed {
		got = append(got, string(k))
	}
	if diff := cmp.Diff(found, got); diff != "" {
		t.Errorf("ListKeys differs from the keys Get finds (-get +list):\n%s", diff)
	}
	scanned := map[string]string{}
	if err := b.Scan(ctx, nil, func(k, v []byte) error { scanned[string(k)] = string(v); return nil }); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, scanned); diff != "" {
		t.Errorf("Scan differs from Get (-get +scan):\n%s", diff)
	}
	return want
}
