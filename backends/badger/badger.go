// Package badger is statekit's persistent backend, on Badger v4
// (github.com/dgraph-io/badger/v4): native TTL, transactions for atomic
// updates, consistent snapshots from a read transaction, batched writes, and a
// bulk-loading Restore.
//
// # Writes, batches and restores: which to use
//
//   - Put, Delete, Update: one transaction each. Use them for the live traffic
//     of a stream processor.
//   - NewBatch: many writes through Badger's WriteBatch, committed in large
//     transactions in the background. Use it to load or rewrite many keys into
//     a store that is in use.
//   - Restore: replaces everything. While the incoming keys ascend (as a
//     Snapshot or a checkpoint yields them) it builds Badger's tables directly
//     with its StreamWriter, several times faster than a batch; keys out of
//     order fall back to a batch for the rest. Use it to restore a checkpoint.
//
// # Durability
//
// Writes reach Badger's write-ahead log before they return, so they survive the
// process being killed. To survive the machine failing, call Flush (or
// configure WithFlushEvery or WithSyncWrites): after Flush returns, nothing
// written before it is lost.
package badger

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	bdb "github.com/dgraph-io/badger/v4"
	"github.com/dgraph-io/badger/v4/options"

	"github.com/statekit/statekit/runtime"
)

const backendName = "badger"

// MaxInMemoryValue is the largest value an in-memory Backend stores. Badger
// sends values of 1 MiB and more to its value log, which an in-memory Badger
// does not have (it crashes on them), so they are refused with
// runtime.ErrInvalidArgument instead. On disk the limit is the size of a
// value-log file (Badger's ValueLogFileSize, 1 GiB - 1 by default): a larger
// value is refused the same way, on every write path.
const MaxInMemoryValue = 1<<20 - 1

// checkValue refuses values Badger cannot hold, before Badger sees them: its
// own error for them wraps no statekit sentinel and carries a hex dump of the
// value.
func (b *Backend) checkValue(value []byte) error {
	if b.cfg.inMemory && len(value) > MaxInMemoryValue {
		return fmt.Errorf("%w: value of %d bytes: an in-memory Badger holds at most %d", runtime.ErrInvalidArgument, len(value), MaxInMemoryValue)
	}
	if int64(len(value)) > b.maxValue {
		return fmt.Errorf("%w: value of %d bytes: Badger holds at most %d (its value-log file size)", runtime.ErrInvalidArgument, len(value), b.maxValue)
	}
	return nil
}

// CheckEntry implements runtime.EntryChecker: the error a write of e would
// return (a key Badger reserves, a value longer than it holds), without
// writing.
func (b *Backend) CheckEntry(e runtime.Entry) error {
	if err := checkKey(e.Key); err != nil {
		return fail("check", e.Key, err)
	}
	if err := b.checkValue(e.Value); err != nil {
		return fail("check", e.Key, err)
	}
	return nil
}

// reservedPrefix starts the keys Badger keeps for itself: it refuses to write
// them in a transaction, and its iterators skip them (a bulk load would store
// one that no scan or snapshot then sees).
const reservedPrefix = "!badger!"

// checkKey is runtime.CheckKey, and refuses the keys Badger reserves with an
// error wrapping runtime.ErrInvalidKey.
func checkKey(key []byte) error {
	if err := runtime.CheckKey(key); err != nil {
		return err
	}
	if bytes.HasPrefix(key, []byte(reservedPrefix)) {
		return fmt.Errorf("%w: keys starting with %q are Badger's own", runtime.ErrInvalidKey, reservedPrefix)
	}
	return nil
}

