// Command raw uses statekit's runtime directly, with untyped byte keys: the
// in-memory backend (TTL, stats, cleanup), the Badger backend (persistent,
// flushed, reopened) and, with -backend redis, the Redis backend (shared by
// processes, TTL on the server, pipelined batches). It prints what it does.
//
//	go run ./examples/raw                 # memory, then Badger in a temporary directory
//	go run ./examples/raw -dir state      # Badger in ./state, kept
//	go run ./examples/raw -backend badger # only one of memory, badger, redis
//	go run ./examples/raw -backend redis -redis-addr localhost:6379
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/statekit/statekit/backends/badger"
	"github.com/statekit/statekit/backends/memory"
	"github.com/statekit/statekit/backends/redis"
	"github.com/statekit/statekit/runtime"
)

func main() {
	dir := flag.String("dir", "", "directory for the Badger store (default: a temporary one, removed at exit)")
	backend := flag.String("backend", "", "memory, badger or redis (default: memory, then badger)")
	redisAddr := flag.String("redis-addr", "localhost:6379", "with -backend redis: the server's host:port, or several cluster nodes separated by commas")
	flag.Parse()
	var err error
	switch *backend {
	case "":
		err = run(context.Background(), os.Stdout, *dir)
	case "memory":
		err = inMemory(context.Background(), os.Stdout)
	case "badger":
		err = runBadger(context.Background(), os.Stdout, *dir)
	case "redis":
		err = shared(context.Background(), os.Stdout, strings.Split(*redisAddr, ","))
	default:
		err = fmt.Errorf("unknown -backend %q: want memory, badger or redis", *backend)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "raw:", err)
		os.Exit(1)
	}
}

// run is the default: memory, then Badger.
func run(ctx context.Context, out io.Writer, dir string) error {
	if err := inMemory(ctx, out); err != nil {
		return fmt.Errorf("in-memory state: %w", err)
	}
	fmt.Fprintln(out)
	return runBadger(ctx, out, dir)
}

// runBadger runs the Badger part in dir, or in a temporary directory.
func runBadger(ctx context.Context, out io.Writer, dir string) error {
	if dir == "" {
		tmp, err := os.MkdirTemp("", "statekit-raw-*")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		dir = tmp
	}
	if err := persistent(ctx, out, dir); err != nil {
		return fmt.Errorf("persistent state: %w", err)
	}
	return nil
}

// inMemory is the in-memory quick start: put, get, list by prefix, TTL, stats.
func inMemory(ctx context.Context, out io.Writer) error {
	fmt.Fprintln(out, "== In-memory state ==")
	b := memory.New(memory.Options{TTL: time.Hour})
	defer b.Close()
	stop := b.StartCleanup(time.Minute) // remove expired entries in the background
	defer stop()

	if err := b.Put(ctx, []byte("window:123"), []byte("clicks=3")); err != nil {
		return err
	}
	if err := b.PutTTL(ctx, []byte("window:124"), []byte("clicks=1"), 50*time.Millisecond); err != nil {
		return err
	}
	v, ok, err := b.Get(ctx, []byte("window:123"))
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "get window:123 -> %q (found %v)\n", v, ok)

	// An atomic read-modify-write: concurrent callers never lose an update.
	err = runtime.Update(ctx, b, []byte("counter:clicks"), func(old []byte, found bool) ([]byte, bool, error) {
		n := 0
		if found {
			fmt.Sscan(string(old), &n)
		}
		return fmt.Append(nil, n+1), true, nil
	})
	if err != nil {
		return err
	}
	keys, err := b.ListKeys(ctx, []byte("window:"))
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "keys under window: -> %q\n", keys)
	time.Sleep(60 * time.Millisecond)
	_, ok, _ = b.Get(ctx, []byte("window:124"))
	fmt.Fprintf(out, "window:124 after its 50ms TTL -> found %v\n", ok)
	fmt.Fprintf(out, "expired entries removed: %d\n", b.CleanupExpired(ctx))
	printStats(out, b.Stats())
	return nil
}

