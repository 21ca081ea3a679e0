package memory_test

import (
	"context"
	"fmt"
	"time"

	"github.com/statekit/statekit/backends/memory"
	"github.com/statekit/statekit/runtime"
)

func ExampleNew() {
	ctx := context.Background()
	clock := runtime.NewManualClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	b := memory.New(memory.Options{TTL: time.Minute, Clock: clock})
	defer b.Close()

	_ = b.Put(ctx, []byte("window:123"), []byte("clicks=3"))
	_ = b.PutTTL(ctx, []byte("window:124"), []byte("clicks=1"), time.Hour)
	v, ok, _ := b.Get(ctx, []byte("window:123"))
	fmt.Printf("%s %v\n", v, ok)

	clock.Advance(2 * time.Minute) // window:123 had the default TTL of a minute
	keys, _ := b.ListKeys(ctx, []byte("window:"))
	fmt.Printf("%q\n", keys)
	fmt.Println("removed:", b.CleanupExpired(ctx))
	// Output:
	// clicks=3 true
	// ["window:124"]
	// removed: 1
}

func ExampleBackend_Snapshot() {
	ctx := context.Background()
	src, dst := memory.New(memory.Options{}), memory.New(memory.Options{})
	defer src.Close()
	defer dst.Close()
	_ = src.Put(ctx, []byte("b"), []byte("2"))
	_ = src.Put(ctx, []byte("a"), []byte("1"))
	for e, err := range src.Snapshot(ctx) { // ascending key order, one point in time
		if err != nil {
			panic(err)
		}
		fmt.Printf("%s=%s\n", e.Key, e.Value)
	}
	_ = dst.Restore(ctx, src.Snapshot(ctx)) // replaces dst's contents
	v, _, _ := dst.Get(ctx, []byte("a"))
	fmt.Printf("restored a=%s\n", v)
	// Output:
	// a=1
	// b=2
	// restored a=1
}
