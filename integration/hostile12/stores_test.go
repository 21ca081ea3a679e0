// Package hostile12_test attacks the generic stores of stategen v2
// (runtime/stateimpl) as a hostile user would: many goroutines counting in
// against out, nested store calls from callbacks, panics and errors in the
// middle of a pooled merge, stored values the codecs disagree on.
package hostile12_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/statekit/statekit/backends/badger"
	"github.com/statekit/statekit/backends/memory"
	"github.com/statekit/statekit/integration/hostile12/codec"
	"github.com/statekit/statekit/integration/stores"
	_ "github.com/statekit/statekit/internal/golden"
	"github.com/statekit/statekit/runtime"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var ctx = context.Background()

// plain hides the optional capabilities of a backend but TTLWriter: stores
// then merge through runtime.UpdateTTL's striped-lock fallback.
type plain struct{ runtime.Backend }

func (p plain) PutTTL(ctx context.Context, key, value []byte, ttl time.Duration) error {
	return p.Backend.(runtime.TTLWriter).PutTTL(ctx, key, value, ttl)
}

var backends = []struct {
	name string
	open func(t testing.TB) runtime.Backend
}{
	{"memory", func(t testing.TB) runtime.Backend {
		b := memory.New(memory.Options{})
		t.Cleanup(func() { b.Close() })
		return b
	}},
	{"plain", func(t testing.TB) runtime.Backend {
		b := memory.New(memory.Options{})
		t.Cleanup(func() { b.Close() })
		return plain{b}
	}},
	{"badger", func(t testing.TB) runtime.Backend {
		b, err := badger.Open(ctx, badger.NewConfig(t.TempDir()).WithLogger(slog.New(slog.DiscardHandler)))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { b.Close() })
		return b
	}},
}

func each(t *testing.T, fn func(t *testing.T, open func(testing.TB) runtime.Backend)) {
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) { fn(t, be.open) })
	}
}

// TestConcurrentAggregateCounts: goroutines Merge into a few keys while
// others Put, Get and Scan other keys of the same store; every merge is
// counted, every sum adds up, no value carries another's fields.
func TestConcurrentAggregateCounts(t *testing.T) {
	each(t, func(t *testing.T, open func(testing.TB) runtime.Backend) {
		s := stores.NewModelLatencyStore(open(t))
		const workers, perWorker, keys = 6, 150, 4
		var wg sync.WaitGroup
		var stop atomic.Bool
		errs := make(chan error, 64)
		report := func(err error) {
			select {
			case errs <- err:
			default:
			}
		}
		var mergers sync.WaitGroup
		for w := range workers {
			mergers.Go(func() {
				for i := range perWorker {
					k := (w + i) % keys
					v := stores.ModelLatency{Tenant: fmt.Sprintf("t%d", k), Model: strings.Repeat("m", k*40), Total: float64(w + 1),
						Worst: float64(i), Best: float64(i), Region: fmt.Sprint("r", w), Last: fmt.Sprintf("last-%d-%d", w, i)}
					if err := s.Merge(ctx, v); err != nil {
						report(err)
						return
					}
				}
			})
		}
		// Readers and writers of other keys, with values of other sizes.
		wg.Go(func() {
			for i := 0; !stop.Load(); i++ {
				v := stores.ModelLatency{Tenant: "other", Model: fmt.Sprint(i % 7), Calls: int64(i), Last: strings.Repeat("x", i%300)}
				if err := s.Put(ctx, v); err != nil {
					report(err)
					return
				}
				got, ok, err := s.Get(ctx, v.StateKey())
				if err != nil || !ok {
					report(fmt.Errorf("Get after Put: %v %v", ok, err))
					return
				}
				if got.Tenant != "other" || got.Model != v.Model {
					report(fmt.Errorf("Get(%+v) returned the key of %+v", v.StateKey(), got.StateKey()))
					return
				}
			}
		})
		wg.Go(func() {
			for !stop.Load() {
				err := s.Scan(ctx, func(v stores.ModelLatency) error {
					if v.Tenant != "other" && !strings.HasPrefix(v.Last, "last-") {
						return fmt.Errorf("scanned %+v: Last of another key", v)
					}
					return nil
				})
				if err != nil {
					report(err)
					return
				}
			}
		})
		mergers.Wait()
		stop.Store(true)
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		var calls int64
		var sum float64
		for k := range keys {
			key := stores.ModelLatencyKey{Tenant: fmt.Sprintf("t%d", k), Model: strings.Repeat("m", k*40)}
			v, ok, err := s.Get(ctx, key)
			if err != nil || !ok {
				t.Fatalf("Get %v: %v %v", key, ok, err)
			}
			if v.StateKey() != key {
				t.Errorf("Get %v: value with key %v", key, v.StateKey())
			}
			if v.Worst != perWorker-1 || v.Best != 0 {
				t.Errorf("key %d: Worst %v Best %v, want %d and 0", k, v.Worst, v.Best, perWorker-1)
			}
			calls += v.Calls
			sum += v.Total
		}
		wantSum := 0.0
		for w := range workers {
			wantSum += float64((w + 1) * perWorker)
		}
		if calls != workers*perWorker || sum != wantSum {
			t.Errorf("merged %d values (Total %v), stored Calls %d (Total %v)", workers*perWorker, wantSum, calls, sum)
		}
	})
}

