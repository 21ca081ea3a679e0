package stores

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.uber.org/goleak"
	"pgregory.net/rapid"

	"github.com/statekit/statekit/backends/badger"
	"github.com/statekit/statekit/backends/memory"
	_ "github.com/statekit/statekit/internal/golden"
	"github.com/statekit/statekit/runtime"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// backends opens each backend for a test.
var backends = []struct {
	name string
	open func(t testing.TB, clock runtime.Clock) runtime.Backend
}{
	{"memory", func(t testing.TB, clock runtime.Clock) runtime.Backend {
		b := memory.New(memory.Options{Clock: clock})
		t.Cleanup(func() { b.Close() })
		return b
	}},
	{"badger", func(t testing.TB, _ runtime.Clock) runtime.Backend {
		b, err := badger.Open(context.Background(), badger.NewConfig(t.TempDir()).WithLogger(slog.New(slog.DiscardHandler)))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { b.Close() })
		return b
	}},
}

func each(t *testing.T, fn func(t *testing.T, b func(t testing.TB) runtime.Backend)) {
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			fn(t, func(t testing.TB) runtime.Backend { return be.open(t, nil) })
		})
	}
}

var ctx = context.Background()

func TestAggregateMergeOps(t *testing.T) {
	each(t, func(t *testing.T, open func(testing.TB) runtime.Backend) {
		s := NewModelLatencyStore(open(t))
		inputs := []ModelLatency{
			{Tenant: "acme", Model: "m1", Calls: 7, Total: 10, Worst: 10, Best: 10, Region: "eu", Last: "a"},
			{Tenant: "acme", Model: "m1", Calls: 99, Total: 30, Worst: 30, Best: 30, Region: "us", Last: "b"},
			{Tenant: "acme", Model: "m1", Calls: 5, Total: 2, Worst: 2, Best: 2, Region: "ap", Last: "c"},
		}
		for _, in := range inputs {
			if err := s.Merge(ctx, in); err != nil {
				t.Fatal(err)
			}
		}
		got, ok, err := s.Get(ctx, ModelLatencyKey{Tenant: "acme", Model: "m1"})
		if err != nil || !ok {
			t.Fatalf("Get: %v, %v", ok, err)
		}
		want := ModelLatency{
			Tenant: "acme", Model: "m1",
			Calls:  3,    // count: the values merged, the first included (not their Calls)
			Total:  42,   // sum
			Worst:  30,   // max
			Best:   2,    // min
			Region: "eu", // first
			Last:   "c",  // last, the default
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("merged (-want +got):\n%s", diff)
		}

		// Put stores as given; Merge into a missing key stores as given with
		// count fields 1.
		if err := s.Put(ctx, ModelLatency{Tenant: "t", Model: "put", Calls: 9}); err != nil {
			t.Fatal(err)
		}
		if v, _, _ := s.Get(ctx, ModelLatencyKey{"t", "put"}); v.Calls != 9 {
			t.Errorf("Put stored Calls=%d, want 9", v.Calls)
		}
		if err := s.Merge(ctx, ModelLatency{Tenant: "t", Model: "new", Calls: 9, Total: 1}); err != nil {
			t.Fatal(err)
		}
		if v, _, _ := s.Get(ctx, ModelLatencyKey{"t", "new"}); v.Calls != 1 || v.Total != 1 {
			t.Errorf("first Merge stored %+v, want Calls=1 Total=1", v)
		}
		if err := s.Delete(ctx, ModelLatencyKey{"t", "new"}); err != nil {
			t.Fatal(err)
		}
		if _, ok, _ := s.Get(ctx, ModelLatencyKey{"t", "new"}); ok {
			t.Error("Delete left the value")
		}
		var keys []ModelLatencyKey
		for v, err := range s.All(ctx) {
			if err != nil {
				t.Fatal(err)
			}
			keys = append(keys, v.StateKey())
		}
		if diff := cmp.Diff([]ModelLatencyKey{{"acme", "m1"}, {"t", "put"}}, keys); diff != "" {
			t.Errorf("All, in key order (-want +got):\n%s", diff)
		}
	})
}