// Backend is the Badger backend. It implements runtime.Backend,
// runtime.TTLWriter, runtime.Updater, runtime.Snapshotter, runtime.Batcher,
// runtime.Flusher and runtime.StatsReporter, and is safe for concurrent use.
type Backend struct {
	db       *bdb.DB
	cfg      Config
	log      *slog.Logger
	maxValue int64 // the longest value Badger writes: its ValueLogFileSize

	// gate lets Close and Restore wait for operations in flight, without
	// deadlocking with operations called from inside a Scan callback, a
	// Snapshot loop or an UpdateFunc (see gate).
	gate gate

	guard *diskGuard // nil: none (in memory, or free space unknown)
	// generation counts Restores (see Generation).
	generation atomic.Uint64

	writes  atomic.Uint64 // for WithFlushEvery
	syncs   atomic.Uint64 // see Syncs
	updates *runtime.Stripes

	// cache answers hot Gets (see valueCache); nil when WithCacheCapacity(0).
	cache *valueCache

	// spilled holds the batches with a WriteBatch open: its transaction stays
	// open between the batch's calls, and a Restore must end it before it
	// drops anything (see overtakeBatches).
	spilledMu sync.Mutex
	spilled   map[*batch]struct{}

	gets, hits, misses, puts, deletes, lists atomic.Uint64
}

// Open opens (creating it if needed) the store cfg describes. A bad cfg is an
// error wrapping runtime.ErrInvalidArgument that names the setting.
func Open(ctx context.Context, cfg Config) (*Backend, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("badger open: %w", err)
	}
	logger := cfg.logger
	if logger == nil {
		logger = slog.Default()
	}
	logger = logger.With("backend", backendName)
	if !cfg.inMemory {
		if err := os.MkdirAll(cfg.dir, 0o700); err != nil {
			return nil, fmt.Errorf("badger open: %w", err)
		}
	}
	if err := checkOpen(cfg); err != nil {
		return nil, fmt.Errorf("badger open %s: %w", cfg.dir, err)
	}
	opts := cfg.badgerOptions(logger)
	db, err := openDB(opts, logger)
	if err != nil {
		return nil, fmt.Errorf("badger open %s: %w", cfg.dir, err)
	}
	b := &Backend{db: db, cfg: cfg, log: logger, guard: newDiskGuard(cfg, logger),
		cache: newValueCache(cfg.valueCacheSize()), maxValue: opts.ValueLogFileSize}
	if b.guard != nil {
		b.guard.syncFull = b.sync
	}
	b.updates = runtime.NewStripes(64)
	return b, nil
}

// badgerOptions translates c into Badger's options.
func (c Config) badgerOptions(logger *slog.Logger) bdb.Options {
	opts := bdb.DefaultOptions(c.dir).
		WithLogger(slogAdapter{logger}).
		WithSyncWrites(c.syncWrites).
		WithMetricsEnabled(false) // its metrics are process-global expvars
	if c.inMemory {
		opts = opts.WithDir("").WithValueDir("").WithInMemory(true)
	}
	if c.compression {
		opts = opts.WithCompression(options.ZSTD)
	} else {
		opts = opts.WithCompression(options.None)
	}
	if c.cacheSet {
		opts = opts.WithBlockCacheSize(c.cacheCapacity - c.valueCacheSize())
	}
	return opts
}

// DB returns the underlying Badger database, for what this package does not
// offer (its own backups, value-log GC). Writing to it directly bypasses the
// statistics, WithFlushEvery and the value cache (a Get may return the value
// from before such a write: see WithCacheCapacity).
func (b *Backend) DB() *bdb.DB { return b.db }

func fail(op string, key []byte, err error) error {
	return runtime.NewError(backendName, op, key, err)
}

// enter admits an operation that does not run the caller's code: it fails with
// ErrClosed once Close has begun, and waits while a Restore runs.
func (b *Backend) enter() error { return b.gate.admit(plainOp, true) }

// exit ends an operation enter admitted.
func (b *Backend) exit() { b.gate.exit(plainOp) }

// begin validates key and admits the operation.
func (b *Backend) begin(op string, key []byte) error {
	if err := checkKey(key); err != nil {
		return fail(op, key, err)
	}
	if err := b.enter(); err != nil {
		return fail(op, key, err)
	}
	return nil
}

// writeSize is about what writing key and value costs on disk.
func writeSize(key, value []byte) int64 { return int64(len(key) + len(value) + entryOverhead) }

