package memory

import (
	"fmt"
	"math"
	"sync/atomic"
	"unsafe"

	"github.com/statekit/statekit/runtime"
)

// table is an open-addressing hash table (linear probing) whose reads take no
// lock: a reader loads slot fields atomically and never writes shared memory.
// Writers serialize on their shard's mutex. Items are immutable once published;
// overwriting a key publishes a new item in its slot, deleting one leaves a
// tombstone. A table is never full (used <= 3/4 of its slots, tombstones
// included), so every probe ends at an empty slot; when it would fill up, the
// writer builds a new table and publishes it, and readers still on the old one
// see the state before the swap.
//
// A reader may see a slot's hash and item from two different writes. That only
// happens while a write to that slot is in progress, and then either outcome —
// the state before the write or after it — is a correct answer.
type table struct {
	slots []slot
	mask  uint64
	used  int // slots that are not empty: live items and tombstones (writers only)
	live  int // live items (writers only)
}

type slot struct {
	hash atomic.Uint64
	item atomic.Pointer[item]
}

// item is the header of one stored entry. Its key and value bytes follow it in
// the same allocation: one allocation per write, and a reader comparing the key
// has the start of the value in the same cache line.
type item struct {
	exp  int64 // Unix nanoseconds; 0: never expires
	klen uint32
	vlen uint32
}

const itemHeader = int(unsafe.Sizeof(item{}))

// MaxValueSize is the longest value the backend stores: an item keeps its
// value's length in 32 bits. Longer values are refused with an error wrapping
// runtime.ErrInvalidArgument, never cut.
const MaxValueSize = math.MaxUint32

// makeItem is newItem for a value from a caller: one longer than an item's
// 32-bit length holds is refused, not cut.
func makeItem(key, value []byte, exp int64) (*item, error) {
	if len(value) > MaxValueSize {
		return nil, fmt.Errorf("%w: value of %d bytes, more than the %d the memory backend stores", runtime.ErrInvalidArgument, len(value), MaxValueSize)
	}
	return newItem(key, value, exp), nil
}

// tombstone marks a deleted slot. It is never dereferenced for its bytes.
var tombstone = &item{}

// newItem copies key and value into a new item. The allocation is a []uint64 so
// that the header is aligned.
func newItem(key, value []byte, exp int64) *item {
	n := itemHeader + len(key) + len(value)
	words := make([]uint64, (n+7)/8)
	it := (*item)(unsafe.Pointer(&words[0]))
	it.exp, it.klen, it.vlen = exp, uint32(len(key)), uint32(len(value))
	b := unsafe.Slice((*byte)(unsafe.Pointer(&words[0])), n)
	copy(b[itemHeader:], key)
	copy(b[itemHeader+len(key):], value)
	return it
}

// key is the item's key, as a string over its bytes (never modified).
func (it *item) key() string {
	return unsafe.String((*byte)(unsafe.Add(unsafe.Pointer(it), itemHeader)), it.klen)
}

// keyBytes is the item's key as bytes, capped at its length; callers must not
// modify it.
func (it *item) keyBytes() []byte {
	return unsafe.Slice((*byte)(unsafe.Add(unsafe.Pointer(it), itemHeader)), it.klen)
}

// value is the item's value; callers must not modify it. An empty value is a
// fresh empty slice: a pointer just past the key could be past the allocation.
func (it *item) value() []byte {
	if it.vlen == 0 {
		return []byte{}
	}
	return unsafe.Slice((*byte)(unsafe.Add(unsafe.Pointer(it), itemHeader+int(it.klen))), it.vlen)
}

func (it *item) live(now int64) bool { return live(it.exp, now) }

// live reports whether an entry expiring at exp is live at now (both Unix
// nanoseconds). 0 is never; math.MaxInt64 is any expiry past 2262, where the
// nanoseconds end, and so later than any time the clock can tell: such an entry
// is kept, rather than dropped at 2262 before its time.
func live(exp, now int64) bool { return exp == 0 || exp > now || exp == math.MaxInt64 }

// size estimates the bytes an item costs: its allocation, its share of the
// table (two 16-byte slots at the table's typical load), and its key's in the
// index (the key's own copy after a 2-byte length, and an 8-byte element in a
// B-tree node half to fully occupied).
func (it *item) size() int64 {
	return int64((itemHeader+int(it.klen)+int(it.vlen)+7)&^7) + 2*int64(unsafe.Sizeof(slot{})) +
		int64((it.klen+2+7)&^7) + 12
}

