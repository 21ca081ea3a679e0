package badger

import (
	"bytes"
	"context"
	"iter"
	"time"

	bdb "github.com/dgraph-io/badger/v4"
	"github.com/dgraph-io/badger/v4/pb"
	"github.com/dgraph-io/ristretto/v2/z"

	"github.com/statekit/statekit/runtime"
)

// Snapshot yields every live entry in ascending key order from one read
// transaction, opened when iteration begins: a consistent point in time. Keys
// and values are copies the caller owns, carved from shared blocks. Expiry
// times are whole seconds.
//
// While the iteration runs, Close waits for it (it ends with ErrClosed at its
// next entry), so do not call Close from inside the loop. A Snapshot started
// while a Restore runs fails at once with an error wrapping
// runtime.ErrConflict, which is also what restoring a backend from its own
// snapshot gives.
func (b *Backend) Snapshot(ctx context.Context) iter.Seq2[runtime.Entry, error] {
	return func(yield func(runtime.Entry, error) bool) {
		// The loop's body is the caller's code and may call the backend.
		if err := b.gate.admit(callingOp, false); err != nil {
			yield(runtime.Entry{}, fail("snapshot", nil, err))
			return
		}
		defer b.gate.exit(callingOp)
		txn := b.db.NewTransaction(false)
		defer txn.Discard()
		opts := bdb.DefaultIteratorOptions
		opts.PrefetchValues = false
		it := txn.NewIterator(opts)
		defer it.Close()
		var slab []byte
		n := 0
		for it.Rewind(); it.Valid(); it.Next() {
			if n++; n%1024 == 0 {
				if err := ctx.Err(); err != nil {
					yield(runtime.Entry{}, fail("snapshot", nil, err))
					return
				}
			}
			if b.gate.closed.Load() {
				yield(runtime.Entry{}, fail("snapshot", nil, runtime.ErrClosed))
				return
			}
			item := it.Item()
			need := int(item.KeySize() + item.ValueSize())
			if cap(slab)-len(slab) < need {
				slab = make([]byte, 0, max(need, 256<<10))
			}
			start := len(slab)
			slab = append(slab, item.Key()...)
			mid := len(slab)
			err := item.Value(func(v []byte) error {
				slab = append(slab, v...)
				return nil
			})
			if err != nil {
				yield(runtime.Entry{}, fail("snapshot", item.KeyCopy(nil), err))
				return
			}
			e := runtime.Entry{Key: slab[start:mid:mid], Value: slab[mid:len(slab):len(slab)]}
			if exp := item.ExpiresAt(); exp != 0 {
				e.ExpiresAt = expiryTime(exp)
			}
			if !yield(e, nil) {
				return
			}
		}
		if err := ctx.Err(); err != nil {
			yield(runtime.Entry{}, fail("snapshot", nil, err))
		}
	}
}

// restoreFlushBytes is how much Restore buffers before handing it to Badger's
// StreamWriter.
const restoreFlushBytes = 8 << 20

