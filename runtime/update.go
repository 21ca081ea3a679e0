package runtime

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Update atomically replaces key's value with what fn returns, using the
// backend's default TTL. See [UpdateTTL].
func Update(ctx context.Context, b Backend, key []byte, fn UpdateFunc) error {
	return UpdateTTL(ctx, b, key, 0, fn)
}

// UpdateTTL atomically replaces key's value with what fn returns and sets its TTL
// (0: the backend's default). Concurrent UpdateTTL calls on one key never lose an
// update, on every backend:
//
//   - a backend that implements [Updater] does it itself (for Badger, a
//     transaction retried on conflict);
//   - for any other backend, UpdateTTL holds one of a fixed set of in-process
//     locks, chosen by hashing key, around Get, fn and Put. This serializes
//     updates made through UpdateTTL in this process only; a plain Put or
//     another process racing with it can still be lost.
//
// A ttl other than 0 on a backend without [TTLWriter] is an error wrapping
// errors.ErrUnsupported.
func UpdateTTL(ctx context.Context, b Backend, key []byte, ttl time.Duration, fn UpdateFunc) error {
	if u, ok := b.(Updater); ok {
		return u.Update(ctx, key, ttl, fn)
	}
	if err := CheckKey(key); err != nil {
		return NewError("runtime", "update", key, err)
	}
	if ttl < 0 {
		return NewError("runtime", "update", key, fmt.Errorf("%w: negative ttl %v", ErrInvalidArgument, ttl))
	}
	tw, canTTL := b.(TTLWriter)
	if ttl != 0 && !canTTL {
		return NewError("runtime", "update", key, fmt.Errorf("ttl %v: backend %T has no TTLWriter: %w", ttl, b, errors.ErrUnsupported))
	}

	// Waits for the stripe as long as ctx allows: without a conflict check
	// of its own, going on without it could lose an update. An UpdateFunc
	// that updates a key of its own stripe so ends with ctx, not never.
	lock, err := updateStripes.Lock(ctx, key, 0)
	if err != nil {
		return NewError("runtime", "update", key, err)
	}
	defer lock.Unlock()

	old, found, err := b.Get(ctx, key)
	if err != nil {
		return err
	}
	value, keep, err := fn(old, found)
	switch {
	case err != nil:
		return err
	case !keep:
		if !found {
			return nil
		}
		return b.Delete(ctx, key)
	case ttl != 0:
		return tw.PutTTL(ctx, key, value, ttl)
	default:
		return b.Put(ctx, key, value)
	}
}

// PutTTL puts value under key with ttl: Put for a ttl of 0 (the backend's
// default), TTLWriter.PutTTL otherwise. A ttl on a backend without TTLWriter is
// an error wrapping errors.ErrUnsupported.
func PutTTL(ctx context.Context, b Backend, key, value []byte, ttl time.Duration) error {
	if ttl == 0 {
		return b.Put(ctx, key, value)
	}
	tw, ok := b.(TTLWriter)
	if !ok {
		return NewError("runtime", "put", key, fmt.Errorf("ttl %v: backend %T has no TTLWriter: %w", ttl, b, errors.ErrUnsupported))
	}
	return tw.PutTTL(ctx, key, value, ttl)
}

// updateStripes serializes UpdateTTL on backends without Updater. It holds no
// data and no configuration, only mutual exclusion, so sharing it between
// backends costs at most a brief wait when two keys hash to one stripe.
var updateStripes = NewStripes(256)
