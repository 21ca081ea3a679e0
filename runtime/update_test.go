package runtime_test

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/statekit/statekit/runtime"
)

// mapBackend is the smallest Backend: a locked map with no capabilities, so
// runtime.Update must use its striped locks.
type mapBackend struct {
	mu sync.Mutex
	m  map[string][]byte
}

func (b *mapBackend) Get(_ context.Context, k []byte) ([]byte, bool, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	v, ok := b.m[string(k)]
	return slices.Clone(v), ok, nil
}

func (b *mapBackend) Put(_ context.Context, k, v []byte) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.m[string(k)] = slices.Clone(v)
	return nil
}

func (b *mapBackend) Delete(_ context.Context, k []byte) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.m, string(k))
	return nil
}

func (b *mapBackend) ListKeys(context.Context, []byte) ([][]byte, error) { return nil, nil }

func (b *mapBackend) Scan(context.Context, []byte, func(k, v []byte) error) error { return nil }

func (b *mapBackend) Close() error { return nil }

func TestUpdateStriped(t *testing.T) {
	b := &mapBackend{m: map[string][]byte{}}
	ctx := context.Background()
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 200 {
				key := []byte("k" + strconv.Itoa((g+i)%3))
				err := runtime.Update(ctx, b, key, func(old []byte, found bool) ([]byte, bool, error) {
					n, _ := strconv.Atoi(string(old))
					time.Sleep(time.Microsecond) // a broken lock loses updates here
					return []byte(strconv.Itoa(n + 1)), true, nil
				})
				if err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	total := 0
	for _, v := range b.m {
		n, _ := strconv.Atoi(string(v))
		total += n
	}
	if total != 1600 {
		t.Fatalf("total %d after 1600 increments", total)
	}
}

func TestUpdateTTLNeedsTTLWriter(t *testing.T) {
	b := &mapBackend{m: map[string][]byte{}}
	ctx := context.Background()
	fn := func([]byte, bool) ([]byte, bool, error) { return []byte("v"), true, nil }
	if err := runtime.UpdateTTL(ctx, b, []byte("k"), time.Minute, fn); !errors.Is(err, errors.ErrUnsupported) {
		t.Errorf("UpdateTTL with a ttl on a backend without TTLWriter: %v, want ErrUnsupported", err)
	}
	if err := runtime.UpdateTTL(ctx, b, []byte("k"), -time.Minute, fn); !errors.Is(err, runtime.ErrInvalidArgument) {
		t.Errorf("negative ttl: %v", err)
	}
	if len(b.m) != 0 {
		t.Errorf("a refused update wrote %v", b.m)
	}
}

// TestUpdateNestedEndsWithContext: on a backend without Updater, an UpdateFunc
// that updates its own key (or one of its stripe) waited for itself forever.
// It ends when its ctx does.
func TestUpdateNestedEndsWithContext(t *testing.T) {
	b := &mapBackend{m: map[string][]byte{}}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		done <- runtime.Update(ctx, b, []byte("k"), func([]byte, bool) ([]byte, bool, error) {
			err := runtime.Update(ctx, b, []byte("k"), func([]byte, bool) ([]byte, bool, error) { return []byte("in"), true, nil })
			return []byte("out"), true, err
		})
	}()
	select {
	case err := <-done:
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("nested Update: %v, want the ctx's deadline", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("nested Update on a backend without Updater hangs")
	}
}

func TestStripes(t *testing.T) {
	s := runtime.NewStripes(1)
	ctx := context.Background()
	first, err := s.Lock(ctx, []byte("a"), 0)
	if err != nil || !first.Held() {
		t.Fatalf("Lock = %v, %v", first.Held(), err)
	}
	second, err := s.Lock(ctx, []byte("b"), 10*time.Millisecond) // the same (only) stripe
	if err != nil || second.Held() {
		t.Fatalf("Lock of a held stripe with a wait: held=%v, %v; want to give up", second.Held(), err)
	}
	second.Unlock() // a no-op
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := s.Lock(cctx, []byte("c"), 0); !errors.Is(err, context.Canceled) {
		t.Fatalf("Lock with a cancelled ctx: %v", err)
	}
	first.Unlock()
	if l, err := s.Lock(ctx, []byte("a"), 0); err != nil || !l.Held() {
		t.Fatalf("Lock after Unlock: %v, %v", l.Held(), err)
	}
}
