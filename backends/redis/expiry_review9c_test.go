package redis_test

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/statekit/statekit/backends/redis"
	"github.com/statekit/statekit/backends/redis/redistest"
	"github.com/statekit/statekit/runtime"
)

// TestReview9cPutEntryBeyondUnixMilli: Batch.PutEntry converts ExpiresAt with
// time.Time.UnixMilli, which overflows (its result is undefined) more than
// 292 million years from 1970, before clamping to 1..maxUnixMilli. So an
// entry expiring in the far future can be stored as expired (deleted), and
// one that expired long ago as expiring in 142,000 years. The latest expiry
// the Badger backend keeps, time.Unix(math.MaxInt64-62135596800, 0) (what
// its Snapshot yields for a far expiry), is such a time: copying a Badger
// snapshot into Redis through a batch silently drops those entries.
// TestTTLExtremes covers the year 200000 only.
func TestReview9cPutEntryBeyondUnixMilli(t *testing.T) {
	srv := redistest.StartServer(t)
	b := open(t, redis.Config{Addrs: []string{srv.Addr()}, Namespace: newNamespace(t)})
	ctx := context.Background()
	cases := []struct {
		name string
		at   time.Time
		live bool
	}{
		{"Badger's latest expiry", time.Unix(math.MaxInt64-62135596800, 0), true},
		{"2^62 s after 1970", time.Unix(1<<62, 0), true},
		{"294 million years on", time.Unix(9_300_000_000_000_000, 0), true},
		{"294 million years ago", time.Unix(-9_300_000_000_000_000, 0), false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			key := []byte(tc.name)
			w := b.NewBatch()
			if err := w.PutEntry(runtime.Entry{Key: key, Value: []byte("v"), ExpiresAt: tc.at}); err != nil {
				t.Fatal(err)
			}
			if err := w.Commit(ctx); err != nil {
				t.Fatal(err)
			}
			_, found, err := b.Get(ctx, key)
			if err != nil {
				t.Fatal(err)
			}
			if found != tc.live {
				t.Errorf("an entry expiring at %v (Unix %d s): found %v, want %v", tc.at, tc.at.Unix(), found, tc.live)
			}
		})
	}
}