func TestCustomMerge(t *testing.T) {
	each(t, func(t *testing.T, open func(testing.TB) runtime.Backend) {
		s := NewHistogramStore(open(t))
		for _, b := range [][4]uint64{{1, 0, 0, 0}, {0, 2, 0, 0}, {1, 1, 1, 1}} {
			if err := s.Merge(ctx, Histogram{Metric: "lat", Buckets: b}); err != nil {
				t.Fatal(err)
			}
		}
		got, _, err := s.Get(ctx, HistogramKey{Metric: "lat"})
		if err != nil || got.Buckets != [4]uint64{2, 3, 1, 1} {
			t.Fatalf("Get = %+v, %v; want buckets [2 3 1 1]", got, err)
		}
	})
}

// TestConcurrentMerge: 8 goroutines merge into one key; no update is lost, on
// either backend.
func TestConcurrentMerge(t *testing.T) {
	each(t, func(t *testing.T, open func(testing.TB) runtime.Backend) {
		s := NewModelLatencyStore(open(t))
		const goroutines, merges = 8, 200
		var wg sync.WaitGroup
		for g := range goroutines {
			wg.Go(func() {
				for i := range merges {
					if err := s.Merge(ctx, ModelLatency{Tenant: "t", Model: "m", Total: 1, Last: fmt.Sprint(g, i)}); err != nil {
						t.Error(err)
						return
					}
				}
			})
		}
		wg.Wait()
		v, _, err := s.Get(ctx, ModelLatencyKey{"t", "m"})
		if err != nil || v.Calls != goroutines*merges || v.Total != goroutines*merges {
			t.Fatalf("after %d merges: Calls=%d Total=%v, %v", goroutines*merges, v.Calls, v.Total, err)
		}
	})
}

func TestKeysOfEveryKind(t *testing.T) {
	each(t, func(t *testing.T, open func(testing.TB) runtime.Backend) {
		s := NewDeviceStore(open(t))
		since := time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC)
		// Keys that differ only in bytes an escaping bug would confuse.
		serials := [][]byte{{}, {0}, {0, 0}, {0, 0xff}, {0xff}, {0, 1}, {1}, []byte("a\x00b")}
		for i, serial := range serials {
			d := Device{Site: "s\x00", Serial: serial, Rack: -3, Slot: 7, Spare: i%2 == 0, Since: since, Temps: []float64{float64(i)}, Labels: map[string]string{"i": fmt.Sprint(i)}}
			if err := s.Merge(ctx, d); err != nil {
				t.Fatal(err)
			}
		}
		for i, serial := range serials {
			k := DeviceKey{Site: "s\x00", Serial: serial, Rack: -3, Slot: 7, Spare: i%2 == 0, Since: since}
			v, ok, err := s.Get(ctx, k)
			if err != nil || !ok || len(v.Temps) != 1 || v.Temps[0] != float64(i) || v.Boots != 1 {
				t.Fatalf("key %d (serial %q): %+v, %v, %v", i, serial, v, ok, err)
			}
			if !v.Since.Equal(since) || !bytes.Equal(v.Serial, serial) {
				t.Errorf("key fields did not round-trip: %+v", v)
			}
		}
		n := 0
		if err := s.Scan(ctx, func(Device) error { n++; return nil }); err != nil || n != len(serials) {
			t.Fatalf("Scan saw %d values, %v; want %d: keys collided", n, err, len(serials))
		}
	})
}

func TestTTL(t *testing.T) {
	clock := runtime.NewManualClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	b := memory.New(memory.Options{Clock: clock})
	defer b.Close()
	s := NewModelLatencyStore(b) // ttl=1h
	if err := s.Merge(ctx, ModelLatency{Tenant: "t", Model: "m"}); err != nil {
		t.Fatal(err)
	}
	clock.Advance(59 * time.Minute)
	if _, ok, _ := s.Get(ctx, ModelLatencyKey{"t", "m"}); !ok {
		t.Fatal("gone before its TTL")
	}
	clock.Advance(time.Minute)
	if _, ok, _ := s.Get(ctx, ModelLatencyKey{"t", "m"}); ok {
		t.Fatal("still there at its TTL")
	}
	// A backend without TTLWriter cannot hold a store with a TTL.
	err := NewModelLatencyStore(plain{b}).Merge(ctx, ModelLatency{Tenant: "t", Model: "x"})
	if !errors.Is(err, errors.ErrUnsupported) {
		t.Errorf("Merge with a ttl on a backend without TTLWriter: %v, want ErrUnsupported", err)
	}
}

