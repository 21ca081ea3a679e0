package memory

import (
	"context"
	"errors"
	"slices"

	"github.com/statekit/statekit/runtime"
)

var errBatchDone = errors.New("batch already committed or discarded")

// batch buffers writes and applies them on Commit, taking each shard's lock once.
type batch struct {
	b    *Backend
	ops  []batchOp
	done bool
}

type batchOp struct {
	shard int
	h     uint64
	key   string // for deletes
	it    *item  // for puts; nil for deletes
}

// NewBatch returns a Batch that applies its writes on Commit, shard by shard:
// each shard's writes are atomic, the batch as a whole is not.
func (b *Backend) NewBatch() runtime.Batch { return &batch{b: b} }

func (w *batch) add(op string, key, value []byte, exp int64, del bool) error {
	if w.done {
		return fail(op, key, errBatchDone)
	}
	if !runtime.ValidKey(key) {
		return fail(op, key, runtime.CheckKey(key))
	}
	h := w.b.hash(key)
	o := batchOp{shard: int((h >> w.b.shift) & uint64(len(w.b.shards)-1)), h: h}
	if del {
		o.key = string(key)
	} else {
		it, err := makeItem(key, value, exp)
		if err != nil {
			return fail(op, key, err)
		}
		o.it = it
	}
	w.ops = append(w.ops, o)
	return nil
}

// Put implements runtime.Batch.
func (w *batch) Put(key, value []byte) error {
	exp, err := w.b.expiry(0)
	if err != nil {
		return fail("batch put", key, err)
	}
	return w.add("batch put", key, value, exp, false)
}

// PutEntry implements runtime.Batch.
func (w *batch) PutEntry(e runtime.Entry) error {
	var exp int64
	if !e.ExpiresAt.IsZero() {
		exp = unixNanoClamped(e.ExpiresAt)
	}
	return w.add("batch put", e.Key, e.Value, exp, false)
}

// Delete implements runtime.Batch. A delete with no write held before it is
// applied at once, as Backend.Delete would (it costs one shard lock either
// way): a batch of deletes alone, such as a window store's FireDue makes,
// then costs what the deletes cost. After a held write it is held too, so
// that each key's writes apply in order.
func (w *batch) Delete(key []byte) error {
	if !w.done && len(w.ops) == 0 {
		if err := w.b.Delete(context.Background(), key); err != nil {
			return fail("batch delete", key, errors.Unwrap(err))
		}
		return nil
	}
	return w.add("batch delete", key, nil, 0, true)
}

// Commit implements runtime.Batch: it applies the writes shard by shard.
func (w *batch) Commit(ctx context.Context) error {
	if w.done {
		return fail("batch commit", nil, errBatchDone)
	}
	w.done = true
	ops := w.ops
	w.ops = nil
	if err := ctx.Err(); err != nil {
		return fail("batch commit", nil, err)
	}
	slices.SortStableFunc(ops, func(a, b batchOp) int { return a.shard - b.shard }) // keeps each key's order
	for len(ops) > 0 {
		n := 1
		for n < len(ops) && ops[n].shard == ops[0].shard {
			n++
		}
		s := &w.b.shards[ops[0].shard]
		s.mu.Lock()
		if s.tab.Load() == nil {
			s.mu.Unlock()
			return fail("batch commit", nil, runtime.ErrClosed)
		}
		var puts, dels uint64
		for _, op := range ops[:n] {
			t := s.tab.Load() // set and del may rebuild it
			if op.it == nil {
				if s.del(t, op.h, op.key) {
					w.b.ix.remove(op.key)
				}
				dels++
			} else {
				if s.set(t, op.h, op.it) {
					insertKey(&w.b.ix, op.it.key())
				}
				puts++
			}
		}
		s.puts += puts
		s.deletes += dels
		s.mu.Unlock()
		ops = ops[n:]
	}
	return nil
}

// Discard implements runtime.Batch.
func (w *batch) Discard() {
	w.done = true
	w.ops = nil
}