// wrote counts n writes and syncs when WithFlushEvery says so.
func (b *Backend) wrote(n uint64) error {
	every := uint64(b.cfg.flushEvery)
	if every == 0 {
		return nil
	}
	if after := b.writes.Add(n); crossesMultiple(after-n, after, every) {
		return b.sync()
	}
	return nil
}

// sync syncs the database to disk and counts it.
func (b *Backend) sync() error {
	b.syncs.Add(1)
	return b.db.Sync()
}

// Syncs returns how many times the backend has synced to disk, by Flush or by
// WithFlushEvery: the fsync rate a durability setting costs.
func (b *Backend) Syncs() uint64 { return b.syncs.Load() }

// crossesMultiple reports whether a multiple of every lies in (from, to]: the
// writes from+1..to included the every-th, 2*every-th... write.
func crossesMultiple(from, to, every uint64) bool { return to/every != from/every }

// maxExpirySeconds is the latest expiry kept, in Unix seconds: the last second
// a time.Time holds, so that every expiry reads back as the time it is.
const maxExpirySeconds = math.MaxInt64 - 62135596800

// expiresAt converts an expiry time to Badger's whole seconds, rounding up so
// that nothing expires early, and clamping to maxExpirySeconds. The zero time
// is 0, never.
func expiresAt(t time.Time) uint64 {
	if t.IsZero() {
		return 0
	}
	sec := t.Unix()
	if t.Nanosecond() > 0 && sec < maxExpirySeconds {
		sec++
	}
	return uint64(max(sec, 1))
}

// expiryTime is the time of a Badger expiry (nonzero), clamped as expiresAt
// clamps: a value written to the DB directly may be larger.
func expiryTime(exp uint64) time.Time {
	return time.Unix(int64(min(exp, maxExpirySeconds)), 0)
}

// ttlExpiry is the Badger expiry of an entry written now with ttl (0: the
// configured default).
func (b *Backend) ttlExpiry(ttl time.Duration) uint64 {
	if ttl == 0 {
		ttl = b.cfg.ttl
	}
	if ttl <= 0 {
		return 0
	}
	return expiresAt(time.Now().Add(ttl))
}

// stripeWait is the longest an Update waits for its stripe before it goes on
// without it: only an Update nested in another's fn on the same stripe, or a
// stripe held that long under extreme contention, waits that long.
const stripeWait = time.Second

// Get returns a copy of key's value: from the value cache when it holds it,
// else from a read transaction, whose result then fills the cache.
func (b *Backend) Get(_ context.Context, key []byte) ([]byte, bool, error) {
	if err := b.begin("get", key); err != nil {
		return nil, false, err
	}
	defer b.exit()
	b.gets.Add(1)
	var ticket uint64
	if b.cache != nil {
		v, ok, t := b.cache.get(key, uint64(time.Now().Unix()))
		if ok {
			b.hits.Add(1)
			return v, true, nil
		}
		ticket = t
	}
	var value []byte
	var exp uint64
	err := b.db.View(func(txn *bdb.Txn) error {
		item, err := txn.Get(key)
		if err != nil {
			return err
		}
		exp = item.ExpiresAt()
		value, err = item.ValueCopy(nil)
		return err
	})
	switch {
	case errors.Is(err, bdb.ErrKeyNotFound):
		b.misses.Add(1)
		return nil, false, nil
	case err != nil:
		return nil, false, fail("get", key, err)
	}
	b.hits.Add(1)
	if value == nil {
		value = []byte{}
	}
	if b.cache != nil {
		b.cache.fill(key, value, exp, ticket)
	}
	return value, true, nil
}

// invalidate drops key from the value cache; writers call it before they
// commit and again after (see valueCache).
func (b *Backend) invalidate(key []byte) {
	if b.cache != nil {
		b.cache.invalidate(key)
	}
}

// Put stores value under key, expiring after WithTTL if set.
func (b *Backend) Put(_ context.Context, key, value []byte) error {
	return b.put(key, value, b.ttlExpiry(0))
}

