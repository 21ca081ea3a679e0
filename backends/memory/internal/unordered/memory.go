// Package unordered is the memory backend as it was before it kept its keys in
// order: sharded hash tables, and scans and snapshots that visit every entry
// and sort. It is kept, unchanged but for what only the original needed, as
// the baseline the memory backend's benchmarks measure it against in the same
// run ("today's" of issue 9). Nothing but benchmarks uses it.
package unordered

import (
	"context"
	"fmt"
	"hash/maphash"
	"math"
	"math/bits"
	"slices"
	"strings"
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
	// Clock tells the time for expiry; nil means the system clock.
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

	lists atomic.Uint64

	snapMu sync.Mutex // one snapshot cut at a time (see snapshot.go)

	lifeMu sync.Mutex
	closed bool
}

type shard struct {
	tab    atomic.Pointer[table] // nil once closed
	hits   atomic.Uint64         // counted by readers, which hold no lock
	misses atomic.Uint64

	mu sync.Mutex // held by writers; guards the fields below
	// The writers' counters are plain fields: a writer holds mu anyway, and
	// every atomic instruction on the write path costs a pipeline drain.
	pending                *shardCopy // a snapshot cut this shard has not been copied into yet
	bytes                  int64      // memory estimate
	puts, deletes, expired uint64
	_                      [48]byte // keep shards on separate cache lines
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
	return b
}

// hash hashes key once: its top bits choose the shard, its low bits the slot.
func (b *Backend) hash(key []byte) uint64 { return maphash.Bytes(b.seed, key) }

func (b *Backend) shardOf(h uint64) *shard {
	return &b.shards[(h>>b.shift)&uint64(len(b.shards)-1)]
}

func (b *Backend) now() int64 { return b.clock.Now().UnixNano() }

// expiry returns the expiry of an entry written now with ttl (0: the default).
func (b *Backend) expiry(ttl time.Duration) int64 {
	if ttl == 0 {
		ttl = b.ttl
	}
	if ttl <= 0 {
		return 0
	}
	now := b.now()
	if int64(ttl) > math.MaxInt64-now {
		return math.MaxInt64
	}
	return now + int64(ttl)
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
	it := t.find(h, key)
	if it == nil || (it.exp != 0 && it.exp <= b.now()) {
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
	it := newItem(key, value, b.expiry(ttl))
	h := b.hash(key)
	s := b.shardOf(h)
	s.mu.Lock()
	t := s.tab.Load()
	if t == nil {
		s.mu.Unlock()
		return fail("put", key, runtime.ErrClosed)
	}
	s.set(t, h, it)
	s.puts++
	s.mu.Unlock()
	return nil
}

// set stores it in t, the shard's table, rebuilding t first when it is full.
// s.mu must be held.
func (s *shard) set(t *table, h uint64, it *item) {
	s.beforeWrite()
	if t.full() {
		t = t.rebuilt()
		s.tab.Store(t)
	}
	if old := t.set(h, it); old != nil {
		s.bytes += it.size() - old.size()
	} else {
		s.bytes += it.size()
	}
}

// del removes key from t, the shard's table, and reports whether it was there.
// A table left mostly empty is rebuilt smaller. s.mu must be held.
func (s *shard) del(t *table, h uint64, key string) bool {
	i, found := t.locate(h, key)
	if !found {
		return false
	}
	s.beforeWrite() // copies the slots, not the table: i stays valid
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
	s.del(t, h, string(key))
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
			next = newItem(key, value, b.expiry(ttl))
		}

		s.mu.Lock()
		t = s.tab.Load()
		if t == nil {
			s.mu.Unlock()
			return fail("update", key, runtime.ErrClosed)
		}
		if b.liveItem(t, h, key) != old {
			s.mu.Unlock() // lost a race: try again with the new value
			if err := ctx.Err(); err != nil {
				return fail("update", key, err)
			}
			continue
		}
		if keep {
			s.set(t, h, next)
			s.puts++
		} else {
			if old != nil {
				s.del(t, h, string(key))
			}
			s.deletes++
		}
		s.mu.Unlock()
		return nil
	}
}

// liveItem is key's item in t if it has not expired, else nil.
func (b *Backend) liveItem(t *table, h uint64, key []byte) *item {
	it := t.find(h, key)
	if it != nil && !it.live(b.now()) {
		return nil
	}
	return it
}

// ListKeys returns the live keys starting with prefix, in ascending order. The
// keys share one allocation; each has its capacity capped at its length, so
// appending to one never writes into another.
func (b *Backend) ListKeys(ctx context.Context, prefix []byte) ([][]byte, error) {
	b.lists.Add(1)
	var keys []string
	total := 0
	err := b.collect(ctx, "list", prefix, func(it *item) {
		keys = append(keys, it.key())
		total += int(it.klen)
	})
	if err != nil {
		return nil, err
	}
	slices.Sort(keys)
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
// key order. What fn sees is the state of each shard as Scan read it, not one
// point in time across shards (use Snapshot for that). key and value are copies
// valid only during fn.
func (b *Backend) Scan(ctx context.Context, prefix []byte, fn func(key, value []byte) error) error {
	b.lists.Add(1)
	type kv struct {
		k string
		v []byte
	}
	var found []kv
	err := b.collect(ctx, "scan", prefix, func(it *item) { found = append(found, kv{it.key(), it.value()}) })
	if err != nil {
		return err
	}
	slices.SortFunc(found, func(a, b kv) int { return strings.Compare(a.k, b.k) })
	var kbuf, vbuf []byte
	for i, x := range found {
		if i%1024 == 1023 {
			if err := ctx.Err(); err != nil {
				return fail("scan", prefix, err)
			}
		}
		kbuf = append(kbuf[:0], x.k...)
		vbuf = append(vbuf[:0], x.v...)
		if err := fn(kbuf, vbuf); err != nil {
			if err == runtime.SkipAll {
				return nil
			}
			return err
		}
	}
	return nil
}

// collect calls add for every live item whose key starts with prefix, one shard
// at a time, without locks.
func (b *Backend) collect(ctx context.Context, op string, prefix []byte, add func(*item)) error {
	now := b.now()
	for i := range b.shards {
		if err := ctx.Err(); err != nil {
			return fail(op, prefix, err)
		}
		t := b.shards[i].tab.Load()
		if t == nil {
			return fail(op, prefix, runtime.ErrClosed)
		}
		t.each(func(_ uint64, it *item) bool {
			if it.live(now) && hasPrefix(it.key(), prefix) {
				add(it)
			}
			return true
		})
	}
	return nil
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
// value and a 16-byte header) and its share of its table.
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
	b.lifeMu.Unlock()
	for i := range b.shards {
		s := &b.shards[i]
		s.mu.Lock()
		s.tab.Store(nil)
		s.pending = nil
		s.bytes = 0
		s.mu.Unlock()
	}
	return nil
}

var (
	_ runtime.Backend       = (*Backend)(nil)
	_ runtime.TTLWriter     = (*Backend)(nil)
	_ runtime.Updater       = (*Backend)(nil)
	_ runtime.Snapshotter   = (*Backend)(nil)
	_ runtime.StatsReporter = (*Backend)(nil)
)
