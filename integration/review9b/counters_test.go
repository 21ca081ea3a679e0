package review9b

import (
	"context"
	"encoding/binary"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/statekit/statekit/backends/badger"
	"github.com/statekit/statekit/backends/memory"
	"github.com/statekit/statekit/runtime"
)

// TestReview9bCountersUnderSnapshots counts in against out: goroutines
// increment counters with Update (and, on some keys, create and delete
// companion keys, so the memory backend's index and table copies move) while
// others take snapshots and list keys. Every snapshot is one point in time,
// so each counter is no larger than the increments begun before it ended and
// never smaller than in an earlier snapshot; in the end every increment is
// counted once. It passed when written on memory and on Badger with its value
// cache; the existing point-in-time tests write each key once.
func TestReview9bCountersUnderSnapshots(t *testing.T) {
	ctx := context.Background()
	type snapshotter interface {
		runtime.Backend
		runtime.Updater
		runtime.Snapshotter
	}
	cases := []struct {
		name string
		open func(t *testing.T) snapshotter
	}{
		{"memory", func(t *testing.T) snapshotter { return memory.New(memory.Options{Shards: 4}) }},
		{"badger", func(t *testing.T) snapshotter {
			b, err := badger.Open(ctx, badger.NewConfig(t.TempDir()).WithCacheCapacity(1<<20).WithLogger(slog.New(slog.DiscardHandler)))
			if err != nil {
				t.Fatal(err)
			}
			return b
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := tc.open(t)
			defer b.Close()
			const counters, workers = 8, 4
			perWorker := 3000
			if testing.Short() {
				perWorker = 500
			}
			var begun [counters]atomic.Int64
			var wg sync.WaitGroup
			for w := range workers {
				wg.Go(func() {
					for i := range perWorker {
						c := (w + i) % counters
						key := fmt.Appendf(nil, "count/%d", c)
						begun[c].Add(1)
						err := b.Update(ctx, key, 0, func(old []byte, found bool) ([]byte, bool, error) {
							var n uint64
							if found {
								n = binary.BigEndian.Uint64(old)
							}
							return binary.BigEndian.AppendUint64(nil, n+1), true, nil
						})
						if err != nil {
							t.Error(err)
							return
						}
						side := fmt.Appendf(nil, "side/%d/%d", w, i%50)
						if i%2 == 0 {
							err = b.Put(ctx, side, []byte("x"))
						} else {
							err = b.Delete(ctx, side)
						}
						if err != nil {
							t.Error(err)
							return
						}
					}
				})
			}
			done := make(chan struct{})
			go func() { wg.Wait(); close(done) }()
			var last [counters]uint64
			for rounds := 0; ; rounds++ {
				finished := false
				select {
				case <-done:
					finished = true
				default:
				}
				var got [counters]uint64
				for e, err := range b.Snapshot(ctx) {
					if err != nil {
						t.Fatal(err)
					}
					var c int
					if _, err := fmt.Sscanf(string(e.Key), "count/%d", &c); err == nil {
						got[c] = binary.BigEndian.Uint64(e.Value)
					}
				}
				for c := range counters {
					if hi := uint64(begun[c].Load()); got[c] > hi || got[c] < last[c] {
						t.Fatalf("round %d: counter %d = %d, after %d in the last snapshot, %d increments begun", rounds, c, got[c], last[c], hi)
					}
				}
				last = got
				if _, err := b.ListKeys(ctx, []byte("side/")); err != nil {
					t.Fatal(err)
				}
				if finished {
					var total uint64
					for _, n := range got {
						total += n
					}
					t.Logf("%d snapshots under the writers", rounds)
					if total != workers*uint64(perWorker) {
						t.Fatalf("counted %d increments, want %d", total, workers*perWorker)
					}
					return
				}
			}
		})
	}
}
