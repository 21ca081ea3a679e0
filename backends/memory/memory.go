// Package memory is statekit's in-memory backend: sharded hash tables whose
// reads take no lock, an ordered index of the keys, TTL, statistics,
// point-in-time snapshots and batched writes.
//
// Entries are stored as immutable items: a write copies its key and value once,
// into one allocation, and nothing writes into an item afterwards. That is what
// lets reads go without locks, snapshots share items instead of copying them,
// and Update detect a concurrent write by identity.
//
// # Order
//
// Every key is also in an ordered index, a copy-on-write B-tree
// (github.com/tidwall/btree), so ListKeys, Scan and Snapshot seek to their
// first key and visit only what they return, in ascending order: O(log N + k),
// never a pass over every key. Window firing is a prefix scan on every
// watermark tick, which is why this matters.
//
// The index holds keys, not values. A write that overwrites a key (merges and
// window updates, most writes) changes the hash table alone, as before; only a
// write that adds or removes a key also takes the index's lock and changes the
// tree. Scans read the index in short runs under its read lock and take each
// value from the hash tables; they hold no lock while their callback runs, so
// the callback may write to the backend. A snapshot clones the index in O(1)
// and freezes the shards' tables; a writer that meets a frozen table copies it
// first (one shard's table, once per snapshot), and readers never wait. Nothing
// is sorted.
//
// The options, measured on a 2-core VM with 23-byte keys in random order:
//   - An index of items, updated by every write: replacing an item in a B-tree
//     of 100K costs 660-750 ns (1.5-1.9 µs at 1M), where a whole Put into the
//     hash table costs 340 ns: Put would cost 3x. Hence an index of keys,
//     changed only when a key comes or goes.
//   - An ordered structure per hash shard: every prefix scan would seek in all
//     256 shards and merge, so one key's windows would cost 256 seeks.
//   - Range-partitioned shards: a point read must find its range first, and
//     real key spaces are skewed (a store's keys share one "w/Type/" prefix),
//     so one shard takes most keys and most writes.
//   - A concurrent skiplist: ordered, lock-free inserts, but no O(1)
//     point-in-time copy; snapshots would need a version per entry.
//   - google/btree v1.1.3 and tidwall/btree v1.8.2 both clone in O(1); deleting
//     and inserting a key among 100K took 697-768 ns against 655-725 ns, and
//     tidwall appends keys that come in order (Restore) without a search.
//
// An index key is a pointer to a copy of the key behind a 2-byte length, not a
// string: 8 bytes in a node instead of 16, which matters because keys inserted
// in order leave B-tree nodes half full (236.7 B/entry with strings, 228.2
// with these, at 1M entries).
//
// What it costs and buys, from make bench (medians of 6 rounds on a quiet
// machine, every peer in the same rounds; "before" is this backend as it was
// before the index, kept in internal/unordered as the benchmarks' baseline):
//   - Overwrites do not touch the index: Put 365 ns against 334 before (1.09x),
//     the 90/10 mixed load on 2 goroutines 156 ns against 153 (ahead of every
//     concurrent peer: xsync.Map 1.39x, the 64-shard RWMutex map 1.59x). Get runs
//     the same instructions as before: 345 ns against 346 (1.00x); both are
//     behind the RWMutex map and an unlocked Go map (by the median of the
//     rounds' ratios 1.08x and 1.10x their time; the same cache misses: a slot
//     and an item, against a map's group, key and value), ahead of xsync.Map
//     (0.83x) and sync.Map (0.50x).
//   - Deleting a key and inserting it again: 1394 ns against 433 (3.2x), the
//     price of the index, paid only by writes that add or remove keys.
//   - 228.2 bytes per entry at 1M (23-byte keys, 100-byte values) against
//     177.6 before (1.28x) and 236.4 for a map[string][]byte.
//   - With n tumbling windows of a generated store (integration/stores), 300K
//     against 1K: FireDue with nothing due 1.31x, with 500 due 2.70x, one key's
//     Windows 2.66x, a Scan of 100 keys 2.90x; against Badger at 300K they are
//     6.8x, 13.3x, 3.2x and 1.52x faster. Before the index, a FireDue with
//     nothing due cost 137 ms at 100K windows and 3.4 s at 1M.
//   - A checkpoint lends its snapshot (SnapshotView, runtime.SnapshotViewer):
//     it yields the stored items themselves, read-only, so a checkpoint of 1M
//     entries grows the heap by 20.7 MB (its compression buffers) where the old
//     backend's copies grew it by 145 MB (0.14x). A snapshot resolves its keys
//     64 at a time, so that their cache misses overlap: 1M entries written in
//     random order are lent in 154 ms, copied in 211 ms, against 320 ms before
//     (BenchmarkSnapshotPhases).
//   - BenchmarkCheckpoint/1M in package checkpoint: 246 ms compressed against
//     1116 ms for Badger's DB.Backup (0.22x by the median of each round's
//     ratio), 165 ms uncompressed as DB.Backup writes (0.15x), where zstd is the
//     rest. Restore loads in bulk (see Restore): BenchmarkRestore/1M 195 ms
//     against 763 for DB.Load (0.26x). Per entry, a checkpoint costs no more at
//     4M than at 1M (BenchmarkCheckpointPerEntry, 3 rounds: 140 and 145 ns; the
//     backend before the index, which sorted, 596 and 526 ns); at 100K it costs
//     1.36x (1.23x without the fixed part of a checkpoint, about 1.9 ms: syncs,
//     encoders, the collections its buffers bring).
package memory

