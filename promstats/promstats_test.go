package promstats_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"
	"go.uber.org/goleak"

	"github.com/statekit/statekit/backends/badger"
	"github.com/statekit/statekit/backends/memory"
	"github.com/statekit/statekit/checkpoint"
	"github.com/statekit/statekit/promstats"
	"github.com/statekit/statekit/runtime"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// ops runs a known mix of operations: 3 puts, 4 gets (3 hits, 1 miss),
// 1 delete, 2 lists.
func ops(t *testing.T, b runtime.Backend) {
	t.Helper()
	ctx := context.Background()
	for _, k := range []string{"a/x", "a/y", "a/z"} {
		if err := b.Put(ctx, []byte(k), []byte("value")); err != nil {
			t.Fatal(err)
		}
	}
	for _, k := range []string{"a/x", "a/y", "a/z", "missing"} {
		if _, _, err := b.Get(ctx, []byte(k)); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Delete(ctx, []byte("a/z")); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, err := b.ListKeys(ctx, []byte("a/")); err != nil {
			t.Fatal(err)
		}
	}
}

const opsMetrics = `
# HELP statekit_backend_hits_total Gets that found their key.
# TYPE statekit_backend_hits_total counter
statekit_backend_hits_total{backend="%[1]s",name="orders"} 3
# HELP statekit_backend_misses_total Gets that did not find their key.
# TYPE statekit_backend_misses_total counter
statekit_backend_misses_total{backend="%[1]s",name="orders"} 1
# HELP statekit_backend_operations_total Backend operations since the backend was opened, by operation.
# TYPE statekit_backend_operations_total counter
statekit_backend_operations_total{backend="%[1]s",name="orders",op="delete"} 1
statekit_backend_operations_total{backend="%[1]s",name="orders",op="get"} 4
statekit_backend_operations_total{backend="%[1]s",name="orders",op="list"} 2
statekit_backend_operations_total{backend="%[1]s",name="orders",op="put"} 3
`

// TestBackendCollector runs the same operations on both real backends and
// checks the counters, which gauges each exports, and that the exported gauges
// are what Stats says.
func TestBackendCollector(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name       string
		open       func(t *testing.T) runtime.Backend
		gauges     []string // exported
		leftOut    []string // Stats says -1
		positive   []string // must be > 0 after the puts
		wantExpiry bool
	}{
		{
			name: "memory",
			open: func(t *testing.T) runtime.Backend {
				return memory.New(memory.Options{})
			},
			gauges:   []string{"statekit_backend_entries", "statekit_backend_memory_bytes", "statekit_backend_disk_bytes"},
			positive: []string{"statekit_backend_entries", "statekit_backend_memory_bytes"},
		},
		{
			name: "badger",
			open: func(t *testing.T) runtime.Backend {
				b, err := badger.Open(ctx, badger.NewConfig(t.TempDir()).WithLogger(quiet))
				if err != nil {
					t.Fatal(err)
				}
				return b
			},
			gauges:   []string{"statekit_backend_disk_bytes"},
			leftOut:  []string{"statekit_backend_entries"},
			positive: []string{"statekit_backend_disk_bytes"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := tt.open(t)
			defer b.Close()
			ops(t, b)
			c := promstats.NewBackendCollector(b.(runtime.StatsReporter), promstats.Labels{Name: "orders"})
			err := testutil.CollectAndCompare(c, strings.NewReader(fmt.Sprintf(opsMetrics, tt.name)),
				"statekit_backend_operations_total", "statekit_backend_hits_total", "statekit_backend_misses_total")
			if err != nil {
				t.Error(err)
			}
			if n := testutil.CollectAndCount(c, "statekit_backend_expired_total"); n != 1 {
				t.Errorf("expired_total: %d series, want 1", n)
			}
			for _, name := range tt.leftOut {
				if n := testutil.CollectAndCount(c, name); n != 0 {
					t.Errorf("%s: %d series, want none (Stats reports -1)", name, n)
				}
			}
			st := b.(runtime.StatsReporter).Stats()
			wantCache := 0
			if st.CacheHitCount+st.CacheMissCount > 0 {
				wantCache = 1
			}
			if tt.name == "badger" && wantCache == 0 {
				t.Error("Badger's Stats count no value-cache use after Gets")
			}
			for _, name := range []string{"statekit_backend_cache_hits_total", "statekit_backend_cache_misses_total"} {
				if n := testutil.CollectAndCount(c, name); n != wantCache {
					t.Errorf("%s: %d series, want %d", name, n, wantCache)
				}
			}
			want := map[string]int64{
				"statekit_backend_entries":      st.Entries,
				"statekit_backend_memory_bytes": st.MemoryBytes,
				"statekit_backend_disk_bytes":   st.DiskBytes,
			}
			got := gather(t, c)
			for _, name := range tt.gauges {
				v, ok := got[name]
				if !ok {
					t.Errorf("%s missing", name)
					continue
				}
				if name != "statekit_backend_disk_bytes" && v != float64(want[name]) { // disk size moves
					t.Errorf("%s = %v, Stats says %d", name, v, want[name])
				}
			}
			for _, name := range tt.positive {
				if got[name] <= 0 {
					t.Errorf("%s = %v, want > 0", name, got[name])
				}
			}
			if tt.name == "memory" && got["statekit_backend_entries"] != 2 {
				t.Errorf("entries = %v, want 2", got["statekit_backend_entries"])
			}
			lint(t, c)
		})
	}
}

