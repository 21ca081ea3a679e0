package unordered

import (
	"context"
	"iter"
	"math"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	skrt "github.com/statekit/statekit/runtime"
)

// Snapshots are copy-on-write, one shard at a time.
//
// A cut begins by holding every shard's writer lock at once, just long enough to
// mark each shard as pending for the cut: that instant is the snapshot's point
// in time. Then the snapshot copies the shards one by one, under each shard's
// lock. A writer that reaches a shard still pending copies that shard into the
// cut before it writes. So no write that began after the cut is seen, no write
// that returned before it is missed, and a writer waits at most for the copy of
// one shard, never for the whole snapshot. Readers never wait.
//
// A copy holds pointers to items, not bytes: items are immutable. It reads only
// the table's slots, not the items; expired items are dropped later, when the
// snapshot reads each item anyway.

// shardCopy is one shard's part of a cut.
type shardCopy struct {
	items []*item
}

// beforeWrite copies the shard into a pending cut before its first write after
// the cut. s.mu must be held.
func (s *shard) beforeWrite() {
	if p := s.pending; p != nil {
		s.pending = nil
		p.items = allItems(s.tab.Load())
	}
}

func allItems(t *table) []*item {
	out := make([]*item, 0, t.live)
	t.each(func(_ uint64, it *item) bool {
		out = append(out, it)
		return true
	})
	return out
}

// lockAll takes every shard's lock, in order.
func (b *Backend) lockAll() {
	for i := range b.shards {
		b.shards[i].mu.Lock()
	}
}

func (b *Backend) unlockAll() {
	for i := range b.shards {
		b.shards[i].mu.Unlock()
	}
}

// cut takes a point-in-time copy of every shard: the items of each shard, and
// the time of the cut, before which the live ones expire.
func (b *Backend) cut(ctx context.Context) ([][]*item, int64, error) {
	b.snapMu.Lock()
	defer b.snapMu.Unlock()

	copies := make([]*shardCopy, len(b.shards))
	now := b.now()
	b.lockAll()
	closed := false
	for i := range b.shards {
		s := &b.shards[i]
		closed = closed || s.tab.Load() == nil
		if !closed {
			copies[i] = &shardCopy{}
			s.pending = copies[i]
		}
	}
	b.unlockAll()
	if closed {
		b.abandon(copies)
		return nil, 0, fail("snapshot", nil, skrt.ErrClosed)
	}

	for i := range b.shards {
		s := &b.shards[i]
		s.mu.Lock()
		t := s.tab.Load()
		if t != nil && s.pending == copies[i] {
			s.pending = nil
			copies[i].items = allItems(t)
		}
		s.mu.Unlock()
		if t == nil {
			b.abandon(copies)
			return nil, 0, fail("snapshot", nil, skrt.ErrClosed)
		}
		if err := ctx.Err(); err != nil {
			b.abandon(copies)
			return nil, 0, fail("snapshot", nil, err)
		}
	}
	parts := make([][]*item, len(copies))
	for i, c := range copies {
		parts[i] = c.items
	}
	return parts, now, nil
}

// abandon clears the marks of a cut that will not finish, so that writers stop
// copying shards for it.
func (b *Backend) abandon(copies []*shardCopy) {
	for i := range b.shards {
		s := &b.shards[i]
		s.mu.Lock()
		if s.pending != nil && s.pending == copies[i] {
			s.pending = nil
		}
		s.mu.Unlock()
	}
}

// Snapshot yields every live entry in ascending key order, as of the moment
// iteration begins. Writers are never blocked for more than the copy of one
// shard's pointers, readers not at all (see the comment at the top of
// snapshot.go). Keys and values are copies the caller owns; they are carved
// from shared blocks, each capped at its own length.
func (b *Backend) Snapshot(ctx context.Context) iter.Seq2[skrt.Entry, error] {
	return func(yield func(skrt.Entry, error) bool) {
		parts, now, err := b.cut(ctx)
		if err != nil {
			yield(skrt.Entry{}, err)
			return
		}
		sortParts(parts)
		var slab []byte
		i := 0
		for it := range merged(parts) {
			if i++; i%4096 == 0 {
				if err := ctx.Err(); err != nil {
					yield(skrt.Entry{}, fail("snapshot", nil, err))
					return
				}
			}
			if !it.live(now) {
				continue
			}
			need := int(it.klen + it.vlen)
			if cap(slab)-len(slab) < need {
				slab = make([]byte, 0, max(need, 256<<10))
			}
			start := len(slab)
			slab = append(slab, it.key()...)
			mid := len(slab)
			slab = append(slab, it.value()...)
			e := skrt.Entry{Key: slab[start:mid:mid], Value: slab[mid:len(slab):len(slab)]}
			if it.exp != 0 {
				e.ExpiresAt = time.Unix(0, it.exp)
			}
			if !yield(e, nil) {
				return
			}
		}
	}
}

// sortParts sorts each shard's items by key. A shard's items are few enough for
// their keys to stay in cache while they are sorted, which a sort of all items
// at once would not manage. It leaves one CPU to the application's writers.
func sortParts(parts [][]*item) {
	byKey := func(a, b *item) int { return strings.Compare(a.key(), b.key()) }
	next := make(chan []*item, len(parts))
	for _, p := range parts {
		next <- p
	}
	close(next)
	var wg sync.WaitGroup
	for range max(runtime.GOMAXPROCS(0)-1, 1) {
		wg.Go(func() {
			for p := range next {
				slices.SortFunc(p, byKey)
			}
		})
	}
	wg.Wait()
}

