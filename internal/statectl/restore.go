package statectl

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"iter"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/statekit/statekit/backends/badger"
	"github.com/statekit/statekit/checkpoint"
	"github.com/statekit/statekit/runtime"
)

// counting passes a backend through, counting the entries its Restore
// consumes: the progress of checkpoint.RestoreInto.
type counting struct {
	runtime.Backend
	snap runtime.Snapshotter
	n    *atomic.Int64
}

// Snapshot is the wrapped backend's.
func (c counting) Snapshot(ctx context.Context) iter.Seq2[runtime.Entry, error] {
	return c.snap.Snapshot(ctx)
}

// Restore is the wrapped backend's, counting entries as they go in.
func (c counting) Restore(ctx context.Context, entries iter.Seq2[runtime.Entry, error]) error {
	return c.snap.Restore(ctx, func(yield func(runtime.Entry, error) bool) {
		for e, err := range entries {
			if err == nil {
				c.n.Add(1)
			}
			if !yield(e, err) {
				return
			}
		}
	})
}

// progress reports done/total every interval until stopped: a bar redrawn in
// place on a terminal, a plain line otherwise.
type progress struct {
	w        io.Writer
	tty      bool
	total    int64
	done     *atomic.Int64
	start    time.Time
	stop     chan struct{}
	wg       sync.WaitGroup
	interval time.Duration
}

func startProgress(w io.Writer, tty bool, total int64, done *atomic.Int64, every time.Duration) *progress {
	p := &progress{w: w, tty: tty, total: total, done: done, start: time.Now(), stop: make(chan struct{}), interval: every}
	p.wg.Go(func() {
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-p.stop:
				return
			case <-t.C:
				p.report()
			}
		}
	})
	return p
}

func (p *progress) report() {
	done, el := p.done.Load(), time.Since(p.start)
	if p.tty {
		fmt.Fprintf(p.w, "\r%s", progressBar(done, p.total, el, 30))
		return
	}
	fmt.Fprintf(p.w, "restore: %d/%d entries (%s) %s\n", done, p.total, share(done, p.total), el.Round(time.Millisecond))
}

// end stops reporting; on a terminal it draws the final bar and ends its line.
func (p *progress) end() {
	close(p.stop)
	p.wg.Wait()
	if p.tty {
		p.report()
		fmt.Fprintln(p.w)
	}
}

// progressBar draws `[=========>          ]  45.0%  450000/1000000 entries  1.2s`.
func progressBar(done, total int64, elapsed time.Duration, width int) string {
	frac := 1.0
	if total > 0 {
		frac = min(max(float64(done)/float64(total), 0), 1)
	}
	fill := int(frac * float64(width))
	bar := strings.Repeat("=", fill)
	if fill < width {
		bar += ">" + strings.Repeat(" ", width-fill-1)
	}
	return fmt.Sprintf("[%s] %5.1f%%  %d/%d entries  %s", bar, 100*frac, done, total, elapsed.Round(100*time.Millisecond))
}

