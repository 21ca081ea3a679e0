// Package checkpoint takes durable, verified, portable checkpoints of a
// runtime.Backend and restores them.
//
// A checkpoint is one file, <ID>.ckpt, written to a temporary name, synced,
// renamed into place and its directory synced: a crash leaves the older
// checkpoints intact and never a partial file under a checkpoint's name. Its
// body is a stream of entries (key, value, expiry), zstd-compressed if asked,
// followed by a trailer with the entry count, the sizes and a SHA-256 of the
// whole file, so any flipped bit or truncation is detected. FORMAT.md describes
// the format; it is the same for every backend, so a checkpoint of the memory
// backend restores into Badger and back.
//
// Entries come from the backend's Snapshot when it has one (runtime.Snapshotter:
// one point in time), lent rather than copied when the backend can
// (runtime.SnapshotViewer), so a checkpoint does not grow the heap by the size
// of the state. Otherwise they come from ListKeys and Get, which is not
// one point in time (a concurrent write may be half seen) and does not know
// expiry times (entries are written as never expiring).
//
// A restore verifies the whole file before it touches the backend: a corrupt
// checkpoint changes nothing.
package checkpoint

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/statekit/statekit/runtime"
)

// ErrNoCheckpoint is returned by RestoreLatest when the directory holds no
// valid checkpoint.
var ErrNoCheckpoint = errors.New("statekit: no valid checkpoint")

// ErrUnsupportedVersion is wrapped by errors about a checkpoint file written
// in a format version this reader does not know (written by a newer
// statekit). Such a file is not corrupt: it is kept, never deleted.
var ErrUnsupportedVersion = errors.New("statekit: unsupported checkpoint format version")

// Options configure a Coordinator.
type Options struct {
	// Dir holds the checkpoint files; it is created (0700) if missing.
	Dir string
	// MaxCheckpoints is how many valid checkpoints are kept; older ones are
	// deleted after each new checkpoint. At least 1.
	MaxCheckpoints int
	// Compress compresses checkpoint bodies with zstd.
	Compress bool
	// MinInterval skips a periodic checkpoint while the last one (periodic or
	// not) is younger than this. 0: never skip.
	MinInterval time.Duration
	// Logger receives the coordinator's logs; nil means slog.Default().
	Logger *slog.Logger
	// Clock stamps checkpoints and measures MinInterval; nil means the system
	// clock. The periodic ticker always runs on real time.
	Clock runtime.Clock
}

// Info describes one checkpoint.
type Info struct {
	ID         string
	CreatedAt  time.Time
	Entries    int64
	SizeBytes  int64
	Compressed bool
}

// Stats counts what a Coordinator has done.
type Stats struct {
	CheckpointsCreated, CheckpointFailures, Restores, RestoreFailures uint64
	// CorruptSkipped counts corrupt checkpoints RestoreLatest passed over.
	CorruptSkipped uint64
	// CheckpointsCancelled counts checkpoints stopped because their context
	// was cancelled (by Shutdown stopping the periodic loop, or by the
	// caller): not failures, so not in CheckpointFailures. A context deadline
	// that expires is a failure.
	CheckpointsCancelled   uint64
	LastCheckpointTime     time.Time
	LastCheckpointDuration time.Duration
	LastRestoreDuration    time.Duration
	TotalBytesCheckpointed int64
	// LastCheckpointBytes and LastCheckpointEntries describe the last
	// checkpoint this Coordinator created: its file's size and its entries.
	LastCheckpointBytes, LastCheckpointEntries int64
}

// Coordinator takes checkpoints of one backend: on demand, periodically once
// started, and a last one at Shutdown. One checkpoint or restore runs at a time.
// Use one Coordinator per directory.
type Coordinator struct {
	b        runtime.Backend
	interval time.Duration
	opts     Options
	log      *slog.Logger
	clock    runtime.Clock

	mu       chan struct{} // held (full) by the one checkpoint or restore running; guards the fields below
	lastID   time.Time     // creation time of the newest checkpoint ID in Dir
	lastTake time.Time     // when the last checkpoint was taken, for MinInterval
	closed   bool

	statsMu sync.Mutex
	stats   Stats

	loopMu   sync.Mutex
	stop     context.CancelFunc
	loopDone chan struct{}
	shutdown bool
}

