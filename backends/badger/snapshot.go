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
		if err := b.admit(false); err != nil {
			yield(runtime.Entry{}, fail("snapshot", nil, err))
			return
		}
		defer b.exit()
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
			if b.closed.Load() {
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
				e.ExpiresAt = time.Unix(int64(exp), 0)
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
// until it is done. While the keys ascend strictly, it bulk-loads them with
// Badger's StreamWriter; from the first key out of order on, it writes the rest
// through a WriteBatch (the last of duplicate keys wins). Entries already
// expired are skipped.
//
// Restore reads the first entry before it drops anything, so an input that
// fails at once changes nothing. An input that fails later, a bad key or a
// cancelled ctx leaves part of the entries in place: verify the input first
// (the checkpoint coordinator does), then restore.
func (b *Backend) Restore(ctx context.Context, entries iter.Seq2[runtime.Entry, error]) error {
	if b.closed.Load() {
		return fail("restore", nil, runtime.ErrClosed)
	}
	b.restoring.Store(true)
	b.gate.Lock()
	defer func() {
		b.gate.Unlock()
		b.restoring.Store(false)
	}()
	if b.closed.Load() {
		return fail("restore", nil, runtime.ErrClosed)
	}
	next, stop := iter.Pull2(entries)
	defer stop()
	first, err, ok := next()
	if ok && err != nil {
		return fail("restore", nil, err)
	}
	if err := ctx.Err(); err != nil {
		return fail("restore", nil, err)
	}

	r := &restorer{db: b.db, now: time.Now()}
	r.sw = b.db.NewStreamWriter()
	if err := r.sw.Prepare(); err != nil {
		r.sw.Cancel()
		return fail("restore", nil, err)
	}
	r.startStream()
	for n := 0; ok; n++ {
		if err != nil {
			return fail("restore", nil, r.abort(err))
		}
		if n%4096 == 4095 {
			if err := ctx.Err(); err != nil {
				return fail("restore", nil, r.abort(err))
			}
		}
		if !runtime.ValidKey(first.Key) {
			return fail("restore", first.Key, r.abort(runtime.CheckKey(first.Key)))
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

// restorer feeds a StreamWriter while keys ascend, then a WriteBatch.
//
// Feeding the StreamWriter has two halves: marshalling entries into a buffer,
// and the StreamWriter reading them back and writing its value log. They run in
// two goroutines on two buffers, so one fills while the other drains.
type restorer struct {
	db   *bdb.DB
	now  time.Time
	sw   *bdb.StreamWriter // nil once switched to wb
	buf  *z.Buffer         // being filled
	last []byte
	kv   pb.KV
	wb   *bdb.WriteBatch

	full   chan *z.Buffer // to the goroutine calling sw.Write
	empty  chan *z.Buffer // back from it
	result chan error     // its first error, once full is closed
}

func (r *restorer) startStream() {
	r.full = make(chan *z.Buffer, 1)
	r.empty = make(chan *z.Buffer, 2)
	r.result = make(chan error, 1)
	r.buf = z.NewBuffer(restoreFlushBytes+(1<<20), "statekit.restore")
	r.empty <- z.NewBuffer(restoreFlushBytes+(1<<20), "statekit.restore")
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
	r.buf.Release()
	for range cap(r.empty) - 1 {
		(<-r.empty).Release()
	}
	return err
}

func (r *restorer) add(e runtime.Entry) error {
	expired := !e.ExpiresAt.IsZero() && !e.ExpiresAt.After(r.now)
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
