package checkpoint_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/statekit/statekit/backends/redis"
	"github.com/statekit/statekit/backends/redis/redistest"
	"github.com/statekit/statekit/checkpoint"
	"github.com/statekit/statekit/runtime"
)

// openRedis opens a Redis backend of one shard in namespace ns on a new
// server, closed when the test ends.
func openRedis(t *testing.T, ns string, ttl time.Duration) *redis.Backend {
	t.Helper()
	srv := redistest.StartServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	b, err := redis.Open(ctx, redis.Config{Addrs: []string{srv.Addr()}, Namespace: ns, Shards: 1, TTL: ttl})
	if err != nil {
		t.Fatalf("redis.Open: %v", err)
	}
	t.Cleanup(func() { _ = b.Close() })
	return b
}

// redisExpiry returns the absolute expiry Redis holds for key in the one-shard
// namespace ns (PEXPIRETIME; zero: none).
func redisExpiry(t *testing.T, b *redis.Backend, ns, key string) time.Time {
	t.Helper()
	ctx := context.Background()
	keys, err := b.Client().Keys(ctx, "{"+ns+":0:*}d"+key).Result()
	if err != nil || len(keys) != 1 {
		t.Fatalf("data key of %q: %v %v", key, keys, err)
	}
	ms, err := b.Client().Do(ctx, "PEXPIRETIME", keys[0]).Int64()
	if err != nil {
		t.Fatal(err)
	}
	if ms < 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms)
}

// TestReview9dFarExpiryRestoredIntoRedis: a checkpoint of Badger holding an
// entry that expires in the year 3000 (which Badger, the format and Redis all
// hold: a Redis batch's PutEntry stores 9999-12-31 exactly, TestTTLExtremes)
// is restored into Redis. Redis is not a Snapshotter, so RestoreInto puts
// each entry with PutTTL(e.ExpiresAt.Sub(now)): Sub saturates at the largest
// Duration (292 years), and the entry comes back expiring around 2318, seven
// centuries early, with no error. The README says "Restore keeps TTLs" and
// that Redis checkpoints "restore into memory or Badger and back"; no test
// restores a far expiry into Redis.
func TestReview9dFarExpiryRestoredIntoRedis(t *testing.T) {
	ctx := context.Background()
	y3000 := time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC)
	bdg := newBadger(t)
	w := bdg.NewBatch()
	if err := w.PutEntry(runtime.Entry{Key: []byte("far"), Value: []byte("v"), ExpiresAt: y3000}); err != nil {
		t.Fatal(err)
	}
	if err := w.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	c, dir := newCoordinator(t, bdg, checkpoint.Options{})
	info, err := c.CreateCheckpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	const ns = "r9dfar"
	rb := openRedis(t, ns, 0)
	if _, err := checkpoint.RestoreFile(ctx, rb, filepath.Join(dir, info.ID+".ckpt"), time.Now()); err != nil {
		t.Fatalf("RestoreFile into Redis: %v", err)
	}
	if got := redisExpiry(t, rb, ns, "far"); !got.Equal(y3000) {
		t.Errorf("entry expiring at %v restored into Redis expires at %v", y3000, got)
	}
}

// TestReview9dNeverExpiringRestoredIntoRedisWithTTL: an entry that never
// expires in the checkpoint, restored into a Redis backend configured with a
// default TTL (Config.TTL), must still never expire: the checkpoint says so,
// and memory's and Badger's Restore keep it that way. RestoreInto writes it
// with Put, which applies Config.TTL, so the restored entry silently expires
// an hour later.
func TestReview9dNeverExpiringRestoredIntoRedisWithTTL(t *testing.T) {
	ctx := context.Background()
	mem := newMemory(t, nil)
	if err := mem.Put(ctx, []byte("never"), []byte("v")); err != nil {
		t.Fatal(err)
	}
	c, dir := newCoordinator(t, mem, checkpoint.Options{})
	info, err := c.CreateCheckpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	const ns = "r9dnever"
	rb := openRedis(t, ns, time.Hour)
	if _, err := checkpoint.RestoreFile(ctx, rb, filepath.Join(dir, info.ID+".ckpt"), time.Now()); err != nil {
		t.Fatalf("RestoreFile into Redis: %v", err)
	}
	if got := redisExpiry(t, rb, ns, "never"); !got.IsZero() {
		t.Errorf("entry that never expires restored into Redis (Config.TTL 1h) expires at %v", got)
	}
}