import (
	"context"
	"fmt"
	"hash/maphash"
	"math/bits"
	"sync"
	"sync/atomic"
	"time"

	"github.com/statekit/statekit/runtime"
)

const backendName = "memory"

// DefaultShards is the number of shards when Options.Shards is 0.
const DefaultShards = 256

// maxShards bounds Options.Shards.
const maxShards = 1 << 16

// Options configure a Backend. The zero value is ready to use: no expiry, the
// default number of shards, the system clock.
type Options struct {
	// TTL is the time to live of entries written by Put (and by PutTTL,
	// Update or Batch.Put with a ttl of 0). 0 means never expire.
	TTL time.Duration
	// Shards is the number of independently locked tables. New rounds it up
	// to a power of two; 0 means DefaultShards.
	Shards int
	// Clock tells the time for expiry; nil means the system clock. Expiries
	// are Unix nanoseconds, which end in 2262 (and start in 1677): with the
	// clock outside those years a write with a TTL fails with
	// runtime.ErrInvalidArgument, and writes without one work as ever.
	Clock runtime.Clock
}

// Validate reports options New would have to correct: a negative TTL or a
// Shards outside 0..65536. New never fails; it uses no expiry for a negative
// TTL and clamps Shards.
func (o Options) Validate() error {
	if o.TTL < 0 {
		return fmt.Errorf("memory: Options.TTL %v: %w: must not be negative", o.TTL, runtime.ErrInvalidArgument)
	}
	if o.Shards < 0 || o.Shards > maxShards {
		return fmt.Errorf("memory: Options.Shards %d: %w: must be 0..%d", o.Shards, runtime.ErrInvalidArgument, maxShards)
	}
	return nil
}

// Backend is the in-memory backend. It implements runtime.Backend,
// runtime.TTLWriter, runtime.Updater, runtime.Snapshotter, runtime.Batcher and
// runtime.StatsReporter, and is safe for concurrent use.
//
// Each shard is a hash table whose reads take no lock (see table): a Get costs
// one hash, a probe, one atomic add for the statistics, and the copy of the
// value. Writers to a shard take its mutex.
type Backend struct {
	shards []shard
	shift  uint // a key's shard is its hash's top bits
	seed   maphash.Seed
	ttl    time.Duration
	clock  runtime.Clock

	lists      atomic.Uint64
	generation atomic.Uint64 // Restores that replaced the contents

	ix index // every key in order (see index.go)

	lifeMu   sync.Mutex
	closed   bool
	cleanups map[int]func() // stop functions of running cleanup loops
	nextStop int
}

