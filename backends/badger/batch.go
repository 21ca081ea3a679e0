package badger

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	bdb "github.com/dgraph-io/badger/v4"

	"github.com/statekit/statekit/runtime"
)

var errBatchDone = errors.New("batch already committed or discarded")

// batch is a runtime.Batch. A small batch is held and committed as one
// transaction; one that grows past smallBatch writes or bytes moves to
// Badger's WriteBatch, which commits large transactions in the background as
// writes arrive. WriteBatch costs more than a transaction for a few hundred
// writes (a window store's FireDue deletes its due windows in batches of
// that size), and less for a restore's millions.
type batch struct {
	b          *Backend
	wb         *bdb.WriteBatch
	held       []heldWrite // the writes of a small batch, before any WriteBatch
	heldBytes  int
	arena      []byte   // copies of keys and values, which wb holds until it commits
	keys       [][]byte // the keys written, to invalidate in the cache after the commit
	puts, dels uint64
	done       bool
	overtaken  bool // a Restore ended wb: see Backend.overtakeBatches
}

// errOvertaken is what a batch that spilled into a WriteBatch returns once a
// Restore has replaced the contents under it.
var errOvertaken = fmt.Errorf("%w: a Restore replaced the contents while this batch was open: the part of it already written is gone, and the rest was not written", runtime.ErrConflict)

// heldWrite is a write a small batch holds for its one transaction.
type heldWrite struct {
	key, value []byte
	exp        uint64
	del        bool
}

// The most writes, and bytes, a batch commits as one transaction.
const (
	smallBatch      = 4096
	smallBatchBytes = 4 << 20
)

// batchArena is the size of the blocks a batch copies keys and values into:
// one allocation per block instead of two per write.
const batchArena = 1 << 20

// copied returns a copy of p carved from the batch's arena, capped at its length.
func (w *batch) copied(p []byte) []byte {
	if len(p) > batchArena/4 {
		return bytes.Clone(p)
	}
	if cap(w.arena)-len(w.arena) < len(p) {
		w.arena = make([]byte, 0, batchArena)
	}
	start := len(w.arena)
	w.arena = append(w.arena, p...)
	return w.arena[start:len(w.arena):len(w.arena)]
}

// NewBatch returns a Batch on Badger's WriteBatch: writes are committed in large
// transactions as they accumulate, and Commit waits for the last of them.
func (b *Backend) NewBatch() runtime.Batch { return &batch{b: b} }

// write admits one write and applies it to the WriteBatch. It takes the pieces
// of the write rather than a closure, which would cost an allocation per write.
func (w *batch) write(op string, key, value []byte, exp uint64, del bool) error {
	if w.done {
		return fail(op, key, errBatchDone)
	}
	if !del {
		if err := w.b.checkValue(value); err != nil {
			return fail(op, key, err)
		}
	}
	if err := w.b.begin(op, key); err != nil {
		return err
	}
	defer w.b.exit()
	if w.overtaken { // read under the gate, which a Restore set it under
		return fail(op, key, errOvertaken)
	}
	if err := w.b.guard.take(writeSize(key, value), del); err != nil {
		return fail(op, key, err)
	}
	k := w.copied(key)
	w.b.invalidate(k)
	if w.b.cache != nil {
		w.keys = append(w.keys, k)
	}
	hw := heldWrite{key: k, exp: exp, del: del}
	if !del {
		hw.value = w.copied(value)
	}
	if err := w.apply(hw); err != nil {
		return fail(op, key, err)
	}
	if del {
		w.dels++
	} else {
		w.puts++
	}
	return nil
}

// apply holds hw while the batch is small, else writes it (and what was held)
// to the WriteBatch.
func (w *batch) apply(hw heldWrite) error {
	if w.wb == nil && len(w.held) < smallBatch && w.heldBytes+len(hw.key)+len(hw.value) <= smallBatchBytes {
		w.held = append(w.held, hw)
		w.heldBytes += len(hw.key) + len(hw.value)
		return nil
	}
	if w.wb == nil {
		if err := w.spill(); err != nil {
			return err
		}
	}
	return writeTo(w.wb, hw)
}

// spill moves the held writes to a new WriteBatch, which a Restore may end
// (see Backend.overtakeBatches).
func (w *batch) spill() error {
	w.wb = w.b.db.NewWriteBatch()
	w.b.spilledMu.Lock()
	if w.b.spilled == nil {
		w.b.spilled = map[*batch]struct{}{}
	}
	w.b.spilled[w] = struct{}{}
	w.b.spilledMu.Unlock()
	for _, hw := range w.held {
		if err := writeTo(w.wb, hw); err != nil {
			return err
		}
	}
	w.held, w.heldBytes = nil, 0
	return nil
}

