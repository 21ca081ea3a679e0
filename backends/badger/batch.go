package badger

import (
	"bytes"
	"context"
	"errors"

	bdb "github.com/dgraph-io/badger/v4"

	"github.com/statekit/statekit/runtime"
)

var errBatchDone = errors.New("batch already committed or discarded")

// batch is a runtime.Batch on Badger's WriteBatch, which commits large
// transactions in the background as writes arrive.
type batch struct {
	b          *Backend
	wb         *bdb.WriteBatch
	arena      []byte   // copies of keys and values, which wb holds until it commits
	keys       [][]byte // the keys written, to invalidate in the cache after the commit
	puts, dels uint64
	done       bool
}

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
	if err := w.b.guard.take(writeSize(key, value), del); err != nil {
		return fail(op, key, err)
	}
	if w.wb == nil {
		w.wb = w.b.db.NewWriteBatch()
	}
	var err error
	k := w.copied(key)
	w.b.invalidate(k)
	if w.b.cache != nil {
		w.keys = append(w.keys, k)
	}
	if del {
		err = w.wb.Delete(k)
	} else {
		e := bdb.NewEntry(k, w.copied(value))
		e.ExpiresAt = exp
		err = w.wb.SetEntry(e)
	}
	if err != nil {
		return fail(op, key, err)
	}
	if del {
		w.dels++
	} else {
		w.puts++
	}
	return nil
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
	if w.wb == nil {
		return nil
	}
	err := w.wb.Flush()
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

// Discard implements runtime.Batch.
func (w *batch) Discard() {
	w.done = true
	if w.wb != nil {
		w.wb.Cancel()
		w.wb = nil
	}
}