type shard struct {
	tab    atomic.Pointer[table] // nil once closed
	hits   atomic.Uint64         // counted by readers, which hold no lock
	misses atomic.Uint64

	mu sync.Mutex // held by writers; guards the fields below
	// The writers' counters are plain fields: a writer holds mu anyway, and
	// every atomic instruction on the write path costs a pipeline drain.
	frozen                 *table // a table snapshots hold: copied before it is changed
	frozenRefs             int    // how many snapshots hold frozen
	bytes                  int64  // memory estimate
	puts, deletes, expired uint64
	_                      [40]byte // keep shards on separate cache lines
}

// New returns an empty Backend. It starts no goroutine: expired entries are
// never returned, and are removed by CleanupExpired or StartCleanup.
func New(opts Options) *Backend {
	n := opts.Shards
	switch {
	case n <= 0:
		n = DefaultShards
	case n > maxShards:
		n = maxShards
	}
	n = 1 << bits.Len(uint(n-1)) // round up to a power of two
	clock := opts.Clock
	if clock == nil {
		clock = runtime.SystemClock{}
	}
	b := &Backend{
		shards: make([]shard, n),
		shift:  uint(64 - bits.TrailingZeros(uint(n))),
		seed:   maphash.MakeSeed(),
		ttl:    max(opts.TTL, 0),
		clock:  clock,
	}
	for i := range b.shards {
		b.shards[i].tab.Store(newTable(minTableSize))
	}
	b.ix.tree = newTree()
	return b
}

// hash hashes key once: its top bits choose the shard, its low bits the slot.
func (b *Backend) hash(key []byte) uint64 { return maphash.Bytes(b.seed, key) }

func (b *Backend) shardOf(h uint64) *shard {
	return &b.shards[(h>>b.shift)&uint64(len(b.shards)-1)]
}

// now is the clock's time in Unix nanoseconds, clamped to what an int64 holds.
func (b *Backend) now() int64 { return clampedUnixNano(b.clock.Now()) }

// expiry returns the expiry of an entry written now with ttl (0: the
// default), 0 for none. Expiries are Unix nanoseconds, which an int64 holds
// from 1677 to 2262: with the clock outside those years a TTL cannot be kept,
// and the write is refused rather than given a wrong expiry.
func (b *Backend) expiry(ttl time.Duration) (int64, error) {
	if ttl == 0 {
		ttl = b.ttl
	}
	if ttl <= 0 {
		return 0, nil
	}
	now := b.clock.Now()
	if now.Before(minNanoTime) || now.After(maxNanoTime) {
		return 0, fmt.Errorf("%w: a TTL with the clock at %v: the memory backend keeps expiries in Unix nanoseconds, from %d to %d",
			runtime.ErrInvalidArgument, now, minNanoTime.Year(), maxNanoTime.Year())
	}
	return unixNanoClamped(now.Add(ttl)), nil
}

func fail(op string, key []byte, err error) error {
	return runtime.NewError(backendName, op, key, err)
}

// Get returns a copy of key's value. It takes no lock.
func (b *Backend) Get(_ context.Context, key []byte) ([]byte, bool, error) {
	if !runtime.ValidKey(key) {
		return nil, false, fail("get", key, runtime.CheckKey(key))
	}
	h := b.hash(key)
	s := b.shardOf(h)
	t := s.tab.Load()
	if t == nil {
		return nil, false, fail("get", key, runtime.ErrClosed)
	}
	it := find(t, h, key)
	if it == nil || (it.exp != 0 && !live(it.exp, b.now())) {
		s.misses.Add(1)
		return nil, false, nil
	}
	s.hits.Add(1)
	v := it.value()
	return append(make([]byte, 0, len(v)), v...), true, nil
}

// Put stores a copy of value under key, expiring after Options.TTL if set.
func (b *Backend) Put(_ context.Context, key, value []byte) error {
	return b.put(key, value, 0)
}