// TestBackendCollectorExpired: the expired counter follows the memory
// backend's cleanup.
func TestBackendCollectorExpired(t *testing.T) {
	ctx := context.Background()
	clock := runtime.NewManualClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	b := memory.New(memory.Options{TTL: time.Minute, Clock: clock})
	defer b.Close()
	for i := range 5 {
		if err := b.Put(ctx, fmt.Appendf(nil, "k%d", i), []byte("v")); err != nil {
			t.Fatal(err)
		}
	}
	c := promstats.NewBackendCollector(b, promstats.LabelsFor(b, "sessions"))
	clock.Advance(2 * time.Minute)
	b.CleanupExpired(ctx)
	want := `
# HELP statekit_backend_expired_total Entries removed because their TTL expired.
# TYPE statekit_backend_expired_total counter
statekit_backend_expired_total{backend="memory",name="sessions"} 5
# HELP statekit_backend_entries Live entries in the backend (an estimate where the backend says so).
# TYPE statekit_backend_entries gauge
statekit_backend_entries{backend="memory",name="sessions"} 0
`
	if err := testutil.CollectAndCompare(c, strings.NewReader(want), "statekit_backend_expired_total", "statekit_backend_entries"); err != nil {
		t.Error(err)
	}
}

// custom stands for a user's own backend type.
type custom struct{}

