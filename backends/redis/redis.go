// Package redis is statekit's backend on Redis and Redis Cluster
// (github.com/redis/go-redis/v9), for state shared by several processor
// instances or larger than one machine.
//
// One address is a single server; several addresses (or Config.Cluster) are a
// Redis Cluster. Every key lives under Config.Namespace. Keys are spread over
// Config.Shards index shards by a hash of the key; each shard keeps its data
// and a sorted-set index of its keys in one hash slot, so that writes update
// data and index atomically (Lua scripts) and ListKeys and Scan are ordered
// range reads of the shards' indexes merged together, never a scan of the
// keyspace. DESIGN.md in this directory gives the layout, its costs and its
// figures.
//
// # Capabilities
//
// Backend implements runtime.Backend, runtime.TTLWriter (native PXAT, to the
// millisecond), runtime.Updater (an optimistic compare-and-set retried on
// conflict), runtime.Batcher (pipelined, one script call per shard per 1024
// writes) and runtime.StatsReporter. It does not implement
// runtime.Snapshotter: Redis has no point-in-time read of many keys, and a
// Snapshot that is not one point in time would be a lie. The checkpoint
// coordinator therefore reads it with ListKeys and Get, which is not one
// point in time (see the checkpoint package).
//
// # Durability
//
// Durability is Redis's own: with appendonly yes and appendfsync always, a
// write acknowledged by a master is on its disk; with appendfsync everysec (the
// default) up to a second of writes can be lost in a crash of the machine; with
// RDB snapshots alone, everything since the last snapshot. Replicas are
// asynchronous: a failover can lose acknowledged writes. The backend has no
// Flush for that reason: nothing it could call makes earlier writes durable
// on every deployment. Checkpoints are the way to keep state independently of
// Redis's configuration: a checkpoint of this backend restores into memory or
// Badger and back.
//
// # Failures
//
// Every call honours its ctx (deadlines and cancellation) as well as the
// configured timeouts. The client does not retry a command itself: a write
// whose reply is lost is reported as an error and never applied twice by the
// client, which is what keeps Update's compare-and-set exact. Calls made while
// a node is down fail with an error wrapping the cause (and the ctx's error,
// when it expired) and work again when the node is back.
package redis

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/crc32"
	"log/slog"
	"math/rand/v2"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"

	"github.com/statekit/statekit/runtime"
)

const backendName = "redis"

// formatVersion is the layout of a namespace (keys, indexes, shard hash). It is
// stored in the namespace's meta hash; Open refuses any other.
const formatVersion = 1

// Backend is the Redis backend. It is safe for concurrent use.
type Backend struct {
	c      goredis.UniversalClient
	cfg    Config
	log    *slog.Logger
	shards []shard
	meta   string

	closed    atomic.Bool
	closeOnce sync.Once
	closeErr  error

	updates *runtime.Stripes

	gets, hits, puts, deletes, lists, conflicts atomic.Uint64
}

// shard is one index shard: its data key prefix and its two sorted sets.
type shard struct {
	data, idx, exp string
}

func newShard(tag string) shard {
	p := "{" + tag + "}"
	return shard{data: p + "d", idx: p + "i", exp: p + "x"}
}

func fail(op string, key []byte, err error) error {
	return runtime.NewError(backendName, op, key, err)
}

// Open connects to Redis, checks that it answers and that the namespace's
// layout matches cfg, and returns the Backend. A bad cfg is an error wrapping
// runtime.ErrInvalidArgument naming the setting; an unreachable server or a
// failed authentication is an error saying so (the password is never in it).
func Open(ctx context.Context, cfg Config) (*Backend, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fail("open", nil, err)
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.Default()
	}
	logger = logger.With("backend", backendName)
	opts := &goredis.UniversalOptions{
		Addrs:                    cfg.Addrs,
		IsClusterMode:            cfg.Cluster,
		Username:                 cfg.Username,
		Password:                 cfg.Password,
		DB:                       cfg.DB,
		TLSConfig:                cfg.TLS,
		Protocol:                 2,
		MaxRetries:               -1, // see "Failures" in the package doc
		PipelinePoolSize:         -1, // pipelines share the pool, so that its limits hold for all connections
		ContextTimeoutEnabled:    true,
		PoolSize:                 cfg.PoolSize,
		MinIdleConns:             cfg.MinIdleConns,
		MaxActiveConns:           cfg.MaxActiveConns,
		PoolTimeout:              cfg.PoolTimeout,
		DialTimeout:              cfg.DialTimeout,
		ReadTimeout:              cfg.ReadTimeout,
		WriteTimeout:             cfg.WriteTimeout,
		DisableIdentity:          true,
		MaintNotificationsConfig: &maintnotifications.Config{Mode: maintnotifications.ModeDisabled},
	}
	c := goredis.NewUniversalClient(opts)
	b := &Backend{c: c, cfg: cfg, log: logger, updates: runtime.NewStripes(64), meta: "{" + cfg.Namespace + ":meta}"}
	if err := b.init(ctx); err != nil {
		_ = c.Close()
		return nil, fail("open", nil, fmt.Errorf("%v: %w", cfg.Addrs, err))
	}
	logger.Debug("redis backend open", "config", cfg, "shards", len(b.shards))
	return b, nil
}

