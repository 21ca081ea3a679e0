package memory

import (
	"sync"

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
	mu   sync.RWMutex
	tree *btree.BTreeG[string]
}

func lessKey(a, b string) bool { return a < b }

func newTree() *btree.BTreeG[string] {
	return btree.NewBTreeGOptions(lessKey, btree.Options{NoLocks: true})
}

// insert adds key, which the caller guarantees is not in the index (its shard's
// table did not hold it). key must be immutable.
func (x *index) insert(key string) {
	x.mu.Lock()
	if x.tree != nil {
		x.tree.Set(key)
	}
	x.mu.Unlock()
}

// remove deletes key.
func (x *index) remove(key string) {
	x.mu.Lock()
	if x.tree != nil {
		x.tree.Delete(key)
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
		x.mu.RLock()
		if x.tree == nil {
			x.mu.RUnlock()
			return false
		}
		x.tree.Ascend(from, func(k string) bool {
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
func (x *index) clone() *btree.BTreeG[string] {
	return x.tree.Copy()
}