// PutTTL stores a copy of value under key, expiring after ttl (0: Options.TTL).
func (b *Backend) PutTTL(_ context.Context, key, value []byte, ttl time.Duration) error {
	if ttl < 0 {
		return fail("put", key, fmt.Errorf("%w: negative ttl %v", runtime.ErrInvalidArgument, ttl))
	}
	return b.put(key, value, ttl)
}

func (b *Backend) put(key, value []byte, ttl time.Duration) error {
	if !runtime.ValidKey(key) {
		return fail("put", key, runtime.CheckKey(key))
	}
	exp, err := b.expiry(ttl)
	if err != nil {
		return fail("put", key, err)
	}
	it, err := makeItem(key, value, exp)
	if err != nil {
		return fail("put", key, err)
	}
	h := b.hash(key)
	s := b.shardOf(h)
	s.mu.Lock()
	t := s.tab.Load()
	if t == nil {
		s.mu.Unlock()
		return fail("put", key, runtime.ErrClosed)
	}
	if s.set(t, h, it) {
		insertKey(&b.ix, key)
	}
	s.puts++
	s.mu.Unlock()
	return nil
}

// writable returns t, the shard's table, ready to be changed in place: a new
// copy if snapshots hold t, or if grow and t is full. s.mu must be held.
func (s *shard) writable(t *table, grow bool) *table {
	if s.frozen != t && !(grow && t.full()) {
		return t
	}
	if s.frozen == t {
		s.frozen, s.frozenRefs = nil, 0 // the snapshots keep t; nothing changes it again
	}
	t = t.rebuilt()
	s.tab.Store(t)
	return t
}

// set stores it in t, the shard's table, and reports whether its key is new to
// the table (the caller then adds it to the index). s.mu must be held.
func (s *shard) set(t *table, h uint64, it *item) (added bool) {
	t = s.writable(t, true)
	if old := t.set(h, it); old != nil {
		s.bytes += it.size() - old.size()
		return false
	}
	s.bytes += it.size()
	return true
}

// del removes key from t, the shard's table, and reports whether it was there
// (the caller then removes it from the index). A table left mostly empty is
// rebuilt smaller. s.mu must be held.
func (s *shard) del(t *table, h uint64, key string) bool {
	if find(t, h, key) == nil {
		return false
	}
	t = s.writable(t, false)
	i, _ := t.locate(h, key)
	old := t.removeAt(i)
	s.bytes -= old.size()
	if len(t.slots) > minTableSize && 16*t.live < len(t.slots) {
		s.tab.Store(t.rebuilt())
	}
	return true
}

// Delete removes key; a missing key is not an error.
func (b *Backend) Delete(_ context.Context, key []byte) error {
	if !runtime.ValidKey(key) {
		return fail("delete", key, runtime.CheckKey(key))
	}
	h := b.hash(key)
	s := b.shardOf(h)
	s.mu.Lock()
	t := s.tab.Load()
	if t == nil {
		s.mu.Unlock()
		return fail("delete", key, runtime.ErrClosed)
	}
	if s.del(t, h, string(key)) {
		b.ix.remove(string(key))
	}
	s.deletes++
	s.mu.Unlock()
	return nil
}