// init pings Redis and reads (or, for a new namespace, writes) the namespace's
// layout.
func (b *Backend) init(ctx context.Context) error {
	if err := b.c.Ping(ctx).Err(); err != nil {
		return describeConnError(ctx, err)
	}
	want := b.cfg.Shards
	switch {
	case want != 0:
	case b.cfg.cluster():
		want = DefaultShards
	default:
		want = 1
	}
	// HSETNX makes the first of several processes opening a new namespace at
	// once decide its layout; the others read it.
	pipe := b.c.TxPipeline()
	pipe.HSetNX(ctx, b.meta, "format", formatVersion)
	pipe.HSetNX(ctx, b.meta, "shards", want)
	all := pipe.HGetAll(ctx, b.meta)
	if cmds, err := pipe.Exec(ctx); err != nil {
		for _, c := range cmds {
			if goredis.HasErrorPrefix(c.Err(), "MOVED") {
				return fmt.Errorf("the server is a Redis Cluster node: set Config.Cluster or give several addresses: %w", c.Err())
			}
		}
		if cerr := ctxCause(ctx, err); cerr != nil {
			return fmt.Errorf("reading namespace %q: %w: %w", b.cfg.Namespace, cerr, err)
		}
		return fmt.Errorf("reading namespace %q: %w", b.cfg.Namespace, err)
	}
	m := all.Val()
	if m["format"] != strconv.Itoa(formatVersion) {
		return fmt.Errorf("%w: namespace %q has layout format %q, this version reads %d", runtime.ErrCorrupt, b.cfg.Namespace, m["format"], formatVersion)
	}
	n, err := strconv.Atoi(m["shards"])
	if err != nil || n < 1 || n > MaxShards {
		return fmt.Errorf("%w: namespace %q has shard count %q", runtime.ErrCorrupt, b.cfg.Namespace, m["shards"])
	}
	if b.cfg.Shards != 0 && b.cfg.Shards != n {
		return fmt.Errorf("%w: Shards is %d but namespace %q was created with %d", runtime.ErrInvalidArgument, b.cfg.Shards, b.cfg.Namespace, n)
	}
	b.shards = make([]shard, n)
	for i := range n {
		b.shards[i] = newShard(shardTag(b.cfg.Namespace, i, n))
	}
	return nil
}

// describeConnError turns Open's first failure into a sentence: unreachable,
// or authentication refused. go-redis's errors never contain the password.
func describeConnError(ctx context.Context, err error) error {
	if cerr := ctxCause(ctx, err); cerr != nil {
		return fmt.Errorf("cannot reach Redis: %w: %w", cerr, err)
	}
	msg := err.Error()
	for _, p := range []string{"WRONGPASS", "NOAUTH", "ERR AUTH", "NOPERM", "ERR invalid password", "ERR Client sent AUTH"} {
		if len(msg) >= len(p) && msg[:len(p)] == p {
			return fmt.Errorf("authentication failed: %w", err)
		}
	}
	return fmt.Errorf("cannot reach Redis: %w", err)
}

// Client returns the go-redis client, for what this package does not offer.
// Writing to the namespace's keys through it bypasses the index.
func (b *Backend) Client() goredis.UniversalClient { return b.c }

// Shards returns the namespace's number of index shards.
func (b *Backend) Shards() int { return len(b.shards) }

// shardIndex is the shard of key: CRC-32 (IEEE) of the key modulo the shard
// count, part of the namespace's layout format.
func (b *Backend) shardIndex(key []byte) uint32 {
	return crc32.ChecksumIEEE(key) % uint32(len(b.shards))
}

func (b *Backend) shardOf(key []byte) *shard { return &b.shards[b.shardIndex(key)] }

// begin validates key and checks that the backend is open.
func (b *Backend) begin(op string, key []byte) error {
	if !runtime.ValidKey(key) {
		return fail(op, key, runtime.CheckKey(key))
	}
	if b.closed.Load() {
		return fail(op, key, runtime.ErrClosed)
	}
	return nil
}

// wrap turns a go-redis error into the cause an *runtime.Error carries:
// ErrClosed after Close, the ctx's error (with the network error) when it
// expired.
func (b *Backend) wrap(ctx context.Context, err error) error {
	switch {
	case err == nil:
		return nil
	case b.closed.Load() && errors.Is(err, goredis.ErrClosed):
		return runtime.ErrClosed
	case b.closed.Load(): // a call in flight when Close closed its connection
		return fmt.Errorf("%w: %w", runtime.ErrClosed, err)
	case errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded):
		return err
	}
	if cerr := ctxCause(ctx, err); cerr != nil {
		return fmt.Errorf("%w: %w", cerr, err)
	}
	return err
}

