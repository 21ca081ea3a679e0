package memory

import (
	"sync"
	"unsafe"

	"github.com/tidwall/btree"
)

// index is the backend's order: every stored key, in a B-tree.
//
// It holds keys only, each its own immutable copy, never items: overwriting a
// key (most writes: merges, window updates) changes the hash tables alone and
// leaves the index untouched. Only a write that adds a key or removes one pays
// for the tree, under mu. Scans read it in short runs under mu's read lock and
// take each value from the hash tables; snapshots clone it in O(1) (the tree is
// copy-on-write, so later writes copy the nodes they touch instead of changing
// the clone).
//
// Lock order: a shard's mu, then index.mu. A shard's writer updates the index
// while it holds the shard, so for any key the tables and the index agree
// whenever both the key's shard and mu are held (which is how snapshots cut).
type index struct {
	mu      sync.RWMutex
	tree    *btree.BTreeG[ikey]
	scratch []byte // the pivot of remove; mu must be held for writing
}

// ikey is a key in the index: a pointer to its bytes, which its allocation
// starts with their length in two bytes (keys are at most 65000 bytes). It
// takes 8 bytes in a B-tree node where a string would take 16; the tree's
// nodes are most of what the index costs, and ordered inserts leave them half
// full.
type ikey struct{ p *byte }

// makeIKey copies k into a new ikey.
func makeIKey[K string | []byte](k K) ikey {
	return ikey{&appendIKey(make([]byte, 0, 2+len(k)), k)[0]}
}

func appendIKey[K string | []byte](dst []byte, k K) []byte {
	dst = append(dst, byte(len(k)), byte(len(k)>>8))
	return append(dst, k...)
}

// String is the key.
func (k ikey) String() string {
	n := int(*k.p) | int(*(*byte)(unsafe.Add(unsafe.Pointer(k.p), 1)))<<8
	if n == 0 { // only a pivot: a pointer past its bytes would be past the allocation
		return ""
	}
	return unsafe.String((*byte)(unsafe.Add(unsafe.Pointer(k.p), 2)), n)
}

func lessKey(a, b ikey) bool { return a.String() < b.String() }

func newTree() *btree.BTreeG[ikey] {
	return btree.NewBTreeGOptions(lessKey, btree.Options{NoLocks: true})
}

// insertKey adds key to x, which the caller guarantees is not in the index (its shard's
// table did not hold it).
func insertKey[K string | []byte](x *index, key K) {
	k := makeIKey(key)
	x.mu.Lock()
	if x.tree != nil {
		x.tree.Set(k)
	}
	x.mu.Unlock()
}

// remove deletes key.
func (x *index) remove(key string) {
	x.mu.Lock()
	if x.tree != nil {
		x.scratch = appendIKey(x.scratch[:0], key)
		x.tree.Delete(ikey{&x.scratch[0]})
	}
	x.mu.Unlock()
}

// indexRun is how many keys a scan reads from the index at a time: few at
// first, so that a scan stopped early (FireDue finding nothing due) costs a
// seek and little more, then more, so that long scans take the lock rarely.
const (
	firstRun = 8
	maxRun   = 512
)

// ascend calls fn for each key starting with prefix, in ascending order,
// holding no lock while fn runs: it reads the index in runs under the read
// lock, and resumes after the last key of a run, so that fn may write to the
// backend (and so to the index). Keys added or removed while it runs may or may
// not be seen; none is seen twice. It returns false if the index is closed.
func (x *index) ascend(prefix []byte, fn func(key string) bool) bool {
	run := make([]string, 0, firstRun)
	from := string(prefix)
	skipFrom := false // whether from itself was already seen
	for {
		run = run[:0]
		pivot := makeIKey(from)
		x.mu.RLock()
		if x.tree == nil {
			x.mu.RUnlock()
			return false
		}
		x.tree.Ascend(pivot, func(ik ikey) bool {
			k := ik.String()
			if skipFrom && k == from {
				return true
			}
			if !hasPrefix(k, prefix) {
				return false
			}
			run = append(run, k)
			return len(run) < cap(run)
		})
		x.mu.RUnlock()
		for _, k := range run {
			if !fn(k) {
				return true
			}
		}
		if len(run) < cap(run) {
			return true
		}
		from, skipFrom = run[len(run)-1], true
		if c := cap(run); c < maxRun {
			run = make([]string, 0, 4*c)
		}
	}
}

// clone returns a copy of the tree that later writes leave alone. x.mu must be
// held for writing (tidwall's Copy gives both trees new identities).
func (x *index) clone() *btree.BTreeG[ikey] {
	return x.tree.Copy()
}
