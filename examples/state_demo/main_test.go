package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"github.com/statekit/statekit/backends/redis/redistest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/statekit/statekit/backends/badger"
	"github.com/statekit/statekit/checkpoint"
	_ "github.com/statekit/statekit/internal/golden"
	"github.com/statekit/statekit/runtime"
)

func TestMain(m *testing.M) {
	// Badger v4.9.6 leaves these goroutines behind when its Open fails, as
	// it does in TestOpenAfterEmptyVlog.
	goleak.VerifyTestMain(m,
		goleak.IgnoreTopFunction("github.com/dgraph-io/badger/v4.(*DB).monitorCache"),
		goleak.IgnoreTopFunction("github.com/dgraph-io/ristretto/v2/z.(*AllocatorPool).freeupAllocators"))
}

// small is a configuration that runs in a second or two.
func small(backend string) config {
	return config{events: 6000, backend: backend, customers: 300, merchants: 6, disorder: 8 * time.Second,
		seed: 5, checkpointEvery: 700, crashAt: 4700}
}

// TestTour runs the tour on every backend: it must find the run with a crash
// equal to the run without, and say so.
func TestTour(t *testing.T) {
	for _, backend := range []string{"memory", "badger", "redis"} {
		t.Run(backend, func(t *testing.T) {
			cfg := small(backend)
			cfg.dir = filepath.Join(t.TempDir(), "demo")
			var srv *redistest.Server
			if backend == "redis" {
				srv = redistest.StartServer(t)
				cfg.redis = []string{srv.Addr()}
				defer func() { // the tour leaves nothing behind in a Redis it shares
					if keys, err := srv.Do("DBSIZE"); err != nil || strings.TrimSpace(keys) != "0" {
						t.Errorf("Redis after the tour: DBSIZE %q, %v; want 0", keys, err)
					}
				}()
			}
			var out bytes.Buffer
			if err := tour(context.Background(), &out, cfg); err != nil {
				t.Fatalf("%v\n%s", err, out.String())
			}
			for _, want := range []string{
				"until a crash at order 4700",
				"orders since the checkpoint at order 4200 will be replayed",
				"position saved in it: order 4200",
				"4. Resuming at order 4200",
				"equal: the same ",
				"late orders dropped",
				"hit rate",
				"checkpoints: 6 before the crash, 3 after, 0 failed",
				"restores: 1 in",
				"valid",
				"go run ./cmd/statectl ls " + filepath.Join(cfg.dir, "checkpoints"),
			} {
				if !strings.Contains(out.String(), want) {
					t.Errorf("output lacks %q:\n%s", want, out.String())
				}
			}
			if strings.Contains(out.String(), "the same 0 late orders") {
				t.Errorf("no late orders: the stream no longer tests the fired watermark across a restore:\n%s", out.String())
			}
			if strings.Contains(out.String(), " 0 windows fired again") {
				t.Errorf("no window fired twice: the crash is not between a firing and a checkpoint:\n%s", out.String())
			}
			names, err := filepath.Glob(filepath.Join(cfg.dir, "checkpoints", "*.ckpt"))
			if err != nil || len(names) != 5 {
				t.Errorf("checkpoint files: %v, %v; want 5 (MaxCheckpoints)", names, err)
			}
		})
	}
}

// TestTourCatchesDoubleApply saves the position one event early, so that the
// restore applies an event twice: the tour must notice and fail.
func TestTourCatchesDoubleApply(t *testing.T) {
	for _, backend := range []string{"memory", "badger"} {
		t.Run(backend, func(t *testing.T) {
			cfg := small(backend)
			cfg.dir = filepath.Join(t.TempDir(), "demo")
			cfg.positionLag = 1
			var out bytes.Buffer
			err := tour(context.Background(), &out, cfg)
			if err == nil {
				t.Fatalf("an event applied twice went unnoticed:\n%s", out.String())
			}
			if !strings.Contains(err.Error(), "differs") && !strings.Contains(err.Error(), "different contents") {
				t.Errorf("error %q does not say the runs differ", err)
			}
		})
	}
}

