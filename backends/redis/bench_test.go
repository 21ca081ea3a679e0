package redis_test

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/statekit/statekit/backends/redis"
	"github.com/statekit/statekit/backends/redis/redistest"
)

// Peers: raw go-redis on the same server in the same run, doing the same work:
// GET for a get, SET for a put, a pipeline of SETs for a batch, and for a
// prefix listing both SCAN MATCH (what listing costs without an index) and
// ZRANGEBYLEX on one sorted set holding every key (an index in one slot: the
// floor a sharded index pays its shards over). Keys ~20 bytes, values 100.

const benchKeys = 10_000

func benchKey(i int) []byte { return fmt.Appendf(nil, "window:user%05d:%03d", i/10, i%10) }

var benchValue = bytes.Repeat([]byte("0123456789"), 10)

// benchPair starts a server and returns the backend and a raw client on it
// (the raw client in DB 1, so that its keys do not share a keyspace with the
// backend's).
func benchPair(b *testing.B) (*redis.Backend, *goredis.Client) {
	srv := redistest.StartServer(b)
	sk := open(b, redis.Config{Addrs: []string{srv.Addr()}, Namespace: "bench"})
	raw := goredis.NewClient(&goredis.Options{Addr: srv.Addr(), DB: 1, Protocol: 2, MaxRetries: -1,
		ContextTimeoutEnabled: true, DisableIdentity: true})
	b.Cleanup(func() { _ = raw.Close() })
	return sk, raw
}

// serverTime returns a function that reports, as the metric "srv-ns/op", the
// time the server spent executing commands (INFO commandstats) per iteration
// since serverTime was called: Redis's own CPU accounting, which the load of a
// shared machine disturbs far less than wall-clock time.
func serverTime(b *testing.B, c *goredis.Client) func() {
	ctx := context.Background()
	if err := c.ConfigResetStat(ctx).Err(); err != nil {
		b.Fatal(err)
	}
	return func() {
		info, err := c.Info(ctx, "commandstats").Result()
		if err != nil {
			b.Fatal(err)
		}
		// A script's time includes the commands it calls, which are also
		// counted on their own: when scripts ran, count only them.
		var all, scripts int64
		for _, line := range strings.Split(info, "\n") {
			if i := strings.Index(line, ",usec="); i >= 0 {
				f := line[i+len(",usec="):]
				if j := strings.IndexByte(f, ','); j >= 0 {
					f = f[:j]
				}
				n, _ := strconv.ParseInt(f, 10, 64)
				all += n
				if strings.HasPrefix(line, "cmdstat_eval:") || strings.HasPrefix(line, "cmdstat_evalsha:") {
					scripts += n
				}
			}
		}
		usec := all
		if scripts > 0 {
			usec = scripts
		}
		b.ReportMetric(float64(usec)*1000/float64(b.N), "srv-ns/op")
	}
}

func fill(b *testing.B, sk *redis.Backend, raw *goredis.Client, n int) {
	ctx := context.Background()
	w := sk.NewBatch()
	p := raw.Pipeline()
	for i := range n {
		if err := w.Put(benchKey(i), benchValue); err != nil {
			b.Fatal(err)
		}
		p.Set(ctx, string(benchKey(i)), benchValue, 0)
		if p.Len() == 1000 {
			if _, err := p.Exec(ctx); err != nil {
				b.Fatal(err)
			}
		}
	}
	if err := w.Commit(ctx); err != nil {
		b.Fatal(err)
	}
	if _, err := p.Exec(ctx); err != nil {
		b.Fatal(err)
	}
}