// ctxCause returns the ctx's error if it explains err: the ctx is done, or err
// is a network timeout at the ctx's deadline (go-redis sets the connection's
// deadline to the ctx's, so the read can time out a moment before the ctx's
// own timer fires).
func ctxCause(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if isTimeout(err) {
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < time.Millisecond {
			return context.DeadlineExceeded
		}
	}
	return nil
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// Get returns a copy of key's value.
func (b *Backend) Get(ctx context.Context, key []byte) ([]byte, bool, error) {
	if err := b.begin("get", key); err != nil {
		return nil, false, err
	}
	s := b.shardOf(key)
	v, err := b.c.Get(ctx, s.data+string(key)).Bytes()
	b.gets.Add(1)
	switch {
	case err == goredis.Nil:
		return nil, false, nil
	case err != nil:
		return nil, false, fail("get", key, b.wrap(ctx, err))
	}
	b.hits.Add(1)
	if v == nil {
		v = []byte{}
	}
	return v, true, nil
}

// ttlOp returns the script op and its milliseconds for a write with ttl (0:
// Config.TTL), rounding up to a millisecond so that nothing expires early.
func (b *Backend) ttlOp(ttl time.Duration) (op string, ms int64) {
	if ttl == 0 {
		ttl = b.cfg.TTL
	}
	if ttl <= 0 {
		return "p", 0
	}
	ms = int64(ttl / time.Millisecond)
	if ttl%time.Millisecond != 0 {
		ms++ // (ttl + 1ms - 1) / 1ms would overflow near the largest Duration
	}
	return "t", ms
}

// Put stores value under key, expiring after Config.TTL if set.
func (b *Backend) Put(ctx context.Context, key, value []byte) error {
	return b.put(ctx, key, value, 0)
}

// PutTTL stores value under key, expiring after ttl (0: Config.TTL), rounded up
// to a millisecond.
func (b *Backend) PutTTL(ctx context.Context, key, value []byte, ttl time.Duration) error {
	if ttl < 0 {
		return fail("put", key, fmt.Errorf("%w: negative ttl %v", runtime.ErrInvalidArgument, ttl))
	}
	return b.put(ctx, key, value, ttl)
}

// MaxValueSize is the longest value the backend stores: Redis's own limit on
// a string (proto-max-bulk-len, 512 MiB by default). A longer value is
// refused with runtime.ErrInvalidArgument before it is sent: Redis would
// drop the connection.
const MaxValueSize = 512 << 20

// CheckEntry implements runtime.EntryChecker: the error a write of e would
// return (a bad key, a value past MaxValueSize), without writing.
func (b *Backend) CheckEntry(e runtime.Entry) error {
	if err := runtime.CheckKey(e.Key); err != nil {
		return fail("check", e.Key, err)
	}
	if err := checkValue(e.Value); err != nil {
		return fail("check", e.Key, err)
	}
	return nil
}

// checkValue refuses a value longer than MaxValueSize.
func checkValue(value []byte) error {
	if len(value) > MaxValueSize {
		return fmt.Errorf("%w: value of %d bytes: Redis holds at most %d", runtime.ErrInvalidArgument, len(value), MaxValueSize)
	}
	return nil
}

func (b *Backend) put(ctx context.Context, key, value []byte, ttl time.Duration) error {
	if err := b.begin("put", key); err != nil {
		return err
	}
	if err := checkValue(value); err != nil {
		return fail("put", key, err)
	}
	s := b.shardOf(key)
	op, ms := b.ttlOp(ttl)
	err := applyScript.Run(ctx, b.c, []string{s.idx, s.exp}, op, key, value, ms).Err()
	if err != nil {
		return fail("put", key, b.wrap(ctx, err))
	}
	b.puts.Add(1)
	return nil
}

// Delete removes key; a missing key is not an error.
func (b *Backend) Delete(ctx context.Context, key []byte) error {
	if err := b.begin("delete", key); err != nil {
		return err
	}
	s := b.shardOf(key)
	if err := applyScript.Run(ctx, b.c, []string{s.idx, s.exp}, "d", key).Err(); err != nil {
		return fail("delete", key, b.wrap(ctx, err))
	}
	b.deletes.Add(1)
	return nil
}

// stripeWait is the longest an Update waits for its stripe before it goes on
// without it.
const stripeWait = time.Second

// Update atomically replaces key's value with what fn returns: it reads the
// value, calls fn, and writes the result with a compare-and-set script that
// fails if the value changed meanwhile, in which case it starts again (fn runs
// once per attempt). Updates of one key from this process wait for each other
// on a striped lock, so they do not conflict among themselves; conflicts with
// other processes are retried with jittered backoff up to
// Config.UpdateRetries times, then Update returns runtime.ErrConflict.
func (b *Backend) Update(ctx context.Context, key []byte, ttl time.Duration, fn runtime.UpdateFunc) error {
	if ttl < 0 {
		return fail("update", key, fmt.Errorf("%w: negative ttl %v", runtime.ErrInvalidArgument, ttl))
	}
	if err := b.begin("update", key); err != nil {
		return err
	}
	// An Update nested in fn on the same stripe would wait for itself: after
	// stripeWait it goes on without the stripe (the compare-and-set keeps it
	// correct).
	lock, err := b.updates.Lock(ctx, key, stripeWait)
	if err != nil {
		return fail("update", key, err)
	}
	defer lock.Unlock()

	s := b.shardOf(key)
	data := s.data + string(key)
	keys := []string{s.idx, s.exp}
	retries := b.cfg.UpdateRetries
	if retries == 0 {
		retries = DefaultUpdateRetries
	}
	backoff := 100 * time.Microsecond
	for try := 0; ; try++ {
		if b.closed.Load() {
			return fail("update", key, runtime.ErrClosed)
		}
		old, err := b.c.Get(ctx, data).Bytes()
		found := true
		switch {
		case err == goredis.Nil:
			old, found = nil, false
		case err != nil:
			return fail("update", key, b.wrap(ctx, err))
		case old == nil:
			old = []byte{}
		}
		value, keep, err := fn(old, found)
		if err != nil {
			return err
		}
		if keep {
			if err := checkValue(value); err != nil {
				return fail("update", key, err)
			}
		}
		if !keep && !found {
			return nil
		}
		expect := ""
		if found {
			sum := sha1.Sum(old)
			expect = hex.EncodeToString(sum[:])
		}
		var res int64
		if keep {
			op, ms := b.ttlOp(ttl)
			res, err = casScript.Run(ctx, b.c, keys, key, expect, op, value, ms).Int64()
		} else {
			res, err = casScript.Run(ctx, b.c, keys, key, expect, "d").Int64()
		}
		if err != nil {
			return fail("update", key, b.wrap(ctx, err))
		}
		if res == 1 {
			if keep {
				b.puts.Add(1)
			} else {
				b.deletes.Add(1)
			}
			return nil
		}
		b.conflicts.Add(1)
		if try >= retries {
			return fail("update", key, fmt.Errorf("%w: the value kept changing, %d retries", runtime.ErrConflict, try))
		}
		t := time.NewTimer(backoff/2 + rand.N(backoff))
		select {
		case <-ctx.Done():
			t.Stop()
			return fail("update", key, ctx.Err())
		case <-t.C:
		}
		backoff = min(2*backoff, 20*time.Millisecond)
	}
}

// Drop deletes every key of the namespace: entries, indexes and the layout
// record, a thousand keys per script call. Writes made meanwhile may survive
// it; the backend stays open, and the next Open of the namespace starts it
// afresh (with Config.Shards).
func (b *Backend) Drop(ctx context.Context) error {
	if b.closed.Load() {
		return fail("drop", nil, runtime.ErrClosed)
	}
	for i := range b.shards {
		s := &b.shards[i]
		for {
			more, err := dropScript.Run(ctx, b.c, []string{s.idx, s.exp}).Int64()
			if err != nil {
				return fail("drop", nil, b.wrap(ctx, err))
			}
			if more == 0 {
				break
			}
		}
	}
	return fail("drop", nil, b.wrap(ctx, b.c.Del(ctx, b.meta).Err()))
}

// Conflicts returns how many of Update's compare-and-sets lost to a concurrent
// write and were retried.
func (b *Backend) Conflicts() uint64 { return b.conflicts.Load() }

// Stats returns the operation counts. Entries, MemoryBytes and DiskBytes are
// -1: Redis cannot count one namespace's entries or bytes cheaply.
func (b *Backend) Stats() runtime.Stats {
	gets, hits := b.gets.Load(), b.hits.Load()
	return runtime.Stats{
		GetCount:    gets,
		HitCount:    hits,
		MissCount:   gets - hits,
		PutCount:    b.puts.Load(),
		DeleteCount: b.deletes.Load(),
		ListCount:   b.lists.Load(),
		Entries:     -1,
		MemoryBytes: -1,
		DiskBytes:   -1,
	}
}

// Close closes the connections. Calls after Close return runtime.ErrClosed;
// Close is idempotent.
func (b *Backend) Close() error {
	b.closeOnce.Do(func() {
		b.closed.Store(true)
		b.closeErr = b.c.Close()
	})
	return fail("close", nil, b.closeErr)
}
