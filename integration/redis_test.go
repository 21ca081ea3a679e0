package integration

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/statekit/statekit/backends/memory"
	"github.com/statekit/statekit/backends/redis"
	"github.com/statekit/statekit/backends/redis/redistest"
	"github.com/statekit/statekit/checkpoint"
	"github.com/statekit/statekit/integration/stores"
	"github.com/statekit/statekit/runtime"
)

// contents reads every entry of b, in key order.
func contents(t *testing.T, b runtime.Backend) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := b.Scan(context.Background(), nil, func(k, v []byte) error {
		out[string(k)] = string(v)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestCheckpointRedisMemoryRedis fills a Redis Cluster through generated
// stores, checkpoints it, restores the checkpoint into the memory backend,
// checkpoints that, and restores it into a fresh Redis namespace: every step
// holds the same entries, and the stores read the same values back.
func TestCheckpointRedisMemoryRedis(t *testing.T) {
	cl := redistest.StartCluster(t, 3)
	ctx := context.Background()
	openRedis := func(ns string) *redis.Backend {
		b, err := redis.Open(ctx, redis.Config{Addrs: cl.Addrs(), Namespace: ns})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = b.Close() })
		return b
	}
	src := openRedis("source")
	clicks, lat := stores.NewClickWindowStore(src), stores.NewModelLatencyStore(src)
	t0 := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	for i := range 300 {
		user := fmt.Sprintf("u%02d", i%17)
		at := t0.Add(time.Duration(i) * time.Second)
		if err := clicks.Add(ctx, at, stores.ClickWindow{UserID: user, Bytes: int64(i), First: at, Last: at}); err != nil {
			t.Fatal(err)
		}
		ms := float64(i % 23)
		if err := lat.Merge(ctx, stores.ModelLatency{Tenant: "acme", Model: user, Total: ms, Worst: ms, Best: ms}); err != nil {
			t.Fatal(err)
		}
	}
	// binary keys too
	for _, k := range [][]byte{{0}, {0xff, 0}, bytes.Repeat([]byte{0x80}, 300)} {
		if err := src.Put(ctx, k, k); err != nil {
			t.Fatal(err)
		}
	}
	want := contents(t, src)

	// Coordinators of different backends share one directory: a checkpoint
	// one takes, another restores into its own backend.
	dir := t.TempDir()
	coordinator := func(b runtime.Backend) *checkpoint.Coordinator {
		c, err := checkpoint.New(b, time.Hour, checkpoint.Options{Dir: dir, MaxCheckpoints: 5, Compress: true})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	take := func(c *checkpoint.Coordinator) string {
		info, err := c.CreateCheckpoint(ctx)
		if err != nil {
			t.Fatalf("checkpoint: %v", err)
		}
		if info.Entries != int64(len(want)) {
			t.Fatalf("checkpoint has %d entries, want %d", info.Entries, len(want))
		}
		return info.ID
	}

	id := take(coordinator(src))
	mem := memory.New(memory.Options{})
	defer mem.Close()
	cMem := coordinator(mem)
	if err := cMem.Restore(ctx, id); err != nil {
		t.Fatalf("restore into memory: %v", err)
	}
	if diff := cmp.Diff(want, contents(t, mem)); diff != "" {
		t.Fatalf("memory after restoring Redis's checkpoint (-redis +memory):\n%s", diff)
	}

	id2 := take(cMem)
	dst := openRedis("restored")
	if err := dst.Put(ctx, []byte("stale"), []byte("replaced by the restore")); err != nil {
		t.Fatal(err)
	}
	if err := coordinator(dst).Restore(ctx, id2); err != nil {
		t.Fatalf("restore into Redis: %v", err)
	}
	if diff := cmp.Diff(want, contents(t, dst)); diff != "" {
		t.Fatalf("Redis after restoring memory's checkpoint (-want +got):\n%s", diff)
	}
	// The generated stores read the same state from the restored Redis.
	for i := range 17 {
		k := stores.ModelLatencyKey{Tenant: "acme", Model: fmt.Sprintf("u%02d", i)}
		a, okA, errA := lat.Get(ctx, k)
		b, okB, errB := stores.NewModelLatencyStore(dst).Get(ctx, k)
		if errA != nil || errB != nil || !okA || !okB || !cmp.Equal(a, b) {
			t.Fatalf("%v: source %+v %v %v, restored %+v %v %v", k, a, okA, errA, b, okB, errB)
		}
	}
	var fired [2]int
	for i, b := range []runtime.Backend{src, dst} {
		n, err := stores.NewClickWindowStore(b).FireDue(ctx, t0.Add(time.Hour), func(stores.ClickWindowKey, runtime.Window, stores.ClickWindow) error { return nil })
		if err != nil {
			t.Fatal(err)
		}
		fired[i] = n
	}
	if fired[0] != fired[1] || fired[0] == 0 {
		t.Errorf("windows fired: source %d, restored %d", fired[0], fired[1])
	}
}