// TestConcurrentWindowCounts: goroutines Add events to sliding windows
// while FireDue advances the watermark; every accepted event is fired in
// each of its windows that had not fired when it was added, exactly once.
// Counted on tumbling windows with []byte keys, where that is exactly one.
func TestConcurrentWindowCounts(t *testing.T) {
	each(t, func(t *testing.T, open func(testing.TB) runtime.Backend) {
		s := stores.NewTumblingStore(open(t))
		base := time.Unix(1_700_000_000, 0).UTC()
		const workers, perWorker = 4, 200
		var accepted, late atomic.Int64
		var sumIn atomic.Uint64
		var wg sync.WaitGroup
		errs := make(chan error, 16)
		for w := range workers {
			wg.Go(func() {
				for i := range perWorker {
					at := base.Add(time.Duration(i) * 250 * time.Millisecond)
					key := []byte{byte(w), 0, byte(i % 3)} // a 0x00 inside: escaped in the key
					err := s.Add(ctx, at, stores.Tumbling{Key: key, Sum: uint64(i)})
					switch {
					case err == nil:
						accepted.Add(1)
						sumIn.Add(uint64(i))
					case errors.Is(err, runtime.ErrLate):
						late.Add(1)
					default:
						select {
						case errs <- err:
						default:
						}
						return
					}
				}
			})
		}
		var fired, sumOut atomic.Uint64
		var firedCalls int
		fire := func(wm time.Time) {
			n, err := s.FireDue(ctx, wm, func(k stores.TumblingKey, w runtime.Window, v stores.Tumbling) error {
				if len(k.Key) != 3 || k.Key[1] != 0 || string(v.Key) != string(k.Key) {
					return fmt.Errorf("fired key %x, value key %x", k.Key, v.Key)
				}
				fired.Add(uint64(v.N))
				sumOut.Add(v.Sum)
				return nil
			})
			if err != nil {
				t.Error(err)
			}
			firedCalls += n
		}
		stopFire := make(chan struct{})
		fireDone := make(chan struct{})
		go func() {
			defer close(fireDone)
			for i := 0; ; i++ {
				select {
				case <-stopFire:
					return
				default:
				}
				fire(base.Add(time.Duration(i) * 2 * time.Second))
				time.Sleep(time.Millisecond)
			}
		}()
		wg.Wait()
		close(stopFire)
		<-fireDone
		fire(base.Add(24 * time.Hour))
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		if accepted.Load()+late.Load() != workers*perWorker {
			t.Fatalf("accepted %d + late %d != %d", accepted.Load(), late.Load(), workers*perWorker)
		}
		if int64(fired.Load()) != accepted.Load() || sumOut.Load() != sumIn.Load() {
			t.Errorf("accepted %d events (sum %d), fired %d (sum %d) in %d windows",
				accepted.Load(), sumIn.Load(), fired.Load(), sumOut.Load(), firedCalls)
		}
	})
}

