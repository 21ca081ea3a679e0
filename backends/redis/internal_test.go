package redis

import (
	"bytes"
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"github.com/statekit/statekit/backends/redis/redistest"
)

// TestKeySlotMatchesRedis holds keySlot to Redis's own CLUSTER KEYSLOT.
func TestKeySlotMatchesRedis(t *testing.T) {
	srv := redistest.StartServer(t, "--cluster-enabled", "yes")
	keys := []string{"", "a", "foo", "{user1000}.following", "foo{}{bar}", "foo{{bar}}zap", "foo{bar}{zap}", "{}x", "x{", "{ns:3:17}d\x01\xff", "\xff\xfe"}
	for i := range 50 {
		keys = append(keys, shardTag(fmt.Sprint("ns", i), i%7, 7), "{"+strconv.Itoa(i)+"}tail")
	}
	for _, k := range keys {
		out, err := srv.Do("CLUSTER", "KEYSLOT", k)
		if err != nil {
			t.Fatalf("CLUSTER KEYSLOT %q: %v %s", k, err, out)
		}
		if want, _ := strconv.Atoi(out); keySlot(k) != want {
			t.Errorf("keySlot(%q) = %d, Redis says %d", k, keySlot(k), want)
		}
	}
}

// TestShardTagsSpread checks that shard i of n lands in the i-th of n equal
// slot ranges, so that shards spread evenly over a cluster's masters.
func TestShardTagsSpread(t *testing.T) {
	for _, n := range []int{1, 3, 16, 100, MaxShards} {
		for _, ns := range []string{"", "app", "a:b:c", "{x"} {
			seen := map[int]bool{}
			for i := range n {
				tag := shardTag(ns, i, n)
				slot := keySlot("{" + tag + "}d")
				if slot*n/numSlots != i {
					t.Fatalf("n=%d ns=%q: shard %d has slot %d, outside its range", n, ns, i, slot)
				}
				if seen[slot] {
					t.Fatalf("n=%d ns=%q: two shards in slot %d", n, ns, slot)
				}
				seen[slot] = true
				if !strings.HasPrefix(tag, ns+":") {
					t.Fatalf("tag %q does not start with the namespace", tag)
				}
			}
		}
	}
}

func TestPrefixEnd(t *testing.T) {
	tests := []struct{ in, want []byte }{
		{nil, nil},
		{[]byte{}, nil},
		{[]byte("a"), []byte("b")},
		{[]byte("a\xff"), []byte("b")},
		{[]byte("\xff\xff"), nil},
		{[]byte("ab\x00"), []byte("ab\x01")},
	}
	for _, tc := range tests {
		if got := prefixEnd(tc.in); !bytes.Equal(got, tc.want) || (got == nil) != (tc.want == nil) {
			t.Errorf("prefixEnd(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestIndexReaped checks that expired keys leave the index: writes to a shard
// remove up to 16 expired members each, so the index does not grow with
// expired keys that are never listed.
func TestIndexReaped(t *testing.T) {
	srv := redistest.StartServer(t)
	ctx := context.Background()
	b, err := Open(ctx, Config{Addrs: []string{srv.Addr()}, Namespace: "reap", Shards: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	const ttl = 300 * time.Millisecond
	start := time.Now()
	for i := range 200 {
		if err := b.PutTTL(ctx, fmt.Appendf(nil, "short:%03d", i), []byte("v"), ttl); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Put(ctx, []byte("long"), []byte("v")); err != nil {
		t.Fatal(err)
	}
	card := func() (int64, int64) {
		s := b.shards[0]
		i, err1 := b.c.ZCard(ctx, s.idx).Result()
		x, err2 := b.c.ZCard(ctx, s.exp).Result()
		if err1 != nil || err2 != nil {
			t.Fatal(err1, err2)
		}
		return i, x
	}
	if i, x := card(); time.Since(start) < ttl && (i != 201 || x != 200) { // else writes may have reaped some
		t.Fatalf("index %d, expiry index %d; want 201, 200", i, x)
	}
	time.Sleep(time.Until(start.Add(ttl + 50*time.Millisecond)))
	if keys, err := b.ListKeys(ctx, nil); err != nil || len(keys) != 1 {
		t.Fatalf("ListKeys after expiry = %d keys, %v; want only long", len(keys), err)
	}
	for range 13 { // 13 writes reap 13*16 >= 200
		if err := b.Put(ctx, []byte("long"), []byte("v")); err != nil {
			t.Fatal(err)
		}
	}
	if i, x := card(); i != 1 || x != 0 {
		t.Fatalf("after writes: index %d, expiry index %d; want 1, 0", i, x)
	}
	// A key re-put without a TTL leaves the expiry index, and does not expire.
	if err := b.PutTTL(ctx, []byte("k"), []byte("v"), 20*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if err := b.Put(ctx, []byte("k"), []byte("v2")); err != nil {
		t.Fatal(err)
	}
	time.Sleep(40 * time.Millisecond)
	if v, ok, err := b.Get(ctx, []byte("k")); err != nil || !ok || string(v) != "v2" {
		t.Fatalf("re-put key = %q, %v, %v", v, ok, err)
	}
	if _, x := card(); x != 0 {
		t.Fatalf("expiry index %d after the re-put, want 0", x)
	}
}

// TestReapKeepsLiveKeysInTheExpiryIndex: inside a script, Redis expires keys
// by the time the script started, while TIME goes on. A key whose expiry fell
// between the two was still there for the reap, which then took it out of the
// expiry index but left it in the key index; once it expired, nothing showed
// it was gone, and ListKeys listed it for good (TestIndexConsistentUnderConcurrency
// failed so, now and then). This stages that state: a live data key whose
// expiry-index score is already past, then a write to its shard that reaps.
func TestReapKeepsLiveKeysInTheExpiryIndex(t *testing.T) {
	srv := redistest.StartServer(t)
	ctx := context.Background()
	b, err := Open(ctx, Config{Addrs: []string{srv.Addr()}, Namespace: "reaplive", Shards: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	s := b.shards[0]
	const ttl = 300 * time.Millisecond
	at := time.Now().Add(ttl)
	if err := b.c.Set(ctx, s.data+"k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if err := b.c.PExpireAt(ctx, s.data+"k", at).Err(); err != nil {
		t.Fatal(err)
	}
	if err := b.c.ZAdd(ctx, s.idx, goredis.Z{Score: 0, Member: "k"}).Err(); err != nil {
		t.Fatal(err)
	}
	// The score the frozen script time let pass: already before now.
	if err := b.c.ZAdd(ctx, s.exp, goredis.Z{Score: float64(time.Now().Add(-time.Millisecond).UnixMilli()), Member: "k"}).Err(); err != nil {
		t.Fatal(err)
	}
	if err := b.Put(ctx, []byte("other"), []byte("v")); err != nil { // reaps
		t.Fatal(err)
	}
	time.Sleep(time.Until(at.Add(50 * time.Millisecond)))
	if _, found, err := b.Get(ctx, []byte("k")); err != nil || found {
		t.Fatalf("Get after expiry = %v, %v; want not found", found, err)
	}
	keys, err := b.ListKeys(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 1 || string(keys[0]) != "other" {
		t.Fatalf("ListKeys after k expired = %q; want only other", keys)
	}
}