// Update atomically replaces key's value with what fn returns. It is optimistic:
// fn runs without any lock held, and runs again if another write to key landed
// in the meantime (detected by the identity of the stored item, which every
// write replaces). So fn never blocks other keys, and may run more than once.
func (b *Backend) Update(ctx context.Context, key []byte, ttl time.Duration, fn runtime.UpdateFunc) error {
	if !runtime.ValidKey(key) {
		return fail("update", key, runtime.CheckKey(key))
	}
	if ttl < 0 {
		return fail("update", key, fmt.Errorf("%w: negative ttl %v", runtime.ErrInvalidArgument, ttl))
	}
	h := b.hash(key)
	s := b.shardOf(h)
	for {
		t := s.tab.Load()
		if t == nil {
			return fail("update", key, runtime.ErrClosed)
		}
		old := b.liveItem(t, h, key)
		var oldValue []byte
		if old != nil {
			oldValue = old.value()
		}
		value, keep, err := fn(oldValue, old != nil)
		if err != nil {
			return err
		}
		var next *item
		if keep {
			exp, err := b.expiry(ttl)
			if err == nil {
				next, err = makeItem(key, value, exp)
			}
			if err != nil {
				return fail("update", key, err)
			}
		}

		s.mu.Lock()
		read := t
		t = s.tab.Load()
		if t == nil {
			s.mu.Unlock()
			return fail("update", key, runtime.ErrClosed)
		}
		// A table swapped since fn read (a Restore, or a copy made for a
		// snapshot or a resize) is a race lost too, even when both lack the
		// key: fn decided on contents that may be gone (a Restore's).
		if t != read || b.liveItem(t, h, key) != old {
			s.mu.Unlock() // lost a race: try again with the new value
			if err := ctx.Err(); err != nil {
				return fail("update", key, err)
			}
			continue
		}
		if keep {
			if s.set(t, h, next) {
				insertKey(&b.ix, key)
			}
			s.puts++
		} else {
			if old != nil && s.del(t, h, string(key)) {
				b.ix.remove(string(key))
			}
			s.deletes++
		}
		s.mu.Unlock()
		return nil
	}
}

// liveItem is key's item in t if it has not expired, else nil.
func (b *Backend) liveItem(t *table, h uint64, key []byte) *item {
	it := find(t, h, key)
	if it != nil && !it.live(b.now()) {
		return nil
	}
	return it
}

// ListKeys returns the live keys starting with prefix, in ascending order. It
// reads the index from the first such key and stops after the last one: its
// cost is a seek and the keys it returns. The keys share one allocation; each
// has its capacity capped at its length, so appending to one never writes into
// another.
func (b *Backend) ListKeys(ctx context.Context, prefix []byte) ([][]byte, error) {
	b.lists.Add(1)
	var keys []string
	total := 0
	err := b.ascend(ctx, "list", prefix, func(k string, _ *item) error {
		keys = append(keys, k)
		total += len(k)
		return nil
	})
	if err != nil {
		return nil, err
	}
	arena := make([]byte, 0, total)
	out := make([][]byte, len(keys))
	for i, k := range keys {
		start := len(arena)
		arena = append(arena, k...)
		out[i] = arena[start:len(arena):len(arena)]
	}
	return out, nil
}

// Scan calls fn for each live entry whose key starts with prefix, in ascending
// key order. Its cost is a seek in the index and the entries it visits. What fn
// sees is each entry as Scan read it, not one point in time (use Snapshot for
// that); entries written while Scan runs may or may not be seen, and none is
// seen twice. key and value are copies valid only during fn. Scan holds no lock
// while fn runs, so fn may write to the backend. A Restore that overtakes a
// Scan (or ListKeys) makes it fail with an error wrapping runtime.ErrConflict
// rather than visit two contents.
func (b *Backend) Scan(ctx context.Context, prefix []byte, fn func(key, value []byte) error) error {
	b.lists.Add(1)
	var kbuf, vbuf []byte
	err := b.ascend(ctx, "scan", prefix, func(k string, it *item) error {
		kbuf = append(kbuf[:0], k...)
		vbuf = append(vbuf[:0], it.value()...)
		return fn(kbuf, vbuf)
	})
	if err == runtime.SkipAll {
		return nil
	}
	return err
}

