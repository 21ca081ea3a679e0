package redis_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/statekit/statekit/backends/redis"
	"github.com/statekit/statekit/backends/redis/redistest"
	"github.com/statekit/statekit/runtime"
)

// TestReview9cIndexWithExpiringBatchesAndUpdates is
// TestIndexConsistentUnderConcurrency with the write paths it leaves out: a
// default TTL of a few milliseconds (so Put and Batch.Put expire too, through
// the script's 't' op rather than its MSET run), Batch.PutEntry with absolute
// expiries a few milliseconds ahead, in the past and at the epoch, Update with
// a TTL, and deletes by Update. It passes today: it guards the expiry index of
// the batch and compare-and-set scripts, which no other test drives with
// expiring writes.
func TestReview9cIndexWithExpiringBatchesAndUpdates(t *testing.T) {
	srv := redistest.StartServer(t)
	b := open(t, redis.Config{Addrs: []string{srv.Addr()}, Namespace: newNamespace(t), Shards: 4, TTL: 7 * time.Millisecond})
	ctx := context.Background()
	const keys = 48
	key := func(i int) []byte { return []byte("k" + strconv.Itoa(i)) }
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := range 8 {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(g), 9))
			for range 300 {
				k := key(rng.IntN(keys))
				var err error
				switch rng.IntN(5) {
				case 0:
					err = b.Put(ctx, k, []byte("p"))
				case 1:
					err = b.Update(ctx, k, time.Duration(1+rng.IntN(9))*time.Millisecond, func(old []byte, found bool) ([]byte, bool, error) {
						return append(old[:len(old):len(old)], 'u'), len(old) < 6, nil
					})
				case 2:
					err = b.PutTTL(ctx, k, []byte("t"), time.Hour)
				default:
					w := b.NewBatch()
					for range 6 {
						k := key(rng.IntN(keys))
						switch rng.IntN(5) {
						case 0:
							err = w.Delete(k)
						case 1:
							err = w.Put(k, []byte("b"))
						case 2:
							err = w.PutEntry(runtime.Entry{Key: k, Value: []byte("e"), ExpiresAt: time.Now().Add(time.Duration(rng.IntN(8)) * time.Millisecond)})
						case 3:
							err = w.PutEntry(runtime.Entry{Key: k, Value: []byte("z"), ExpiresAt: time.Unix(0, 0)})
						case 4:
							err = w.PutEntry(runtime.Entry{Key: k, Value: []byte("n")})
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
	time.Sleep(30 * time.Millisecond) // every short TTL is over
	want := indexAgrees(t, b, keys, key)
	// Only PutTTL's hour and PutEntry's "never" outlive the sleep: Put and
	// Batch.Put take the default TTL of 7 ms, Update 1 to 9 ms.
	for k, v := range want {
		if v != "t" && v != "n" {
			t.Errorf("%s = %q survived its expiry", k, v)
		}
	}
}
