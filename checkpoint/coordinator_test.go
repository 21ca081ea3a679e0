package checkpoint_test

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/statekit/statekit/backends/backendtest"
	"github.com/statekit/statekit/backends/badger"
	"github.com/statekit/statekit/backends/memory"
	"github.com/statekit/statekit/checkpoint"
	"github.com/statekit/statekit/runtime"
)

// TestPortable: a checkpoint of the memory backend restores into Badger, and a
// checkpoint of that Badger restores into memory, with the same keys and
// values byte for byte (expiry times to Badger's whole seconds).
func TestPortable(t *testing.T) {
	ctx := context.Background()
	mem := newMemory(t, nil)
	fill(t, mem, 1000)
	want := backendtest.Snapshot(t, mem)

	c1, dir1 := newCoordinator(t, mem, checkpoint.Options{Compress: true})
	if _, err := c1.CreateCheckpoint(ctx); err != nil {
		t.Fatal(err)
	}
	bdg := newBadger(t)
	r1, _ := newCoordinator(t, bdg, checkpoint.Options{Dir: dir1})
	if _, err := r1.RestoreLatest(ctx); err != nil {
		t.Fatal(err)
	}
	backendtest.EqualEntries(t, "memory -> badger", backendtest.Snapshot(t, bdg), want, time.Second)

	c2, dir2 := newCoordinator(t, bdg, checkpoint.Options{})
	if _, err := c2.CreateCheckpoint(ctx); err != nil {
		t.Fatal(err)
	}
	back := newMemory(t, nil)
	r2, _ := newCoordinator(t, back, checkpoint.Options{Dir: dir2})
	if _, err := r2.RestoreLatest(ctx); err != nil {
		t.Fatal(err)
	}
	backendtest.EqualEntries(t, "memory -> badger -> memory", backendtest.Snapshot(t, back), want, time.Second)
}

func TestRetention(t *testing.T) {
	ctx := context.Background()
	clock := runtime.NewManualClock(epoch)
	b := newMemory(t, clock)
	fill(t, b, 10)
	c, dir := newCoordinator(t, b, checkpoint.Options{MaxCheckpoints: 3, Clock: clock})
	var ids []string
	for range 6 {
		info, err := c.CreateCheckpoint(ctx)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, info.ID)
		clock.Advance(time.Second)
	}
	assertFiles(t, dir, ids[3:])

	// A damaged checkpoint does not count as one of the three kept.
	if err := os.Truncate(filepath.Join(dir, ids[4]+".ckpt"), 100); err != nil {
		t.Fatal(err)
	}
	info, err := c.CreateCheckpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	assertFiles(t, dir, []string{ids[3], ids[5], info.ID})

	infos, err := c.List()
	if err != nil {
		t.Fatal(err)
	}
	if len(infos) != 3 || infos[0].ID != info.ID || infos[2].ID != ids[3] {
		t.Errorf("List = %+v, want the 3 valid checkpoints newest first", infos)
	}
}

func assertFiles(t *testing.T, dir string, ids []string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		got = append(got, strings.TrimSuffix(e.Name(), ".ckpt"))
	}
	if strings.Join(got, ",") != strings.Join(ids, ",") {
		t.Fatalf("files %v, want %v", got, ids)
	}
}

func TestIDsSortAndNeverRepeat(t *testing.T) {
	ctx := context.Background()
	clock := runtime.NewManualClock(epoch)
	b := newMemory(t, clock)
	c, dir := newCoordinator(t, b, checkpoint.Options{Clock: clock, MaxCheckpoints: 100})
	var ids []string
	for i := range 5 {
		if i == 3 {
			clock.Set(epoch.Add(-time.Hour)) // the clock goes back
		}
		info, err := c.CreateCheckpoint(ctx) // same instant, or earlier
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, info.ID)
	}
	for i := 1; i < len(ids); i++ {
		if ids[i] <= ids[i-1] {
			t.Fatalf("IDs %v do not increase", ids)
		}
	}
	// A new coordinator (a restarted process) continues after the newest ID.
	c2, _ := newCoordinator(t, b, checkpoint.Options{Dir: dir, Clock: clock, MaxCheckpoints: 100})
	info, err := c2.CreateCheckpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.ID <= ids[len(ids)-1] {
		t.Fatalf("after restart: ID %s, not after %s", info.ID, ids[len(ids)-1])
	}
}