// ascend calls fn for each live entry whose key starts with prefix, in key
// order, holding no lock while fn runs. An error from fn stops it and is
// returned as it is.
func (b *Backend) ascend(ctx context.Context, op string, prefix []byte, fn func(key string, it *item) error) error {
	if err := ctx.Err(); err != nil {
		return fail(op, prefix, err)
	}
	now := b.now()
	gen := b.generation.Load()
	if gen%2 == 1 {
		return fail(op, prefix, fmt.Errorf("%w: the backend is being restored", runtime.ErrConflict))
	}
	var err error
	n := 0
	open := b.ix.ascend(prefix, func(k string) bool {
		if n++; n%1024 == 0 {
			if err = ctx.Err(); err != nil {
				err = fail(op, prefix, err)
				return false
			}
		}
		h := maphash.String(b.seed, k)
		t := b.shardOf(h).tab.Load()
		if t == nil {
			err = fail(op, prefix, runtime.ErrClosed)
			return false
		}
		it := find(t, h, k)
		// Restore moves the generation before it swaps the tables in, so a
		// table read from the restored contents is caught here: a scan never
		// mixes two contents, it fails instead.
		if b.generation.Load() != gen {
			err = fail(op, prefix, fmt.Errorf("%w: the backend was restored during the scan", runtime.ErrConflict))
			return false
		}
		if it == nil || !it.live(now) { // deleted since the index was read, or expired
			return true
		}
		err = fn(k, it)
		return err == nil
	})
	if !open && err == nil {
		err = fail(op, prefix, runtime.ErrClosed)
	}
	// A Restore between two runs of the index walk, whose contents have no key
	// after the last one visited, leaves no key to notice it on: the scan
	// would end, having seen part of the old contents, as if whole.
	if err == nil && b.generation.Load() != gen {
		err = fail(op, prefix, fmt.Errorf("%w: the backend was restored during the scan", runtime.ErrConflict))
	}
	return err
}

func hasPrefix(s string, prefix []byte) bool {
	return len(s) >= len(prefix) && s[:len(prefix)] == string(prefix)
}

// Stats returns the operation counts and size estimates. Entries counts stored
// entries, including expired ones not yet cleaned up; MemoryBytes is the
// estimate of MemoryUsage; DiskBytes is 0.
func (b *Backend) Stats() runtime.Stats {
	var st runtime.Stats
	for i := range b.shards {
		s := &b.shards[i]
		hits, misses := s.hits.Load(), s.misses.Load()
		st.HitCount += hits
		st.MissCount += misses
		st.GetCount += hits + misses
		s.mu.Lock()
		st.PutCount += s.puts
		st.DeleteCount += s.deletes
		st.ExpiredCount += s.expired
		st.MemoryBytes += s.bytes
		if t := s.tab.Load(); t != nil {
			st.Entries += int64(t.live)
		}
		s.mu.Unlock()
	}
	st.ListCount = b.lists.Load()
	return st
}

// MemoryUsage estimates the bytes held by entries: each entry's allocation (key,
// value and a 16-byte header), its share of its table, and its key's copy and
// share of the ordered index.
func (b *Backend) MemoryUsage() int64 {
	var n int64
	for i := range b.shards {
		s := &b.shards[i]
		s.mu.Lock()
		n += s.bytes
		s.mu.Unlock()
	}
	return n
}

// Close drops all entries and stops every cleanup loop StartCleanup started,
// waiting for them. Later calls return runtime.ErrClosed; Close itself is
// idempotent and returns nil.
func (b *Backend) Close() error {
	b.lifeMu.Lock()
	if b.closed {
		b.lifeMu.Unlock()
		return nil
	}
	b.closed = true
	stops := b.cleanups
	b.cleanups = nil
	b.lifeMu.Unlock()
	for _, stop := range stops {
		stop()
	}
	b.lockAll()
	b.ix.mu.Lock()
	for i := range b.shards {
		s := &b.shards[i]
		s.tab.Store(nil)
		s.frozen, s.frozenRefs = nil, 0
		s.bytes = 0
	}
	b.ix.tree = nil
	b.ix.mu.Unlock()
	b.unlockAll()
	return nil
}

var (
	_ runtime.Backend       = (*Backend)(nil)
	_ runtime.TTLWriter     = (*Backend)(nil)
	_ runtime.Updater       = (*Backend)(nil)
	_ runtime.Snapshotter   = (*Backend)(nil)
	_ runtime.Batcher       = (*Backend)(nil)
	_ runtime.StatsReporter = (*Backend)(nil)
)
