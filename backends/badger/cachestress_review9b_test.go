package badger_test

import (
	"context"
	"encoding/binary"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestReview9bCacheCountsInAgainstOut races readers against writers that use
// every write path that returns: Put, PutTTL, Delete, Update (keeping and
// deleting), small batches and batches large enough to spill to a WriteBatch
// that commits in the background. Each key has one writer, which numbers its
// writes, records each write's kind before it starts and publishes it once it
// returned. A Get must return a write that had started and was not older than
// the last one published before the Get began; a Get that finds nothing must
// be explained by a delete in that range. TestCacheNeverOlderThanReturnedWrite
// covers Put, Update and one-write batches; this adds deletes, TTLs and
// spilled batches. It passed when written.
func TestReview9bCacheCountsInAgainstOut(t *testing.T) {
	ctx := context.Background()
	b := openCached(t, 1<<20)
	const keys = 4
	writes := 600
	if testing.Short() {
		writes = 150
	}
	type ledger struct {
		mu        sync.Mutex
		deleted   []bool // by write number; index 0: "never written" counts as deleted
		started   atomic.Int64
		published atomic.Int64
	}
	var led [keys]ledger
	for k := range led {
		led[k].deleted = make([]bool, writes+1)
		led[k].deleted[0] = true
	}
	val := func(v int) []byte { return binary.BigEndian.AppendUint64(nil, uint64(v)) }
	var wg sync.WaitGroup
	for k := range keys {
		wg.Go(func() {
			key := fmt.Appendf(nil, "key%d", k)
			l := &led[k]
			for v := 1; v <= writes; v++ {
				kind := v % 8
				del := kind == 2 || kind == 4
				l.mu.Lock()
				l.deleted[v] = del
				l.mu.Unlock()
				l.started.Store(int64(v))
				var err error
				switch kind {
				case 0:
					err = b.Put(ctx, key, val(v))
				case 1:
					err = b.PutTTL(ctx, key, val(v), time.Hour)
				case 2:
					err = b.Delete(ctx, key)
				case 3:
					err = b.Update(ctx, key, time.Hour, func([]byte, bool) ([]byte, bool, error) { return val(v), true, nil })
				case 4:
					err = b.Update(ctx, key, 0, func([]byte, bool) ([]byte, bool, error) { return nil, false, nil })
				case 5, 6:
					w := b.NewBatch()
					err = w.Put(key, val(v))
					if kind == 6 && v%24 == 6 { // spill past a small batch
						for i := 0; err == nil && i < 5000; i++ {
							err = w.Put(fmt.Appendf(nil, "fill%d/%d", k, i), val(i))
						}
					}
					if err == nil {
						err = w.Commit(ctx)
					}
				default:
					w := b.NewBatch()
					if err = w.Put(fmt.Appendf(nil, "other%d", k), val(v)); err == nil {
						err = w.Put(key, val(v))
					}
					if err == nil {
						err = w.Commit(ctx)
					}
				}
				if err != nil {
					t.Error(err)
					return
				}
				l.published.Store(int64(v))
			}
		})
	}
	stop := make(chan struct{})
	var readers sync.WaitGroup
	var reads atomic.Int64
	for r := range 3 {
		readers.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				k := (r + i) % keys
				l := &led[k]
				floor := int(l.published.Load())
				v, found, err := b.Get(ctx, fmt.Appendf(nil, "key%d", k))
				if err != nil {
					t.Error(err)
					return
				}
				top := int(l.started.Load())
				reads.Add(1)
				l.mu.Lock()
				ok := false
				if found {
					s := int(binary.BigEndian.Uint64(v))
					ok = s >= floor && s <= top && !l.deleted[s]
				} else {
					for s := floor; s <= top && !ok; s++ {
						ok = l.deleted[s]
					}
				}
				l.mu.Unlock()
				if !ok {
					t.Errorf("key%d: Get = %x, %v with writes %d..%d possible", k, v, found, floor, top)
					return
				}
			}
		})
	}
	wg.Wait()
	close(stop)
	readers.Wait()
	if s := b.Stats(); s.CacheHitCount == 0 || reads.Load() == 0 {
		t.Fatalf("the cache served nothing: %+v", s)
	}
}
