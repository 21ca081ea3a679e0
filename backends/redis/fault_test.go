package redis_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/statekit/statekit/backends/redis"
	"github.com/statekit/statekit/backends/redis/redistest"
	"github.com/statekit/statekit/runtime"
)

// callTimeout is the ctx deadline of each call in the fault tests; slack is
// what a call may take beyond it. The tests catch calls that hang past their
// deadline (go-redis retries, a dial without a timeout), not slow ones: with
// -race, three test packages and other work sharing two cores, a goroutine can
// wait most of a second to run, and a 0.7 s slack failed once.
const (
	callTimeout = 300 * time.Millisecond
	slack       = 2 * time.Second
)

// writers runs n goroutines that Put keys w<g>:<i> with increasing i and
// Update a shared counter, each call under callTimeout, until stop is closed.
// It checks that every failure is a *runtime.Error of the redis backend and
// that no call outlives its deadline by more than slack.
type writers struct {
	mu       sync.Mutex
	acked    map[string]string // acknowledged puts
	incrOK   atomic.Int64      // acknowledged increments
	incrTry  atomic.Int64      // attempted increments
	failures atomic.Int64
	okCalls  atomic.Int64
	slowest  atomic.Int64 // ns
	wg       sync.WaitGroup
	stop     chan struct{}
}

func startWriters(t *testing.T, b *redis.Backend, n int) *writers {
	w := &writers{acked: map[string]string{}, stop: make(chan struct{})}
	incr := func(old []byte, found bool) ([]byte, bool, error) {
		v := 0
		if found {
			v, _ = strconv.Atoi(string(old))
		}
		return strconv.AppendInt(nil, int64(v+1), 10), true, nil
	}
	for g := range n {
		w.wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-w.stop:
					return
				default:
				}
				key, val := fmt.Sprintf("w%d:%06d", g, i), strconv.Itoa(i)
				ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
				start := time.Now()
				var err error
				if i%4 == 3 {
					w.incrTry.Add(1)
					err = b.Update(ctx, []byte("counter"), 0, incr)
					if err == nil {
						w.incrOK.Add(1)
					}
				} else {
					err = b.Put(ctx, []byte(key), []byte(val))
					if err == nil {
						w.mu.Lock()
						w.acked[key] = val
						w.mu.Unlock()
					}
				}
				cancel()
				d := time.Since(start)
				for {
					old := w.slowest.Load()
					if int64(d) <= old || w.slowest.CompareAndSwap(old, int64(d)) {
						break
					}
				}
				if err == nil {
					w.okCalls.Add(1)
					continue
				}
				w.failures.Add(1)
				var re *runtime.Error
				if !errors.As(err, &re) || re.Backend != "redis" {
					t.Errorf("failure %v (%T) is not a redis *runtime.Error", err, err)
				}
				time.Sleep(5 * time.Millisecond)
			}
		})
	}
	return w
}