// PutTTL stores value under key, expiring after ttl (0: WithTTL), rounded up to
// a whole second.
func (b *Backend) PutTTL(_ context.Context, key, value []byte, ttl time.Duration) error {
	if ttl < 0 {
		return fail("put", key, fmt.Errorf("%w: negative ttl %v", runtime.ErrInvalidArgument, ttl))
	}
	return b.put(key, value, b.ttlExpiry(ttl))
}

func (b *Backend) put(key, value []byte, exp uint64) error {
	if err := b.checkValue(value); err != nil {
		return fail("put", key, err)
	}
	if err := b.begin("put", key); err != nil {
		return err
	}
	defer b.exit()
	if err := b.guard.take(writeSize(key, value), false); err != nil {
		return fail("put", key, err)
	}
	b.invalidate(key)
	err := b.db.Update(func(txn *bdb.Txn) error {
		e := bdb.NewEntry(key, value)
		e.ExpiresAt = exp
		return txn.SetEntry(e)
	})
	b.invalidate(key)
	if err == nil {
		b.puts.Add(1)
		err = b.wrote(1)
	}
	return fail("put", key, err)
}

// Delete removes key; a missing key is not an error.
func (b *Backend) Delete(_ context.Context, key []byte) error {
	if err := b.begin("delete", key); err != nil {
		return err
	}
	defer b.exit()
	if err := b.guard.take(writeSize(key, nil), true); err != nil {
		return fail("delete", key, err)
	}
	b.invalidate(key)
	err := b.db.Update(func(txn *bdb.Txn) error { return txn.Delete(key) })
	b.invalidate(key)
	if err == nil {
		b.deletes.Add(1)
		err = b.wrote(1)
	}
	return fail("delete", key, err)
}

// Update atomically replaces key's value with what fn returns, in a Badger
// transaction. Updates of one key from this process first take one of a set of
// striped locks, so they do not conflict with each other; a transaction that
// still conflicts (with a Put or a Batch) is retried with jittered backoff, and
// Update returns runtime.ErrConflict only after WithUpdateRetries retries. fn
// may run once per attempt. fn may call the backend (a Get, say) even while a
// Restore waits; an Update from inside fn whose key shares the stripe waits
// for it at most stripeWait, then goes on without it (the transaction keeps
// it correct), instead of waiting for itself forever.
func (b *Backend) Update(ctx context.Context, key []byte, ttl time.Duration, fn runtime.UpdateFunc) error {
	if ttl < 0 {
		return fail("update", key, fmt.Errorf("%w: negative ttl %v", runtime.ErrInvalidArgument, ttl))
	}
	if err := checkKey(key); err != nil {
		return fail("update", key, err)
	}
	// fn is the caller's code and may call the backend: admitted as such.
	if err := b.gate.admit(callingOp, true); err != nil {
		return fail("update", key, err)
	}
	defer b.gate.exit(callingOp)
	lock, err := b.updates.Lock(ctx, key, stripeWait)
	if err != nil {
		return fail("update", key, err)
	}
	defer lock.Unlock()

	var fnErr error
	var kept bool
	attempt := func(txn *bdb.Txn) error {
		var old []byte
		found := false
		item, err := txn.Get(key)
		switch {
		case errors.Is(err, bdb.ErrKeyNotFound):
		case err != nil:
			return err
		default:
			found = true
			if old, err = item.ValueCopy(nil); err != nil {
				return err
			}
		}
		value, keep, err := fn(old, found)
		if err != nil {
			fnErr = err
			return err
		}
		if keep {
			if err := b.checkValue(value); err != nil {
				return err
			}
		}
		kept = keep
		if !keep && !found {
			return nil
		}
		if err := b.guard.take(writeSize(key, value), !keep); err != nil {
			return err
		}
		if !keep {
			return txn.Delete(key)
		}
		e := bdb.NewEntry(key, value)
		e.ExpiresAt = b.ttlExpiry(ttl)
		return txn.SetEntry(e)
	}
	b.invalidate(key)
	defer b.invalidate(key)
	backoff := 50 * time.Microsecond
	for try := 0; ; try++ {
		err := b.db.Update(attempt)
		switch {
		case fnErr != nil:
			return fnErr
		case err == nil:
			if kept {
				b.puts.Add(1)
			} else {
				b.deletes.Add(1)
			}
			return fail("update", key, b.wrote(1))
		case !errors.Is(err, bdb.ErrConflict):
			return fail("update", key, err)
		case try >= b.cfg.updateRetries:
			return fail("update", key, fmt.Errorf("%w after %d retries: %w", runtime.ErrConflict, try, err))
		}
		select {
		case <-ctx.Done():
			return fail("update", key, ctx.Err())
		case <-time.After(backoff/2 + rand.N(backoff)):
		}
		backoff = min(2*backoff, 10*time.Millisecond)
	}
}

