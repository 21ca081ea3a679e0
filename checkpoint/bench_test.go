package checkpoint_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/statekit/statekit/backends/badger"
	"github.com/statekit/statekit/backends/memory"
	"github.com/statekit/statekit/checkpoint"
	"github.com/statekit/statekit/internal/heappeak"
	"github.com/statekit/statekit/runtime"
)

// Entries as in the seed's table: 20-byte keys and 100-byte values. The values
// look like a real aggregate's encoding: field names and small numbers that
// repeat, and some bytes that do not.

var benchSizes = []struct {
	name string
	n    int
}{{"1K", 1_000}, {"100K", 100_000}, {"1M", 1_000_000}}

func benchEntries(n int) func(yield func(runtime.Entry, error) bool) {
	return func(yield func(runtime.Entry, error) bool) {
		rng := rand.New(rand.NewPCG(uint64(n), 1))
		for i := range n {
			key := fmt.Appendf(nil, "window:user%07d:%01d", i/10, i%10)
			value := fmt.Appendf(nil, `{"clicks":%d,"bytes":%d,"model":"m%02d","p99":%.3f,"tag":"%08x"}`,
				rng.IntN(1000), rng.IntN(1<<20), rng.IntN(20), rng.Float64()*100, rng.Uint32())
			for len(value) < 100 {
				value = append(value, ' ')
			}
			if !yield(runtime.Entry{Key: key, Value: value[:100]}, nil) {
				return
			}
		}
	}
}

func benchMemory(b *testing.B, n int) *memory.Backend {
	m := memory.New(memory.Options{})
	b.Cleanup(func() { m.Close() })
	if err := m.Restore(context.Background(), benchEntries(n)); err != nil {
		b.Fatal(err)
	}
	return m
}

func benchBadger(b *testing.B, n int) *badger.Backend {
	d, err := badger.Open(context.Background(), badger.NewConfig(b.TempDir()).WithLogger(quiet))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { d.Close() })
	if n > 0 {
		if err := d.Restore(context.Background(), benchEntries(n)); err != nil {
			b.Fatal(err)
		}
	}
	return d
}

// BenchmarkCheckpoint checkpoints each backend beside Badger's own DB.Backup of
// the same data. Only the backend being measured is alive while it is measured:
// the other one's heap would make every collection of the run dearer.
func BenchmarkCheckpoint(b *testing.B) {
	ctx := context.Background()
	for _, size := range benchSizes {
		b.Run(size.name, func(b *testing.B) {
			run := func(b *testing.B, backend runtime.Backend, compress bool) {
				c, err := checkpoint.New(backend, time.Hour, checkpoint.Options{Dir: b.TempDir(), MaxCheckpoints: 1, Compress: compress, Logger: quiet})
				if err != nil {
					b.Fatal(err)
				}
				var info checkpoint.Info
				var peak uint64
				for b.Loop() {
					peak = max(peak, heappeak.During(b, func() {
						if info, err = c.CreateCheckpoint(ctx); err != nil {
							b.Fatal(err)
						}
					}))
				}
				b.ReportMetric(float64(info.SizeBytes)/1e6, "file-MB")
				b.ReportMetric(float64(peak)/1e6, "peak-heap-MB")
			}
			bdg := benchBadger(b, size.n)
			b.Run("statekit-badger", func(b *testing.B) { run(b, bdg, true) })
			b.Run("badger-backup", func(b *testing.B) {
				path := filepath.Join(b.TempDir(), "backup")
				var size int64
				var peak uint64
				for b.Loop() {
					peak = max(peak, heappeak.During(b, func() {
						f, err := os.Create(path)
						if err != nil {
							b.Fatal(err)
						}
						if _, err := bdg.DB().Backup(f, 0); err != nil {
							b.Fatal(err)
						}
						if err := f.Sync(); err != nil { // as durable as a checkpoint
							b.Fatal(err)
						}
						fi, _ := f.Stat()
						size = fi.Size()
						f.Close()
					}))
				}
				b.ReportMetric(float64(size)/1e6, "file-MB")
				b.ReportMetric(float64(peak)/1e6, "peak-heap-MB")
			})
			if err := bdg.Close(); err != nil {
				b.Fatal(err)
			}
			mem := benchMemory(b, size.n)
			b.Run("statekit-memory", func(b *testing.B) { run(b, mem, true) })
			// Uncompressed, as DB.Backup writes: the same work but zstd's.
			b.Run("statekit-memory-plain", func(b *testing.B) { run(b, mem, false) })
			if err := mem.Close(); err != nil {
				b.Fatal(err)
			}
		})
	}
}

func BenchmarkRestore(b *testing.B) {
	ctx := context.Background()
	for _, size := range benchSizes {
		b.Run(size.name, func(b *testing.B) {
			dir := b.TempDir()
			src := benchMemory(b, size.n)
			c, err := checkpoint.New(src, time.Hour, checkpoint.Options{Dir: dir, MaxCheckpoints: 1, Compress: true, Logger: quiet})
			if err != nil {
				b.Fatal(err)
			}
			info, err := c.CreateCheckpoint(ctx)
			if err != nil {
				b.Fatal(err)
			}
			if err := src.Close(); err != nil { // its heap would weigh on every restore
				b.Fatal(err)
			}
			path := filepath.Join(dir, info.ID+".ckpt")
			backup := filepath.Join(b.TempDir(), "backup")
			func() {
				bdg := benchBadger(b, size.n)
				f, err := os.Create(backup)
				if err != nil {
					b.Fatal(err)
				}
				defer f.Close()
				if _, err := bdg.DB().Backup(f, 0); err != nil {
					b.Fatal(err)
				}
			}()
			// restore times load into a fresh backend from open; setup and
			// close stay outside the timer.
			restore := func(b *testing.B, open func(b *testing.B) runtime.Backend, load func(dst runtime.Backend) error) {
				var peak uint64
				for b.Loop() {
					b.StopTimer()
					dst := open(b)
					b.StartTimer()
					peak = max(peak, heappeak.During(b, func() {
						if err := load(dst); err != nil {
							b.Fatal(err)
						}
					}))
					b.StopTimer()
					dst.Close()
					b.StartTimer()
				}
				b.ReportMetric(float64(peak)/1e6, "peak-heap-MB")
			}
			statekit := func(dst runtime.Backend) error {
				_, err := checkpoint.RestoreFile(ctx, dst, path, time.Now())
				return err
			}
			badgerLoad := func(dst runtime.Backend) error {
				f, err := os.Open(backup)
				if err != nil {
					return err
				}
				defer f.Close()
				return dst.(*badger.Backend).DB().Load(f, 256)
			}
			openBadger := func(b *testing.B) runtime.Backend { return benchBadger(b, 0) }
			b.Run("statekit-badger", func(b *testing.B) { restore(b, openBadger, statekit) })
			b.Run("badger-load", func(b *testing.B) { restore(b, openBadger, badgerLoad) })
			b.Run("statekit-memory", func(b *testing.B) {
				restore(b, func(b *testing.B) runtime.Backend { return memory.New(memory.Options{}) }, statekit)
			})
		})
	}
}