// waitCalls waits until n more calls have succeeded.
func (w *writers) waitCalls(t *testing.T, n int64, within time.Duration) {
	t.Helper()
	target := w.okCalls.Load() + n
	deadline := time.Now().Add(within)
	for w.okCalls.Load() < target {
		if time.Now().After(deadline) {
			t.Fatalf("calls did not succeed again within %v (%d failures so far)", within, w.failures.Load())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (w *writers) finish(t *testing.T, b *redis.Backend) {
	t.Helper()
	close(w.stop)
	w.wg.Wait()
	if d := time.Duration(w.slowest.Load()); d > callTimeout+slack {
		t.Errorf("a call took %v with a %v deadline", d, callTimeout)
	}
	ctx := context.Background()
	lost := 0
	for k, want := range w.acked {
		v, ok, err := b.Get(ctx, []byte(k))
		if err != nil {
			t.Fatal(err)
		}
		if !ok || string(v) != want {
			lost++
		}
	}
	if lost > 0 {
		t.Errorf("%d of %d acknowledged writes lost", lost, len(w.acked))
	}
	keys, err := b.ListKeys(ctx, []byte("w"))
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) < len(w.acked) {
		t.Errorf("ListKeys lists %d keys, fewer than the %d acknowledged", len(keys), len(w.acked))
	}
	v, _, err := b.Get(ctx, []byte("counter"))
	if err != nil {
		t.Fatal(err)
	}
	got, _ := strconv.Atoi(string(v))
	if int64(got) < w.incrOK.Load() || int64(got) > w.incrTry.Load() {
		t.Errorf("counter = %d; acknowledged increments %d, attempted %d", got, w.incrOK.Load(), w.incrTry.Load())
	}
	t.Logf("%d acknowledged puts, counter %d (%d acknowledged, %d tried), %d failed calls, slowest %v",
		len(w.acked), got, w.incrOK.Load(), w.incrTry.Load(), w.failures.Load(), time.Duration(w.slowest.Load()))
}

// TestServerKilledAndRestarted kills a server with appendfsync always in the
// middle of writes, restarts it, and checks that calls failed cleanly while it
// was down, work again, and that no acknowledged write was lost.
func TestServerKilledAndRestarted(t *testing.T) {
	srv := redistest.StartServer(t, "--appendonly", "yes", "--appendfsync", "always")
	b := open(t, redis.Config{Addrs: []string{srv.Addr()}, Namespace: "kill"})
	w := startWriters(t, b, 4)
	w.waitCalls(t, 300, 10*time.Second)
	srv.Kill()
	time.Sleep(300 * time.Millisecond) // calls fail meanwhile
	down := w.failures.Load()
	srv.Restart()
	w.waitCalls(t, 300, 10*time.Second)
	w.finish(t, b)
	if down == 0 {
		t.Error("no call failed while the server was down")
	}
}

// TestClusterNodeKilledAndRestarted does the same to one master of a cluster.
func TestClusterNodeKilledAndRestarted(t *testing.T) {
	cl := redistest.StartCluster(t, 3, "--appendonly", "yes", "--appendfsync", "always")
	b := open(t, redis.Config{Addrs: cl.Addrs(), Namespace: "killc"})
	w := startWriters(t, b, 4)
	w.waitCalls(t, 300, 10*time.Second)
	cl.Nodes[1].Kill()
	time.Sleep(500 * time.Millisecond)
	down := w.failures.Load()
	cl.Nodes[1].Restart()
	cl.WaitOK(t)
	w.waitCalls(t, 300, 20*time.Second)
	w.finish(t, b)
	if down == 0 {
		t.Error("no call failed while a master was down")
	}
}

// TestDeadlinesOnHungServer pauses the server (SIGSTOP): every call must
// return by its ctx deadline, wrapping context.DeadlineExceeded, and work
// again once the server resumes.
func TestDeadlinesOnHungServer(t *testing.T) {
	srv := redistest.StartServer(t)
	b := open(t, redis.Config{Addrs: []string{srv.Addr()}, Namespace: "hung", ReadTimeout: time.Minute, WriteTimeout: time.Minute})
	bg := context.Background()
	for i := range 100 {
		if err := b.Put(bg, fmt.Appendf(nil, "k%03d", i), []byte("v")); err != nil {
			t.Fatal(err)
		}
	}
	srv.Pause()
	defer srv.Resume()
	noop := func([]byte, bool) ([]byte, bool, error) { return []byte("x"), true, nil }
	calls := []struct {
		name string
		call func(ctx context.Context) error
	}{
		{"Get", func(ctx context.Context) error { _, _, err := b.Get(ctx, []byte("k001")); return err }},
		{"Put", func(ctx context.Context) error { return b.Put(ctx, []byte("k001"), []byte("v")) }},
		{"PutTTL", func(ctx context.Context) error { return b.PutTTL(ctx, []byte("k001"), []byte("v"), time.Hour) }},
		{"Delete", func(ctx context.Context) error { return b.Delete(ctx, []byte("k001")) }},
		{"Update", func(ctx context.Context) error { return b.Update(ctx, []byte("k001"), 0, noop) }},
		{"ListKeys", func(ctx context.Context) error { _, err := b.ListKeys(ctx, []byte("k")); return err }},
		{"Scan", func(ctx context.Context) error {
			return b.Scan(ctx, nil, func(_, _ []byte) error { return nil })
		}},
		{"Batch", func(ctx context.Context) error {
			w := b.NewBatch()
			_ = w.Put([]byte("k001"), []byte("v"))
			return w.Commit(ctx)
		}},
	}
	for _, c := range calls {
		t.Run(c.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(bg, 150*time.Millisecond)
			defer cancel()
			start := time.Now()
			err := c.call(ctx)
			if d := time.Since(start); d > 150*time.Millisecond+slack {
				t.Errorf("took %v with a 150ms deadline", d)
			}
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("error %v, want one wrapping context.DeadlineExceeded", err)
			}
			var re *runtime.Error
			if !errors.As(err, &re) {
				t.Errorf("error %v is not a *runtime.Error", err)
			}
		})
	}
	srv.Resume()
	ctx, cancel := context.WithTimeout(bg, 5*time.Second)
	defer cancel()
	for {
		_, _, err := b.Get(ctx, []byte("k002"))
		if err == nil {
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("Get after Resume: %v", err)
		}
	}
}