// ListKeys returns the keys starting with prefix, in ascending order. The keys
// share one allocation; each has its capacity capped at its length.
func (b *Backend) ListKeys(ctx context.Context, prefix []byte) ([][]byte, error) {
	if err := b.enter(); err != nil {
		return nil, fail("list", prefix, err)
	}
	defer b.exit()
	b.lists.Add(1)
	if err := ctx.Err(); err != nil {
		return nil, fail("list", prefix, err)
	}
	var keys [][]byte
	var arena []byte
	err := b.db.View(func(txn *bdb.Txn) error {
		opts := bdb.DefaultIteratorOptions
		opts.PrefetchValues = false
		opts.Prefix = prefix
		it := txn.NewIterator(opts)
		defer it.Close()
		n := 0
		for it.Seek(prefix); it.ValidForPrefix(prefix); it.Next() {
			if n++; n%1024 == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			k := it.Item().Key()
			if cap(arena)-len(arena) < len(k) {
				arena = make([]byte, 0, max(len(k), 64<<10))
			}
			start := len(arena)
			arena = append(arena, k...)
			keys = append(keys, arena[start:len(arena):len(arena)])
		}
		return ctx.Err()
	})
	if err != nil {
		return nil, fail("list", prefix, err)
	}
	return keys, nil
}

// Scan calls fn for each entry whose key starts with prefix, in ascending key
// order, from one read transaction: what fn sees is one point in time. key and
// value are valid only during fn. fn may call the backend (delete what it
// visits, say), even while a Restore waits to start: the Restore waits for
// the Scan. fn must not call Close or Restore of this backend, which wait for
// the Scan to end.
func (b *Backend) Scan(ctx context.Context, prefix []byte, fn func(key, value []byte) error) error {
	return b.ScanFrom(ctx, prefix, prefix, fn)
}

// ScanFrom implements runtime.RangeScanner: Scan of prefix, starting at the
// first key >= from. Badger keeps deleted keys as tombstones until
// compaction, and a scan walks them: starting past them is what makes a
// window store's FireDue cost what is due, not what was fired before.
func (b *Backend) ScanFrom(ctx context.Context, prefix, from []byte, fn func(key, value []byte) error) error {
	if bytes.Compare(from, prefix) < 0 {
		from = prefix
	}
	if err := b.gate.admit(callingOp, true); err != nil {
		return fail("scan", prefix, err)
	}
	defer b.gate.exit(callingOp)
	b.lists.Add(1)
	if err := ctx.Err(); err != nil {
		return fail("scan", prefix, err)
	}
	var fnErr error
	err := b.db.View(func(txn *bdb.Txn) error {
		opts := bdb.DefaultIteratorOptions
		opts.PrefetchValues = false
		opts.Prefix = prefix
		it := txn.NewIterator(opts)
		defer it.Close()
		n := 0
		for it.Seek(from); it.ValidForPrefix(prefix); it.Next() {
			if n++; n%1024 == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			item := it.Item()
			err := item.Value(func(v []byte) error {
				fnErr = fn(item.Key(), v)
				return fnErr
			})
			if err != nil {
				return err
			}
		}
		return ctx.Err()
	})
	switch {
	case fnErr == runtime.SkipAll:
		return nil
	case fnErr != nil:
		return fnErr
	}
	return fail("scan", prefix, err)
}

