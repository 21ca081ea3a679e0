package checkpoint_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.uber.org/goleak"

	"github.com/statekit/statekit/backends/backendtest"
	"github.com/statekit/statekit/backends/badger"
	"github.com/statekit/statekit/backends/memory"
	"github.com/statekit/statekit/checkpoint"
	"github.com/statekit/statekit/internal/testproc"
	"github.com/statekit/statekit/runtime"
)

func TestMain(m *testing.M) {
	testproc.RunChild(crashChildEnv, crashChild)
	goleak.VerifyTestMain(m)
}

var quiet = slog.New(slog.DiscardHandler)

var epoch = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

func newMemory(t *testing.T, clock runtime.Clock) *memory.Backend {
	b := memory.New(memory.Options{Clock: clock})
	t.Cleanup(func() { b.Close() })
	return b
}

func newBadger(t *testing.T) *badger.Backend {
	b, err := badger.Open(context.Background(), badger.NewConfig(t.TempDir()).WithLogger(quiet))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

// newCoordinator returns a Coordinator for b and its directory (a new one
// unless opts.Dir is set).
func newCoordinator(t *testing.T, b runtime.Backend, opts checkpoint.Options) (*checkpoint.Coordinator, string) {
	t.Helper()
	if opts.Dir == "" {
		opts.Dir = t.TempDir()
	}
	if opts.MaxCheckpoints == 0 {
		opts.MaxCheckpoints = 10
	}
	if opts.Logger == nil {
		opts.Logger = quiet
	}
	c, err := checkpoint.New(b, time.Hour, opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c, opts.Dir
}

// fill writes n entries with binary keys, some with a TTL.
func fill(t *testing.T, b runtime.Backend, n int) {
	t.Helper()
	ctx := context.Background()
	tw := b.(runtime.TTLWriter)
	for i := range n {
		key := fmt.Appendf(nil, "k\x00%05d\xff", i)
		value := fmt.Appendf(nil, "value-%d-%s", i, strings.Repeat("x", i%50))
		var err error
		if i%3 == 0 {
			err = tw.PutTTL(ctx, key, value, time.Duration(i+1)*time.Hour)
		} else {
			err = b.Put(ctx, key, value)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}

func TestNewRejectsBadOptions(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	b := newMemory(t, nil)
	ok := checkpoint.Options{Dir: t.TempDir(), MaxCheckpoints: 1}
	tests := []struct {
		name     string
		backend  runtime.Backend
		interval time.Duration
		opts     func(o checkpoint.Options) checkpoint.Options
		want     string
	}{
		{"nil backend", nil, time.Second, func(o checkpoint.Options) checkpoint.Options { return o }, "backend"},
		{"zero interval", b, 0, func(o checkpoint.Options) checkpoint.Options { return o }, "interval"},
		{"negative interval", b, -time.Second, func(o checkpoint.Options) checkpoint.Options { return o }, "interval"},
		{"no dir", b, time.Second, func(o checkpoint.Options) checkpoint.Options { o.Dir = ""; return o }, "Options.Dir"},
		{"dir is a file", b, time.Second, func(o checkpoint.Options) checkpoint.Options { o.Dir = file; return o }, "is a file"},
		{"no checkpoints kept", b, time.Second, func(o checkpoint.Options) checkpoint.Options { o.MaxCheckpoints = 0; return o }, "MaxCheckpoints"},
		{"negative min interval", b, time.Second, func(o checkpoint.Options) checkpoint.Options { o.MinInterval = -1; return o }, "MinInterval"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := checkpoint.New(tc.backend, tc.interval, tc.opts(ok))
			if err == nil || c != nil {
				t.Fatal("New accepted bad options")
			}
			if !errors.Is(err, runtime.ErrInvalidArgument) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q: want ErrInvalidArgument naming %q", err, tc.want)
			}
		})
	}
}

func TestRoundTrip(t *testing.T) {
	for _, compress := range []bool{false, true} {
		t.Run(fmt.Sprint("compress=", compress), func(t *testing.T) {
			clock := runtime.NewManualClock(epoch)
			src := newMemory(t, clock)
			fill(t, src, 500)
			dir := t.TempDir()
			c, _ := newCoordinator(t, src, checkpoint.Options{Dir: dir, Compress: compress, Clock: clock})
			info, err := c.CreateCheckpoint(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if info.Entries != 500 || info.Compressed != compress || !info.CreatedAt.Equal(epoch) {
				t.Errorf("Info = %+v", info)
			}
			fi, err := os.Stat(filepath.Join(dir, info.ID+".ckpt"))
			if err != nil || fi.Size() != info.SizeBytes || fi.Mode().Perm() != 0o600 {
				t.Fatalf("file: %v, %v; want %d bytes, mode 0600", fi, err, info.SizeBytes)
			}
			dst := newMemory(t, clock)
			fill(t, dst, 7) // replaced by the restore
			if err := dst.Put(context.Background(), []byte("extra"), []byte("gone")); err != nil {
				t.Fatal(err)
			}
			rc, _ := newCoordinator(t, dst, checkpoint.Options{Dir: dir, Clock: clock})
			got, err := rc.RestoreLatest(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(info, got); diff != "" {
				t.Errorf("RestoreLatest Info (-created +restored):\n%s", diff)
			}
			backendtest.EqualEntries(t, "restored contents", backendtest.Snapshot(t, dst), backendtest.Snapshot(t, src), 0)
			st := rc.Stats()
			if st.Restores != 1 || st.RestoreFailures != 0 || st.LastRestoreDuration <= 0 {
				t.Errorf("restore stats %+v", st)
			}
			cs := c.Stats()
			if cs.CheckpointsCreated != 1 || cs.TotalBytesCheckpointed != info.SizeBytes || !cs.LastCheckpointTime.Equal(epoch) ||
				cs.LastCheckpointBytes != info.SizeBytes || cs.LastCheckpointEntries != info.Entries || info.Entries == 0 {
				t.Errorf("checkpoint stats %+v", cs)
			}
		})
	}
}

func TestCompressionShrinks(t *testing.T) {
	b := newMemory(t, nil)
	fill(t, b, 2000)
	cp, _ := newCoordinator(t, b, checkpoint.Options{})
	plain, err := cp.CreateCheckpoint(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	cc, _ := newCoordinator(t, b, checkpoint.Options{Compress: true})
	packed, err := cc.CreateCheckpoint(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if packed.SizeBytes*2 > plain.SizeBytes {
		t.Errorf("compressed %d bytes, uncompressed %d: want at least 2x smaller for repetitive values", packed.SizeBytes, plain.SizeBytes)
	}
}

// TestTTLKeptAcrossRestore: an entry restored with 10 minutes left expires 10
// minutes later; one that expired meanwhile is not restored.
func TestTTLKeptAcrossRestore(t *testing.T) {
	clock := runtime.NewManualClock(epoch)
	b := newMemory(t, clock)
	ctx := context.Background()
	if err := b.PutTTL(ctx, []byte("ten"), []byte("v"), 10*time.Minute); err != nil {
		t.Fatal(err)
	}
	if err := b.PutTTL(ctx, []byte("one"), []byte("v"), time.Minute); err != nil {
		t.Fatal(err)
	}
	c, dir := newCoordinator(t, b, checkpoint.Options{Clock: clock})
	if _, err := c.CreateCheckpoint(ctx); err != nil {
		t.Fatal(err)
	}
	clock.Advance(2 * time.Minute)
	dst := newMemory(t, clock)
	rc, _ := newCoordinator(t, dst, checkpoint.Options{Dir: dir, Clock: clock})
	if _, err := rc.RestoreLatest(ctx); err != nil {
		t.Fatal(err)
	}
	want := []runtime.Entry{{Key: []byte("ten"), Value: []byte("v"), ExpiresAt: epoch.Add(10 * time.Minute)}}
	backendtest.EqualEntries(t, "after restore", backendtest.Snapshot(t, dst), want, 0)
	clock.Set(epoch.Add(10 * time.Minute))
	if _, ok, _ := dst.Get(ctx, []byte("ten")); ok {
		t.Error("restored entry outlived its TTL")
	}
}