// New returns a Coordinator for b that checkpoints every interval once started.
// It checks opts (an error names the bad option), creates Dir if needed, and
// removes temporary files a crash left behind. It starts nothing.
func New(b runtime.Backend, interval time.Duration, opts Options) (*Coordinator, error) {
	bad := func(what string, v any, why string) error {
		return fmt.Errorf("checkpoint: %s %v: %w: %s", what, v, runtime.ErrInvalidArgument, why)
	}
	switch {
	case b == nil:
		return nil, bad("backend", nil, "is nil")
	case isNil(b):
		return nil, bad("backend", fmt.Sprintf("(%T)(nil)", b), "is a nil pointer: every call on it would panic")
	case interval <= 0:
		return nil, bad("interval", interval, "must be positive")
	case opts.Dir == "":
		return nil, bad("Options.Dir", `""`, "no directory given")
	case opts.MaxCheckpoints < 1:
		return nil, bad("Options.MaxCheckpoints", opts.MaxCheckpoints, "must be at least 1")
	case opts.MinInterval < 0:
		return nil, bad("Options.MinInterval", opts.MinInterval, "must not be negative")
	}
	if fi, err := os.Stat(opts.Dir); err == nil && !fi.IsDir() {
		return nil, bad("Options.Dir", opts.Dir, "is a file, not a directory")
	}
	if err := os.MkdirAll(opts.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("checkpoint: %w", err)
	}
	c := &Coordinator{b: b, interval: interval, opts: opts, log: opts.Logger, clock: opts.Clock, mu: make(chan struct{}, 1)}
	if c.log == nil {
		c.log = slog.Default()
	}
	c.log = c.log.With("component", "checkpoint", "dir", opts.Dir)
	if c.clock == nil {
		c.clock = runtime.SystemClock{}
	}
	names, err := os.ReadDir(opts.Dir)
	if err != nil {
		return nil, fmt.Errorf("checkpoint: %w", err)
	}
	for _, d := range names {
		name := d.Name()
		switch {
		case strings.Contains(name, fileExt+tmpMarker):
			if err := os.Remove(filepath.Join(opts.Dir, name)); err != nil {
				return nil, fmt.Errorf("checkpoint: removing a temporary file left by a crash: %w", err)
			}
			c.log.Warn("removed a temporary checkpoint file left by a crash", "file", name)
		case strings.HasSuffix(name, fileExt):
			if t, err := parseID(strings.TrimSuffix(name, fileExt)); err == nil && t.After(c.lastID) {
				c.lastID = t
			}
		}
	}
	return c, nil
}

// isNil reports whether b is a typed nil (a nil pointer, map, slice, func or
// channel in a non-nil interface).
func isNil(b runtime.Backend) bool {
	switch v := reflect.ValueOf(b); v.Kind() {
	case reflect.Pointer, reflect.Map, reflect.Slice, reflect.Func, reflect.Chan, reflect.Interface:
		return v.IsNil()
	}
	return false
}

// Start starts taking a checkpoint every interval until ctx is cancelled or
// Shutdown is called. A tick is skipped while the last checkpoint is younger
// than MinInterval; a failed checkpoint is logged and counted, and the ticker
// goes on. Calling Start again does nothing.
func (c *Coordinator) Start(ctx context.Context) error {
	c.loopMu.Lock()
	defer c.loopMu.Unlock()
	if c.shutdown {
		return fmt.Errorf("checkpoint: start: %w", runtime.ErrClosed)
	}
	if c.stop != nil {
		return nil
	}
	ctx, c.stop = context.WithCancel(ctx)
	c.loopDone = make(chan struct{})
	go c.loop(ctx, c.loopDone)
	return nil
}

func (c *Coordinator) loop(ctx context.Context, done chan struct{}) {
	defer close(done)
	t := time.NewTicker(c.interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			c.tick(ctx)
		}
	}
}

func (c *Coordinator) tick(ctx context.Context) {
	if ctx.Err() != nil { // stopped while the tick was pending
		return
	}
	if c.lock(ctx) != nil {
		return
	}
	// A clock that went back (a negative age) does not make the last
	// checkpoint young: periodic checkpoints would stop until it caught up.
	age := c.clock.Now().Sub(c.lastTake)
	young := !c.lastTake.IsZero() && age >= 0 && age < c.opts.MinInterval
	c.unlock()
	if young {
		c.log.Debug("periodic checkpoint skipped: the last one is younger than MinInterval")
		return
	}
	if _, err := c.CreateCheckpoint(ctx); err != nil && ctx.Err() == nil {
		c.log.Error("periodic checkpoint failed", "err", err)
	}
}

