package badger

import (
	"hash/maphash"
	"sync"
	"sync/atomic"
)

// valueCache is a bounded cache of values in front of Badger, so that a hot
// Get costs a map lookup and a copy instead of a read transaction. The
// backend is the only writer of its directory (Badger locks it), so the
// backend's own write paths can keep the cache coherent:
//
//   - a reader that misses takes a ticket (its shard's version) before it
//     reads Badger, and fills the cache only if the version has not moved
//     since: no invalidation happened in between;
//   - a writer invalidates the key (removing it and moving the version)
//     before it commits and again after: a reader that read the old value
//     before the commit either sees the version move and does not fill, or
//     fills before the second invalidation removes what it put. Writers never
//     fill, so two writers of one key cannot leave the older value behind.
//
// So a Get never returns a value older than the last write that returned.
// Entries keep their Badger expiry (Unix seconds, Badger's resolution) and
// are ignored once it has passed. Restore and batches clear the cache. A
// shard holds at most its share of the capacity; past it, entries are
// evicted in Go's map iteration order, which is random enough for a cache
// of hot keys and costs nothing to track. A key is admitted on its second
// miss (a doorkeeper), so that a stream of keys read once costs the cache
// nothing but a bit.
type valueCache struct {
	shards   []cacheShard
	seed     maphash.Seed
	perShard int64 // byte budget of one shard
	hits     atomic.Uint64
	misses   atomic.Uint64
}

type cacheShard struct {
	mu      sync.RWMutex
	entries map[string]cacheEntry
	version uint64 // moved by every invalidation
	bytes   int64
	// seen is the doorkeeper (TinyLFU's): a bit per hash of the keys that
	// missed once. A key is cached on its second miss, so that keys read
	// once do not churn the cache; it forgets everything every doorReset
	// misses.
	seen   [doorWords]uint64
	marked int
	_      [32]byte // keep shards' locks on separate cache lines
}

const (
	doorWords = 256 // 16 Ki bits per shard
	doorReset = 4096
)

type cacheEntry struct {
	value     []byte
	expiresAt uint64 // Badger's expiry in Unix seconds; 0: never
}

const (
	cacheShards = 64
	// cacheEntryOverhead approximates a map entry's own bytes.
	cacheEntryOverhead = 64
)

// newValueCache returns a cache of about capacity bytes, or nil for 0.
func newValueCache(capacity int64) *valueCache {
	if capacity <= 0 {
		return nil
	}
	c := &valueCache{shards: make([]cacheShard, cacheShards), seed: maphash.MakeSeed(), perShard: max(capacity/cacheShards, 1)}
	for i := range c.shards {
		c.shards[i].entries = map[string]cacheEntry{}
	}
	return c
}

func (c *valueCache) shard(key []byte) *cacheShard {
	return &c.shards[maphash.Bytes(c.seed, key)%cacheShards]
}

// admit reports whether key has missed before (since the doorkeeper's last
// reset), and marks it as missed. Call it with s.mu held.
func (s *cacheShard) admit(h uint64) bool {
	bit := (h / cacheShards) % (doorWords * 64)
	w, m := bit/64, uint64(1)<<(bit%64)
	if s.seen[w]&m != 0 {
		return true
	}
	if s.marked++; s.marked >= doorReset {
		s.seen, s.marked = [doorWords]uint64{}, 0
	}
	s.seen[w] |= m
	return false
}

// get returns a copy of key's cached value if it is cached and not expired
// at now (Unix seconds). On a miss it returns a ticket for fill.
func (c *valueCache) get(key []byte, now uint64) (value []byte, ok bool, ticket uint64) {
	s := c.shard(key)
	s.mu.RLock()
	e, found := s.entries[string(key)]
	if found && (e.expiresAt == 0 || e.expiresAt > now) {
		value = append(make([]byte, 0, len(e.value)), e.value...)
		s.mu.RUnlock()
		c.hits.Add(1)
		return value, true, 0
	}
	ticket = s.version
	s.mu.RUnlock()
	c.misses.Add(1)
	return nil, false, ticket
}

// fill caches a copy of value, read from Badger after get returned ticket,
// unless the key was invalidated since.
func (c *valueCache) fill(key, value []byte, expiresAt, ticket uint64) {
	size := int64(len(key)+len(value)) + cacheEntryOverhead
	if size > c.perShard/4 {
		return // one value would crowd out its shard
	}
	h := maphash.Bytes(c.seed, key)
	s := &c.shards[h%cacheShards]
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.version != ticket || !s.admit(h) {
		return
	}
	if old, found := s.entries[string(key)]; found {
		s.bytes -= int64(len(key)+len(old.value)) + cacheEntryOverhead
	}
	for k, e := range s.entries {
		if s.bytes+size <= c.perShard {
			break
		}
		delete(s.entries, k)
		s.bytes -= int64(len(k)+len(e.value)) + cacheEntryOverhead
	}
	s.entries[string(key)] = cacheEntry{value: append([]byte(nil), value...), expiresAt: expiresAt}
	s.bytes += size
}

// invalidate removes key and moves its shard's version, so that no read
// that began before it fills the cache.
func (c *valueCache) invalidate(key []byte) {
	s := c.shard(key)
	s.mu.Lock()
	if e, found := s.entries[string(key)]; found {
		delete(s.entries, string(key))
		s.bytes -= int64(len(key)+len(e.value)) + cacheEntryOverhead
	}
	s.version++
	s.mu.Unlock()
}

// clear empties the cache and moves every version: for Restore and batches,
// whose writes are too many to invalidate one by one.
func (c *valueCache) clear() {
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.Lock()
		clear(s.entries)
		s.bytes = 0
		s.version++
		s.mu.Unlock()
	}
}

// usage returns the bytes the cache holds and how many entries.
func (c *valueCache) usage() (bytes, entries int64) {
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.RLock()
		bytes += s.bytes
		entries += int64(len(s.entries))
		s.mu.RUnlock()
	}
	return bytes, entries
}