func TestRestoreRejectsBadIDs(t *testing.T) {
	c, _ := newCoordinator(t, newMemory(t, nil), checkpoint.Options{})
	for _, id := range []string{"", "../20260101T000000.000000000Z", "a/b", "20260101T000000.000000000Z/..", "latest", "20260101T000000Z"} {
		if err := c.Restore(context.Background(), id); !errors.Is(err, runtime.ErrInvalidArgument) {
			t.Errorf("Restore(%q) = %v, want ErrInvalidArgument", id, err)
		}
	}
	err := c.Restore(context.Background(), "20260101T000000.000000000Z")
	if err == nil || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Restore of a missing checkpoint = %v, want os.ErrNotExist", err)
	}
	if _, err := c.RestoreLatest(context.Background()); !errors.Is(err, checkpoint.ErrNoCheckpoint) {
		t.Errorf("RestoreLatest in an empty directory = %v, want ErrNoCheckpoint", err)
	}
}

func TestNewRemovesCrashLeftovers(t *testing.T) {
	dir := t.TempDir()
	stray := filepath.Join(dir, "20260101T000000.000000000Z.ckpt.tmp-12345")
	other := filepath.Join(dir, "notes.txt")
	for _, f := range []string{stray, other} {
		if err := os.WriteFile(f, []byte("half"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	newCoordinator(t, newMemory(t, nil), checkpoint.Options{Dir: dir})
	if _, err := os.Stat(stray); !os.IsNotExist(err) {
		t.Error("temporary file left by a crash was not removed")
	}
	if _, err := os.Stat(other); err != nil {
		t.Error("an unrelated file was removed")
	}
}

func TestNewCreatesPrivateDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a", "b")
	newCoordinator(t, newMemory(t, nil), checkpoint.Options{Dir: dir})
	fi, err := os.Stat(dir)
	if err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("Dir: %v, %v; want mode 0700", fi, err)
	}
}

// failingBackend fails its Snapshot after a few entries.
type failingBackend struct {
	runtime.Backend
	entries int
}

var errDisk = errors.New("disk on fire")

func (f failingBackend) Snapshot(context.Context) iter.Seq2[runtime.Entry, error] {
	return func(yield func(runtime.Entry, error) bool) {
		for i := range f.entries {
			if !yield(runtime.Entry{Key: fmt.Appendf(nil, "k%d", i), Value: []byte("v")}, nil) {
				return
			}
		}
		yield(runtime.Entry{}, errDisk)
	}
}

func (f failingBackend) Restore(context.Context, iter.Seq2[runtime.Entry, error]) error { return nil }

func TestFailedCheckpointLeavesOlderOnes(t *testing.T) {
	ctx := context.Background()
	b := newMemory(t, nil)
	fill(t, b, 50)
	c, dir := newCoordinator(t, b, checkpoint.Options{})
	good, err := c.CreateCheckpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	bad, _ := newCoordinator(t, failingBackend{Backend: b, entries: 1000}, checkpoint.Options{Dir: dir})
	if _, err := bad.CreateCheckpoint(ctx); !errors.Is(err, errDisk) {
		t.Fatalf("CreateCheckpoint = %v, want the backend's error", err)
	}
	if st := bad.Stats(); st.CheckpointFailures != 1 || st.CheckpointsCreated != 0 {
		t.Errorf("stats %+v", st)
	}
	assertFiles(t, dir, []string{good.ID}) // no partial file, no temporary file
}

// plainBackend hides every optional capability: the coordinator must fall back
// to ListKeys + Get, and to delete + Put.
type plainBackend struct{ runtime.Backend }

func TestBackendWithoutSnapshotter(t *testing.T) {
	ctx := context.Background()
	src := newMemory(t, nil)
	fill(t, src, 100)
	c, dir := newCoordinator(t, plainBackend{src}, checkpoint.Options{})
	info, err := c.CreateCheckpoint(ctx)
	if err != nil || info.Entries != 100 {
		t.Fatalf("CreateCheckpoint = %+v, %v", info, err)
	}
	dst := newMemory(t, nil)
	if err := dst.Put(ctx, []byte("stale"), []byte("x")); err != nil {
		t.Fatal(err)
	}
	r, _ := newCoordinator(t, plainBackend{dst}, checkpoint.Options{Dir: dir})
	if _, err := r.RestoreLatest(ctx); err != nil {
		t.Fatal(err)
	}
	want := backendtest.Snapshot(t, src)
	for i := range want {
		want[i].ExpiresAt = time.Time{} // the fallback cannot read expiry times
	}
	backendtest.EqualEntries(t, "restored through the fallback", backendtest.Snapshot(t, dst), want, 0)
}

type snapshotBackend interface {
	runtime.Backend
	runtime.Snapshotter
}

// countingBackend counts Snapshot iterations running at once.
type countingBackend struct {
	snapshotBackend
	running, most atomic.Int32
}

func (c *countingBackend) Snapshot(ctx context.Context) iter.Seq2[runtime.Entry, error] {
	inner := c.snapshotBackend.Snapshot(ctx)
	return func(yield func(runtime.Entry, error) bool) {
		n := c.running.Add(1)
		defer c.running.Add(-1)
		for old := c.most.Load(); n > old && !c.most.CompareAndSwap(old, n); old = c.most.Load() {
		}
		time.Sleep(5 * time.Millisecond)
		for e, err := range inner {
			if !yield(e, err) {
				return
			}
		}
	}
}

func TestConcurrentCheckpointsRunOneAtATime(t *testing.T) {
	inner := newMemory(t, nil)
	fill(t, inner, 100)
	b := &countingBackend{snapshotBackend: inner}
	c, _ := newCoordinator(t, b, checkpoint.Options{MaxCheckpoints: 20})
	var wg sync.WaitGroup
	ids := make([]string, 8)
	for i := range ids {
		wg.Go(func() {
			info, err := c.CreateCheckpoint(context.Background())
			if err != nil {
				t.Error(err)
			}
			ids[i] = info.ID
		})
	}
	wg.Wait()
	if m := b.most.Load(); m != 1 {
		t.Errorf("%d checkpoints ran at once, want 1", m)
	}
	seen := map[string]bool{}
	for _, id := range ids {
		if seen[id] {
			t.Errorf("ID %s given twice", id)
		}
		seen[id] = true
	}
}

func TestPeriodicAndMinInterval(t *testing.T) {
	ctx := context.Background()
	b := newMemory(t, nil)
	fill(t, b, 10)
	dir := t.TempDir()
	c, err := checkpoint.New(b, 5*time.Millisecond, checkpoint.Options{Dir: dir, MaxCheckpoints: 1000, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c.Start(ctx); err != nil { // idempotent
		t.Fatal(err)
	}
	waitFor(t, func() bool { return c.Stats().CheckpointsCreated >= 3 })
	if err := c.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}

	// With MinInterval an hour, and a checkpoint just taken, ticks are skipped.
	clock := runtime.NewManualClock(epoch)
	c2, err := checkpoint.New(b, 2*time.Millisecond, checkpoint.Options{Dir: t.TempDir(), MaxCheckpoints: 10, MinInterval: time.Hour, Clock: clock, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c2.CreateCheckpoint(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c2.Start(ctx); err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond)
	if n := c2.Stats().CheckpointsCreated; n != 1 {
		t.Fatalf("%d checkpoints while the last was younger than MinInterval, want 1", n)
	}
	clock.Advance(time.Hour)
	waitFor(t, func() bool { return c2.Stats().CheckpointsCreated >= 2 })
	if err := c2.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 10s")
		}
		time.Sleep(time.Millisecond)
	}
}

func TestPeriodicFailureKeepsTicking(t *testing.T) {
	b := failingBackend{Backend: newMemory(t, nil), entries: 1}
	c, err := checkpoint.New(b, 2*time.Millisecond, checkpoint.Options{Dir: t.TempDir(), MaxCheckpoints: 1, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { return c.Stats().CheckpointFailures >= 3 })
	if err := c.Shutdown(context.Background()); !errors.Is(err, errDisk) {
		t.Errorf("Shutdown = %v, want its final checkpoint's error", err)
	}
}

func TestShutdown(t *testing.T) {
	ctx := context.Background()
	b := newMemory(t, nil)
	fill(t, b, 20)
	c, dir := newCoordinator(t, b, checkpoint.Options{})
	if err := c.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	infos, err := c.List()
	if err != nil || len(infos) != 1 || infos[0].Entries != 20 {
		t.Fatalf("after Shutdown: %+v, %v; want the final checkpoint", infos, err)
	}
	if err := c.Shutdown(ctx); err != nil {
		t.Errorf("second Shutdown: %v", err)
	}
	if _, err := c.CreateCheckpoint(ctx); !errors.Is(err, runtime.ErrClosed) {
		t.Errorf("CreateCheckpoint after Shutdown: %v", err)
	}
	if _, err := c.RestoreLatest(ctx); !errors.Is(err, runtime.ErrClosed) {
		t.Errorf("RestoreLatest after Shutdown: %v", err)
	}
	if err := c.Start(ctx); !errors.Is(err, runtime.ErrClosed) {
		t.Errorf("Start after Shutdown: %v", err)
	}
	assertFiles(t, dir, []string{infos[0].ID})
}

// TestPointInTime: a writer keeps an invariant between two keys ("a" is written
// before "b", so a-1 <= b <= a) while checkpoints are taken; every restored
// checkpoint satisfies it, on both backends.
func TestPointInTime(t *testing.T) {
	for _, name := range []string{"memory", "badger"} {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			var b runtime.Backend
			if name == "memory" {
				b = newMemory(t, nil)
			} else {
				b = newBadger(t)
			}
			for i := range 2000 {
				if err := b.Put(ctx, fmt.Appendf(nil, "fill%05d", i), []byte("x")); err != nil {
					t.Fatal(err)
				}
			}
			c, dir := newCoordinator(t, b, checkpoint.Options{MaxCheckpoints: 100})
			var stop atomic.Bool
			var wg sync.WaitGroup
			wg.Go(func() {
				for i := 1; !stop.Load(); i++ {
					v := []byte(strconv.Itoa(i))
					if b.Put(ctx, []byte("a"), v) != nil || b.Put(ctx, []byte("b"), v) != nil {
						return
					}
				}
			})
			var ids []string
			for range 10 {
				info, err := c.CreateCheckpoint(ctx)
				if err != nil {
					t.Fatal(err)
				}
				ids = append(ids, info.ID)
			}
			stop.Store(true)
			wg.Wait()
			for _, id := range ids {
				dst := newMemory(t, nil)
				r, _ := newCoordinator(t, dst, checkpoint.Options{Dir: dir, MaxCheckpoints: 100})
				if err := r.Restore(ctx, id); err != nil {
					t.Fatal(err)
				}
				av, _, _ := dst.Get(ctx, []byte("a"))
				bv, _, _ := dst.Get(ctx, []byte("b"))
				a, _ := strconv.Atoi(string(av))
				bn, _ := strconv.Atoi(string(bv))
				if bn > a || bn < a-1 {
					t.Fatalf("checkpoint %s has a=%d b=%d: not one point in time", id, a, bn)
				}
			}
		})
	}
}

func TestNewRefusesTypedNil(t *testing.T) {
	var mem *memory.Backend
	var bdg *badger.Backend
	for _, b := range []runtime.Backend{mem, bdg} {
		_, err := checkpoint.New(b, time.Minute, checkpoint.Options{Dir: t.TempDir(), MaxCheckpoints: 1})
		if !errors.Is(err, runtime.ErrInvalidArgument) || !strings.Contains(err.Error(), "nil") {
			t.Errorf("New(%T(nil)): %v, want ErrInvalidArgument naming the nil backend", b, err)
		}
	}
}

// slowOnce is a backend whose first Snapshot blocks until its ctx ends.
type slowOnce struct {
	runtime.Backend
	calls   atomic.Int32
	started chan struct{}
}

func (s *slowOnce) Snapshot(ctx context.Context) iter.Seq2[runtime.Entry, error] {
	if s.calls.Add(1) == 1 {
		return func(yield func(runtime.Entry, error) bool) {
			close(s.started)
			<-ctx.Done()
			yield(runtime.Entry{}, ctx.Err())
		}
	}
	return s.Backend.(runtime.Snapshotter).Snapshot(ctx)
}

func (s *slowOnce) Restore(ctx context.Context, e iter.Seq2[runtime.Entry, error]) error {
	return s.Backend.(runtime.Snapshotter).Restore(ctx, e)
}

// TestShutdownCancelIsNotAFailure: Shutdown cancelling a periodic checkpoint
// in flight logs no error and counts no failure.
func TestShutdownCancelIsNotAFailure(t *testing.T) {
	var logs strings.Builder
	var mu sync.Mutex
	logger := slog.New(slog.NewTextHandler(writerFunc(func(p []byte) (int, error) {
		mu.Lock()
		defer mu.Unlock()
		return logs.Write(p)
	}), nil))
	b := &slowOnce{Backend: newMemory(t, nil), started: make(chan struct{})}
	fill(t, b.Backend, 5)
	c, err := checkpoint.New(b, time.Millisecond, checkpoint.Options{Dir: t.TempDir(), MaxCheckpoints: 2, Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	<-b.started
	if err := c.Shutdown(context.Background()); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	s := c.Stats()
	if s.CheckpointFailures != 0 || s.CheckpointsCancelled < 1 || s.CheckpointsCreated != 1 {
		t.Errorf("stats %+v: want 0 failures, the periodic one cancelled, 1 created (the final one)", s)
	}
	mu.Lock()
	defer mu.Unlock()
	if strings.Contains(logs.String(), "level=ERROR") {
		t.Errorf("an ERROR was logged:\n%s", logs.String())
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// TestClockBackKeepsPeriodicCheckpoints: a clock that goes back does not make
// the last checkpoint "younger than MinInterval" until it catches up.
func TestClockBackKeepsPeriodicCheckpoints(t *testing.T) {
	clock := runtime.NewManualClock(epoch)
	c, err := checkpoint.New(newMemory(t, nil), 5*time.Millisecond, checkpoint.Options{Dir: t.TempDir(), MaxCheckpoints: 2, Clock: clock, MinInterval: time.Hour, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer c.Shutdown(context.Background())
	if _, err := c.CreateCheckpoint(context.Background()); err != nil {
		t.Fatal(err)
	}
	clock.Set(epoch.Add(-24 * time.Hour))
	waitFor(t, func() bool { return c.Stats().CheckpointsCreated >= 2 })
}

// TestClockBeyondIDs: a clock past the year 9999 has no checkpoint ID: an
// error, and no file that List, restores and retention could not see.
func TestClockBeyondIDs(t *testing.T) {
	for _, at := range []time.Time{time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(20000, 1, 1, 0, 0, 0, 0, time.UTC)} {
		clock := runtime.NewManualClock(at)
		c, dir := newCoordinator(t, newMemory(t, nil), checkpoint.Options{Clock: clock})
		if _, err := c.CreateCheckpoint(context.Background()); !errors.Is(err, runtime.ErrInvalidArgument) {
			t.Errorf("clock at %v: CreateCheckpoint = %v, want ErrInvalidArgument", at, err)
		}
		assertFiles(t, dir, nil)
	}
}

// TestWaitForCoordinatorEndsWithContext: a Scan callback that checkpoints while
// RestoreLatest (holding the coordinator) waits for that Scan does not hang:
// the checkpoint gives up with its ctx, then the restore completes.
func TestWaitForCoordinatorEndsWithContext(t *testing.T) {
	ctx := context.Background()
	b := newBadger(t)
	fill(t, b, 10)
	c, _ := newCoordinator(t, b, checkpoint.Options{})
	if _, err := c.CreateCheckpoint(ctx); err != nil {
		t.Fatal(err)
	}
	restored := make(chan error, 1)
	scanErr := make(chan error, 1)
	go func() {
		first := true
		scanErr <- b.Scan(ctx, nil, func(_, _ []byte) error {
			if !first {
				return nil
			}
			first = false
			go func() { _, err := c.RestoreLatest(ctx); restored <- err }()
			time.Sleep(100 * time.Millisecond) // RestoreLatest holds the coordinator, waits for this Scan
			wctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
			defer cancel()
			if _, err := c.CreateCheckpoint(wctx); !errors.Is(err, context.DeadlineExceeded) {
				return fmt.Errorf("CreateCheckpoint inside the Scan: %v, want DeadlineExceeded", err)
			}
			return nil
		})
	}()
	for _, ch := range []chan error{scanErr, restored} {
		select {
		case err := <-ch:
			if err != nil {
				t.Fatal(err)
			}
		case <-time.After(20 * time.Second):
			t.Fatal("hang")
		}
	}
}
