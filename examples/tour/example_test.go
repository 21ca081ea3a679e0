package tour

//lint:file-ignore SA4006 the README quotes these blocks, which assign err and check it once at the end

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/statekit/statekit/backends/badger"
	"github.com/statekit/statekit/backends/memory"
	"github.com/statekit/statekit/checkpoint"
	"github.com/statekit/statekit/runtime"
)

// click is an event of the tour's stream.
type click struct {
	Time time.Time
	User string
	Size int64
}

// Example is the tour: clicks counted per user in sliding windows that fire
// as the watermark passes, and call latencies aggregated per model.
func Example() {
	ctx := context.Background()
	backend := memory.New(memory.Options{})
	defer backend.Close()
	t0 := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	event := click{Time: t0.Add(3 * time.Second), User: "ann", Size: 512}
	watermark := t0.Add(15 * time.Second) // [11:59:10, 12:00:10) is due: its End+5s has passed
	emit := func(user string, w runtime.Window, clicks int64) error {
		fmt.Printf("%s: %d click(s) in %v\n", user, clicks, w)
		return nil
	}
	ms := 41.5

	clicks := NewClickWindowStore(backend)
	err := clicks.Add(ctx, event.Time, ClickWindow{UserID: event.User, Bytes: event.Size})
	n, err := clicks.FireDue(ctx, watermark, func(k ClickWindowKey, w runtime.Window, v ClickWindow) error {
		return emit(k.UserID, w, v.Clicks)
	})
	latency := NewModelLatencyStore(backend)
	err = latency.Merge(ctx, ModelLatency{Tenant: "acme", Model: "m1", Total: ms, Worst: ms, Best: ms})
	v, found, err := latency.Get(ctx, ModelLatencyKey{Tenant: "acme", Model: "m1"})

	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(n, "window fired;", found, v.Calls, v.Total)
	// Output:
	// ann: 1 click(s) in [2026-11-26T11:59:10Z, 2026-11-26T12:00:10Z)
	// 1 window fired; true 1 41.5
}

// Example_memory is the README's in-memory quick start.
func Example_memory() {
	ctx := context.Background()
	data := []byte("state")
	increment := func(old []byte) []byte { return append(old, '+') }

	b := memory.New(memory.Options{TTL: time.Hour})
	defer b.Close()
	stop := b.StartCleanup(time.Minute)
	defer stop()

	err := b.Put(ctx, []byte("window:123"), data)
	v, found, err := b.Get(ctx, []byte("window:123")) // v is a copy you own
	keys, err := b.ListKeys(ctx, []byte("window:"))   // ascending byte order
	err = b.Scan(ctx, []byte("window:"), func(k, v []byte) error {
		return nil // k and v are valid during the call only
	})
	err = runtime.Update(ctx, b, []byte("counter"), func(old []byte, found bool) ([]byte, bool, error) {
		return increment(old), true, nil // atomic: no lost updates
	})
	fmt.Println(b.Stats().HitRate(), b.MemoryUsage() > 0)

	fmt.Println(string(v), found, len(keys), err)
	// Output:
	// 1 true
	// state true 1 <nil>
}

// Example_badger is the README's persistent quick start.
func Example_badger() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "statekit-example")
	defer os.RemoveAll(dir)
	data := []byte("state")

	db, err := badger.Open(ctx, badger.NewConfig(filepath.Join(dir, "state")).
		WithCompression(true). // zstd
		WithFlushEvery(1000).  // fsync every 1000 writes
		WithTTL(24*time.Hour))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer db.Close()
	err = db.Put(ctx, []byte("window:123"), data)
	err = db.Flush(ctx) // after Flush returns, a crash loses nothing written before it
	size, err := db.SizeOnDisk()
	syncs := db.Syncs() // fsyncs so far, by Flush or WithFlushEvery

	fmt.Println(size > 0, syncs, err)
	// Output: true 1 <nil>
}

// Example_checkpoint is the README's checkpointing quick start.
func Example_checkpoint() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "statekit-example")
	defer os.RemoveAll(dir)
	backend := memory.New(memory.Options{})
	defer backend.Close()
	_ = backend.Put(ctx, []byte("a/Clicks/ann"), []byte{1})

	opts := checkpoint.Options{Dir: dir, MaxCheckpoints: 10, Compress: true, MinInterval: time.Minute}
	c, err := checkpoint.New(backend, 5*time.Minute, opts) // bad options: an error naming the option
	err = c.Start(ctx)                                     // periodic; ticks skipped within MinInterval
	info, err := c.CreateCheckpoint(ctx)                   // now; concurrent calls run one at a time
	info, err = c.RestoreLatest(ctx)                       // newest valid; corrupt ones skipped and counted
	err = c.Shutdown(ctx)                                  // stops the ticker, takes a final checkpoint

	fmt.Println(info.Entries, errors.Is(err, checkpoint.ErrNoCheckpoint), err)
	// Output: 1 false <nil>
}