// persistent is the persistent quick start: a Badger store, written, flushed,
// closed and reopened.
func persistent(ctx context.Context, out io.Writer, dir string) error {
	fmt.Fprintf(out, "== Persistent state (Badger in %s) ==\n", dir)
	quiet := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	cfg := badger.NewConfig(dir).WithCompression(true).WithFlushEvery(1000).WithLogger(quiet)
	db, err := badger.Open(ctx, cfg)
	if err != nil {
		return err
	}
	start := time.Now()
	w := db.NewBatch() // many writes in one go
	for i := range 10_000 {
		if err := w.Put(fmt.Appendf(nil, "window:user%05d:000", i), fmt.Appendf(nil, "clicks=%d", i%97)); err != nil {
			w.Discard()
			db.Close()
			return err
		}
	}
	if err := w.Commit(ctx); err != nil {
		db.Close()
		return err
	}
	if err := db.Flush(ctx); err != nil { // after Flush, a crash loses nothing written before it
		db.Close()
		return err
	}
	fmt.Fprintf(out, "wrote and flushed 10000 entries in %v\n", time.Since(start).Round(time.Millisecond))
	if err := db.Close(); err != nil {
		return err
	}

	db, err = badger.Open(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	n := 0
	err = db.Scan(ctx, []byte("window:user000"), func(key, value []byte) error {
		if n++; n <= 3 {
			fmt.Fprintf(out, "  %s = %s\n", key, value)
		}
		return nil
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "after reopening: %d entries under window:user000\n", n)
	size, err := db.SizeOnDisk()
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "size on disk: %d bytes\n", size)
	printStats(out, db.Stats())
	return nil
}

// shared is the Redis quick start: state that several processes share, under
// a namespace of its own that it deletes at the end.
func shared(ctx context.Context, out io.Writer, addrs []string) error {
	fmt.Fprintf(out, "== Shared state (Redis at %s) ==\n", strings.Join(addrs, ","))
	ns := fmt.Sprintf("statekit-raw-%d", time.Now().UnixNano())
	b, err := redis.Open(ctx, redis.Config{Addrs: addrs, Namespace: ns, TTL: time.Hour})
	if err != nil {
		return err
	}
	defer b.Close()
	defer b.Drop(ctx) // leave nothing behind

	if err := b.Put(ctx, []byte("window:123"), []byte("clicks=3")); err != nil {
		return err
	}
	if err := b.PutTTL(ctx, []byte("window:124"), []byte("clicks=1"), 50*time.Millisecond); err != nil {
		return err
	}
	v, ok, err := b.Get(ctx, []byte("window:123"))
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "get window:123 -> %q (found %v)\n", v, ok)
	// Atomic across processes: a compare-and-set on the server, retried.
	err = runtime.Update(ctx, b, []byte("counter:clicks"), func(old []byte, found bool) ([]byte, bool, error) {
		n := 0
		if found {
			fmt.Sscan(string(old), &n)
		}
		return fmt.Append(nil, n+1), true, nil
	})
	if err != nil {
		return err
	}
	keys, err := b.ListKeys(ctx, []byte("window:"))
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "keys under window: -> %q\n", keys)
	time.Sleep(60 * time.Millisecond)
	_, ok, err = b.Get(ctx, []byte("window:124"))
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "window:124 after its 50ms TTL -> found %v\n", ok)

	start := time.Now()
	w := b.NewBatch() // pipelined, grouped by shard
	for i := range 10_000 {
		if err := w.Put(fmt.Appendf(nil, "window:user%05d:000", i), fmt.Appendf(nil, "clicks=%d", i%97)); err != nil {
			w.Discard()
			return err
		}
	}
	if err := w.Commit(ctx); err != nil {
		return err
	}
	fmt.Fprintf(out, "wrote 10000 entries in one batch in %v\n", time.Since(start).Round(time.Millisecond))
	n := 0
	err = b.Scan(ctx, []byte("window:user000"), func(key, value []byte) error {
		if n++; n <= 3 {
			fmt.Fprintf(out, "  %s = %s\n", key, value)
		}
		return nil
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "%d entries under window:user000, listed from the index, in order\n", n)
	printStats(out, b.Stats())
	return nil
}

func printStats(out io.Writer, s runtime.Stats) {
	fmt.Fprintf(out, "stats: gets %d (hit rate %.0f%%), puts %d, deletes %d, lists %d, expired %d, entries %d, memory %d B, disk %d B\n",
		s.GetCount, 100*s.HitRate(), s.PutCount, s.DeleteCount, s.ListCount, s.ExpiredCount, s.Entries, s.MemoryBytes, s.DiskBytes)
}
