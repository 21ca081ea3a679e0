// Command raw uses statekit's runtime directly, with untyped byte keys, on both
// backends: the in-memory backend (TTL, stats, cleanup) and the Badger backend
// (persistent, flushed, reopened). It prints what it does.
//
//	go run ./examples/raw            # Badger in a temporary directory, removed at exit
//	go run ./examples/raw -dir state # Badger in ./state, kept
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/statekit/statekit/backends/badger"
	"github.com/statekit/statekit/backends/memory"
	"github.com/statekit/statekit/runtime"
)

func main() {
	dir := flag.String("dir", "", "directory for the Badger store (default: a temporary one, removed at exit)")
	flag.Parse()
	if err := run(context.Background(), os.Stdout, *dir); err != nil {
		fmt.Fprintln(os.Stderr, "raw:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, out io.Writer, dir string) error {
	if dir == "" {
		tmp, err := os.MkdirTemp("", "statekit-raw-*")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		dir = tmp
	}
	if err := inMemory(ctx, out); err != nil {
		return fmt.Errorf("in-memory state: %w", err)
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
	fmt.Fprintf(out, "\n== Persistent state (Badger in %s) ==\n", dir)
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

func printStats(out io.Writer, s runtime.Stats) {
	fmt.Fprintf(out, "stats: gets %d (hit rate %.0f%%), puts %d, deletes %d, lists %d, expired %d, entries %d, memory %d B, disk %d B\n",
		s.GetCount, 100*s.HitRate(), s.PutCount, s.DeleteCount, s.ListCount, s.ExpiredCount, s.Entries, s.MemoryBytes, s.DiskBytes)
}
