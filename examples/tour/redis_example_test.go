package tour

import (
	"context"
	"os"
	"time"

	"github.com/statekit/statekit/backends/redis"
)

// openRedis is the README's Redis quick start. It is compiled, not run: it
// needs a Redis Cluster (backends/redis's tests start real servers).
func openRedis(ctx context.Context) error {
	b, err := redis.Open(ctx, redis.Config{
		Addrs:     []string{"10.0.0.1:7000", "10.0.0.2:7000", "10.0.0.3:7000"}, // one address: a single server
		Password:  os.Getenv("REDIS_PASSWORD"),                                 // never logged, never in an error
		Namespace: "clicks-prod",                                               // every Redis key starts with it: processors share a Redis safely
		TTL:       24 * time.Hour,                                              // default TTL; 0 = never
		PoolSize:  32,                                                          // per node; MinIdleConns, MaxActiveConns, PoolTimeout too
	})
	if err != nil {
		return err // names the addresses; says when auth failed; never holds the password
	}
	defer b.Close()
	store := NewClickWindowStore(b) // generated stores, checkpoints, runtime.Update: as on any backend

	return store.Add(ctx, time.Now(), ClickWindow{UserID: "ann"})
}

var _ = openRedis
