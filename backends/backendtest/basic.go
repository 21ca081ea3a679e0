package backendtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/statekit/statekit/runtime"
)

func (s *suite) testGetPutDelete(t *testing.T) {
	b := s.open(t)
	ctx := context.Background()
	tests := []struct {
		name       string
		key, value []byte
	}{
		{"plain", []byte("window:user12345:000"), []byte("hello")},
		{"empty value", []byte("empty"), []byte{}},
		{"binary key and value", []byte{0x00, 0xff, 0x00, 0x01}, []byte{0x00, 0x00, 0xff}},
		{"one-byte key", []byte{0x7f}, []byte("x")},
		{"largest key", bytes.Repeat([]byte{'k'}, runtime.MaxKeySize), []byte("big key")},
		{"1 MiB value", []byte("big value"), bytes.Repeat([]byte("0123456789abcdef"), 1<<16)},
	}
	for _, tc := range tests {
		if s.cfg.maxValueSize > 0 && len(tc.value) > s.cfg.maxValueSize {
			tc.value = tc.value[:s.cfg.maxValueSize]
		}
		t.Run(tc.name, func(t *testing.T) {
			if _, ok, err := b.Get(ctx, tc.key); err != nil || ok {
				t.Fatalf("Get before Put = found %v, err %v; want missing", ok, err)
			}
			if err := b.Put(ctx, tc.key, tc.value); err != nil {
				t.Fatalf("Put: %v", err)
			}
			got, ok, err := b.Get(ctx, tc.key)
			if err != nil || !ok {
				t.Fatalf("Get after Put = found %v, err %v", ok, err)
			}
			if !bytes.Equal(got, tc.value) {
				t.Fatalf("Get = %d bytes %.20q, want %d bytes %.20q", len(got), got, len(tc.value), tc.value)
			}
			if err := b.Put(ctx, tc.key, []byte("overwritten")); err != nil {
				t.Fatalf("second Put: %v", err)
			}
			if got, _ := get(t, b, string(tc.key)); got != "overwritten" {
				t.Fatalf("Get after overwrite = %q", got)
			}
			if err := b.Delete(ctx, tc.key); err != nil {
				t.Fatalf("Delete: %v", err)
			}
			if _, ok := get(t, b, string(tc.key)); ok {
				t.Fatal("key still there after Delete")
			}
			if err := b.Delete(ctx, tc.key); err != nil {
				t.Fatalf("Delete of a missing key: %v, want nil", err)
			}
		})
	}
}

func (s *suite) testCopies(t *testing.T) {
	b := s.open(t)
	ctx := context.Background()
	key, value := []byte("copy-key"), []byte("value-1")
	if err := b.Put(ctx, key, value); err != nil {
		t.Fatal(err)
	}
	key[0], value[0] = 'X', 'X' // the backend must have copied both
	if v, ok := get(t, b, "copy-key"); !ok || v != "value-1" {
		t.Fatalf("after changing Put's arguments: Get = %q, %v; want value-1", v, ok)
	}
	if _, ok := get(t, b, "Xopy-key"); ok {
		t.Fatal("changing Put's key argument changed the stored key")
	}
	got, _, _ := b.Get(ctx, []byte("copy-key"))
	got[0] = 'Y'
	if v, _ := get(t, b, "copy-key"); v != "value-1" {
		t.Fatalf("changing Get's result changed the stored value to %q", v)
	}
	keys, err := b.ListKeys(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	keys[0][0] = 'Z'
	if v, ok := get(t, b, "copy-key"); !ok || v != "value-1" {
		t.Fatal("changing ListKeys' result changed the stored key")
	}
}

func (s *suite) testInvalidKeys(t *testing.T) {
	b := s.open(t)
	ctx := context.Background()
	tests := []struct {
		name string
		key  []byte
	}{
		{"nil", nil},
		{"empty", []byte{}},
		{"one byte too long", bytes.Repeat([]byte{'a'}, runtime.MaxKeySize+1)},
		{"far too long", bytes.Repeat([]byte{'a'}, 1<<20)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := b.Get(ctx, tc.key)
			wantBackendError(t, "Get", err, runtime.ErrInvalidKey)
			wantBackendError(t, "Put", b.Put(ctx, tc.key, []byte("v")), runtime.ErrInvalidKey)
			wantBackendError(t, "Delete", b.Delete(ctx, tc.key), runtime.ErrInvalidKey)
			if tw, ok := b.(runtime.TTLWriter); ok {
				wantBackendError(t, "PutTTL", tw.PutTTL(ctx, tc.key, []byte("v"), 0), runtime.ErrInvalidKey)
			}
			called := false
			err = runtime.Update(ctx, b, tc.key, func([]byte, bool) ([]byte, bool, error) {
				called = true
				return []byte("v"), true, nil
			})
			if !errors.Is(err, runtime.ErrInvalidKey) {
				t.Errorf("Update: got %v, want ErrInvalidKey", err)
			}
			if called {
				t.Error("Update called fn for an invalid key")
			}
			if bt, ok := b.(runtime.Batcher); ok {
				w := bt.NewBatch()
				wantBackendError(t, "Batch.Put", w.Put(tc.key, []byte("v")), runtime.ErrInvalidKey)
				wantBackendError(t, "Batch.PutEntry", w.PutEntry(runtime.Entry{Key: tc.key}), runtime.ErrInvalidKey)
				wantBackendError(t, "Batch.Delete", w.Delete(tc.key), runtime.ErrInvalidKey)
				if err := w.Commit(ctx); err != nil {
					t.Errorf("Commit of a batch whose writes were all refused: %v", err)
				}
			}
			if keys := listKeys(t, b, ""); len(keys) != 0 {
				t.Fatalf("an invalid key wrote something: %q", keys)
			}
		})
	}
	t.Run("error names the key", func(t *testing.T) {
		err := b.Put(ctx, bytes.Repeat([]byte{'q'}, runtime.MaxKeySize+1), nil)
		if !strings.Contains(err.Error(), "qqqq") || !strings.Contains(err.Error(), "65001") {
			t.Errorf("error %q should show the start of the key and its length", err)
		}
	})
}

