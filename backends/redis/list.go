package redis

import (
	"container/heap"
	"context"
	"errors"
	"fmt"

	goredis "github.com/redis/go-redis/v9"

	"github.com/statekit/statekit/runtime"
)

// Page sizes: index members a shard reads per script call. ListKeys reads keys
// only; Scan reads values too, so its pages are smaller.
const (
	listPage = 1024
	scanPage = 256
)

// ListKeys returns the keys starting with prefix, in ascending order. It reads
// each shard's index from the first key at or after prefix, a page at a time,
// and merges the shards: its cost grows with the keys it returns and the
// number of shards, not with the keys in Redis.
func (b *Backend) ListKeys(ctx context.Context, prefix []byte) ([][]byte, error) {
	var keys [][]byte
	err := b.walk(ctx, "list", prefix, false, func(k, _ string) error {
		keys = append(keys, []byte(k))
		return nil
	})
	if err != nil {
		return nil, err
	}
	return keys, nil
}

// Scan calls fn for each key starting with prefix and its value, in ascending
// key order, reading a page of each shard at a time. It is not one point in
// time: a write made during a Scan may or may not be seen.
func (b *Backend) Scan(ctx context.Context, prefix []byte, fn func(key, value []byte) error) error {
	err := b.walk(ctx, "scan", prefix, true, func(k, v string) error {
		return fn([]byte(k), []byte(v))
	})
	if errors.Is(err, runtime.SkipAll) {
		return nil
	}
	return err
}

// cursor reads one shard's part of a range.
type cursor struct {
	s     *shard
	after string // the last member read; "" before the first page
	done  bool   // the shard has nothing more in range
	buf   []any  // keys (or key, value pairs) of the current page
	pos   int
	step  int // 1 for keys, 2 for key, value pairs
}

func (c *cursor) head() string { return c.buf[c.pos].(string) }

// walk visits the range in ascending key order, calling fn with each key (and
// value, when values is set). An error of fn is returned as is; errors of the
// backend are wrapped.
func (b *Backend) walk(ctx context.Context, op string, prefix []byte, values bool, fn func(k, v string) error) error {
	if b.closed.Load() {
		return fail(op, prefix, runtime.ErrClosed)
	}
	b.lists.Add(1)
	if err := ctx.Err(); err != nil {
		return fail(op, prefix, err)
	}
	max := "+"
	if end := prefixEnd(prefix); end != nil {
		max = "(" + string(end)
	}
	min := "-"
	if len(prefix) > 0 {
		min = "[" + string(prefix)
	}
	page, flag, step := listPage, "0", 1
	if values {
		page, flag, step = scanPage, "1", 2
	}
	curs := make([]*cursor, len(b.shards))
	for i := range b.shards {
		curs[i] = &cursor{s: &b.shards[i], step: step}
	}
	fetch := func(need []*cursor) error {
		for len(need) > 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
			cmds := make([]*goredis.Cmd, len(need))
			if len(need) == 1 { // one shard: a plain call costs less than a pipeline
				c := need[0]
				cmds[0] = rangeScript.EvalSha(ctx, b.c, []string{c.s.idx, c.s.exp}, lo(c, min), max, page, flag)
			} else {
				_, err := b.c.Pipelined(ctx, func(p goredis.Pipeliner) error {
					for i, c := range need {
						cmds[i] = rangeScript.EvalSha(ctx, p, []string{c.s.idx, c.s.exp}, lo(c, min), max, page, flag)
					}
					return nil
				})
				if err != nil && !isNoScript(err) {
					return b.wrap(ctx, err)
				}
			}
			var again []*cursor
			for i, c := range need {
				res, err := cmds[i].Slice()
				if isNoScript(err) { // the node lost its scripts (a restart): load it
					res, err = rangeScript.Run(ctx, b.c, []string{c.s.idx, c.s.exp}, lo(c, min), max, page, flag).Slice()
				}
				if err != nil {
					return b.wrap(ctx, err)
				}
				if err := c.take(res, page); err != nil {
					return err
				}
				if len(c.buf) == 0 && !c.done {
					again = append(again, c) // a page of expired keys only
				}
			}
			need = again
		}
		return nil
	}
	if err := fetch(curs); err != nil {
		return fail(op, prefix, err)
	}
	h := make(cursorHeap, 0, len(curs))
	for _, c := range curs {
		if len(c.buf) > 0 {
			h = append(h, c)
		}
	}
	heap.Init(&h)
	n := 0
	for len(h) > 0 {
		if n++; n%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return fail(op, prefix, err)
			}
		}
		c := h[0]
		k := c.head()
		v := ""
		if values {
			v = c.buf[c.pos+1].(string)
		}
		if err := fn(k, v); err != nil {
			return err
		}
		c.pos += c.step
		if c.pos == len(c.buf) {
			if !c.done {
				if err := fetch([]*cursor{c}); err != nil {
					return fail(op, prefix, err)
				}
			}
			if c.pos == len(c.buf) {
				heap.Pop(&h)
				continue
			}
		}
		heap.Fix(&h, 0)
	}
	return nil
}

func lo(c *cursor, min string) string {
	if c.after != "" {
		return "(" + c.after
	}
	return min
}

// take installs one page of rangeScript's reply.
func (c *cursor) take(res []any, page int) error {
	if len(res) != 3 {
		return fmt.Errorf("%w: range script replied %d items, want 3", runtime.ErrCorrupt, len(res))
	}
	last, _ := res[0].(string)
	read, _ := res[1].(int64)
	live, _ := res[2].([]any)
	for _, x := range live {
		if _, ok := x.(string); !ok {
			return fmt.Errorf("%w: range script replied a %T", runtime.ErrCorrupt, x)
		}
	}
	if len(live)%c.step != 0 {
		return fmt.Errorf("%w: range script replied %d items for pairs", runtime.ErrCorrupt, len(live))
	}
	c.after = last
	c.done = read < int64(page) || last == ""
	c.buf, c.pos = live, 0
	return nil
}

func isNoScript(err error) bool {
	return err != nil && goredis.HasErrorPrefix(err, "NOSCRIPT")
}

// prefixEnd returns the smallest key greater than every key starting with
// prefix, or nil when there is none (an empty prefix, or one of 0xff bytes).
func prefixEnd(prefix []byte) []byte {
	end := []byte(string(prefix))
	for i := len(end) - 1; i >= 0; i-- {
		if end[i] < 0xff {
			end[i]++
			return end[:i+1]
		}
	}
	return nil
}

// cursorHeap orders cursors by their current key.
type cursorHeap []*cursor

func (h cursorHeap) Len() int           { return len(h) }
func (h cursorHeap) Less(i, j int) bool { return h[i].head() < h[j].head() }
func (h cursorHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *cursorHeap) Push(x any)        { *h = append(*h, x.(*cursor)) }
func (h *cursorHeap) Pop() any {
	old := *h
	c := old[len(old)-1]
	*h = old[:len(old)-1]
	return c
}