// Restore replaces all contents with entries, holding every other operation off
// until it is done. It first waits for the operations in flight; while one that
// runs the caller's code is among them (a Scan callback, a Snapshot loop, an
// UpdateFunc), new operations are still admitted, since they may come from that
// code, so Restore starts once no such operation is left. Its wait ends with
// ctx. Up to 4096 entries are written with one batch. Beyond that,
// while the keys ascend strictly, it bulk-loads them with Badger's
// StreamWriter; from the first key out of order on, it writes the rest through
// a WriteBatch (the last of duplicate keys wins). Entries already expired are
// skipped.
//
// Restore reads the first 4096 entries before it drops anything, so an input
// that fails among them changes nothing. An input that fails later, a bad key
// or a cancelled ctx leaves part of the entries in place: verify the input first
// (the checkpoint coordinator does), then restore.
func (b *Backend) Restore(ctx context.Context, entries iter.Seq2[runtime.Entry, error]) error {
	if err := b.gate.lockRestore(ctx); err != nil {
		return fail("restore", nil, err)
	}
	defer b.gate.unlockRestore()
	// Counted even when the restore fails: it may have replaced part. The
	// deferred calls run before the gate opens again.
	defer b.generation.Add(1)
	if b.cache != nil {
		defer b.cache.clear()
	}
	next, stop := iter.Pull2(entries)
	defer stop()

	// Gather the first entries before dropping anything. An input that ends
	// among them is written with one batch: the StreamWriter's fixed costs
	// would dominate. And an input that fails among them changes nothing.
	var head []runtime.Entry
	var arena []byte
	first, err, ok := next()
	for ; ok && err == nil && len(head) < smallRestore; first, err, ok = next() {
		if err := checkKey(first.Key); err != nil {
			return fail("restore", first.Key, err)
		}
		if err := b.checkValue(first.Value); err != nil {
			return fail("restore", first.Key, err)
		}
		e := runtime.Entry{ExpiresAt: first.ExpiresAt}
		e.Key, arena = carve(arena, first.Key)
		e.Value, arena = carve(arena, first.Value)
		head = append(head, e)
	}
	if ok && err != nil {
		return fail("restore", nil, err)
	}
	if err := ctx.Err(); err != nil {
		return fail("restore", nil, err)
	}
	if !ok {
		return fail("restore", nil, b.restoreSmall(head))
	}

	r := &restorer{db: b.db, now: time.Now(), guard: b.guard}
	if r.sw, err = b.prepareStream(); err != nil {
		return fail("restore", nil, err)
	}
	r.startStream()
	for _, e := range head {
		if err := r.add(e); err != nil {
			return fail("restore", e.Key, r.abort(err))
		}
	}
	for n := 0; ok; n++ {
		if err != nil {
			return fail("restore", nil, r.abort(err))
		}
		if n%4096 == 4095 {
			if err := ctx.Err(); err != nil {
				return fail("restore", nil, r.abort(err))
			}
		}
		if err := checkKey(first.Key); err != nil {
			return fail("restore", first.Key, r.abort(err))
		}
		if err := b.checkValue(first.Value); err != nil {
			return fail("restore", first.Key, r.abort(err))
		}
		if err := r.add(first); err != nil {
			return fail("restore", first.Key, r.abort(err))
		}
		first, err, ok = next()
	}
	if err := ctx.Err(); err != nil {
		return fail("restore", nil, r.abort(err))
	}
	return fail("restore", nil, r.finish())
}

// smallRestore is the most entries Restore writes with one batch rather than
// Badger's StreamWriter.
const smallRestore = 4096

// prepareStream returns a StreamWriter ready to load an empty store. A store
// that has no tables and nothing in its memtable is empty already, and
// PrepareIncremental spares it the drop, which allocates a new memtable; any
// other store is dropped.
func (b *Backend) prepareStream() (*bdb.StreamWriter, error) {
	b.overtakeBatches()
	if len(b.db.Tables()) == 0 {
		sw := b.db.NewStreamWriter()
		if err := sw.PrepareIncremental(); err == nil {
			return sw, nil
		}
		sw.Cancel()
	}
	sw := b.db.NewStreamWriter()
	if err := sw.Prepare(); err != nil {
		sw.Cancel()
		return nil, err
	}
	return sw, nil
}

// restoreSmall replaces everything with entries, in one batch that also
// deletes the keys there were. A store with many keys is dropped instead.
func (b *Backend) restoreSmall(entries []runtime.Entry) error {
	b.overtakeBatches()
	var old [][]byte
	err := b.db.View(func(txn *bdb.Txn) error {
		opts := bdb.DefaultIteratorOptions
		opts.PrefetchValues = false
		it := txn.NewIterator(opts)
		defer it.Close()
		for it.Rewind(); it.Valid() && len(old) <= 4*smallRestore; it.Next() {
			old = append(old, it.Item().KeyCopy(nil))
		}
		return nil
	})
	if err != nil {
		return err
	}
	wb := b.db.NewWriteBatch()
	if len(old) > 4*smallRestore {
		if err := b.db.DropAll(); err != nil {
			wb.Cancel()
			return err
		}
		old = nil
	}
	for _, k := range old {
		if err := wb.Delete(k); err != nil {
			wb.Cancel()
			return err
		}
	}
	now := time.Now()
	for _, e := range entries { // the entries are copies already
		if err := b.guard.take(writeSize(e.Key, e.Value), false); err != nil {
			wb.Cancel()
			return err
		}
		var err error
		if !e.ExpiresAt.IsZero() && !e.ExpiresAt.After(now) {
			err = wb.Delete(e.Key) // an expired later write hides an earlier one
		} else {
			be := bdb.NewEntry(e.Key, e.Value)
			be.ExpiresAt = expiresAt(e.ExpiresAt)
			err = wb.SetEntry(be)
		}
		if err != nil {
			wb.Cancel()
			return err
		}
	}
	return wb.Flush()
}

// carve copies p into arena and returns the copy, capped at its length.
func carve(arena, p []byte) ([]byte, []byte) {
	if cap(arena)-len(arena) < len(p) {
		arena = make([]byte, 0, max(len(p), 64<<10))
	}
	start := len(arena)
	arena = append(arena, p...)
	return arena[start:len(arena):len(arena)], arena
}

