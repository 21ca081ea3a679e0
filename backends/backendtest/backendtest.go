// Package backendtest is the conformance suite every statekit backend runs, the
// way every fs.FS runs testing/fstest.TestFS:
//
//	func TestConformance(t *testing.T) {
//		backendtest.Run(t, func(t *testing.T) runtime.Backend {
//			b := mybackend.Open(...)
//			t.Cleanup(func() { b.Close() })
//			return b
//		})
//	}
//
// Run checks the runtime.Backend contract (ordering, prefixes, copies, bad keys,
// Close, SkipAll, cancellation) and every optional capability the backend has:
// TTL, atomic Update under concurrency, Snapshot (lent or copied) and Restore,
// scans that start part-way (RangeScanner, or the fallback over Scan), entry
// checks that agree with the writes (EntryChecker), batches and
// statistics, plus a model-based test of random operation sequences against a
// plain map (pgregory.net/rapid).
package backendtest

import (
	"bytes"
	"context"
	"errors"
	"iter"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/statekit/statekit/runtime"
)

// Option configures Run.
type Option func(*config)

type config struct {
	openWithClock func(t *testing.T, clock runtime.Clock) runtime.Backend
	ttlResolution time.Duration
	maxValueSize  int
}

// WithClock gives Run a way to open the backend with an injected clock, so that
// TTL tests move time instead of waiting for it.
func WithClock(open func(t *testing.T, clock runtime.Clock) runtime.Backend) Option {
	return func(c *config) { c.openWithClock = open }
}

// WithTTLResolution tells Run the granularity of the backend's expiry (Badger's
// is one second). Without WithClock, TTL tests wait for real time in multiples
// of it. The default is 50ms.
func WithTTLResolution(d time.Duration) Option {
	return func(c *config) { c.ttlResolution = d }
}

// WithMaxValueSize tells Run the largest value the backend stores; the suite
// writes no larger one. The default is unlimited (the suite writes 1 MiB).
func WithMaxValueSize(n int) Option {
	return func(c *config) { c.maxValueSize = n }
}

// Run runs the conformance suite. open must return a new, empty backend for each
// call and arrange for it to be closed (t.Cleanup); Run closes some backends
// itself, so Close must be idempotent.
func Run(t *testing.T, open func(t *testing.T) runtime.Backend, opts ...Option) {
	t.Helper()
	cfg := config{ttlResolution: 50 * time.Millisecond}
	for _, o := range opts {
		o(&cfg)
	}
	s := &suite{open: open, cfg: cfg}
	t.Run("GetPutDelete", s.testGetPutDelete)
	t.Run("Copies", s.testCopies)
	t.Run("InvalidKeys", s.testInvalidKeys)
	t.Run("OrderAndPrefixes", s.testOrderAndPrefixes)
	t.Run("ScanStops", s.testScanStops)
	t.Run("ScanFrom", s.testScanFrom)
	t.Run("EntryCheck", s.testEntryCheck)
	t.Run("Cancellation", s.testCancellation)
	t.Run("Close", s.testClose)
	t.Run("UpdateSemantics", s.testUpdateSemantics)
	t.Run("UpdateConcurrent", s.testUpdateConcurrent)
	t.Run("TTL", s.testTTL)
	t.Run("Snapshot", s.testSnapshot)
	t.Run("SnapshotView", s.testSnapshotView)
	t.Run("Restore", s.testRestore)
	t.Run("ReentryDuringRestore", s.testReentryDuringRestore)
	t.Run("NestedUpdate", s.testNestedUpdate)
	t.Run("Batch", s.testBatch)
	t.Run("Flush", s.testFlush)
	t.Run("Stats", s.testStats)
	t.Run("Model", s.testModel)
}

type suite struct {
	open func(t *testing.T) runtime.Backend
	cfg  config
}

// plain hides every optional capability of a backend: only Backend's methods
// are promoted from an embedded interface.
type plain struct{ runtime.Backend }

func put(t *testing.T, b runtime.Backend, key, value string) {
	t.Helper()
	if err := b.Put(context.Background(), []byte(key), []byte(value)); err != nil {
		t.Fatalf("Put(%q): %v", key, err)
	}
}

func get(t *testing.T, b runtime.Backend, key string) (string, bool) {
	t.Helper()
	v, ok, err := b.Get(context.Background(), []byte(key))
	if err != nil {
		t.Fatalf("Get(%q): %v", key, err)
	}
	return string(v), ok
}

func listKeys(t *testing.T, b runtime.Backend, prefix string) []string {
	t.Helper()
	keys, err := b.ListKeys(context.Background(), []byte(prefix))
	if err != nil {
		t.Fatalf("ListKeys(%q): %v", prefix, err)
	}
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = string(k)
	}
	return out
}

type kv struct{ K, V string }

func scanAll(t *testing.T, b runtime.Backend, prefix string) []kv {
	t.Helper()
	var out []kv
	err := b.Scan(context.Background(), []byte(prefix), func(k, v []byte) error {
		out = append(out, kv{string(k), string(v)})
		return nil
	})
	if err != nil {
		t.Fatalf("Scan(%q): %v", prefix, err)
	}
	return out
}

// Snapshot collects s's snapshot, failing the test on an error: for tests of
// backends and of what is built on them.
func Snapshot(t testing.TB, s runtime.Snapshotter) []runtime.Entry {
	t.Helper()
	var out []runtime.Entry
	for e, err := range s.Snapshot(context.Background()) {
		if err != nil {
			t.Fatalf("Snapshot: %v", err)
		}
		out = append(out, e)
	}
	return out
}

// wantBackendError checks that err is an *runtime.Error naming op's backend and
// wrapping want.
func wantBackendError(t *testing.T, what string, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Errorf("%s: got error %v, want one wrapping %v", what, err, want)
		return
	}
	var be *runtime.Error
	if !errors.As(err, &be) {
		t.Errorf("%s: error %v (%T) is not a *runtime.Error", what, err, err)
		return
	}
	if be.Backend == "" || be.Op == "" {
		t.Errorf("%s: *runtime.Error %+v lacks Backend or Op", what, be)
	}
}

// EqualEntries reports, as a test error, any difference between got and want:
// keys and values byte for byte (nil and empty alike), expiry times to within
// tolerance (Badger keeps whole seconds).
func EqualEntries(t testing.TB, what string, got, want []runtime.Entry, tolerance time.Duration) {
	t.Helper()
	opt := cmp.Comparer(func(a, b time.Time) bool {
		if a.IsZero() || b.IsZero() {
			return a.IsZero() == b.IsZero()
		}
		d := a.Sub(b)
		return d <= tolerance && d >= -tolerance
	})
	if diff := cmp.Diff(want, got, opt, cmp.Comparer(bytes.Equal)); diff != "" {
		t.Errorf("%s (-want +got):\n%s", what, diff)
	}
}

func sortedCopy(keys []string) []string {
	s := slices.Clone(keys)
	slices.Sort(s)
	return slices.Compact(s)
}

// Entries yields es in order, with no error: the input of a Restore, or of
// anything else that reads a snapshot, from a slice.
func Entries(es []runtime.Entry) iter.Seq2[runtime.Entry, error] {
	return func(yield func(runtime.Entry, error) bool) {
		for _, e := range es {
			if !yield(e, nil) {
				return
			}
		}
	}
}