// TestCrashBeforeFirstCheckpoint crashes before any checkpoint: the restart
// finds none and starts from the beginning, with the same results.
func TestCrashBeforeFirstCheckpoint(t *testing.T) {
	for _, backend := range []string{"memory", "badger"} {
		t.Run(backend, func(t *testing.T) {
			cfg := small(backend)
			cfg.dir = filepath.Join(t.TempDir(), "demo")
			cfg.crashAt = 650
			var out bytes.Buffer
			if err := tour(context.Background(), &out, cfg); err != nil {
				t.Fatalf("%v\n%s", err, out.String())
			}
			for _, want := range []string{"before the first checkpoint", "No checkpoint to restore", "equal: the same "} {
				if !strings.Contains(out.String(), want) {
					t.Errorf("output lacks %q:\n%s", want, out.String())
				}
			}
		})
	}
}

// TestBadConfig checks that bad flags and a directory in use are refused
// with an error naming them.
func TestBadConfig(t *testing.T) {
	used := t.TempDir()
	if err := os.WriteFile(filepath.Join(used, "x"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		edit func(*config)
		want string
	}{
		{"backend", func(c *config) { c.backend = "cassandra" }, `-backend "cassandra"`},
		{"events", func(c *config) { c.events = 0 }, "-events 0"},
		{"customers", func(c *config) { c.customers = 0 }, "-customers 0"},
		{"disorder", func(c *config) { c.disorder = -time.Second }, "-disorder -1s"},
		{"checkpoint-every", func(c *config) { c.checkpointEvery = 0 }, "-checkpoint-every 0"},
		{"crash-at", func(c *config) { c.crashAt = 6001 }, "-crash-at 6001"},
		{"lag", func(c *config) { c.positionLag = -1 }, "-unsafe-position-lag -1"},
		{"dir in use", func(c *config) { c.dir = used }, "is not empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := small("memory")
			cfg.dir = filepath.Join(t.TempDir(), "demo")
			tt.edit(&cfg)
			err := tour(context.Background(), &bytes.Buffer{}, cfg)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("tour: %v, want an error with %q", err, tt.want)
			}
		})
	}
	if err := runJob(context.Background(), &bytes.Buffer{}, small("memory")); err == nil || !strings.Contains(err.Error(), "-job needs -dir") {
		t.Errorf("runJob without -dir: %v", err)
	}
}

// jobOutput runs the job in dir and returns its final records.
func jobOutput(t *testing.T, cfg config) (resume record, windows map[windowID]windowRecord, customers []CustomerTotals, p Progress) {
	t.Helper()
	var out bytes.Buffer
	if err := runJob(context.Background(), &out, cfg); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	windows = make(map[windowID]windowRecord)
	sc := bufio.NewScanner(&out)
	done := false
	for sc.Scan() {
		var r record
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		switch r.Kind {
		case "resume":
			resume = r
		case "window":
			windows[windowID{r.Window.Merchant, r.Window.Start}] = *r.Window
		case "customer":
			customers = append(customers, *r.Customer)
		case "progress":
			p = *r.Progress
		case "done":
			done = true
		}
	}
	if !done {
		t.Fatalf("no done line:\n%s", out.String())
	}
	return resume, windows, customers, p
}

// TestJobRestartsWhereItStopped runs the job to the end, then again in the
// same directory: the second run resumes at the end of the stream, fires
// nothing, and reports the same totals.
func TestJobRestartsWhereItStopped(t *testing.T) {
	for _, backend := range []string{"memory", "badger"} {
		t.Run(backend, func(t *testing.T) {
			cfg := small(backend)
			cfg.dir = t.TempDir()
			r1, w1, c1, p1 := jobOutput(t, cfg)
			if r1.Offset != 0 || r1.Checkpoint != "" {
				t.Errorf("first run resumed from %+v, want the beginning", r1)
			}
			if int64(len(w1)) != p1.Fired || p1.Offset != cfg.events || len(c1) == 0 {
				t.Errorf("first run: %d windows, progress %+v, %d customers", len(w1), p1, len(c1))
			}
			r2, w2, c2, p2 := jobOutput(t, cfg)
			if r2.Offset != cfg.events || r2.Checkpoint == "" {
				t.Errorf("second run resumed from %+v, want the end of the stream", r2)
			}
			if len(w2) != 0 {
				t.Errorf("second run fired %d windows again", len(w2))
			}
			if err := compareRuns(nil, nil, c2, c1, p2, p1); err != nil {
				t.Error(err)
			}
		})
	}
}

