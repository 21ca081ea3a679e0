package stores

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/statekit/statekit/backends/redis"
	"github.com/statekit/statekit/backends/redis/redistest"
	"github.com/statekit/statekit/runtime"
)

// fired is one window FireDue emitted.
type fired struct {
	User   string
	Start  time.Time
	Clicks int64
	Bytes  int64
	First  time.Time
	Last   time.Time
}

// pipelineResult is what a run of the pipeline produced.
type pipelineResult struct {
	Fired     []fired
	Latencies []ModelLatency
	Late      int
}

// runPipeline feeds a deterministic stream of click events (out of order by
// up to 2 minutes, so that some are late) to a sliding-window store and a latency aggregate, from 4
// goroutines that each own a set of users (so that the first/last ops see a
// deterministic order), with FireDue at a watermark every 250 events, and
// returns what fired and the aggregates at the end.
func runPipeline(t *testing.T, b runtime.Backend) pipelineResult {
	t.Helper()
	clicks, lat := NewClickWindowStore(b), NewModelLatencyStore(b)
	rng := rand.New(rand.NewPCG(7, 11))
	type event struct {
		user  string
		at    time.Time
		bytes int64
		ms    float64
	}
	const events, users, workers = 2000, 40, 4
	var stream []event
	for i := range events {
		stream = append(stream, event{
			user:  fmt.Sprintf("user%02d", rng.IntN(users)),
			at:    t0.Add(time.Duration(i)*100*time.Millisecond - time.Duration(rng.IntN(120_000))*time.Millisecond),
			bytes: int64(rng.IntN(1000)),
			ms:    float64(rng.IntN(10_000)) / 10,
		})
	}
	var res pipelineResult
	var late atomic.Int64
	const phase = 250
	for p := 0; p < events; p += phase {
		var wg sync.WaitGroup
		errs := make(chan error, workers)
		for w := range workers {
			wg.Go(func() {
				for _, ev := range stream[p : p+phase] {
					if int(ev.user[len(ev.user)-1]-'0')%workers != w {
						continue
					}
					err := clicks.Add(ctx, ev.at, ClickWindow{UserID: ev.user, Bytes: ev.bytes, First: ev.at, Last: ev.at})
					if errors.Is(err, runtime.ErrLate) {
						late.Add(1)
					} else if err != nil {
						errs <- err
						return
					}
					err = lat.Merge(ctx, ModelLatency{Tenant: ev.user[:5], Model: ev.user, Total: ev.ms, Worst: ev.ms, Best: ev.ms, Region: ev.user, Last: fmt.Sprint(ev.ms)})
					if err != nil {
						errs <- err
						return
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		watermark := t0.Add(time.Duration(p+phase) * 100 * time.Millisecond)
		_, err := clicks.FireDue(ctx, watermark, func(k ClickWindowKey, w runtime.Window, v ClickWindow) error {
			res.Fired = append(res.Fired, fired{k.UserID, w.Start, v.Clicks, v.Bytes, v.First, v.Last})
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if _, err := clicks.FireDue(ctx, t0.Add(time.Hour), func(k ClickWindowKey, w runtime.Window, v ClickWindow) error {
		res.Fired = append(res.Fired, fired{k.UserID, w.Start, v.Clicks, v.Bytes, v.First, v.Last})
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if err := lat.Scan(ctx, func(v ModelLatency) error {
		res.Latencies = append(res.Latencies, v)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	res.Late = int(late.Load())
	return res
}

// TestPipelineOnRedisCluster runs the same windowed and aggregated pipeline on
// memory, Badger and a 3-master Redis Cluster, and requires the same results.
func TestPipelineOnRedisCluster(t *testing.T) {
	cl := redistest.StartCluster(t, 3)
	rb, err := redis.Open(ctx, redis.Config{Addrs: cl.Addrs(), Namespace: "pipeline"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rb.Close() })

	want := runPipeline(t, backends[0].open(t, nil)) // memory
	if len(want.Fired) < 100 || len(want.Latencies) == 0 || want.Late == 0 {
		t.Fatalf("the pipeline fired %d windows, %d aggregates, %d late events: too few to compare", len(want.Fired), len(want.Latencies), want.Late)
	}
	for name, b := range map[string]runtime.Backend{"badger": backends[1].open(t, nil), "redis cluster": rb} {
		got := runPipeline(t, b)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s differs from memory (-memory +%s):\n%s", name, name, diff)
		}
	}
	// Nothing is left behind: every window fired and was deleted.
	keys, err := rb.ListKeys(ctx, []byte("w/"))
	if err != nil || len(keys) != 0 {
		t.Errorf("window keys left on Redis after the final FireDue: %d, %v", len(keys), err)
	}
	t.Logf("%d windows fired, %d aggregates, %d late events", len(want.Fired), len(want.Latencies), want.Late)
}
