package badger_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/statekit/statekit/backends/backendtest"
	"github.com/statekit/statekit/backends/badger"
	"github.com/statekit/statekit/internal/testproc"
	"github.com/statekit/statekit/runtime"
)

func TestMain(m *testing.M) {
	testproc.RunChild(childDirEnv, crashChild)
	runDiskFullChild()
	// A failed Badger open leaves two goroutines running (a Badger bug),
	// which TestOpenAfterEmptyVlog's control makes happen.
	goleak.VerifyTestMain(m,
		goleak.IgnoreTopFunction("github.com/dgraph-io/badger/v4.(*DB).monitorCache"),
		goleak.IgnoreTopFunction("github.com/dgraph-io/ristretto/v2/z.(*AllocatorPool).freeupAllocators"))
}

// quiet keeps Badger's warnings out of test output unless the test fails.
func quiet(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

func open(t *testing.T, cfg badger.Config) *badger.Backend {
	t.Helper()
	b, err := badger.Open(context.Background(), cfg.WithLogger(quiet(t)))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = b.Close() })
	return b
}

func TestConformance(t *testing.T) {
	t.Run("disk", func(t *testing.T) {
		backendtest.Run(t,
			func(t *testing.T) runtime.Backend { return open(t, badger.NewConfig(t.TempDir())) },
			backendtest.WithTTLResolution(time.Second))
	})
	t.Run("in memory, compressed", func(t *testing.T) {
		backendtest.Run(t,
			func(t *testing.T) runtime.Backend {
				return open(t, badger.NewConfig("").WithInMemory(true).WithCompression(true).WithCacheCapacity(8<<20))
			},
			backendtest.WithTTLResolution(time.Second), backendtest.WithMaxValueSize(badger.MaxInMemoryValue))
	})
}

func TestInMemoryValueLimit(t *testing.T) {
	b := open(t, badger.NewConfig("").WithInMemory(true))
	ctx := context.Background()
	big := make([]byte, badger.MaxInMemoryValue+1)
	if err := b.Put(ctx, []byte("big"), big); !errors.Is(err, runtime.ErrInvalidArgument) {
		t.Errorf("Put of %d bytes in memory: %v, want ErrInvalidArgument", len(big), err)
	}
	err := b.Update(ctx, []byte("big"), 0, func([]byte, bool) ([]byte, bool, error) { return big, true, nil })
	if !errors.Is(err, runtime.ErrInvalidArgument) {
		t.Errorf("Update to %d bytes in memory: %v, want ErrInvalidArgument", len(big), err)
	}
	if err := b.NewBatch().Put([]byte("big"), big); !errors.Is(err, runtime.ErrInvalidArgument) {
		t.Errorf("Batch.Put: %v", err)
	}
	if err := b.Put(ctx, []byte("max"), big[:badger.MaxInMemoryValue]); err != nil {
		t.Errorf("Put of the largest value: %v", err)
	}
	disk := open(t, badger.NewConfig(t.TempDir()))
	if err := disk.Put(ctx, []byte("big"), make([]byte, 4<<20)); err != nil {
		t.Errorf("on disk, a 4 MiB value: %v", err)
	}
}