// TestNoCheckpointClearsState: a job killed before its first checkpoint
// leaves state in Badger; the next run, finding no checkpoint, must start
// from empty state, not add the stream to what is left.
func TestNoCheckpointClearsState(t *testing.T) {
	ctx := context.Background()
	cfg := small("badger")
	cfg.dir = t.TempDir()
	want, wantP := func() ([]CustomerTotals, Progress) {
		_, _, c, p := jobOutput(t, config{events: cfg.events, backend: "memory", customers: cfg.customers,
			merchants: cfg.merchants, disorder: cfg.disorder, seed: cfg.seed, checkpointEvery: cfg.checkpointEvery, dir: t.TempDir()})
		return c, p
	}()
	// What a run killed before its first checkpoint leaves behind.
	b, err := badger.Open(ctx, badger.NewConfig(filepath.Join(cfg.dir, "state")))
	if err != nil {
		t.Fatal(err)
	}
	j := newJob(b, nil, cfg.source(), cfg.jobOptions(), func(MerchantWindowKey, runtime.Window, MerchantWindow) error { return nil })
	if err := j.run(ctx, 500, nil); err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	r, _, got, gotP := jobOutput(t, cfg)
	if r.Offset != 0 {
		t.Fatalf("resumed at %d", r.Offset)
	}
	if err := compareRuns(nil, nil, got, want, gotP, wantP); err != nil {
		t.Error(err)
	}
}

// TestResumeRefusesOtherStream: a checkpoint of a job that read another
// stream (other flags) is refused: its offset means nothing in this one.
func TestResumeRefusesOtherStream(t *testing.T) {
	cfg := small("memory")
	cfg.dir = t.TempDir()
	jobOutput(t, cfg)
	cfg.seed++
	err := runJob(context.Background(), &bytes.Buffer{}, cfg)
	if err == nil || !strings.Contains(err.Error(), "holds a position in the stream") {
		t.Errorf("resuming with another seed: %v", err)
	}
}

// TestResumeRefusesForeignCheckpoint: a checkpoint without the job's
// progress is an error, not a silent start from offset 0 on top of its state.
func TestResumeRefusesForeignCheckpoint(t *testing.T) {
	ctx := context.Background()
	cfg := small("memory")
	dir := t.TempDir()
	b, err := openBackend(ctx, cfg, "")
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if err := b.Put(ctx, []byte("someone/else"), []byte("x")); err != nil {
		t.Fatal(err)
	}
	coord, err := checkpoint.New(b, time.Hour, checkpoint.Options{Dir: dir, MaxCheckpoints: 1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := coord.CreateCheckpoint(ctx); err != nil {
		t.Fatal(err)
	}
	j := newJob(b, coord, cfg.source(), cfg.jobOptions(), nil)
	if _, err := j.resume(ctx); err == nil || !strings.Contains(err.Error(), "holds no progress") {
		t.Errorf("resume: %v", err)
	}
}

// TestOpenAfterEmptyVlog: a process killed between Badger's creating a value
// log file and sizing it leaves an empty one, and Badger then refuses to open
// the directory. The job opens it, with the data intact.
func TestOpenAfterEmptyVlog(t *testing.T) {
	ctx := context.Background()
	crashed := func() string { // a directory as the kill leaves it
		dir := t.TempDir()
		b, err := badger.Open(ctx, badger.NewConfig(dir))
		if err != nil {
			t.Fatal(err)
		}
		if err := b.Put(ctx, []byte("k"), []byte("v")); err != nil {
			t.Fatal(err)
		}
		if err := b.Close(); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "000002.vlog"), nil, 0o644); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	if b, err := badger.Open(ctx, badger.NewConfig(crashed())); err == nil {
		b.Close()
		t.Log("Badger now opens a directory with an empty value log: openBadger's workaround is no longer needed")
	}
	got, err := openBackend(ctx, config{backend: "badger"}, crashed())
	if err != nil {
		t.Fatal(err)
	}
	defer got.Close()
	if v, found, err := got.Get(ctx, []byte("k")); err != nil || !found || string(v) != "v" {
		t.Errorf("after reopening: %q, %v, %v", v, found, err)
	}
}

func TestShellQuote(t *testing.T) {
	tests := []struct{ in, want string }{
		{"/tmp/demo-1", "/tmp/demo-1"},
		{"/tmp/my demo", "'/tmp/my demo'"},
		{"/tmp/it's", `'/tmp/it'\''s'`},
		{"/tmp/$HOME;rm", "'/tmp/$HOME;rm'"},
		{"", "''"},
	}
	for _, tt := range tests {
		if got := shellQuote(tt.in); got != tt.want {
			t.Errorf("shellQuote(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}