type plain struct{ runtime.Backend }

func TestCorruptValue(t *testing.T) {
	each(t, func(t *testing.T, open func(testing.TB) runtime.Backend) {
		b := open(t)
		s := NewModelLatencyStore(b)
		key, _ := ModelLatencyKey{"t", "m"}.AppendKey([]byte("a/ModelLatency/"))
		if err := b.Put(ctx, key, []byte{0xff, 0x00}); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.Get(ctx, ModelLatencyKey{"t", "m"}); !errors.Is(err, runtime.ErrCorrupt) {
			t.Errorf("Get of a corrupt value: %v, want ErrCorrupt", err)
		}
		if err := s.Merge(ctx, ModelLatency{Tenant: "t", Model: "m"}); !errors.Is(err, runtime.ErrCorrupt) {
			t.Errorf("Merge into a corrupt value: %v, want ErrCorrupt", err)
		}
		if err := b.Put(ctx, []byte("a/ModelLatency/"+"\x00\x07"), []byte{0xa0}); err != nil {
			t.Fatal(err)
		}
		if err := s.Scan(ctx, func(ModelLatency) error { return nil }); !errors.Is(err, runtime.ErrCorrupt) {
			t.Errorf("Scan over a corrupt key: %v, want ErrCorrupt", err)
		}
	})
}

var t0 = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