func TestConfigErrors(t *testing.T) {
	file := filepath.Join(t.TempDir(), "a-file")
	if err := os.WriteFile(file, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		cfg  badger.Config
		want string // in the message
	}{
		{"no directory", badger.NewConfig(""), "no directory"},
		{"directory is a file", badger.NewConfig(file), "is a file"},
		{"negative cache", badger.NewConfig(t.TempDir()).WithCacheCapacity(-1), "WithCacheCapacity"},
		{"negative flush interval", badger.NewConfig(t.TempDir()).WithFlushEvery(-5), "WithFlushEvery"},
		{"negative ttl", badger.NewConfig(t.TempDir()).WithTTL(-time.Second), "WithTTL"},
		{"negative retries", badger.NewConfig(t.TempDir()).WithUpdateRetries(-1), "WithUpdateRetries"},
		{"negative disk reserve", badger.NewConfig(t.TempDir()).WithDiskReserve(-1), "WithDiskReserve"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, err := badger.Open(context.Background(), tc.cfg)
			if err == nil {
				_ = b.Close()
				t.Fatal("Open succeeded")
			}
			if !errors.Is(err, runtime.ErrInvalidArgument) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Open: %v; want ErrInvalidArgument mentioning %q", err, tc.want)
			}
		})
	}
	t.Run("locked directory", func(t *testing.T) {
		dir := t.TempDir()
		open(t, badger.NewConfig(dir))
		if b, err := badger.Open(context.Background(), badger.NewConfig(dir).WithLogger(quiet(t))); err == nil {
			_ = b.Close()
			t.Fatal("opened a directory another Backend holds")
		}
	})
	t.Run("cancelled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if _, err := badger.Open(ctx, badger.NewConfig(t.TempDir())); !errors.Is(err, context.Canceled) {
			t.Errorf("Open with a cancelled ctx: %v", err)
		}
	})
}

func TestReopenKeepsData(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	b := open(t, badger.NewConfig(dir).WithCompression(true).WithTTL(time.Hour))
	for i := range 1000 {
		if err := b.Put(ctx, fmt.Appendf(nil, "k%04d", i), bytes.Repeat([]byte{byte(i)}, 100)); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	b = open(t, badger.NewConfig(dir))
	keys, err := b.ListKeys(ctx, nil)
	if err != nil || len(keys) != 1000 {
		t.Fatalf("after reopening: %d keys, err %v; want 1000", len(keys), err)
	}
	var ttlSeen bool
	for e, err := range b.Snapshot(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		left := time.Until(e.ExpiresAt)
		ttlSeen = true
		if left < 59*time.Minute || left > time.Hour+time.Second {
			t.Fatalf("%q expires in %v, want about an hour", e.Key, left)
		}
	}
	if !ttlSeen {
		t.Fatal("no entries")
	}
	size, err := b.SizeOnDisk()
	if err != nil || size <= 0 {
		t.Errorf("SizeOnDisk = %d, %v", size, err)
	}
	if st := b.Stats(); st.DiskBytes <= 0 || st.Entries != -1 {
		t.Errorf("Stats = %+v", st)
	}
}

// TestFlushEvery writes 25 Puts, then a batch of 25, then calls Flush, and
// counts the syncs: one each time the write count passes a multiple of n, one
// per batch however many multiples it spans, and one for Flush.
func TestFlushEvery(t *testing.T) {
	tests := []struct {
		every                             int
		afterPuts, afterBatch, afterFlush uint64
	}{
		{every: 0, afterPuts: 0, afterBatch: 0, afterFlush: 1},
		{every: 1, afterPuts: 25, afterBatch: 26, afterFlush: 27},
		{every: 10, afterPuts: 2, afterBatch: 3, afterFlush: 4}, // the batch spans 30, 40, 50
		{every: 30, afterPuts: 0, afterBatch: 1, afterFlush: 2},
		{every: 100, afterPuts: 0, afterBatch: 0, afterFlush: 1},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprint("every=", tc.every), func(t *testing.T) {
			b := open(t, badger.NewConfig(t.TempDir()).WithFlushEvery(tc.every))
			ctx := context.Background()
			for i := range 25 {
				if err := b.Put(ctx, fmt.Appendf(nil, "k%d", i), []byte("v")); err != nil {
					t.Fatal(err)
				}
			}
			if got := b.Syncs(); got != tc.afterPuts {
				t.Errorf("after 25 Puts: %d syncs, want %d", got, tc.afterPuts)
			}
			w := b.NewBatch()
			for i := range 25 {
				if err := w.Put(fmt.Appendf(nil, "b%d", i), []byte("v")); err != nil {
					t.Fatal(err)
				}
			}
			if err := w.Commit(ctx); err != nil {
				t.Fatal(err)
			}
			if got := b.Syncs(); got != tc.afterBatch {
				t.Errorf("after a batch of 25: %d syncs, want %d", got, tc.afterBatch)
			}
			if err := b.Flush(ctx); err != nil {
				t.Fatal(err)
			}
			if got := b.Syncs(); got != tc.afterFlush {
				t.Errorf("after Flush: %d syncs, want %d", got, tc.afterFlush)
			}
		})
	}
}