// orderKeys are keys whose byte order is easy to get wrong.
var orderKeys = []string{
	"a", "a\x00", "a\x00\x00", "a\x00b", "a\x01", "a\xff", "ab", "abc", "b",
	"\x00", "\x00\x00", "\x01", "\xff", "\xff\xff", "user:1", "user:10", "user:2", "user;",
	"window:user12345:000", "window:user12345:001", "window:user12346:000",
}

func (s *suite) testOrderAndPrefixes(t *testing.T) {
	b := s.open(t)
	rng := rand.New(rand.NewPCG(1, 2))
	shuffled := append([]string(nil), orderKeys...)
	rng.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	for _, k := range shuffled {
		put(t, b, k, "v:"+k)
	}
	prefixes := []string{"", "a", "a\x00", "ab", "user:", "user:1", "window:user12345:", "\x00", "\xff", "zzz", "a\x00b\x00"}
	for _, p := range prefixes {
		var want []string
		for _, k := range sortedCopy(orderKeys) {
			if strings.HasPrefix(k, p) {
				want = append(want, k)
			}
		}
		got := listKeys(t, b, p)
		if diff := cmp.Diff(want, got, cmp.Comparer(func(a, b []string) bool { return len(a) == 0 && len(b) == 0 || cmp.Equal(a, b) })); diff != "" {
			t.Errorf("ListKeys(%q) (-want +got):\n%s", p, diff)
		}
		var wantKV []kv
		for _, k := range want {
			wantKV = append(wantKV, kv{k, "v:" + k})
		}
		if diff := cmp.Diff(wantKV, scanAll(t, b, p)); diff != "" {
			t.Errorf("Scan(%q) (-want +got):\n%s", p, diff)
		}
	}
}

func (s *suite) testScanStops(t *testing.T) {
	b := s.open(t)
	ctx := context.Background()
	for _, k := range []string{"s1", "s2", "s3", "s4"} {
		put(t, b, k, k)
	}
	t.Run("SkipAll", func(t *testing.T) {
		var seen []string
		err := b.Scan(ctx, []byte("s"), func(k, _ []byte) error {
			seen = append(seen, string(k))
			if len(seen) == 2 {
				return runtime.SkipAll
			}
			return nil
		})
		if err != nil {
			t.Errorf("Scan stopped by SkipAll returned %v, want nil", err)
		}
		if diff := cmp.Diff([]string{"s1", "s2"}, seen); diff != "" {
			t.Errorf("keys seen (-want +got):\n%s", diff)
		}
	})
	t.Run("callback error", func(t *testing.T) {
		boom := errors.New("boom")
		calls := 0
		err := b.Scan(ctx, nil, func(_, _ []byte) error { calls++; return boom })
		if !errors.Is(err, boom) {
			t.Errorf("Scan returned %v, want the callback's error", err)
		}
		if calls != 1 {
			t.Errorf("fn called %d times after returning an error, want 1", calls)
		}
	})
}