const minTableSize = 8

func newTable(size int) *table {
	return &table{slots: make([]slot, size), mask: uint64(size - 1)}
}

// find returns key's item in t, or nil. It is safe without any lock.
func find[K string | []byte](t *table, h uint64, key K) *item {
	for i := h & t.mask; ; i = (i + 1) & t.mask {
		s := &t.slots[i]
		it := s.item.Load()
		if it == nil {
			return nil
		}
		if s.hash.Load() == h && it != tombstone && it.key() == string(key) {
			return it
		}
	}
}

// locate returns the slot of key, or where to insert it: the first tombstone on
// its probe sequence, else the empty slot that ends it. Writers only.
func (t *table) locate(h uint64, key string) (i uint64, found bool) {
	free := int64(-1)
	for i = h & t.mask; ; i = (i + 1) & t.mask {
		s := &t.slots[i]
		it := s.item.Load()
		switch {
		case it == nil:
			if free >= 0 {
				return uint64(free), false
			}
			return i, false
		case it == tombstone:
			if free < 0 {
				free = int64(i)
			}
		case s.hash.Load() == h && it.key() == key:
			return i, true
		}
	}
}

// set stores it under its key and returns the item it replaced, if any.
// Writers only; the caller must call grown afterwards.
func (t *table) set(h uint64, it *item) (old *item) {
	i, found := t.locate(h, it.key())
	s := &t.slots[i]
	if found {
		old = s.item.Load()
		s.item.Store(it)
		return old
	}
	if s.item.Load() == nil {
		t.used++
	}
	t.live++
	s.hash.Store(h)
	s.item.Store(it)
	return nil
}

// load is set for a table being filled by Restore, sized so that it never
// fills up: it reads it's key only when a slot holds the same hash (the same
// key written twice, or a collision of 64-bit hashes), so filling a table
// touches its slots and no item. Writers only.
func (t *table) load(h uint64, it *item) (old *item) {
	free := int64(-1)
	for i := h & t.mask; ; i = (i + 1) & t.mask {
		s := &t.slots[i]
		cur := s.item.Load()
		switch {
		case cur == nil:
			if free >= 0 {
				i = uint64(free)
				s = &t.slots[i]
			} else {
				t.used++
			}
			t.live++
			s.hash.Store(h)
			s.item.Store(it)
			return nil
		case cur == tombstone:
			if free < 0 {
				free = int64(i)
			}
		case s.hash.Load() == h && cur.key() == it.key():
			s.item.Store(it)
			return cur
		}
	}
}

// removeAt tombstones slot i, which locate found holding a live item, and
// returns that item. Writers only.
func (t *table) removeAt(i uint64) *item {
	s := &t.slots[i]
	old := s.item.Load()
	s.item.Store(tombstone)
	t.live--
	return old
}

// full reports whether the table should be rebuilt before the next insert.
func (t *table) full() bool { return 4*(t.used+1) > 3*len(t.slots) }

// rebuilt returns a new table holding t's live items, sized for them to take
// between a quarter and half of it: doubling when t is busy, the same size when
// tombstones made it look full. Writers only.
func (t *table) rebuilt() *table {
	size := minTableSize
	for size < 2*(t.live+1) {
		size *= 2
	}
	nt := newTable(size)
	t.each(func(h uint64, it *item) bool {
		nt.insertNew(h, it)
		return true
	})
	return nt
}

// insertNew puts it in the first empty slot of its probe sequence: for a table
// that has no tombstones and cannot already hold the key, as one being rebuilt.
func (t *table) insertNew(h uint64, it *item) {
	i := h & t.mask
	for t.slots[i].item.Load() != nil {
		i = (i + 1) & t.mask
	}
	t.slots[i].hash.Store(h)
	t.slots[i].item.Store(it)
	t.used++
	t.live++
}

// each calls fn for every item and its hash, stopping when fn returns false.
// Safe without a lock; without one, it sees each slot as it is when it reaches
// it.
func (t *table) each(fn func(h uint64, it *item) bool) {
	for i := range t.slots {
		s := &t.slots[i]
		if it := s.item.Load(); it != nil && it != tombstone {
			if !fn(s.hash.Load(), it) {
				return
			}
		}
	}
}