func TestRestoreFromOwnSnapshot(t *testing.T) {
	b := open(t, badger.NewConfig(t.TempDir()))
	ctx := context.Background()
	if err := b.Put(ctx, []byte("precious"), []byte("data")); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- b.Restore(ctx, b.Snapshot(ctx)) }()
	select {
	case err := <-done:
		if !errors.Is(err, runtime.ErrConflict) {
			t.Fatalf("Restore from its own Snapshot: %v, want ErrConflict", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Restore from its own Snapshot deadlocked")
	}
	if v, ok, err := b.Get(ctx, []byte("precious")); err != nil || !ok || string(v) != "data" {
		t.Fatalf("data lost: %q, %v, %v", v, ok, err)
	}
}

func TestCloseDuringSnapshot(t *testing.T) {
	b := open(t, badger.NewConfig(t.TempDir()))
	ctx := context.Background()
	for i := range 100 {
		if err := b.Put(ctx, fmt.Appendf(nil, "k%03d", i), []byte("v")); err != nil {
			t.Fatal(err)
		}
	}
	closed := make(chan error, 1)
	var lastErr error
	n := 0
	for _, err := range b.Snapshot(ctx) {
		if err != nil {
			lastErr = err
			break
		}
		if n++; n == 10 {
			go func() { closed <- b.Close() }()
			time.Sleep(50 * time.Millisecond) // let Close begin waiting
			if _, _, err := b.Get(ctx, []byte("k001")); !errors.Is(err, runtime.ErrClosed) {
				t.Errorf("Get inside the loop during Close: %v, want ErrClosed", err)
			}
		}
	}
	if !errors.Is(lastErr, runtime.ErrClosed) {
		t.Errorf("Snapshot ended with %v after Close, want ErrClosed", lastErr)
	}
	if err := <-closed; err != nil {
		t.Errorf("Close: %v", err)
	}
}

func TestLogsGoThroughSlog(t *testing.T) {
	var buf bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	b, err := badger.Open(context.Background(), badger.NewConfig(t.TempDir()).WithLogger(logger))
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "backend=badger") {
		t.Errorf("no Badger log line reached the slog handler:\n%s", buf.String())
	}
}

// The crash test: a child process writes, flushes, reports how far it got, and
// keeps writing until the parent kills it with SIGKILL. Reopening must find
// everything written before the Flush that the child reported.

const childDirEnv = "STATEKIT_BADGER_CRASH_CHILD_DIR"

func crashChild(dir string) int {
	ctx := context.Background()
	b, err := badger.Open(ctx, badger.NewConfig(dir).WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		fmt.Println("open:", err)
		return 2
	}
	out := bufio.NewWriter(os.Stdout)
	for i := 0; ; i++ {
		if err := b.Put(ctx, fmt.Appendf(nil, "key%08d", i), fmt.Appendf(nil, "value%d", i)); err != nil {
			fmt.Println("put:", err)
			return 2
		}
		if i%500 == 499 {
			if err := b.Flush(ctx); err != nil {
				fmt.Println("flush:", err)
				return 2
			}
			fmt.Fprintf(out, "flushed %d\n", i+1)
			out.Flush()
		}
	}
}

func TestKillAfterFlushLosesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("starts child processes")
	}
	for round := range 3 {
		t.Run(fmt.Sprint("round", round), func(t *testing.T) {
			dir := t.TempDir()
			cmd, sc := testproc.Start(t, childDirEnv, dir)
			flushed := 0
			for sc.Scan() && flushed < 2000*(round+1) {
				n, err := strconv.Atoi(strings.TrimPrefix(sc.Text(), "flushed "))
				if err != nil {
					t.Fatalf("child said %q", sc.Text())
				}
				flushed = n
			}
			testproc.Kill(t, cmd)
			if flushed == 0 {
				t.Fatal("child flushed nothing before it was killed")
			}
			b := open(t, badger.NewConfig(dir))
			ctx := context.Background()
			for i := range flushed {
				v, ok, err := b.Get(ctx, fmt.Appendf(nil, "key%08d", i))
				if err != nil || !ok || string(v) != fmt.Sprintf("value%d", i) {
					t.Fatalf("key%08d after kill -9: %q, %v, %v; %d were flushed", i, v, ok, err, flushed)
				}
			}
		})
	}
}

