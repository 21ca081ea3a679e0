package memory

import (
	"context"
	"sync"
	"time"
)

// CleanupExpired removes every expired entry and returns how many it removed.
// It locks one shard at a time. A cancelled ctx stops it between shards.
func (b *Backend) CleanupExpired(ctx context.Context) int {
	now := b.now()
	removed := 0
	for i := range b.shards {
		if ctx.Err() != nil {
			break
		}
		s := &b.shards[i]
		s.mu.Lock()
		t := s.tab.Load()
		if t == nil {
			s.mu.Unlock()
			break
		}
		type victim struct {
			h   uint64
			key string
		}
		var expired []victim
		t.each(func(h uint64, it *item) bool {
			if !it.live(now) {
				expired = append(expired, victim{h, it.key()})
			}
			return true
		})
		for _, v := range expired {
			if s.del(s.tab.Load(), v.h, v.key) { // del may rebuild the table
				b.ix.remove(v.key)
			}
		}
		n := len(expired)
		s.expired += uint64(n)
		s.mu.Unlock()
		removed += n
	}
	return removed
}

// StartCleanup runs CleanupExpired every interval in a goroutine until stop is
// called or the Backend is closed. stop waits for the goroutine to end and may
// be called more than once. An interval <= 0, or a closed Backend, starts
// nothing and returns a stop that does nothing.
func (b *Backend) StartCleanup(every time.Duration) (stop func()) {
	b.lifeMu.Lock()
	defer b.lifeMu.Unlock()
	if every <= 0 || b.closed {
		return func() {}
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				b.CleanupExpired(ctx)
			}
		}
	}()
	halt := sync.OnceFunc(func() {
		cancel()
		<-done
	})
	if b.cleanups == nil {
		b.cleanups = make(map[int]func())
	}
	id := b.nextStop
	b.nextStop++
	b.cleanups[id] = halt
	return func() {
		halt()
		b.lifeMu.Lock()
		delete(b.cleanups, id)
		b.lifeMu.Unlock()
	}
}
