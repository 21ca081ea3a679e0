package runtime

import (
	"context"
	"hash/maphash"
	"time"
)

// Stripes is a fixed set of locks chosen by hashing a key: how a backend
// serializes its own updates of one key in this process, so that they do not
// conflict with each other. It is for backends (and UpdateTTL on backends
// without an Updater); its zero value is not usable, see NewStripes.
//
// A lock can give up: an Update nested in an UpdateFunc on the same stripe
// would otherwise wait for itself forever.
type Stripes struct {
	seed  maphash.Seed
	locks []chan struct{}
}

// NewStripes returns n stripes (at least 1).
func NewStripes(n int) *Stripes {
	s := &Stripes{seed: maphash.MakeSeed(), locks: make([]chan struct{}, max(n, 1))}
	for i := range s.locks {
		s.locks[i] = make(chan struct{}, 1)
	}
	return s
}

// StripeLock is a stripe taken by Stripes.Lock, or none; Unlock releases it.
type StripeLock struct{ ch chan struct{} }

// Held reports whether the stripe was taken.
func (l StripeLock) Held() bool { return l.ch != nil }

// Unlock releases the stripe, if it was taken.
func (l StripeLock) Unlock() {
	if l.ch != nil {
		<-l.ch
	}
}

// Lock takes key's stripe. With wait > 0 it gives up after wait and returns
// a StripeLock that holds nothing: the caller goes on without it, which must
// be safe (its own conflict check keeps it correct). With wait 0 it waits
// until ctx ends. Either way it returns ctx's error if ctx ends first.
func (s *Stripes) Lock(ctx context.Context, key []byte, wait time.Duration) (StripeLock, error) {
	ch := s.locks[maphash.Bytes(s.seed, key)%uint64(len(s.locks))]
	select {
	case ch <- struct{}{}:
		return StripeLock{ch}, nil
	default:
	}
	var timeout <-chan time.Time
	if wait > 0 {
		t := time.NewTimer(wait)
		defer t.Stop()
		timeout = t.C
	}
	select {
	case ch <- struct{}{}:
		return StripeLock{ch}, nil
	case <-timeout:
		return StripeLock{}, nil
	case <-ctx.Done():
		return StripeLock{}, ctx.Err()
	}
}