func (s *suite) testCancellation(t *testing.T) {
	b := s.open(t)
	for i := range 3000 {
		put(t, b, fmt.Sprintf("c:%05d", i), "v")
	}
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := b.ListKeys(cancelled, nil)
	wantBackendError(t, "ListKeys with a cancelled ctx", err, context.Canceled)
	err = b.Scan(cancelled, nil, func(_, _ []byte) error { t.Fatal("Scan called fn with a cancelled ctx"); return nil })
	wantBackendError(t, "Scan with a cancelled ctx", err, context.Canceled)

	t.Run("during Scan", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		calls := 0
		err := b.Scan(ctx, nil, func(_, _ []byte) error {
			if calls++; calls == 10 {
				cancel()
			}
			return nil
		})
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("Scan cancelled midway returned %v, want context.Canceled", err)
		}
		if calls > 10+1024 {
			t.Errorf("Scan called fn %d times after cancellation; want it to stop promptly", calls-10)
		}
	})
	if sn, ok := b.(runtime.Snapshotter); ok {
		t.Run("Snapshot", func(t *testing.T) {
			var err error
			for _, e := range sn.Snapshot(cancelled) {
				err = e
			}
			if !errors.Is(err, context.Canceled) {
				t.Errorf("Snapshot with a cancelled ctx ended with %v, want context.Canceled", err)
			}
			err = sn.Restore(cancelled, func(yield func(runtime.Entry, error) bool) {
				for i := range 10000 {
					if !yield(runtime.Entry{Key: []byte{'r', byte(i), byte(i >> 8)}, Value: []byte("v")}, nil) {
						return
					}
				}
			})
			if !errors.Is(err, context.Canceled) {
				t.Errorf("Restore with a cancelled ctx returned %v, want context.Canceled", err)
			}
		})
	}
}

func (s *suite) testClose(t *testing.T) {
	b := s.open(t)
	ctx := context.Background()
	put(t, b, "k", "v")
	if err := b.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := b.Close(); err != nil {
		t.Fatalf("second Close: %v, want nil", err)
	}
	_, _, err := b.Get(ctx, []byte("k"))
	wantBackendError(t, "Get after Close", err, runtime.ErrClosed)
	wantBackendError(t, "Put after Close", b.Put(ctx, []byte("k"), []byte("v")), runtime.ErrClosed)
	wantBackendError(t, "Delete after Close", b.Delete(ctx, []byte("k")), runtime.ErrClosed)
	_, err = b.ListKeys(ctx, nil)
	wantBackendError(t, "ListKeys after Close", err, runtime.ErrClosed)
	wantBackendError(t, "Scan after Close", b.Scan(ctx, nil, func(_, _ []byte) error { return nil }), runtime.ErrClosed)
	err = runtime.Update(ctx, b, []byte("k"), func([]byte, bool) ([]byte, bool, error) { return nil, true, nil })
	if !errors.Is(err, runtime.ErrClosed) {
		t.Errorf("Update after Close: %v, want ErrClosed", err)
	}
	if tw, ok := b.(runtime.TTLWriter); ok {
		wantBackendError(t, "PutTTL after Close", tw.PutTTL(ctx, []byte("k"), []byte("v"), 0), runtime.ErrClosed)
	}
	if sn, ok := b.(runtime.Snapshotter); ok {
		var err error
		for _, e := range sn.Snapshot(ctx) {
			err = e
		}
		wantBackendError(t, "Snapshot after Close", err, runtime.ErrClosed)
		wantBackendError(t, "Restore after Close", sn.Restore(ctx, func(func(runtime.Entry, error) bool) {}), runtime.ErrClosed)
	}
	if bt, ok := b.(runtime.Batcher); ok {
		w := bt.NewBatch()
		_ = w.Put([]byte("k"), []byte("v"))
		if err := w.Commit(ctx); !errors.Is(err, runtime.ErrClosed) {
			t.Errorf("Batch.Commit after Close: %v, want ErrClosed", err)
		}
	}
	if f, ok := b.(runtime.Flusher); ok {
		wantBackendError(t, "Flush after Close", f.Flush(ctx), runtime.ErrClosed)
	}
}