// TestNestedStoreCalls: store calls from inside Scan, Windows and FireDue
// callbacks, and from inside a merge (a type's own Merge method), take
// their own pooled buffers and mergers: nothing of the outer call leaks into
// the inner one or back.
func TestNestedStoreCalls(t *testing.T) {
	each(t, func(t *testing.T, open func(testing.TB) runtime.Backend) {
		b := open(t)
		agg := stores.NewModelLatencyStore(b)
		for i := range 20 {
			if err := agg.Merge(ctx, stores.ModelLatency{Tenant: "a", Model: fmt.Sprint(i), Total: float64(i), Last: fmt.Sprint("v", i)}); err != nil {
				t.Fatal(err)
			}
		}
		// Scan merges into other keys (a new prefix sorts after "a") and reads.
		seen := 0
		err := agg.Scan(ctx, func(v stores.ModelLatency) error {
			if v.Tenant != "a" {
				return nil
			}
			seen++
			if v.Last != "v"+v.Model || v.Total != float64(atoi(t, v.Model)) {
				return fmt.Errorf("scanned %+v: fields of another value", v)
			}
			if err := agg.Merge(ctx, stores.ModelLatency{Tenant: "b", Model: v.Model, Total: 1000, Last: strings.Repeat("long", 100)}); err != nil {
				return err
			}
			got, ok, err := agg.Get(ctx, stores.ModelLatencyKey{Tenant: "b", Model: v.Model})
			if err != nil || !ok || got.Total != 1000 {
				return fmt.Errorf("nested Get: %+v %v %v", got, ok, err)
			}
			return nil
		})
		if err != nil || seen != 20 {
			t.Fatalf("Scan: %v, saw %d", err, seen)
		}
		// A merge that calls the same store (another key) from inside the merge.
		ns := codec.NewNestedStore(b)
		// Without an Updater, runtime.UpdateTTL serializes a key's updates on
		// one of 256 in-process stripes, and an update nested in an
		// UpdateFunc whose key falls on the held stripe waits until its ctx
		// ends (documented at runtime.UpdateTTL): there the inner merge gets a
		// deadline, and the inner keys it could not merge are not checked.
		_, updater := b.(runtime.Updater)
		skipped := map[string]bool{}
		codec.NestedHook = func(ctx context.Context, in codec.Nested) {
			if in.Key == "outer" {
				key := "inner-" + fmt.Sprint(in.Sum)
				ictx := ctx
				if !updater {
					var cancel context.CancelFunc
					ictx, cancel = context.WithTimeout(ctx, 200*time.Millisecond)
					defer cancel()
				}
				err := ns.Merge(ictx, codec.Nested{Key: key, Sum: -in.Sum})
				switch {
				case !updater && errors.Is(err, context.DeadlineExceeded):
					skipped[key] = true
				case err != nil:
					t.Error(err)
				}
			}
		}
		t.Cleanup(func() { codec.NestedHook = nil })
		for i := range 50 {
			if err := ns.Merge(ctx, codec.Nested{Key: "outer", Sum: int64(i)}); err != nil {
				t.Fatal(err)
			}
		}
		codec.NestedHook = nil
		got, _, err := ns.Get(ctx, codec.NestedKey{Key: "outer"})
		if err != nil || got.Sum != 49*50/2 {
			t.Errorf("outer: %+v %v, want Sum %d", got, err, 49*50/2)
		}
		for i := 1; i < 50; i++ {
			if skipped["inner-"+fmt.Sprint(i)] {
				continue
			}
			got, ok, err := ns.Get(ctx, codec.NestedKey{Key: "inner-" + fmt.Sprint(i)})
			// The first merge into a missing key stores it as given, without
			// calling Merge: inner-0 never exists. Each outer merge of i>0
			// calls the hook once per attempt; the backend may retry.
			if err != nil || !ok || got.Sum > -int64(i) || got.Sum%int64(i) != 0 {
				t.Errorf("inner-%d: %+v %v %v", i, got, ok, err)
			}
		}

		// FireDue's callback adds to a later window and reads the window it fires.
		ws := stores.NewClickWindowStore(b)
		base := time.Unix(1_700_000_000, 0).UTC()
		for i := range 30 {
			if err := ws.Add(ctx, base.Add(time.Duration(i)*time.Second), stores.ClickWindow{UserID: fmt.Sprint("u", i%3), Bytes: int64(i)}); err != nil {
				t.Fatal(err)
			}
		}
		_, err = ws.FireDue(ctx, base.Add(2*time.Minute), func(k stores.ClickWindowKey, w runtime.Window, v stores.ClickWindow) error {
			if v.UserID != k.UserID {
				return fmt.Errorf("fired %+v under key %+v", v, k)
			}
			if err := ws.Add(ctx, base.Add(time.Hour), stores.ClickWindow{UserID: "late-" + k.UserID, Bytes: v.Bytes}); err != nil {
				return err
			}
			return ws.Windows(ctx, k, func(w2 runtime.Window, v2 stores.ClickWindow) error {
				if v2.UserID != k.UserID {
					return fmt.Errorf("Windows of %v in FireDue: %+v", k, v2)
				}
				return nil
			})
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}

func atoi(t *testing.T, s string) int {
	var n int
	if _, err := fmt.Sscan(s, &n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestPanicInMergeLeavesPoolSound: a type's own Merge method that panics
// abandons a pooled merger and key buffer mid-update; later merges on the
// same store, and Gets, see none of the abandoned call.
func TestPanicInMergeLeavesPoolSound(t *testing.T) {
	each(t, func(t *testing.T, open func(testing.TB) runtime.Backend) {
		ns := codec.NewNestedStore(open(t))
		for i := range 40 {
			key := fmt.Sprint("k", i%4)
			if err := ns.Merge(ctx, codec.Nested{Key: key, Sum: 1}); err != nil {
				t.Fatal(err)
			}
			func() {
				defer func() {
					if r := recover(); r == nil && i >= 4 {
						t.Errorf("merge %d: no panic", i)
					}
				}()
				_ = ns.Merge(ctx, codec.Nested{Key: key + "/" + fmt.Sprint(i), Sum: 1000})             // a new key: no Merge call
				_ = ns.Merge(ctx, codec.Nested{Key: key + "/" + fmt.Sprint(i), Sum: 1000, Boom: true}) // panics
			}()
		}
		for i := range 4 {
			got, ok, err := ns.Get(ctx, codec.NestedKey{Key: fmt.Sprint("k", i)})
			if err != nil || !ok || got.Sum != 10 || got.Boom {
				t.Errorf("k%d: %+v %v %v, want Sum 10", i, got, ok, err)
			}
		}
	})
}

// TestErrorsKeepTheirKey: the key an error names is its own, not whatever
// a pooled key buffer holds after later calls.
func TestErrorsKeepTheirKey(t *testing.T) {
	each(t, func(t *testing.T, open func(testing.TB) runtime.Backend) {
		b := open(t)
		s := stores.NewModelLatencyStore(b)
		key, _ := stores.ModelLatencyKey{Tenant: "bad", Model: "one"}.AppendKey([]byte("a/ModelLatency/"))
		if err := b.Put(ctx, key, []byte{0xa1, 0x65, 'C', 'a', 'l', 'l', 's', 0x61, 'x'}); err != nil { // {"Calls": "x"}
			t.Fatal(err)
		}
		mergeErr := s.Merge(ctx, stores.ModelLatency{Tenant: "bad", Model: "one"})
		_, _, getErr := s.Get(ctx, stores.ModelLatencyKey{Tenant: "bad", Model: "one"})
		for _, err := range []error{mergeErr, getErr} {
			if !errors.Is(err, runtime.ErrCorrupt) || !strings.Contains(err.Error(), `bad\x00\x01one`) {
				t.Fatalf("error %v: want ErrCorrupt naming the key", err)
			}
		}
		before := mergeErr.Error() + getErr.Error()
		for i := range 200 {
			if err := s.Merge(ctx, stores.ModelLatency{Tenant: strings.Repeat("z", i), Model: "other"}); err != nil {
				t.Fatal(err)
			}
		}
		if after := mergeErr.Error() + getErr.Error(); after != before {
			t.Errorf("errors changed after later calls:\n%s\n%s", before, after)
		}
		// A backend error keeps its key too (runtime.Error copies it).
		if err := b.Close(); err != nil {
			t.Fatal(err)
		}
		_, _, closedErr := s.Get(ctx, stores.ModelLatencyKey{Tenant: "closed", Model: "k"})
		var re *runtime.Error
		if !errors.As(closedErr, &re) || !strings.Contains(string(re.Key), "closed") {
			t.Fatalf("Get on a closed backend: %v", closedErr)
		}
		keyBefore := string(re.Key)
		for range 50 {
			_, _, _ = s.Get(ctx, stores.ModelLatencyKey{Tenant: "zzzzzzzzzz", Model: "zzzz"})
			_ = s.Merge(ctx, stores.ModelLatency{Tenant: "yyyyyyyy", Model: "yyyy"})
		}
		if string(re.Key) != keyBefore {
			t.Errorf("runtime.Error.Key changed from %q to %q", keyBefore, re.Key)
		}
	})
}