func writeTo(wb *bdb.WriteBatch, hw heldWrite) error {
	if hw.del {
		return wb.Delete(hw.key)
	}
	e := bdb.NewEntry(hw.key, hw.value)
	e.ExpiresAt = hw.exp
	return wb.SetEntry(e)
}

// commitHeld commits the held writes as one transaction; one Badger finds too
// big goes through a WriteBatch instead.
func (w *batch) commitHeld() error {
	err := w.b.db.Update(func(txn *bdb.Txn) error {
		for _, hw := range w.held {
			var err error
			if hw.del {
				err = txn.Delete(hw.key)
			} else {
				e := bdb.NewEntry(hw.key, hw.value)
				e.ExpiresAt = hw.exp
				err = txn.SetEntry(e)
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
	if errors.Is(err, bdb.ErrTxnTooBig) {
		if err := w.spill(); err != nil {
			return err
		}
		return w.wb.Flush()
	}
	return err
}

// Put implements runtime.Batch.
func (w *batch) Put(key, value []byte) error {
	return w.write("batch put", key, value, w.b.ttlExpiry(0), false)
}

// PutEntry implements runtime.Batch.
func (w *batch) PutEntry(e runtime.Entry) error {
	return w.write("batch put", e.Key, e.Value, expiresAt(e.ExpiresAt), false)
}

// Delete implements runtime.Batch.
func (w *batch) Delete(key []byte) error {
	return w.write("batch delete", key, nil, 0, true)
}

// Commit implements runtime.Batch: it flushes the WriteBatch and waits for it.
func (w *batch) Commit(ctx context.Context) error {
	if w.done {
		return fail("batch commit", nil, errBatchDone)
	}
	w.done = true
	if err := w.b.enter(); err != nil {
		w.Discard()
		return fail("batch commit", nil, err)
	}
	defer w.b.exit()
	if err := ctx.Err(); err != nil {
		w.Discard()
		return fail("batch commit", nil, err)
	}
	if w.overtaken {
		w.Discard()
		return fail("batch commit", nil, errOvertaken)
	}
	var err error
	switch {
	case w.wb != nil:
		err = w.wb.Flush()
		w.unlist()
	case len(w.held) > 0:
		err = w.commitHeld()
		w.unlist()
	default:
		return nil
	}
	for _, k := range w.keys { // after the commit, failed or not: see valueCache
		w.b.invalidate(k)
	}
	if err != nil {
		return fail("batch commit", nil, err)
	}
	w.b.puts.Add(w.puts)
	w.b.deletes.Add(w.dels)
	return fail("batch commit", nil, w.b.wrote(w.puts+w.dels))
}

// Discard implements runtime.Batch. A batch that spilled into a WriteBatch may
// have written part of itself already (the WriteBatch commits as it fills):
// that part stays, and the cache forgets every key the batch wrote.
func (w *batch) Discard() {
	w.done = true
	w.held = nil
	w.b.spilledMu.Lock()
	if w.wb != nil { // nil if never spilled, or if a Restore ended it
		w.wb.Cancel()
		w.wb = nil
		delete(w.b.spilled, w)
	}
	w.b.spilledMu.Unlock()
	for _, k := range w.keys {
		w.b.invalidate(k)
	}
}

// unlist takes w off the backend's list of open WriteBatches once its own has
// flushed: a later Restore has nothing of it to end.
func (w *batch) unlist() {
	w.b.spilledMu.Lock()
	delete(w.b.spilled, w)
	w.b.spilledMu.Unlock()
}

// overtakeBatches ends the WriteBatch of every batch that has one, before a
// Restore drops anything: the transaction a WriteBatch keeps open between the
// batch's calls must not outlive what the Restore replaces (with Badger's
// StreamWriter it stopped the process when it ended). What such a batch
// already wrote goes with the old contents; its next write and its Commit fail
// with an error wrapping runtime.ErrConflict. A batch that never spilled holds
// its writes and commits them after the Restore, as on the memory backend.
// The Restore holds the gate, so no call of a batch is in progress.
func (b *Backend) overtakeBatches() {
	b.spilledMu.Lock()
	defer b.spilledMu.Unlock()
	for w := range b.spilled {
		w.wb.Cancel()
		w.wb = nil
		w.overtaken = true
	}
	clear(b.spilled)
}