func TestSlidingWindowAssignment(t *testing.T) {
	each(t, func(t *testing.T, open func(testing.TB) runtime.Backend) {
		s := NewClickWindowStore(open(t))
		at := t0.Add(45 * time.Second) // in [11:59:00,12:00:00), [11:59:20,..), [11:59:40,..)... see below
		if err := s.Add(ctx, at, ClickWindow{UserID: "u", Bytes: 100, First: at, Last: at}); err != nil {
			t.Fatal(err)
		}
		if err := s.Add(ctx, at.Add(10*time.Second), ClickWindow{UserID: "u", Bytes: 5, First: at.Add(10 * time.Second), Last: at.Add(10 * time.Second)}); err != nil {
			t.Fatal(err)
		}
		type got struct {
			Start, End time.Time
			Clicks     int64
			Bytes      int64
		}
		var wins []got
		err := s.Windows(ctx, ClickWindowKey{UserID: "u"}, func(w runtime.Window, v ClickWindow) error {
			wins = append(wins, got{w.Start, w.End, v.Clicks, v.Bytes})
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		// 12:00:45 is in the windows starting 11:59:00? No: [11:59:00,12:00:00)
		// ends before it. It is in those starting 12:00:40, 12:00:20, 12:00:00.
		// 12:00:55 is in those starting 12:00:00, 12:00:20, 12:00:40.
		want := []got{
			{t0, t0.Add(time.Minute), 2, 105},
			{t0.Add(20 * time.Second), t0.Add(80 * time.Second), 2, 105},
			{t0.Add(40 * time.Second), t0.Add(100 * time.Second), 2, 105},
		}
		if diff := cmp.Diff(want, wins); diff != "" {
			t.Errorf("windows (-want +got):\n%s", diff)
		}
		v, ok, err := s.Get(ctx, ClickWindowKey{"u"}, runtime.Window{Start: t0, End: t0.Add(time.Minute)})
		if err != nil || !ok || !v.First.Equal(at) || !v.Last.Equal(at.Add(10*time.Second)) {
			t.Errorf("Get = %+v, %v, %v; want First %v (min) and Last %v (max)", v, ok, err, at, at.Add(10*time.Second))
		}
		if err := s.Put(ctx, ClickWindowKey{"u"}, runtime.Window{Start: t0.Add(time.Second), End: t0.Add(61 * time.Second)}, ClickWindow{}); !errors.Is(err, runtime.ErrInvalidArgument) {
			t.Errorf("Put into a window that is not one of the store's: %v, want ErrInvalidArgument", err)
		}
	})
}

// event is one Add in the FireDue model test.
type event struct {
	key   []byte
	at    time.Duration // after t0
	value uint64
}

// TestFireDueMatchesReference feeds random, out-of-order events and watermark
// advances to a tumbling window store and to a brute-force reference, and
// checks that FireDue fires the same windows, with the same values, in the
// same order (oldest end first, then by key); and that events for windows
// already fired are refused with ErrLate.
func TestFireDueMatchesReference(t *testing.T) {
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			b := be.open(t, nil)
			runs := 0
			rapid.Check(t, func(rt *rapid.T) {
				runs++
				ns := []byte(fmt.Sprintf("run%05d/", runs)) // each run its own keys
				// and its own time, after the previous run's watermark: the
				// fired watermark is durable, and the backend is shared.
				t0 := t0.Add(time.Duration(runs) * 2 * time.Hour)
				s := NewTumblingStore(b)
				type wkey struct {
					key   string
					start time.Time
				}
				type state struct{ n, sum uint64 }
				model := map[wkey]*state{}
				firedBefore := time.Time{} // windows ending before this have fired
				keyGen := rapid.SampledFrom([][]byte{{0}, {0, 0}, {0xff}, {0, 0xff}, []byte("a"), []byte("a\x00"), []byte("ab")})
				watermark := t0
				for step := range rapid.IntRange(1, 40).Draw(rt, "steps") {
					if rapid.IntRange(0, 3).Draw(rt, fmt.Sprint("kind", step)) > 0 {
						ev := event{
							key:   append(slices.Clone(ns), keyGen.Draw(rt, fmt.Sprint("key", step))...),
							at:    time.Duration(rapid.IntRange(-30, 120).Draw(rt, fmt.Sprint("at", step))) * time.Second,
							value: rapid.Uint64Range(0, 1000).Draw(rt, fmt.Sprint("value", step)),
						}
						at := t0.Add(ev.at)
						start := at.Truncate(10 * time.Second)
						err := s.Add(ctx, at, Tumbling{Key: ev.key, Sum: ev.value})
						if start.Add(10*time.Second).Compare(firedBefore) <= 0 && !firedBefore.IsZero() {
							if !errors.Is(err, runtime.ErrLate) {
								rt.Fatalf("Add at %v after watermark %v: %v, want ErrLate", at, watermark, err)
							}
							continue
						}
						if err != nil {
							rt.Fatalf("Add: %v", err)
						}
						w := wkey{string(ev.key), start}
						if model[w] == nil {
							model[w] = &state{}
						}
						model[w].n++
						model[w].sum += ev.value
						continue
					}
					watermark = watermark.Add(time.Duration(rapid.IntRange(0, 60).Draw(rt, fmt.Sprint("advance", step))) * time.Second)
					type firing struct {
						Key    string
						Start  time.Time
						N, Sum uint64
					}
					var want []firing
					for w, st := range model {
						if !w.start.Add(10 * time.Second).After(watermark) {
							want = append(want, firing{w.key, w.start, st.n, st.sum})
							delete(model, w)
						}
					}
					sort.Slice(want, func(i, j int) bool {
						if !want[i].Start.Equal(want[j].Start) {
							return want[i].Start.Before(want[j].Start)
						}
						return want[i].Key < want[j].Key
					})
					var got []firing
					n, err := s.FireDue(ctx, watermark, func(k TumblingKey, w runtime.Window, v Tumbling) error {
						if !bytes.HasPrefix(k.Key, ns) {
							return nil // another run's leftovers cannot be due: they all fired
						}
						if w.End.Sub(w.Start) != 10*time.Second {
							rt.Fatalf("window %v is not 10s", w)
						}
						got = append(got, firing{string(k.Key), w.Start, uint64(v.N), v.Sum})
						return nil
					})
					if err != nil {
						rt.Fatalf("FireDue: %v", err)
					}
					if diff := cmp.Diff(want, got); diff != "" {
						rt.Fatalf("FireDue(%v) (-want +got):\n%s", watermark, diff)
					}
					if n < len(got) {
						rt.Fatalf("FireDue reported %d fired, saw %d", n, len(got))
					}
					if watermark.After(firedBefore) {
						firedBefore = watermark
					}
				}
				// Drain this run so that the next one starts clean.
				if _, err := s.FireDue(ctx, t0.Add(time.Hour), func(TumblingKey, runtime.Window, Tumbling) error { return nil }); err != nil {
					rt.Fatal(err)
				}
			})
		})
	}
}