// Flush syncs everything written so far to disk.
func (b *Backend) Flush(ctx context.Context) error {
	if err := b.enter(); err != nil {
		return fail("flush", nil, err)
	}
	defer b.exit()
	if err := ctx.Err(); err != nil {
		return fail("flush", nil, err)
	}
	return fail("flush", nil, b.sync())
}

// SizeOnDisk returns the space the store's files take on disk, as du counts it
// (0 in memory).
func (b *Backend) SizeOnDisk() (int64, error) {
	if b.cfg.inMemory {
		return 0, nil
	}
	var total int64
	err := filepath.WalkDir(b.cfg.dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) { // Badger removed a file while we walked
				return nil
			}
			return err
		}
		if d.Type().IsRegular() {
			if fi, err := d.Info(); err == nil {
				total += allocated(fi)
			}
		}
		return nil
	})
	if err != nil {
		return 0, fail("size", nil, err)
	}
	return total, nil
}

// Stats returns operation counts and the size on disk. It walks the directory
// on every call to size it, so it is meant for monitoring, not a hot path.
// Badger cannot count its live entries cheaply nor tell its memory use:
// Entries is -1, and MemoryBytes is the bytes the backend's value cache holds
// (WithCacheCapacity), -1 without one.
func (b *Backend) Stats() runtime.Stats {
	// Each counter only grows: misses are counted, not derived from gets
	// and hits, which a Get in flight would make go backwards.
	gets, hits, misses := b.gets.Load(), b.hits.Load(), b.misses.Load()
	var cacheHits, cacheMisses uint64
	memory := int64(-1)
	if b.cache != nil {
		cacheHits, cacheMisses = b.cache.hits.Load(), b.cache.misses.Load()
		memory, _ = b.cache.usage()
	}
	disk, err := b.SizeOnDisk()
	if err != nil {
		disk = -1
	}
	return runtime.Stats{
		GetCount:    gets,
		HitCount:    hits,
		MissCount:   misses,
		PutCount:    b.puts.Load(),
		DeleteCount: b.deletes.Load(),
		ListCount:   b.lists.Load(),
		Entries:     -1,
		MemoryBytes: memory,
		DiskBytes:   disk,

		CacheHitCount:  cacheHits,
		CacheMissCount: cacheMisses,
	}
}

// Close waits for operations in flight, then closes the database. Snapshot
// iterations in progress end with runtime.ErrClosed. Later calls return
// runtime.ErrClosed; Close itself is idempotent.
func (b *Backend) Close() error {
	if !b.gate.close() {
		return nil
	}
	return fail("close", nil, b.db.Close())
}

// slogAdapter sends Badger's logs to a slog.Logger.
type slogAdapter struct{ l *slog.Logger }

func msg(format string, args []any) string { return strings.TrimSpace(fmt.Sprintf(format, args...)) }

// Errorf logs at Error.
func (a slogAdapter) Errorf(f string, args ...any) { a.l.Error(msg(f, args)) }

// Warningf logs at Warn.
func (a slogAdapter) Warningf(f string, args ...any) { a.l.Warn(msg(f, args)) }

// Infof logs at Debug: Badger's info messages are routine.
func (a slogAdapter) Infof(f string, args ...any) { a.l.Debug(msg(f, args)) }

// Debugf logs at Debug.
func (a slogAdapter) Debugf(f string, args ...any) { a.l.Debug(msg(f, args)) }

var (
	_ runtime.Backend       = (*Backend)(nil)
	_ runtime.TTLWriter     = (*Backend)(nil)
	_ runtime.Updater       = (*Backend)(nil)
	_ runtime.Snapshotter   = (*Backend)(nil)
	_ runtime.Batcher       = (*Backend)(nil)
	_ runtime.Flusher       = (*Backend)(nil)
	_ runtime.StatsReporter = (*Backend)(nil)
)
