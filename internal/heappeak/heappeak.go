// Package heappeak measures how far the heap grows while a benchmarked
// operation runs: the memory it needs beyond the data at rest.
package heappeak

import (
	"runtime"
	"runtime/metrics"
	"sync"
	"testing"
	"time"
)

// During runs fn and returns how far the heap's live objects grew above where
// they stood after a collection just before it, sampled every millisecond and
// once at the end. The collection runs with b's timer stopped: it is the
// measurement's cost, not the operation's.
func During(b *testing.B, fn func()) uint64 {
	b.StopTimer()
	runtime.GC()
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	read := func() uint64 { metrics.Read(sample); return sample[0].Value.Uint64() }
	base := read()
	peak := base
	b.StartTimer()
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				peak = max(peak, read())
			}
		}
	})
	fn()
	close(done)
	wg.Wait()
	return max(peak, read()) - base
}
