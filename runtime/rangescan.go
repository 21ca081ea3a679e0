package runtime

import "context"

// RangeScanner is implemented by backends that can start a Scan part-way
// through a prefix. ScanFrom is Scan of prefix that skips the keys before
// from: it visits the keys with prefix that are >= from, in ascending order.
// On a log-structured store such as Badger, deleted keys linger as
// tombstones until compaction, and a scan from the prefix walks all of them:
// a window store's FireDue starts its scan of timers after those it has
// already fired and deleted.
type RangeScanner interface {
	ScanFrom(ctx context.Context, prefix, from []byte, fn func(key, value []byte) error) error
}

// ScanFrom calls b.ScanFrom if b is a RangeScanner, else b.Scan, skipping
// the keys before from.
func ScanFrom(ctx context.Context, b Backend, prefix, from []byte, fn func(key, value []byte) error) error {
	if rs, ok := b.(RangeScanner); ok {
		return rs.ScanFrom(ctx, prefix, from, fn)
	}
	return b.Scan(ctx, prefix, func(key, value []byte) error {
		if string(key) < string(from) {
			return nil
		}
		return fn(key, value)
	})
}
