package redis_test

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/statekit/statekit/backends/redis"
	"github.com/statekit/statekit/runtime"
)

// ExampleOpen opens a namespace on a Redis Cluster and uses it as any statekit
// backend. (It needs a Redis, so it is compiled but not run by go test; the
// package's tests run the same calls against servers they start.)
func ExampleOpen() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	b, err := redis.Open(ctx, redis.Config{
		Addrs:     []string{"10.0.0.1:7000", "10.0.0.2:7000", "10.0.0.3:7000"},
		Password:  os.Getenv("REDIS_PASSWORD"),
		Namespace: "clicks",
		TTL:       24 * time.Hour,
	})
	if err != nil {
		fmt.Println(err) // names the addresses and the cause, never the password
		return
	}
	defer b.Close()

	_ = b.Put(ctx, []byte("window:123"), []byte("clicks=3"))
	_ = runtime.Update(ctx, b, []byte("counter"), func(old []byte, found bool) ([]byte, bool, error) {
		return append(old, '+'), true, nil // atomic across processes
	})
	keys, _ := b.ListKeys(ctx, []byte("window:")) // ascending, from the index
	fmt.Println(len(keys))
}
