package windows_test

import (
	"bytes"
	"fmt"
	"slices"
	"testing"

	"github.com/statekit/statekit/runtime"
)

// TestScanFromMatchesFilteredScan: runtime.ScanFrom (Badger's ScanFrom, the
// others' Scan with a skip) visits exactly the keys of Scan(prefix) that are
// >= from, in order, for froms before, inside, between and past the prefix's
// keys, and stops at SkipAll with no error.
func TestScanFromMatchesFilteredScan(t *testing.T) {
	for _, be := range withRedis() {
		t.Run(be.name, func(t *testing.T) {
			b := be.open(t, t.TempDir())
			for _, k := range []string{"p", "p/", "p/\x00", "p/a", "p/a\x00", "p/b", "p/b/c", "p/\xff", "p/\xff\xff", "q", "o\xff", "p0"} {
				if err := b.Put(ctx, []byte(k), []byte("v"+k)); err != nil {
					t.Fatal(err)
				}
			}
			for _, prefix := range []string{"p/", "p", "q", "r"} {
				var all [][]byte
				if err := b.Scan(ctx, []byte(prefix), func(k, v []byte) error {
					if !bytes.Equal(v, append([]byte("v"), k...)) {
						t.Errorf("Scan: %q = %q", k, v)
					}
					all = append(all, slices.Clone(k))
					return nil
				}); err != nil {
					t.Fatal(err)
				}
				for _, from := range []string{"", "a", "o", "p", "p/", "p/\x00", "p/\x00\x00", "p/a", "p/aa", "p/b\x00", "p/c", "p/\xff", "p/\xff\xff\xff", "p0", "q", "z"} {
					var want, got [][]byte
					for _, k := range all {
						if string(k) >= from {
							want = append(want, k)
						}
					}
					if err := runtime.ScanFrom(ctx, b, []byte(prefix), []byte(from), func(k, _ []byte) error {
						got = append(got, slices.Clone(k))
						return nil
					}); err != nil {
						t.Fatal(err)
					}
					if fmt.Sprintf("%q", got) != fmt.Sprintf("%q", want) {
						t.Errorf("ScanFrom(%q, %q) = %q; want %q", prefix, from, got, want)
					}
					n := 0
					if err := runtime.ScanFrom(ctx, b, []byte(prefix), []byte(from), func(k, _ []byte) error {
						n++
						return runtime.SkipAll
					}); err != nil || n != min(1, len(want)) {
						t.Errorf("ScanFrom(%q, %q) with SkipAll: %d visited, %v", prefix, from, n, err)
					}
				}
			}
		})
	}
}
