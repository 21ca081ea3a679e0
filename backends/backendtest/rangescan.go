package backendtest

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/statekit/statekit/runtime"
)

// testScanFrom checks runtime.ScanFrom on the backend (its own ScanFrom when it
// is a runtime.RangeScanner) and on the backend with its capabilities hidden
// (Scan, skipping the keys before from): both must visit exactly the keys with
// the prefix that are >= from, in ascending order.
func (s *suite) testScanFrom(t *testing.T) {
	b := s.open(t)
	for _, k := range orderKeys {
		put(t, b, k, "v:"+k)
	}
	ctx := context.Background()
	prefixes := []string{"", "a", "a\x00", "user:", "window:user12345:", "\xff", "zzz"}
	froms := []string{"", "\x00", "a", "a\x00", "a\x00a", "a\x00b", "ab", "abz", "user:10", "user:3",
		"window:user12345:001", "window:user12345:002", "\xff", "\xff\xff\xff", "zzz"}
	for _, variant := range []struct {
		name string
		b    runtime.Backend
	}{{"own", b}, {"fallback", plain{b}}} {
		t.Run(variant.name, func(t *testing.T) {
			for _, prefix := range prefixes {
				for _, from := range froms {
					var want []kv
					for _, k := range sortedCopy(orderKeys) {
						if strings.HasPrefix(k, prefix) && k >= from {
							want = append(want, kv{k, "v:" + k})
						}
					}
					var got []kv
					err := runtime.ScanFrom(ctx, variant.b, []byte(prefix), []byte(from), func(k, v []byte) error {
						got = append(got, kv{string(k), string(v)})
						return nil
					})
					if err != nil {
						t.Fatalf("ScanFrom(%q, %q): %v", prefix, from, err)
					}
					if diff := cmp.Diff(want, got); diff != "" {
						t.Errorf("ScanFrom(%q, %q) (-want +got):\n%s", prefix, from, diff)
					}
				}
			}
			t.Run("SkipAll", func(t *testing.T) {
				var seen []string
				err := runtime.ScanFrom(ctx, variant.b, []byte("a"), []byte("a\x01"), func(k, _ []byte) error {
					seen = append(seen, string(k))
					if len(seen) == 2 {
						return runtime.SkipAll
					}
					return nil
				})
				if err != nil {
					t.Errorf("ScanFrom stopped by SkipAll returned %v, want nil", err)
				}
				if diff := cmp.Diff([]string{"a\x01", "ab"}, seen); diff != "" {
					t.Errorf("keys seen (-want +got):\n%s", diff)
				}
			})
			t.Run("callback error", func(t *testing.T) {
				boom := errors.New("boom")
				calls := 0
				err := runtime.ScanFrom(ctx, variant.b, nil, []byte("b"), func(_, _ []byte) error { calls++; return boom })
				if !errors.Is(err, boom) {
					t.Errorf("ScanFrom returned %v, want the callback's error", err)
				}
				if calls != 1 {
					t.Errorf("fn called %d times after returning an error, want 1", calls)
				}
			})
			t.Run("cancelled", func(t *testing.T) {
				cancelled, cancel := context.WithCancel(ctx)
				cancel()
				err := runtime.ScanFrom(cancelled, variant.b, nil, []byte("a"), func(_, _ []byte) error {
					t.Fatal("ScanFrom called fn with a cancelled ctx")
					return nil
				})
				wantBackendError(t, "ScanFrom with a cancelled ctx", err, context.Canceled)
			})
		})
	}
}