// TestCheckpointCollector drives a real Coordinator through successes, a
// failure and a restore, and checks every metric against what happened.
func TestCheckpointCollector(t *testing.T) {
	ctx := context.Background()
	b := memory.New(memory.Options{})
	defer b.Close()
	ops(t, b)
	dir := t.TempDir()
	coord, err := checkpoint.New(b, time.Hour, checkpoint.Options{Dir: dir, MaxCheckpoints: 5, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	c := promstats.NewCheckpointCollector(coord, promstats.LabelsFor(b, "orders"))

	// Before any checkpoint: counters at zero, no timestamp to alert on.
	for name, want := range map[string]int{
		"statekit_checkpoints_created_total":                 1,
		"statekit_checkpoint_last_success_timestamp_seconds": 0,
		"statekit_checkpoint_last_duration_seconds":          0,
		"statekit_checkpoint_last_restore_duration_seconds":  0,
		"statekit_checkpoint_newest_size_bytes":              0,
		"statekit_checkpoint_files":                          1,
	} {
		if n := testutil.CollectAndCount(c, name); n != want {
			t.Errorf("before any checkpoint: %s: %d series, want %d", name, n, want)
		}
	}

	first, err := coord.CreateCheckpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Put(ctx, []byte("a/more"), []byte("state")); err != nil {
		t.Fatal(err)
	}
	second, err := coord.CreateCheckpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// A failed checkpoint: a deadline already past (a cancelled context is
	// counted as cancelled, not failed).
	late, cancelLate := context.WithDeadline(ctx, time.Now().Add(-time.Second))
	defer cancelLate()
	if _, err := coord.CreateCheckpoint(late); err == nil {
		t.Fatal("a checkpoint with an expired deadline succeeded")
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := coord.CreateCheckpoint(cancelled); err == nil {
		t.Fatal("a checkpoint with a cancelled context succeeded")
	}
	if _, err := coord.RestoreLatest(ctx); err != nil {
		t.Fatal(err)
	}

	want := fmt.Sprintf(`
# HELP statekit_checkpoints_created_total Checkpoints written successfully.
# TYPE statekit_checkpoints_created_total counter
statekit_checkpoints_created_total{backend="memory",name="orders"} 2
# HELP statekit_checkpoint_failures_total Checkpoints that failed (nothing was written under a checkpoint's name).
# TYPE statekit_checkpoint_failures_total counter
statekit_checkpoint_failures_total{backend="memory",name="orders"} 1
# HELP statekit_checkpoint_cancelled_total Checkpoints stopped because their context was cancelled (by Shutdown, say): not failures.
# TYPE statekit_checkpoint_cancelled_total counter
statekit_checkpoint_cancelled_total{backend="memory",name="orders"} 1
# HELP statekit_checkpoint_restores_total Checkpoints restored successfully.
# TYPE statekit_checkpoint_restores_total counter
statekit_checkpoint_restores_total{backend="memory",name="orders"} 1
# HELP statekit_checkpoint_restore_failures_total Restores that failed, corrupt checkpoints included.
# TYPE statekit_checkpoint_restore_failures_total counter
statekit_checkpoint_restore_failures_total{backend="memory",name="orders"} 0
# HELP statekit_checkpoint_written_bytes_total Bytes of checkpoint files written successfully.
# TYPE statekit_checkpoint_written_bytes_total counter
statekit_checkpoint_written_bytes_total{backend="memory",name="orders"} %d
# HELP statekit_checkpoint_files Readable checkpoint files in the directory.
# TYPE statekit_checkpoint_files gauge
statekit_checkpoint_files{backend="memory",name="orders"} 2
# HELP statekit_checkpoint_newest_size_bytes Size of the newest readable checkpoint file in the directory.
# TYPE statekit_checkpoint_newest_size_bytes gauge
statekit_checkpoint_newest_size_bytes{backend="memory",name="orders"} %d
# HELP statekit_checkpoint_newest_entries Entries in the newest readable checkpoint file in the directory.
# TYPE statekit_checkpoint_newest_entries gauge
statekit_checkpoint_newest_entries{backend="memory",name="orders"} 3
`, first.SizeBytes+second.SizeBytes, second.SizeBytes)
	names := []string{
		"statekit_checkpoints_created_total", "statekit_checkpoint_failures_total", "statekit_checkpoint_cancelled_total",
		"statekit_checkpoint_restores_total", "statekit_checkpoint_restore_failures_total",
		"statekit_checkpoint_written_bytes_total", "statekit_checkpoint_files",
		"statekit_checkpoint_newest_size_bytes", "statekit_checkpoint_newest_entries",
	}
	if err := testutil.CollectAndCompare(c, strings.NewReader(want), names...); err != nil {
		t.Error(err)
	}
	got := gather(t, c)
	if ts, want := got["statekit_checkpoint_last_success_timestamp_seconds"], float64(second.CreatedAt.UnixNano())/1e9; math.Abs(ts-want) > 1e-6 {
		t.Errorf("last success timestamp = %f, want %f (the second checkpoint's creation)", ts, want)
	}
	for _, name := range []string{"statekit_checkpoint_last_duration_seconds", "statekit_checkpoint_last_restore_duration_seconds"} {
		if v, ok := got[name]; !ok || v <= 0 || v > 60 {
			t.Errorf("%s = %v (present %v), want a duration in (0, 60s]", name, v, ok)
		}
	}
	lint(t, c)

	// A corrupt newest file: RestoreLatest skips it (counted), and the
	// directory gauges describe the newest readable file.
	path := filepath.Join(dir, second.ID+".ckpt")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	data[len(data)/2] ^= 0x40
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := coord.RestoreLatest(ctx); err != nil {
		t.Fatal(err)
	}
	got = gather(t, c)
	for name, want := range map[string]float64{
		"statekit_checkpoint_corrupt_skipped_total":  1,
		"statekit_checkpoint_restore_failures_total": 1,
		"statekit_checkpoint_restores_total":         2,
	} {
		if got[name] != want {
			t.Errorf("after a corrupt checkpoint: %s = %v, want %v", name, got[name], want)
		}
	}
}

// TestCheckpointCollectorDirGone: a directory that cannot be listed leaves
// out the gauges read from it and nothing else: the scrape still succeeds and
// carries the counters the alerts need (a failed scrape would silence them
// exactly when they should fire).
func TestCheckpointCollectorDirGone(t *testing.T) {
	b := memory.New(memory.Options{})
	defer b.Close()
	dir := filepath.Join(t.TempDir(), "ckpt")
	coord, err := checkpoint.New(b, time.Hour, checkpoint.Options{Dir: dir, MaxCheckpoints: 1, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(promstats.NewCheckpointCollector(coord, promstats.LabelsFor(b, "orders")))
	families, err := reg.Gather()
	if err != nil {
		t.Fatalf("gather with the directory gone: %v, want the counters without the directory's gauges", err)
	}
	got := map[string]bool{}
	for _, f := range families {
		got[f.GetName()] = true
	}
	if !got["statekit_checkpoint_failures_total"] || got["statekit_checkpoint_files"] {
		t.Errorf("families with the directory gone: %v; want checkpoint_failures_total and no checkpoint_files", got)
	}
}

// TestRegistry: the collectors of two stores register side by side; the same
// labels twice are refused by the registry.
func TestRegistry(t *testing.T) {
	orders, sessions := memory.New(memory.Options{}), memory.New(memory.Options{})
	defer orders.Close()
	defer sessions.Close()
	reg := prometheus.NewPedanticRegistry()
	for _, c := range []prometheus.Collector{
		promstats.NewBackendCollector(orders, promstats.LabelsFor(orders, "orders")),
		promstats.NewBackendCollector(sessions, promstats.LabelsFor(sessions, "sessions")),
	} {
		if err := reg.Register(c); err != nil {
			t.Fatal(err)
		}
	}
	if err := reg.Register(promstats.NewBackendCollector(orders, promstats.LabelsFor(orders, "orders"))); err == nil {
		t.Error("registering the same labels twice succeeded")
	}
	if n, err := testutil.GatherAndCount(reg, "statekit_backend_hits_total"); err != nil || n != 2 {
		t.Errorf("hits series: %d, %v; want 2", n, err)
	}
	problems, err := testutil.GatherAndLint(reg)
	if err != nil || len(problems) > 0 {
		t.Errorf("lint: %v %v", problems, err)
	}
}

func TestBackendName(t *testing.T) {
	b := memory.New(memory.Options{})
	defer b.Close()
	tests := []struct {
		v    any
		want string
	}{
		{b, "memory"},
		{nil, "unknown"},
		{struct{}{}, "unknown"},
		{custom{}, "promstats_test"},
		{&badger.Backend{}, "badger"},
	}
	for _, tt := range tests {
		if got := promstats.BackendName(tt.v); got != tt.want {
			t.Errorf("BackendName(%T) = %q, want %q", tt.v, got, tt.want)
		}
	}
}

func gather(t *testing.T, c prometheus.Collector) map[string]float64 {
	t.Helper()
	out, err := gatherErr(c)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// gatherErr collects c into a map from metric name to the sum of its series.
func gatherErr(c prometheus.Collector) (map[string]float64, error) {
	reg := prometheus.NewPedanticRegistry()
	if err := reg.Register(c); err != nil {
		return nil, err
	}
	mfs, err := reg.Gather()
	if err != nil {
		return nil, err
	}
	out := map[string]float64{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			out[mf.GetName()] += value(mf.GetType(), m)
		}
	}
	return out, nil
}

func value(t dto.MetricType, m *dto.Metric) float64 {
	if t == dto.MetricType_COUNTER {
		return m.GetCounter().GetValue()
	}
	return m.GetGauge().GetValue()
}

func lint(t *testing.T, c prometheus.Collector) {
	t.Helper()
	problems, err := testutil.CollectAndLint(c)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("lint: %s: %s", p.Metric, p.Text)
	}
}

// TestConcurrentScrapes: scrapes while many goroutines write see the put
// counter never go back, and the last scrape counts every put.
func TestConcurrentScrapes(t *testing.T) {
	ctx := context.Background()
	b := memory.New(memory.Options{})
	defer b.Close()
	c := promstats.NewBackendCollector(b, promstats.LabelsFor(b, "orders"))
	const writers, puts = 4, 2000
	done := make(chan struct{})
	errs := make(chan error, writers+2)
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range puts {
				if err := b.Put(ctx, fmt.Appendf(nil, "k%d/%d", w, i), []byte("v")); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	var scrapers sync.WaitGroup
	for range 2 {
		scrapers.Go(func() {
			last := -1.0
			for {
				select {
				case <-done:
					return
				default:
				}
				got, err := gatherErr(c)
				if err != nil {
					errs <- err
					return
				}
				v := got["statekit_backend_operations_total"] // get+put+delete+list
				if v < last {
					errs <- fmt.Errorf("operations went from %v to %v", last, v)
					return
				}
				last = v
			}
		})
	}
	wg.Wait()
	close(done)
	scrapers.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	want := fmt.Sprintf(`
# HELP statekit_backend_operations_total Backend operations since the backend was opened, by operation.
# TYPE statekit_backend_operations_total counter
statekit_backend_operations_total{backend="memory",name="orders",op="delete"} 0
statekit_backend_operations_total{backend="memory",name="orders",op="get"} 0
statekit_backend_operations_total{backend="memory",name="orders",op="list"} 0
statekit_backend_operations_total{backend="memory",name="orders",op="put"} %d
`, writers*puts)
	if err := testutil.CollectAndCompare(c, strings.NewReader(want), "statekit_backend_operations_total"); err != nil {
		t.Error(err)
	}
	if got := gather(t, c)["statekit_backend_entries"]; got != writers*puts {
		t.Errorf("entries = %v, want %d", got, writers*puts)
	}
}