// nextID returns a creation time for a new checkpoint: now, or just after the
// newest existing ID, so that IDs sort by creation even if the clock goes back.
// A time outside the years 0000-9999 has no ID (the file would be invisible to
// List, restores and retention): an error. c.mu must be held.
func (c *Coordinator) nextID() (time.Time, error) {
	t := c.clock.Now().UTC()
	if !t.After(c.lastID) {
		t = c.lastID.Add(time.Nanosecond)
	}
	if y := t.Year(); y < 0 || y > 9999 {
		return time.Time{}, fmt.Errorf("checkpoint: create: %w: the clock reads %v, and checkpoint IDs hold the years 0000-9999", runtime.ErrInvalidArgument, t)
	}
	c.lastID = t
	return t, nil
}

// lock takes c.mu, or gives up when ctx ends: a caller that waits for a
// checkpoint or restore in progress can always be stopped.
func (c *Coordinator) lock(ctx context.Context) error {
	select {
	case c.mu <- struct{}{}:
		return nil
	default:
	}
	select {
	case c.mu <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (c *Coordinator) unlock() { <-c.mu }

// CreateCheckpoint takes a checkpoint now, then applies retention. Concurrent
// calls run one after another (a call waiting for another gives up when its
// ctx ends). A checkpoint whose ctx is cancelled stops,
// leaves no file, and is counted in CheckpointsCancelled, not as a failure.
func (c *Coordinator) CreateCheckpoint(ctx context.Context) (Info, error) {
	if err := c.lock(ctx); err != nil {
		return Info{}, fmt.Errorf("checkpoint: create: waiting for the checkpoint or restore in progress: %w", err)
	}
	defer c.unlock()
	if c.closed {
		return Info{}, fmt.Errorf("checkpoint: create: %w", runtime.ErrClosed)
	}
	start := time.Now()
	created, err := c.nextID()
	if err != nil {
		c.count(func(s *Stats) { s.CheckpointFailures++ })
		c.log.Error("checkpoint failed", "err", err)
		return Info{}, err
	}
	id := formatID(created)
	info, err := writeFile(ctx, c.opts.Dir, id, created, c.clock.Now(), c.opts.Compress, c.entries(ctx))
	took := time.Since(start)
	if err != nil {
		if errors.Is(err, context.Canceled) && ctx.Err() != nil {
			// Stopped on purpose (by Shutdown, or the caller): not a failure.
			c.count(func(s *Stats) { s.CheckpointsCancelled++ })
			c.log.Info("checkpoint cancelled", "id", id, "err", err)
			return Info{}, err
		}
		c.count(func(s *Stats) { s.CheckpointFailures++ })
		c.log.Error("checkpoint failed", "id", id, "err", err)
		return Info{}, err
	}
	c.lastTake = c.clock.Now()
	c.count(func(s *Stats) {
		s.CheckpointsCreated++
		s.LastCheckpointTime = created
		s.LastCheckpointDuration = took
		s.TotalBytesCheckpointed += info.SizeBytes
		s.LastCheckpointBytes, s.LastCheckpointEntries = info.SizeBytes, info.Entries
	})
	c.log.Info("checkpoint created", "id", id, "entries", info.Entries, "bytes", info.SizeBytes, "duration", took)
	c.retain(id)
	return info, nil
}

// entries is what a checkpoint writes: the backend's snapshot, borrowed when
// the backend lends one (runtime.SnapshotViewer: the writer copies nothing it
// keeps past the next entry), or, for a backend without one, ListKeys and Get
// (not one point in time; no expiry times).
func (c *Coordinator) entries(ctx context.Context) iter.Seq2[runtime.Entry, error] {
	if v, ok := c.b.(runtime.SnapshotViewer); ok {
		return v.SnapshotView(ctx)
	}
	if s, ok := c.b.(runtime.Snapshotter); ok {
		return s.Snapshot(ctx)
	}
	return func(yield func(runtime.Entry, error) bool) {
		keys, err := c.b.ListKeys(ctx, nil)
		if err != nil {
			yield(runtime.Entry{}, err)
			return
		}
		for _, k := range keys {
			v, ok, err := c.b.Get(ctx, k)
			if err != nil {
				yield(runtime.Entry{}, err)
				return
			}
			if ok && !yield(runtime.Entry{Key: k, Value: v}, nil) {
				return
			}
		}
	}
}

// retain deletes checkpoints beyond the newest MaxCheckpoints valid ones. The
// checkpoint just written (newest) is always kept. Validity here is the cheap
// check of OpenFile (header, trailer, size). It deletes only what it has
// positively identified: a valid checkpoint older than the kept ones, or a file
// of this format (its magic) that is damaged, once older than a kept one. It
// keeps, and names in a warning, a file of a newer format version (written by
// a newer statekit: after a rollback, the newest state may be in it), a file it
// could not read (an I/O error may be transient), and a file that is not a
// checkpoint at all. c.mu must be held.
func (c *Coordinator) retain(newest string) {
	ids, err := c.ids()
	if err != nil {
		c.log.Error("retention: listing checkpoints", "err", err)
		return
	}
	kept := 0
	for _, id := range ids { // newest first
		path := c.path(id)
		status, err := examine(path)
		switch status {
		case fileValid:
			if kept < c.opts.MaxCheckpoints || id == newest {
				kept++
				continue
			}
		case fileUnsupported:
			c.log.Warn("retention: keeping a checkpoint of a newer format version, which this statekit cannot read", "id", id, "err", err)
			continue
		case fileUnreadable:
			c.log.Warn("retention: keeping a checkpoint it could not read", "id", id, "err", err)
			continue
		case fileForeign:
			c.log.Warn("retention: keeping a file that is not a statekit checkpoint", "id", id, "err", err)
			continue
		case fileDamaged:
			if kept == 0 {
				c.log.Warn("retention: keeping a damaged checkpoint newer than every valid one", "id", id, "err", err)
				continue
			}
		}
		if err := os.Remove(path); err != nil {
			c.log.Error("retention: deleting a checkpoint", "id", id, "err", err)
			continue
		}
		c.log.Debug("retention: deleted a checkpoint", "id", id, "damaged", status == fileDamaged)
	}
}

// ids returns the IDs of the checkpoint files in Dir, newest first.
func (c *Coordinator) ids() ([]string, error) {
	names, err := os.ReadDir(c.opts.Dir)
	if err != nil {
		return nil, fmt.Errorf("checkpoint: %w", err)
	}
	var ids []string
	for _, d := range names {
		id, ok := strings.CutSuffix(d.Name(), fileExt)
		if ok && d.Type().IsRegular() && idPattern.MatchString(id) {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	slices.Reverse(ids)
	return ids, nil
}

func (c *Coordinator) path(id string) string { return filepath.Join(c.opts.Dir, id+fileExt) }

// List returns the checkpoints in Dir that pass the cheap check (header,
// trailer, size), newest first. Others are logged and left out.
func (c *Coordinator) List() ([]Info, error) {
	ids, err := c.ids()
	if err != nil {
		return nil, err
	}
	infos := make([]Info, 0, len(ids))
	for _, id := range ids {
		r, err := OpenFile(c.path(id))
		if errors.Is(err, ErrUnsupportedVersion) {
			c.log.Warn("list: skipping a checkpoint of a newer format version, which this statekit cannot read", "id", id, "err", err)
			continue
		}
		if err != nil {
			c.log.Warn("list: skipping an unreadable checkpoint", "id", id, "err", err)
			continue
		}
		infos = append(infos, r.Info())
		r.Close()
	}
	return infos, nil
}

// RestoreLatest restores the newest valid checkpoint, trying older ones when
// newer ones are corrupt (each skip is logged and counted). It returns
// ErrNoCheckpoint when none is valid; the backend is then unchanged. When it
// meets a checkpoint of a newer format version (written by a newer statekit,
// before a rollback) it stops with an error wrapping ErrUnsupportedVersion
// that names it, rather than restore an older state: restore an older one by
// ID with Restore if that is what you want. An I/O error also stops it.
func (c *Coordinator) RestoreLatest(ctx context.Context) (Info, error) {
	if err := c.lock(ctx); err != nil {
		return Info{}, fmt.Errorf("checkpoint: restore: waiting for the checkpoint or restore in progress: %w", err)
	}
	defer c.unlock()
	if c.closed {
		return Info{}, fmt.Errorf("checkpoint: restore: %w", runtime.ErrClosed)
	}
	ids, err := c.ids()
	if err != nil {
		return Info{}, err
	}
	for _, id := range ids {
		info, err := c.restore(ctx, id)
		switch {
		case err == nil:
			return info, nil
		case errors.Is(err, ErrUnsupportedVersion):
			// Restoring an older one would silently go back in time past
			// the state in this one.
			c.log.Error("restore: the newest checkpoint is of a newer format version, which this statekit cannot read", "id", id, "err", err)
			return Info{}, fmt.Errorf("checkpoint: restore latest from %s: checkpoint %s was written by a newer statekit, in a format this version cannot read; "+
				"run a statekit that reads it, or restore an older checkpoint by ID with Restore (without the state of %s): %w", c.opts.Dir, id, id, err)
		case errors.Is(err, runtime.ErrCorrupt):
			c.count(func(s *Stats) { s.CorruptSkipped++ })
			c.log.Warn("restore: skipping a corrupt checkpoint", "id", id, "err", err)
		default:
			return Info{}, err
		}
	}
	return Info{}, fmt.Errorf("checkpoint: restore latest from %s: %w", c.opts.Dir, ErrNoCheckpoint)
}

// Restore restores the checkpoint with the given ID, which must name a
// checkpoint in Dir. A corrupt checkpoint is an error wrapping
// runtime.ErrCorrupt, and leaves the backend unchanged.
func (c *Coordinator) Restore(ctx context.Context, id string) error {
	if _, err := parseID(id); err != nil {
		return fmt.Errorf("checkpoint: restore: %w", err)
	}
	if err := c.lock(ctx); err != nil {
		return fmt.Errorf("checkpoint: restore: waiting for the checkpoint or restore in progress: %w", err)
	}
	defer c.unlock()
	if c.closed {
		return fmt.Errorf("checkpoint: restore: %w", runtime.ErrClosed)
	}
	_, err := c.restore(ctx, id)
	return err
}

// restore verifies checkpoint id, then replaces the backend's contents with it.
// c.mu must be held.
func (c *Coordinator) restore(ctx context.Context, id string) (Info, error) {
	start := time.Now()
	info, err := c.restoreFile(ctx, c.path(id))
	if err != nil {
		c.count(func(s *Stats) { s.RestoreFailures++ })
		return Info{}, err
	}
	took := time.Since(start)
	c.count(func(s *Stats) {
		s.Restores++
		s.LastRestoreDuration = took
	})
	c.log.Info("checkpoint restored", "id", id, "entries", info.Entries, "duration", took)
	return info, nil
}

func (c *Coordinator) restoreFile(ctx context.Context, path string) (Info, error) {
	return RestoreFile(ctx, c.b, path, c.clock.Now())
}

// RestoreFile replaces b's contents with the checkpoint file at path, as a
// Coordinator's Restore does, skipping the entries expired at now. It
// verifies the whole file before it changes anything, unless b's Restore is
// all or nothing (runtime.AtomicRestorer): then it reads the file once, and
// damage the checksum finds at the end makes the Restore fail and change
// nothing. A damaged file is an error wrapping runtime.ErrCorrupt.
func RestoreFile(ctx context.Context, b runtime.Backend, path string, now time.Time) (Info, error) {
	r, err := OpenFile(path)
	if err != nil {
		return Info{}, err
	}
	defer r.Close()
	a, atomic := b.(runtime.AtomicRestorer)
	atomic = atomic && a.RestoreIsAtomic()
	if !atomic {
		if err := r.VerifyFor(ctx, b, now); err != nil {
			return Info{}, err
		}
	}
	if err := RestoreInto(ctx, b, r, now); err != nil {
		if atomic && !errors.Is(err, runtime.ErrCorrupt) && ctx.Err() == nil {
			// Damage read before the checksum can surface as another error
			// (a record the backend refuses): say it is the file's.
			if verr := verifyFile(ctx, path); verr != nil {
				return Info{}, errors.Join(verr, err)
			}
		}
		return Info{}, err
	}
	return r.Info(), nil
}

// VerifyFor is Verify for a restore into b at now: it decodes every record
// (which verifies the checksum too), so that a file whose checksum matches
// but whose records lie (it is not a keyed hash) fails here, and when b
// refuses some entries (runtime.EntryChecker) it checks every entry such a
// restore would write. A restore into a backend whose Restore is not all or
// nothing then fails before it starts rather than half way.
func (r *Reader) VerifyFor(ctx context.Context, b runtime.Backend, now time.Time) error {
	c, check := b.(runtime.EntryChecker)
	for e, err := range r.entries(ctx, true) { // every record decoded, not just hashed
		if err != nil {
			return err
		}
		if !check || (!e.ExpiresAt.IsZero() && !e.ExpiresAt.After(now)) {
			continue // RestoreInto skips an expired entry
		}
		if err := c.CheckEntry(e); err != nil {
			return fmt.Errorf("checkpoint %s: the backend would refuse an entry: %w", r.Info().ID, err)
		}
	}
	return nil
}

// verifyFile verifies the checkpoint file at path.
func verifyFile(ctx context.Context, path string) error {
	r, err := OpenFile(path)
	if err != nil {
		return err
	}
	defer r.Close()
	return r.Verify(ctx)
}

// RestoreInto replaces b's contents with r's entries, skipping those expired
// at now. It uses b's Restore when b is a runtime.Snapshotter; otherwise it
// deletes every key and writes each entry, through a batch with its expiry as
// it is when b is a runtime.Batcher, else with its remaining TTL when b is a
// runtime.TTLWriter; which is not atomic. Call r.VerifyFor first: RestoreInto
// notices damage only when it reaches it.
func RestoreInto(ctx context.Context, b runtime.Backend, r *Reader, now time.Time) error {
	live := func(yield func(runtime.Entry, error) bool) {
		var prev []byte // the key read last
		// Backends copy what they keep: the entries may reuse their bytes.
		for e, err := range r.entries(ctx, true) {
			if err == nil {
				expired := !e.ExpiresAt.IsZero() && !e.ExpiresAt.After(now)
				// A key twice (a crafted file, or a backend whose snapshot is
				// not in key order): the later entry wins, expired or not, as
				// in the backends' own Restore; so an expired one is skipped
				// only when it hides nothing.
				again := prev != nil && string(prev) == string(e.Key)
				prev = append(prev[:0], e.Key...)
				if expired && !again {
					continue
				}
			}
			if !yield(e, err) {
				return
			}
		}
	}
	if s, ok := b.(runtime.Snapshotter); ok {
		return s.Restore(ctx, live)
	}
	keys, err := b.ListKeys(ctx, nil)
	if err != nil {
		return err
	}
	for _, k := range keys {
		if err := b.Delete(ctx, k); err != nil {
			return err
		}
	}
	if bt, ok := b.(runtime.Batcher); ok {
		// Batch.PutEntry writes each expiry as it is (zero: never), where
		// PutTTL would turn it into a TTL from now (capped at 292 years) and
		// Put would give a never-expiring entry the backend's default TTL.
		w := bt.NewBatch()
		for e, err := range live {
			if err == nil {
				err = w.PutEntry(e)
			}
			if err != nil {
				w.Discard()
				return err
			}
		}
		return w.Commit(ctx)
	}
	tw, canTTL := b.(runtime.TTLWriter)
	for e, err := range live {
		if err != nil {
			return err
		}
		if !e.ExpiresAt.IsZero() && canTTL {
			err = tw.PutTTL(ctx, e.Key, e.Value, e.ExpiresAt.Sub(now))
		} else {
			err = b.Put(ctx, e.Key, e.Value)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func (c *Coordinator) count(f func(*Stats)) {
	c.statsMu.Lock()
	f(&c.stats)
	c.statsMu.Unlock()
}

// Stats returns what the coordinator has done so far.
func (c *Coordinator) Stats() Stats {
	c.statsMu.Lock()
	defer c.statsMu.Unlock()
	return c.stats
}

// Shutdown stops the periodic loop and waits for it, takes a final checkpoint,
// and closes the coordinator: later calls return runtime.ErrClosed, except
// List and Stats. It is idempotent: a second call returns nil at once. ctx
// bounds the final checkpoint.
func (c *Coordinator) Shutdown(ctx context.Context) error {
	c.loopMu.Lock()
	if c.shutdown {
		c.loopMu.Unlock()
		return nil
	}
	c.shutdown = true
	stop, done := c.stop, c.loopDone
	c.loopMu.Unlock()
	if stop != nil {
		stop()
		<-done
	}
	_, err := c.CreateCheckpoint(ctx)
	c.mu <- struct{}{}
	c.closed = true
	c.unlock()
	if err != nil {
		return fmt.Errorf("checkpoint: shutdown: final checkpoint: %w", err)
	}
	return nil
}