// TestFireDueAtLeastOnce: a window whose callback fails stays, and fires again.
func TestFireDueAtLeastOnce(t *testing.T) {
	each(t, func(t *testing.T, open func(testing.TB) runtime.Backend) {
		s := NewTumblingStore(open(t))
		for _, k := range []string{"a", "b"} {
			if err := s.Add(ctx, t0, Tumbling{Key: []byte(k), Sum: 1}); err != nil {
				t.Fatal(err)
			}
		}
		boom := errors.New("sink down")
		calls := 0
		n, err := s.FireDue(ctx, t0.Add(time.Minute), func(k TumblingKey, _ runtime.Window, _ Tumbling) error {
			calls++
			if string(k.Key) == "b" {
				return boom
			}
			return nil
		})
		if !errors.Is(err, boom) || n != 1 || calls != 2 {
			t.Fatalf("FireDue = %d, %v after %d calls; want 1 fired, then the sink's error", n, err, calls)
		}
		var again []string
		n, err = s.FireDue(ctx, t0.Add(time.Minute), func(k TumblingKey, _ runtime.Window, v Tumbling) error {
			again = append(again, string(k.Key))
			return nil
		})
		if err != nil || n != 1 || !slices.Equal(again, []string{"b"}) {
			t.Fatalf("second FireDue = %d, %v, %q; want b again", n, err, again)
		}
	})
}

func TestWindowLateness(t *testing.T) {
	s := NewClickWindowStore(backends[0].open(t, nil)) // lateness=5s
	if err := s.Add(ctx, t0, ClickWindow{UserID: "u"}); err != nil {
		t.Fatal(err)
	}
	// The windows holding t0 end at 12:00:20, :40 and 12:01:00; with 5s of
	// lateness, the first fires at 12:00:25.
	fired := func(wm time.Time) int {
		n, err := s.FireDue(ctx, wm, func(ClickWindowKey, runtime.Window, ClickWindow) error { return nil })
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := fired(t0.Add(24 * time.Second)); n != 0 {
		t.Fatalf("fired %d windows before End+lateness", n)
	}
	if n := fired(t0.Add(25 * time.Second)); n != 1 {
		t.Fatalf("fired %d windows at End+lateness, want 1", n)
	}
	if n := fired(t0.Add(time.Hour)); n != 2 {
		t.Fatalf("fired %d more, want 2", n)
	}
	if err := s.Add(ctx, t0, ClickWindow{UserID: "u"}); !errors.Is(err, runtime.ErrLate) {
		t.Fatalf("Add into fired windows: %v, want ErrLate", err)
	}
	if err := s.Add(ctx, time.Unix(0, math.MaxInt64), ClickWindow{UserID: "u"}); !errors.Is(err, runtime.ErrInvalidArgument) {
		t.Fatalf("Add at the end of time: %v, want ErrInvalidArgument", err)
	}
}

// TestWindowPutStoresTheKeyFields: a window Put stores the value with its
// key fields set from the key it is put under, not those v carried, so the
// bytes (what statectl dump shows, what a checkpoint carries) agree with the
// key.
func TestWindowPutStoresTheKeyFields(t *testing.T) {
	each(t, func(t *testing.T, open func(t testing.TB) runtime.Backend) {
		b := open(t)
		s := NewClickWindowStore(b)
		start := time.Unix(1_700_000_000, 0).UTC().Truncate(20 * time.Second)
		w := runtime.Window{Start: start, End: start.Add(time.Minute)}
		if err := s.Put(ctx, ClickWindowKey{UserID: "x"}, w, ClickWindow{UserID: "other", Clicks: 5}); err != nil {
			t.Fatal(err)
		}
		var raw []byte
		if err := b.Scan(ctx, []byte("w/ClickWindow/"), func(_, v []byte) error {
			raw = append([]byte(nil), v...)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		var stored ClickWindow
		if err := stored.UnmarshalCBOR(raw); err != nil {
			t.Fatal(err)
		}
		if stored.UserID != "x" || stored.Clicks != 5 {
			t.Fatalf("stored %+v; want UserID x from the key, Clicks 5", stored)
		}
	})
}