func BenchmarkGet(b *testing.B) {
	sk, raw := benchPair(b)
	fill(b, sk, raw, benchKeys)
	ctx := context.Background()
	b.Run("statekit", func(b *testing.B) {
		defer serverTime(b, raw)()
		for i := 0; b.Loop(); i++ {
			if _, ok, err := sk.Get(ctx, benchKey(i%benchKeys)); err != nil || !ok {
				b.Fatal(ok, err)
			}
		}
	})
	b.Run("go-redis", func(b *testing.B) {
		defer serverTime(b, raw)()
		for i := 0; b.Loop(); i++ {
			if _, err := raw.Get(ctx, string(benchKey(i%benchKeys))).Bytes(); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkPut(b *testing.B) {
	sk, raw := benchPair(b)
	ctx := context.Background()
	b.Run("statekit", func(b *testing.B) {
		defer serverTime(b, raw)()
		for i := 0; b.Loop(); i++ {
			if err := sk.Put(ctx, benchKey(i%benchKeys), benchValue); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("go-redis", func(b *testing.B) {
		defer serverTime(b, raw)()
		for i := 0; b.Loop(); i++ {
			if err := raw.Set(ctx, string(benchKey(i%benchKeys)), benchValue, 0).Err(); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkUpdate(b *testing.B) {
	sk, raw := benchPair(b)
	ctx := context.Background()
	fn := func(old []byte, _ bool) ([]byte, bool, error) { return benchValue, true, nil }
	b.Run("statekit", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			if err := sk.Update(ctx, benchKey(i%benchKeys), 0, fn); err != nil {
				b.Fatal(err)
			}
		}
	})
	// the peer: GET then SET, with no atomicity at all
	b.Run("go-redis-GET+SET", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			k := string(benchKey(i % benchKeys))
			if err := raw.Get(ctx, k).Err(); err != nil && err != goredis.Nil {
				b.Fatal(err)
			}
			if err := raw.Set(ctx, k, benchValue, 0).Err(); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// batchSize is the number of puts of one batch in BenchmarkBatch.
const batchSize = 10_000

func BenchmarkBatch(b *testing.B) {
	sk, raw := benchPair(b)
	ctx := context.Background()
	keys := make([][]byte, 100_000)
	for i := range keys {
		keys[i] = benchKey(rand.IntN(1_000_000))
	}
	report := func(b *testing.B, start time.Time) {
		b.ReportMetric(float64(b.N*batchSize)/time.Since(start).Seconds(), "puts/s")
	}
	b.Run("statekit", func(b *testing.B) {
		defer serverTime(b, raw)()
		start := time.Now()
		for n := 0; b.Loop(); n++ {
			w := sk.NewBatch()
			for i := range batchSize {
				if err := w.Put(keys[(n*batchSize+i)%len(keys)], benchValue); err != nil {
					b.Fatal(err)
				}
			}
			if err := w.Commit(ctx); err != nil {
				b.Fatal(err)
			}
		}
		report(b, start)
	})
	b.Run("go-redis-pipelined-SET", func(b *testing.B) {
		defer serverTime(b, raw)()
		start := time.Now()
		for n := 0; b.Loop(); n++ {
			p := raw.Pipeline()
			for i := range batchSize {
				p.Set(ctx, string(keys[(n*batchSize+i)%len(keys)]), benchValue, 0)
			}
			if _, err := p.Exec(ctx); err != nil {
				b.Fatal(err)
			}
		}
		report(b, start)
	})
}

// BenchmarkListKeys100 lists a prefix of 100 keys among many: 100K by default,
// 1M with STATEKIT_REDIS_BENCH_1M=1 (loading takes about a minute). The
// ratio "statekit" is held to is the one-zset peer; statekit-16-shards is not
// a peer but the same backend with a cluster's shard count.
func BenchmarkListKeys100(b *testing.B) {
	total := 100_000
	if os.Getenv("STATEKIT_REDIS_BENCH_1M") != "" {
		total = 1_000_000
	}
	sk, raw := benchPair(b)
	sk16 := open(b, redis.Config{Addrs: []string{raw.Options().Addr}, Namespace: "bench16", Shards: 16})
	ctx := context.Background()
	key := func(i int) []byte { return fmt.Appendf(nil, "w/Clicks/user%07d/%03d", i/100, i%100) }
	w := sk.NewBatch()
	w16 := sk16.NewBatch()
	p := raw.Pipeline()
	small := []byte("v")
	for i := range total {
		if err := w.Put(key(i), small); err != nil {
			b.Fatal(err)
		}
		if err := w16.Put(key(i), small); err != nil {
			b.Fatal(err)
		}
		p.Set(ctx, string(key(i)), small, 0)
		p.ZAdd(ctx, "index", goredis.Z{Member: key(i)})
		if p.Len() >= 2000 {
			if _, err := p.Exec(ctx); err != nil {
				b.Fatal(err)
			}
		}
	}
	if err := w.Commit(ctx); err != nil {
		b.Fatal(err)
	}
	if err := w16.Commit(ctx); err != nil {
		b.Fatal(err)
	}
	if _, err := p.Exec(ctx); err != nil {
		b.Fatal(err)
	}
	users := total / 100
	b.Run("statekit", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			keys, err := sk.ListKeys(ctx, fmt.Appendf(nil, "w/Clicks/user%07d/", i*7919%users))
			if err != nil || len(keys) != 100 {
				b.Fatal(len(keys), err)
			}
		}
	})
	// the same with 16 shards, a cluster's default, on the one server: the
	// cost of the shards alone, without a cluster's parallel round trips
	b.Run("statekit-16-shards", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			keys, err := sk16.ListKeys(ctx, fmt.Appendf(nil, "w/Clicks/user%07d/", i*7919%users))
			if err != nil || len(keys) != 100 {
				b.Fatal(len(keys), err)
			}
		}
	})
	b.Run("go-redis-one-zset", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			pre := fmt.Sprintf("w/Clicks/user%07d/", i*7919%users)
			keys, err := raw.ZRangeArgs(ctx, goredis.ZRangeArgs{Key: "index", ByLex: true, Start: "[" + pre, Stop: "(" + pre[:len(pre)-1] + "0"}).Result()
			if err != nil || len(keys) != 100 {
				b.Fatal(len(keys), err)
			}
		}
	})
	b.Run("go-redis-SCAN-MATCH", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			pre := fmt.Sprintf("w/Clicks/user%07d/", i*7919%users)
			var keys []string
			iter := raw.Scan(ctx, 0, pre+"*", 1000).Iterator()
			for iter.Next(ctx) {
				keys = append(keys, iter.Val())
			}
			if err := iter.Err(); err != nil || len(keys) != 100 {
				b.Fatal(len(keys), err)
			}
		}
	})
}
