package badger

import (
	"fmt"
	"testing"
)

func TestValueCacheProtocol(t *testing.T) {
	c := newValueCache(1 << 20)
	k := []byte("k")
	if _, ok, _ := c.get(k, 0); ok {
		t.Fatal("hit in an empty cache")
	}
	tests := []struct {
		name string
		race func() // what happens between the miss and the fill
		want bool   // whether the fill may land
	}{
		{"quiet", func() {}, true},
		{"the key invalidated", func() { c.invalidate(k) }, false},
		{"another key of the shard invalidated", func() { c.invalidate(sameShard(c, k)) }, false},
		{"cleared", c.clear, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c.invalidate(k)
			prime(c, k)
			_, _, ticket := c.get(k, 0)
			tt.race()
			c.fill(k, []byte("v1"), 0, ticket)
			v, ok, _ := c.get(k, 0)
			if ok != tt.want || (ok && string(v) != "v1") {
				t.Fatalf("after the fill: %q, %v; want cached=%v", v, ok, tt.want)
			}
		})
	}
}

// prime makes k miss once, so that the doorkeeper admits its next fill.
func prime(c *valueCache, k []byte) {
	_, _, ticket := c.get(k, 0)
	c.fill(k, nil, 0, ticket)
	c.invalidate(k)
}

func TestValueCacheDoorkeeper(t *testing.T) {
	c := newValueCache(1 << 20)
	k := []byte("once")
	for i, want := range []bool{false, true} {
		_, _, ticket := c.get(k, 0)
		c.fill(k, []byte("v"), 0, ticket)
		if _, ok, _ := c.get(k, 0); ok != want {
			t.Fatalf("after miss %d: cached=%v, want %v (a key is cached on its second miss)", i+1, ok, want)
		}
	}
}

// sameShard returns a key other than k in k's shard.
func sameShard(c *valueCache, k []byte) []byte {
	for i := 0; ; i++ {
		o := fmt.Appendf(nil, "other%d", i)
		if c.shard(o) == c.shard(k) {
			return o
		}
	}
}

func TestValueCacheCopiesAndExpires(t *testing.T) {
	c := newValueCache(1 << 20)
	k := []byte("k")
	prime(c, k)
	_, _, ticket := c.get(k, 0)
	src := []byte("value")
	c.fill(k, src, 100, ticket)
	src[0] = 'X' // the cache holds its own copy
	v, ok, _ := c.get(k, 99)
	if !ok || string(v) != "value" {
		t.Fatalf("get = %q, %v; want value", v, ok)
	}
	v[0] = 'Y' // and hands out copies
	if v, _, _ := c.get(k, 99); string(v) != "value" {
		t.Fatalf("a caller's change reached the cache: %q", v)
	}
	if _, ok, _ := c.get(k, 100); ok {
		t.Fatal("an entry is served at its expiry second (Badger: expired when ExpiresAt <= now)")
	}
}

func TestValueCacheBounded(t *testing.T) {
	const capacity = 64 << 10
	c := newValueCache(capacity)
	for i := range 10000 {
		k := fmt.Appendf(nil, "key%05d", i)
		prime(c, k)
		_, _, ticket := c.get(k, 0)
		c.fill(k, make([]byte, 100), 0, ticket)
	}
	bytes, entries := c.usage()
	if bytes > capacity || entries == 0 {
		t.Fatalf("cache holds %d bytes in %d entries; capacity %d", bytes, entries, capacity)
	}
	big := make([]byte, capacity)
	prime(c, []byte("big"))
	_, _, ticket := c.get([]byte("big"), 0)
	c.fill([]byte("big"), big, 0, ticket)
	if _, ok, _ := c.get([]byte("big"), 0); ok {
		t.Fatal("a value as large as the cache was cached")
	}
	if newValueCache(0) != nil {
		t.Fatal("capacity 0 must mean no cache")
	}
}