func cmdRestore(ctx context.Context, env Env, args []string) error {
	f := newFlags("restore", "restore FILE -to badger:DIR [-force] [-progress 1s]", env)
	to := f.String("to", "", "the target: badger:DIR")
	force := f.Bool("force", false, "replace the contents of a non-empty DIR (otherwise refused)")
	every := f.Duration("progress", time.Second, "how often to report progress")
	pos, err := f.parse(args, 1)
	if err != nil {
		return err
	}
	dir, ok := strings.CutPrefix(*to, "badger:")
	switch {
	case *to == "":
		return f.fail("-to is required")
	case !ok:
		return f.fail("-to %q: want badger:DIR (the only target statectl restores into)", *to)
	case dir == "":
		return f.fail("-to %q: no directory after badger:", *to)
	case *every <= 0:
		return f.fail("-progress %v: want a positive duration", *every)
	}
	path := pos[0]

	r, err := checkpoint.OpenFile(path)
	if err != nil {
		return &fileError{path, err}
	}
	defer r.Close()
	if err := r.Verify(ctx); err != nil { // before touching the target
		return &fileError{path, err}
	}
	info := r.Info()

	// A new directory is built under a temporary name and renamed into place
	// when complete, so an interrupted restore never leaves a partial
	// database under DIR. An existing one is restored in place, and only
	// with -force.
	target := dir
	fresh := false
	switch ents, err := os.ReadDir(dir); {
	case errors.Is(err, os.ErrNotExist):
		fresh = true
		if err := os.MkdirAll(filepath.Dir(filepath.Clean(dir)), 0o755); err != nil {
			return err
		}
		if target, err = os.MkdirTemp(filepath.Dir(filepath.Clean(dir)), filepath.Base(dir)+".statectl-tmp-"); err != nil {
			return err
		}
		defer os.RemoveAll(target) // gone after the rename; a leftover otherwise
	case err != nil:
		return err
	case len(ents) > 0 && !*force:
		return fmt.Errorf("%s: not empty: restore replaces everything in it; use -force to do that", dir)
	}

	if err := checkSpace(path, target, dir); err != nil {
		return err
	}
	logger := slog.New(slog.NewTextHandler(env.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	db, err := badger.Open(ctx, badger.NewConfig(target).WithLogger(logger))
	if err != nil {
		return fmt.Errorf("badger:%s: %w", dir, err)
	}
	var n atomic.Int64
	start := time.Now()
	// In place, entries Badger refuses (a key it reserves) must fail before
	// the restore drops anything; a new directory is renamed into place only
	// once whole.
	if !fresh {
		err = r.VerifyFor(ctx, db, start)
	}
	p := startProgress(env.Stderr, env.StderrTTY, info.Entries, &n, *every)
	if err == nil {
		err = checkpoint.RestoreInto(ctx, counting{Backend: db, snap: db, n: &n}, r, start)
	}
	p.end()
	if err == nil {
		err = db.Flush(ctx)
	}
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		if errors.Is(err, runtime.ErrCorrupt) {
			return &fileError{path, err}
		}
		if !fresh {
			// Badger's Restore replaces the contents as it goes: the directory
			// now holds neither what it held nor the checkpoint.
			return fmt.Errorf("restoring %s into badger:%s: %w; the directory is now incomplete (neither its old contents nor the checkpoint's): restore it again", path, dir, err)
		}
		return fmt.Errorf("restoring %s into badger:%s: %w", path, dir, err)
	}
	if fresh {
		if err := os.Rename(target, dir); err != nil {
			return err
		}
		if err := syncDir(filepath.Dir(filepath.Clean(dir))); err != nil {
			return err
		}
	}
	took := time.Since(start)
	restored := n.Load()
	fmt.Fprintf(env.Stdout, "restored %d of %d entries (%d expired, skipped) from %s into badger:%s in %s\n",
		restored, info.Entries, info.Entries-restored, path, dir, took.Round(time.Millisecond))
	return nil
}

// Badger maps its files into memory and writes through the mapping: on a
// full filesystem such a write kills the process (SIGBUS) rather than failing.
// So restore refuses to start when the target's filesystem has less free space
// than twice the checkpoint's uncompressed records plus 64 MiB of Badger's own
// files, an estimate (measured: a restored Badger directory takes about 1.2
// times the raw records).
const badgerOverhead = 64 << 20

// checkSpace refuses a restore of the checkpoint at path into target (named
// dir to the user) when its filesystem has clearly too little free space.
func checkSpace(path, target, dir string) error {
	raw, err := rawBodyBytes(path)
	if err != nil {
		return &fileError{path, err}
	}
	need := 2*raw + badgerOverhead
	if free, ok := freeBytes(target); ok && free < need {
		return fmt.Errorf("%s: %s free, restoring %s needs about %s (twice its %s of records, and Badger's own files)",
			dir, human(free), path, human(need), human(raw))
	}
	return nil
}

// rawBodyBytes reads the raw body size from the checkpoint's trailer
// (FORMAT.md: bytes 8-16 of the last 64, little-endian).
func rawBodyBytes(path string) (int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return 0, err
	}
	var b [8]byte
	if _, err := f.ReadAt(b[:], fi.Size()-64+8); err != nil {
		return 0, err
	}
	return int64(min(binary.LittleEndian.Uint64(b[:]), 1<<62)), nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
