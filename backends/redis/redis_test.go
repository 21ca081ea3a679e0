package redis_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/statekit/statekit/backends/backendtest"
	"github.com/statekit/statekit/backends/redis"
	"github.com/statekit/statekit/backends/redis/redistest"
	"github.com/statekit/statekit/runtime"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// namespaces gives every backend of a test binary its own namespace, so that
// one server serves many tests without their keys meeting.
var namespaces atomic.Int64

func newNamespace(t testing.TB) string {
	return fmt.Sprintf("t%d", namespaces.Add(1))
}

func open(t testing.TB, cfg redis.Config) *redis.Backend {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	b, err := redis.Open(ctx, cfg)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = b.Close() })
	return b
}

func TestConformance(t *testing.T) {
	t.Run("server", func(t *testing.T) {
		srv := redistest.StartServer(t)
		backendtest.Run(t, func(t *testing.T) runtime.Backend {
			return open(t, redis.Config{Addrs: []string{srv.Addr()}, Namespace: newNamespace(t)})
		})
	})
	t.Run("server, 5 shards", func(t *testing.T) {
		srv := redistest.StartServer(t)
		backendtest.Run(t, func(t *testing.T) runtime.Backend {
			return open(t, redis.Config{Addrs: []string{srv.Addr()}, Namespace: newNamespace(t), Shards: 5})
		})
	})
	t.Run("cluster", func(t *testing.T) {
		cl := redistest.StartCluster(t, 3)
		backendtest.Run(t, func(t *testing.T) runtime.Backend {
			return open(t, redis.Config{Addrs: cl.Addrs(), Namespace: newNamespace(t)})
		})
	})
}
