package redis_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/statekit/statekit/backends/redis"
	"github.com/statekit/statekit/backends/redis/redistest"
	"github.com/statekit/statekit/runtime"
)

// TestReview9cValueOverRedisLimit: Redis refuses a bulk string longer than its
// proto-max-bulk-len (512 MiB by default), and closes the connection. The
// memory and Badger backends refuse values they cannot hold with an error
// wrapping runtime.ErrInvalidArgument, before anything is sent, on every write
// path (README, "Decisions the design left open"); the Redis backend checks no
// length at all, so such a write fails with a protocol or connection error
// that wraps no statekit sentinel, and a batch holding one fails at its
// Commit, after it may have applied other writes. Every write path must refuse
// it with an error wrapping ErrInvalidArgument, leave the key as it was, and
// leave the backend usable.
func TestReview9cValueOverRedisLimit(t *testing.T) {
	srv := redistest.StartServer(t)
	b := open(t, redis.Config{Addrs: []string{srv.Addr()}, Namespace: newNamespace(t)})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	huge := make([]byte, 512<<20+1)
	key := []byte("huge")
	cases := []struct {
		name  string
		write func() error
	}{
		{"Put", func() error { return b.Put(ctx, key, huge) }},
		{"PutTTL", func() error { return b.PutTTL(ctx, key, huge, time.Hour) }},
		{"Update", func() error {
			return b.Update(ctx, key, 0, func([]byte, bool) ([]byte, bool, error) { return huge, true, nil })
		}},
		{"Batch.Put", func() error {
			w := b.NewBatch()
			defer w.Discard()
			if err := w.Put(key, huge); err != nil {
				return err
			}
			return w.Commit(ctx)
		}},
		{"Batch.PutEntry", func() error {
			w := b.NewBatch()
			defer w.Discard()
			if err := w.PutEntry(runtime.Entry{Key: key, Value: huge, ExpiresAt: time.Now().Add(time.Hour)}); err != nil {
				return err
			}
			return w.Commit(ctx)
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if err := b.Put(ctx, key, []byte("before")); err != nil {
				t.Fatal(err)
			}
			err := tc.write()
			if !errors.Is(err, runtime.ErrInvalidArgument) {
				t.Errorf("a value of %d bytes: %.300v; want an error wrapping ErrInvalidArgument", len(huge), err)
			}
			v, found, err := b.Get(ctx, key)
			if err != nil || !found || string(v) != "before" {
				t.Errorf("after the refused write, Get = %.40q %v %v; want \"before\"", v, found, err)
			}
		})
	}
}