// TestNestedUpdateSameKey: an UpdateFunc that updates its own key (so the same
// stripe lock) neither hangs nor loses the outer update's atomicity: it ends
// with nil or ErrConflict, within the stripe wait per attempt.
func TestNestedUpdateSameKey(t *testing.T) {
	b := open(t, badger.NewConfig(t.TempDir()).WithUpdateRetries(1))
	ctx := context.Background()
	key := []byte("k")
	done := make(chan error, 1)
	go func() {
		done <- b.Update(ctx, key, 0, func(old []byte, found bool) ([]byte, bool, error) {
			err := b.Update(ctx, key, 0, func([]byte, bool) ([]byte, bool, error) { return []byte("inner"), true, nil })
			return []byte("outer"), true, err
		})
	}()
	select {
	case err := <-done:
		if err != nil && !errors.Is(err, runtime.ErrConflict) {
			t.Fatalf("nested Update: %v, want nil or ErrConflict", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("an Update nested in an UpdateFunc on the same key hung")
	}
}

// TestRestoreWaitEndsWithContext: a Restore waiting for a Scan that does not
// end (here, one that itself waits for the Restore) gives up when its ctx
// ends, and changes nothing.
func TestRestoreWaitEndsWithContext(t *testing.T) {
	b := open(t, badger.NewConfig(t.TempDir()))
	ctx := context.Background()
	if err := b.Put(ctx, []byte("k"), []byte("v")); err != nil {
		t.Fatal(err)
	}
	release := make(chan struct{})
	scanning := make(chan struct{})
	scanDone := make(chan error, 1)
	go func() {
		scanDone <- b.Scan(ctx, nil, func(_, _ []byte) error {
			close(scanning)
			<-release
			return nil
		})
	}()
	<-scanning
	rctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	err := b.Restore(rctx, func(yield func(runtime.Entry, error) bool) {})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Restore waiting for a Scan past its deadline: %v, want DeadlineExceeded", err)
	}
	close(release)
	if err := <-scanDone; err != nil {
		t.Fatal(err)
	}
	if v, ok, err := b.Get(ctx, []byte("k")); err != nil || !ok || string(v) != "v" {
		t.Fatalf("after the abandoned Restore: %q, %v, %v", v, ok, err)
	}
}

// TestExpiryExtremes: every expiry time Badger accepts reads back as a time at
// or after it (whole seconds), never as one in the past.
func TestExpiryExtremes(t *testing.T) {
	ctx := context.Background()
	b := open(t, badger.NewConfig(t.TempDir()))
	last := time.Unix(math.MaxInt64-62135596800, 999_999_999) // the latest time.Time
	tests := []struct {
		key  string
		exp  time.Time
		want time.Time
	}{
		{"2262", time.Unix(0, math.MaxInt64), time.Unix(0, math.MaxInt64).Truncate(time.Second).Add(time.Second)},
		{"3000", time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC)},
		{"last", last, last.Truncate(time.Second)},
	}
	wb := b.NewBatch()
	for _, tc := range tests {
		if err := wb.PutEntry(runtime.Entry{Key: []byte(tc.key), Value: []byte("v"), ExpiresAt: tc.exp}); err != nil {
			t.Fatal(err)
		}
	}
	if err := wb.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	got := map[string]time.Time{}
	for e, err := range b.Snapshot(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		got[string(e.Key)] = e.ExpiresAt
	}
	for _, tc := range tests {
		if !got[tc.key].Equal(tc.want) {
			t.Errorf("%s: expiry read back as %v, want %v", tc.key, got[tc.key], tc.want)
		}
	}
}