// restorer feeds a StreamWriter while keys ascend, then a WriteBatch.
//
// Feeding the StreamWriter has two halves: marshalling entries into a buffer,
// and the StreamWriter reading them back and writing its value log. They run in
// two goroutines on two buffers, so one fills while the other drains.
type restorer struct {
	db    *bdb.DB
	guard *diskGuard
	now   time.Time
	sw    *bdb.StreamWriter // nil once switched to wb
	buf   *z.Buffer         // being filled
	last  []byte
	kv    pb.KV
	wb    *bdb.WriteBatch

	full   chan *z.Buffer // to the goroutine calling sw.Write
	empty  chan *z.Buffer // back from it
	result chan error     // its first error, once full is closed
}

func (r *restorer) startStream() {
	r.guard.beginStream()
	r.full = make(chan *z.Buffer, 1)
	r.empty = make(chan *z.Buffer, 2)
	r.result = make(chan error, 1)
	r.buf = z.NewBuffer(1<<20, "statekit.restore") // grows as needed, up to about restoreFlushBytes
	r.empty <- z.NewBuffer(1<<20, "statekit.restore")
	sw := r.sw
	go func() {
		var err error
		for buf := range r.full {
			if err == nil {
				err = sw.Write(buf)
			}
			buf.Reset()
			r.empty <- buf
		}
		r.result <- err
	}()
}

// stopStream hands over what is buffered (unless aborting), waits for the
// writing goroutine and frees the buffers. It returns the first write error.
func (r *restorer) stopStream(handOver bool) error {
	if handOver && r.buf.LenNoPadding() > 0 {
		r.full <- r.buf
		r.buf = <-r.empty
	}
	close(r.full)
	err := <-r.result
	defer r.guard.endStream()
	r.buf.Release()
	for range cap(r.empty) - 1 {
		(<-r.empty).Release()
	}
	return err
}

func (r *restorer) add(e runtime.Entry) error {
	expired := !e.ExpiresAt.IsZero() && !e.ExpiresAt.After(r.now)
	if r.sw == nil || (r.last != nil && bytes.Compare(e.Key, r.last) <= 0) { // through the WriteBatch
		if err := r.guard.take(writeSize(e.Key, e.Value), expired); err != nil {
			return err
		}
	} else if !expired {
		if err := r.guard.stream(writeSize(e.Key, e.Value)); err != nil {
			return err
		}
	}
	if r.sw != nil && r.last != nil && bytes.Compare(e.Key, r.last) <= 0 {
		if err := r.endStream(); err != nil {
			return err
		}
		r.wb = r.db.NewWriteBatch()
	}
	if r.sw == nil {
		key := bytes.Clone(e.Key)
		if expired { // an expired later write hides an earlier one
			return r.wb.Delete(key)
		}
		be := bdb.NewEntry(key, bytes.Clone(e.Value))
		be.ExpiresAt = expiresAt(e.ExpiresAt)
		return r.wb.SetEntry(be)
	}
	r.last = append(r.last[:0], e.Key...)
	if expired { // keys ascend strictly: nothing earlier to hide
		return nil
	}
	r.kv.Key, r.kv.Value, r.kv.Version, r.kv.ExpiresAt = e.Key, e.Value, 1, expiresAt(e.ExpiresAt)
	bdb.KVToBuffer(&r.kv, r.buf)
	if r.buf.LenNoPadding() >= restoreFlushBytes {
		r.full <- r.buf
		r.buf = <-r.empty
	}
	return nil
}

// endStream finishes the StreamWriter: everything streamed becomes visible.
func (r *restorer) endStream() error {
	sw := r.sw
	r.sw = nil
	if err := r.stopStream(true); err != nil {
		sw.Cancel()
		return err
	}
	return sw.Flush()
}

func (r *restorer) finish() error {
	if r.sw != nil {
		return r.endStream()
	}
	return r.wb.Flush()
}

// abort stops whichever writer is active and returns err.
func (r *restorer) abort(err error) error {
	if r.sw != nil {
		_ = r.stopStream(false)
		r.sw.Cancel()
		r.sw = nil
	}
	if r.wb != nil {
		r.wb.Cancel()
		r.wb = nil
	}
	return err
}

// Generation counts the Restores that ran (see runtime.Generationer), failed
// ones included, since those may have replaced part of the contents: a window
// store reloads its fired watermark when it changes.
func (b *Backend) Generation() uint64 { return b.generation.Load() }