// merged yields the items of sorted parts in key order: a k-way merge over a
// binary min-heap of the parts' heads.
//
// All keys share a prefix of lcp bytes (often long: "w/ClickWindow/...",
// "window:user..."), so each heap node keeps the 8 bytes after it as an
// integer, and most comparisons are one integer comparison.
func merged(parts [][]*item) iter.Seq[*item] {
	return func(yield func(*item) bool) {
		type head struct {
			pfx  uint64
			rest []*item
		}
		lcp := commonPrefix(parts)
		heap := make([]head, 0, len(parts))
		for _, p := range parts {
			if len(p) > 0 {
				heap = append(heap, head{key8(p[0].key(), lcp), p})
			}
		}
		less := func(a, b *head) bool {
			if a.pfx != b.pfx {
				return a.pfx < b.pfx
			}
			return a.rest[0].key() < b.rest[0].key()
		}
		down := func(i int) {
			for {
				l, small := 2*i+1, i
				if l < len(heap) && less(&heap[l], &heap[small]) {
					small = l
				}
				if r := l + 1; r < len(heap) && less(&heap[r], &heap[small]) {
					small = r
				}
				if small == i {
					return
				}
				heap[i], heap[small] = heap[small], heap[i]
				i = small
			}
		}
		for i := len(heap)/2 - 1; i >= 0; i-- {
			down(i)
		}
		for len(heap) > 0 {
			top := &heap[0]
			if !yield(top.rest[0]) {
				return
			}
			if top.rest = top.rest[1:]; len(top.rest) > 0 {
				top.pfx = key8(top.rest[0].key(), lcp)
			} else {
				heap[0] = heap[len(heap)-1]
				heap = heap[:len(heap)-1]
			}
			down(0)
		}
	}
}

// commonPrefix is the length of the prefix all keys of sorted parts share: the
// common prefix of every part's first and last key.
func commonPrefix(parts [][]*item) int {
	ref, lcp := "", -1
	for _, p := range parts {
		if len(p) == 0 {
			continue
		}
		if lcp < 0 {
			ref, lcp = p[0].key(), len(p[0].key())
		}
		lcp = commonPrefixLen(p[0].key(), ref[:lcp])
		lcp = commonPrefixLen(p[len(p)-1].key(), ref[:lcp])
	}
	return max(lcp, 0)
}

func commonPrefixLen(a, b string) int {
	n := min(len(a), len(b))
	for i := range n {
		if a[i] != b[i] {
			return i
		}
	}
	return n
}

// key8 is the big-endian integer of key's 8 bytes from off, zero-padded: it
// orders like those bytes, and equal values need a full comparison.
func key8(key string, off int) uint64 {
	var v uint64
	for i := range 8 {
		v <<= 8
		if off+i < len(key) {
			v |= uint64(key[off+i])
		}
	}
	return v
}

// Restore replaces all contents with entries. It builds the new tables aside
// and swaps them in under every shard's lock, so it is atomic: readers see the
// old contents or the new, and a Restore that fails (an error from entries, a
// bad key, a cancelled ctx) changes nothing. Entries already expired are
// skipped; of duplicate keys the last wins.
func (b *Backend) Restore(ctx context.Context, entries iter.Seq2[skrt.Entry, error]) error {
	fresh := make([]shard, len(b.shards)) // only tab and bytes are used
	for i := range fresh {
		fresh[i].tab.Store(newTable(minTableSize))
	}
	now := b.now()
	n := 0
	for e, err := range entries {
		if err != nil {
			return fail("restore", nil, err)
		}
		if n++; n%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return fail("restore", nil, err)
			}
		}
		if !skrt.ValidKey(e.Key) {
			return fail("restore", e.Key, skrt.CheckKey(e.Key))
		}
		h := b.hash(e.Key)
		s := &fresh[(h>>b.shift)&uint64(len(fresh)-1)]
		var exp int64
		if !e.ExpiresAt.IsZero() {
			if exp = unixNanoClamped(e.ExpiresAt); exp <= now {
				s.del(s.tab.Load(), h, string(e.Key)) // an expired later write hides an earlier one
				continue
			}
		}
		s.set(s.tab.Load(), h, newItem(e.Key, e.Value, exp))
	}
	if err := ctx.Err(); err != nil {
		return fail("restore", nil, err)
	}

	b.lockAll()
	defer b.unlockAll()
	for i := range b.shards {
		if b.shards[i].tab.Load() == nil {
			return fail("restore", nil, skrt.ErrClosed)
		}
	}
	for i := range b.shards {
		s := &b.shards[i]
		s.beforeWrite()
		s.tab.Store(fresh[i].tab.Load())
		s.bytes = fresh[i].bytes
	}
	return nil
}

// unixNanoClamped is t in Unix nanoseconds, clamped to the int64 range.
func unixNanoClamped(t time.Time) int64 {
	switch {
	case t.Before(time.Unix(0, math.MinInt64+1)):
		return math.MinInt64 + 1
	case t.After(time.Unix(0, math.MaxInt64)):
		return math.MaxInt64
	}
	return t.UnixNano()
}
