package redis

import (
	"context"
	"errors"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/statekit/statekit/runtime"
)

var errBatchDone = errors.New("batch already committed or discarded")

// Batch limits: a shard's writes go to Redis in script calls of at most
// batchOps writes; a batch applies what it holds once it holds batchBytes of
// keys and values (or batchPending writes), so that its memory stays bounded.
const (
	batchOps     = 1024
	batchBytes   = 8 << 20
	batchPending = 64 * 1024
)

// batch collects writes per shard and sends them pipelined: one applyScript
// call per shard per batchOps writes, all calls of a flush in one pipeline.
type batch struct {
	b       *Backend
	ops     [][]any // per shard: the script's ARGV
	counts  []int   // per shard: writes in ops
	pending int
	bytes   int
	puts    uint64
	dels    uint64
	err     error // a failed flush: every later call returns it
	done    bool
	arena   []byte // copies of keys and values, carved from blocks
}

// batchArena is the size of the blocks a batch copies keys and values into:
// one allocation per block instead of two per write.
const batchArena = 256 << 10

// copied returns a copy of p, from the batch's arena when it is small.
func (w *batch) copied(p []byte) []byte {
	if len(p) > batchArena/8 {
		return copyBytes(p)
	}
	if cap(w.arena)-len(w.arena) < len(p) {
		w.arena = make([]byte, 0, batchArena)
	}
	start := len(w.arena)
	w.arena = append(w.arena, p...)
	return w.arena[start:len(w.arena):len(w.arena)]
}

// NewBatch returns a Batch that sends its writes pipelined, grouped by shard.
// Writes of one key apply in the order they were added. A batch is not a
// transaction: it applies what it holds whenever it holds several megabytes,
// and each shard's script call is atomic, not the batch.
func (b *Backend) NewBatch() runtime.Batch {
	return &batch{b: b, ops: make([][]any, len(b.shards)), counts: make([]int, len(b.shards))}
}

func (w *batch) add(op string, key []byte, args ...any) error {
	if w.done {
		return fail(op, key, errBatchDone)
	}
	if w.err != nil {
		return w.err
	}
	if !runtime.ValidKey(key) {
		return fail(op, key, runtime.CheckKey(key))
	}
	if w.b.closed.Load() {
		return fail(op, key, runtime.ErrClosed)
	}
	i := int(w.b.shardIndex(key))
	w.ops[i] = append(w.ops[i], args...)
	w.counts[i]++
	w.pending++
	if args[0].(string) == "d" {
		w.dels++
	} else {
		w.puts++
	}
	w.bytes += len(key)
	if len(args) > 2 {
		w.bytes += len(args[2].([]byte))
	}
	if w.pending >= batchPending || w.bytes >= batchBytes {
		// Put has no ctx: the configured timeouts bound this flush.
		if err := w.flush(context.Background()); err != nil {
			w.err = fail(op, key, err)
			return w.err
		}
	}
	return nil
}

// Put implements runtime.Batch.
func (w *batch) Put(key, value []byte) error {
	if err := checkValue(value); err != nil {
		return fail("batch put", key, err)
	}
	op, ms := w.b.ttlOp(0)
	return w.add("batch put", key, op, w.copied(key), w.copied(value), ms)
}

// PutEntry implements runtime.Batch: the entry expires at e.ExpiresAt, to the
// millisecond (rounded up); one already past is deleted.
func (w *batch) PutEntry(e runtime.Entry) error {
	if err := checkValue(e.Value); err != nil {
		return fail("batch put", e.Key, err)
	}
	if e.ExpiresAt.IsZero() {
		return w.add("batch put", e.Key, "p", w.copied(e.Key), w.copied(e.Value), int64(0))
	}
	return w.add("batch put", e.Key, "a", w.copied(e.Key), w.copied(e.Value), unixMilliUp(e.ExpiresAt))
}

// Delete implements runtime.Batch.
func (w *batch) Delete(key []byte) error {
	return w.add("batch delete", key, "d", w.copied(key))
}

// maxUnixMilli bounds expiry times to what a Lua number (a double) holds
// exactly: about 142,000 years after 1970.
const maxUnixMilli = 1 << 52

// unixMilliUp is t in Unix milliseconds, rounded up (never early) and clamped
// to 1..maxUnixMilli.
func unixMilliUp(t time.Time) int64 {
	// Compare before converting: UnixMilli is undefined beyond ±292 million
	// years, and Badger's latest expiry is far beyond.
	switch {
	case !t.After(time.UnixMilli(1)):
		return 1
	case t.After(time.UnixMilli(maxUnixMilli)):
		return maxUnixMilli
	}
	ms := t.UnixMilli()
	if t.Sub(time.UnixMilli(ms)) > 0 {
		ms++
	}
	return min(max(ms, 1), maxUnixMilli)
}

func copyBytes(p []byte) []byte { return append(make([]byte, 0, len(p)), p...) }

// flush sends what the batch holds.
func (w *batch) flush(ctx context.Context) error {
	if w.pending == 0 {
		return nil
	}
	if w.b.closed.Load() {
		return runtime.ErrClosed
	}
	type call struct {
		s    *shard
		args []any
	}
	var calls []call
	for i, args := range w.ops {
		// split into calls of at most batchOps writes, at write boundaries
		start, n := 0, 0
		for j := 0; j < len(args); {
			if args[j].(string) == "d" {
				j += 2
			} else {
				j += 4
			}
			if n++; n == batchOps || j == len(args) {
				calls = append(calls, call{&w.b.shards[i], args[start:j]})
				start, n = j, 0
			}
		}
		w.ops[i] = nil
		w.counts[i] = 0
	}
	w.pending, w.bytes = 0, 0
	// EVAL, not EVALSHA: a node that lost its scripts would refuse some calls
	// of the pipeline and not others, and a second try would apply writes of
	// one key out of order. Redis caches the script by its SHA-1 all the same.
	cmds := make([]*goredis.Cmd, len(calls))
	_, err := w.b.c.Pipelined(ctx, func(p goredis.Pipeliner) error {
		for i, c := range calls {
			cmds[i] = applyScript.Eval(ctx, p, []string{c.s.idx, c.s.exp}, c.args...)
		}
		return nil
	})
	return w.b.wrap(ctx, err)
}

// Commit implements runtime.Batch.
func (w *batch) Commit(ctx context.Context) error {
	if w.done {
		return fail("batch commit", nil, errBatchDone)
	}
	w.done = true
	if w.err != nil {
		return w.err
	}
	if w.b.closed.Load() {
		return fail("batch commit", nil, runtime.ErrClosed)
	}
	if err := ctx.Err(); err != nil {
		return fail("batch commit", nil, err)
	}
	if err := w.flush(ctx); err != nil {
		return fail("batch commit", nil, err)
	}
	w.b.puts.Add(w.puts)
	w.b.deletes.Add(w.dels)
	return nil
}

// Discard implements runtime.Batch.
func (w *batch) Discard() {
	w.done = true
	clear(w.ops)
	w.pending, w.bytes = 0, 0
}
