package stores

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/statekit/statekit/backends/memory"
	"github.com/statekit/statekit/runtime"
)

// The peer of the generated stores is what one writes by hand without them: a
// key built with fmt, the value encoded by fxamacker's reflection, and the
// read-merge-write done with runtime.Update (so that it is as atomic). Both run
// on the memory backend, on 1000 keys.

const benchKeys = 1000

var benchTenants = func() []string {
	out := make([]string, benchKeys)
	for i := range out {
		out[i] = fmt.Sprintf("tenant%04d", i)
	}
	return out
}()

// handMergeLatency is ModelLatency merged by hand.
func handMergeLatency(ctx context.Context, b runtime.Backend, in ModelLatency) error {
	key := []byte(fmt.Sprintf("latency:%s:%s", in.Tenant, in.Model))
	return runtime.Update(ctx, b, key, func(old []byte, found bool) ([]byte, bool, error) {
		v := in
		if found {
			var cur modelLatencyCBOR // the type without generated methods
			if err := runtime.CBORDecMode.Unmarshal(old, &cur); err != nil {
				return nil, false, err
			}
			v = ModelLatency(cur)
			v.Calls++
			v.Total += in.Total
			v.Worst = max(v.Worst, in.Worst)
			v.Best = min(v.Best, in.Best)
			v.Last = in.Last
		} else {
			v.Calls = 1
		}
		out, err := runtime.CBOREncMode.Marshal((*modelLatencyCBOR)(&v))
		return out, true, err
	})
}

func BenchmarkAggregateMerge(b *testing.B) {
	ctx := context.Background()
	in := ModelLatency{Model: "gpt", Total: 12.5, Worst: 12.5, Best: 12.5, Last: "req-1"}
	b.Run("statekit", func(b *testing.B) {
		be := memory.New(memory.Options{})
		defer be.Close()
		s := NewModelLatencyStore(be)
		i := 0
		for b.Loop() {
			in.Tenant = benchTenants[i%benchKeys]
			if err := s.Merge(ctx, in); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
	b.Run("hand-written", func(b *testing.B) {
		be := memory.New(memory.Options{})
		defer be.Close()
		i := 0
		for b.Loop() {
			in.Tenant = benchTenants[i%benchKeys]
			if err := handMergeLatency(ctx, be, in); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
}

// handAddClicks is ClickWindow.Add by hand: every sliding window containing at,
// each merged like handMergeLatency.
func handAddClicks(ctx context.Context, b runtime.Backend, at time.Time, in ClickWindow) error {
	size, slide := time.Minute, 20*time.Second
	last := at.Truncate(slide)
	for start := last.Add(-size + slide); !start.After(last); start = start.Add(slide) {
		key := []byte(fmt.Sprintf("clicks:%s:%d", in.UserID, start.UnixNano()))
		err := runtime.Update(ctx, b, key, func(old []byte, found bool) ([]byte, bool, error) {
			v := in
			if found {
				var cur clickWindowCBOR
				if err := runtime.CBORDecMode.Unmarshal(old, &cur); err != nil {
					return nil, false, err
				}
				v = ClickWindow(cur)
				v.Clicks++
				v.Bytes += in.Bytes
				if in.First.Before(v.First) {
					v.First = in.First
				}
				if in.Last.After(v.Last) {
					v.Last = in.Last
				}
			} else {
				v.Clicks = 1
			}
			out, err := runtime.CBOREncMode.Marshal((*clickWindowCBOR)(&v))
			return out, true, err
		})
		if err != nil {
			return err
		}
	}
	return nil
}

func BenchmarkWindowAdd(b *testing.B) {
	ctx := context.Background()
	base := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	run := func(b *testing.B, add func(at time.Time, v ClickWindow) error) {
		i := 0
		for b.Loop() {
			at := base.Add(time.Duration(i%600) * 100 * time.Millisecond) // a minute of events
			v := ClickWindow{UserID: benchTenants[i%benchKeys], Bytes: 512, First: at, Last: at}
			if err := add(at, v); err != nil {
				b.Fatal(err)
			}
			i++
		}
	}
	b.Run("statekit", func(b *testing.B) {
		be := memory.New(memory.Options{})
		defer be.Close()
		s := NewClickWindowStore(be)
		run(b, func(at time.Time, v ClickWindow) error { return s.Add(ctx, at, v) })
	})
	b.Run("hand-written", func(b *testing.B) {
		be := memory.New(memory.Options{})
		defer be.Close()
		run(b, func(at time.Time, v ClickWindow) error { return handAddClicks(ctx, be, at, v) })
	})
}
