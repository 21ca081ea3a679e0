package runtime

import (
	"context"
	"iter"
	"time"
)

// MaxKeySize is the largest key a Backend accepts, in bytes. It is Badger's
// limit, so that a key valid for one backend is valid for all of them.
const MaxKeySize = 65000

// Backend is a byte-level key-value store.
//
// Get returns a copy the caller owns; Put copies its arguments. ListKeys and Scan
// visit keys in ascending byte order, and an empty prefix means all keys. Scan's
// key and value are valid only during fn and must not be modified; fn returning
// [SkipAll] stops the scan with a nil error.
//
// Keys are 1 to [MaxKeySize] bytes: any other key is [ErrInvalidKey] and nothing
// is written. Deleting a missing key is not an error. Expired entries are never
// returned.
//
// Every error wraps a sentinel of this package or the cause inside an [*Error],
// so that errors.Is and errors.As work and the message names the backend, the
// operation and the key. After Close every call returns [ErrClosed]; Close itself
// is idempotent. A cancelled ctx stops long operations (Scan, ListKeys, Snapshot,
// Restore) promptly.
type Backend interface {
	Get(ctx context.Context, key []byte) (value []byte, found bool, err error)
	Put(ctx context.Context, key, value []byte) error
	Delete(ctx context.Context, key []byte) error
	ListKeys(ctx context.Context, prefix []byte) ([][]byte, error)
	Scan(ctx context.Context, prefix []byte, fn func(key, value []byte) error) error
	Close() error
}

// TTLWriter is implemented by backends that can expire entries.
//
// A ttl of 0 means the backend's default TTL, exactly as Put; a negative ttl is
// [ErrInvalidArgument].
type TTLWriter interface {
	PutTTL(ctx context.Context, key, value []byte, ttl time.Duration) error
}

// UpdateFunc computes a key's new value from its current one. old is nil and
// found false when the key is missing or expired. Returning keep=false deletes
// the key; returning an error writes nothing and is passed to the caller.
//
// old must not be modified or kept after fn returns. fn may run more than once
// when a concurrent write to the same key forces a retry, so it must have no side
// effects, and it must not call back into the backend.
type UpdateFunc func(old []byte, found bool) (value []byte, keep bool, err error)

// Updater is implemented by backends with an atomic read-modify-write: concurrent
// Updates of one key never lose an update. A ttl of 0 means the backend's default.
// The backend copies the value fn returns.
type Updater interface {
	Update(ctx context.Context, key []byte, ttl time.Duration, fn UpdateFunc) error
}

// Entry is one stored key-value pair with its expiry. A zero ExpiresAt never
// expires.
type Entry struct {
	Key, Value []byte
	ExpiresAt  time.Time
}

// Snapshotter is implemented by backends that can export and replace all their
// contents consistently.
//
// Snapshot yields every live entry in ascending key order, as of one point in
// time: the moment iteration begins. A Put that returned before that moment is
// in it; one that began after it is not; no key is yielded twice. Entries are
// owned by the caller. An error ends the sequence.
//
// Restore replaces all contents with entries, which need not be sorted (the last
// of duplicate keys wins). Entries already expired are skipped. Restore must
// copy what it keeps: a source may reuse an entry's bytes once it yields the
// next one. Each backend documents what a failed Restore leaves behind.
type Snapshotter interface {
	Snapshot(ctx context.Context) iter.Seq2[Entry, error]
	Restore(ctx context.Context, entries iter.Seq2[Entry, error]) error
}

// SnapshotViewer is implemented by Snapshotters that can lend their snapshot
// instead of copying it: a consumer that reads each entry once and keeps none
// (a checkpoint writer) then costs no allocation per entry, and the heap does
// not grow by the size of the state while it runs.
//
// SnapshotView yields the entries Snapshot would, with the same guarantees:
// ascending key order, one point in time (the moment iteration begins), no key
// twice, an error ends the sequence. The difference is ownership. An entry's
// Key and Value are borrowed from the backend:
//   - they are read-only: writing into them, or appending to them, may corrupt
//     the backend's contents (their capacity may run into other data);
//   - they are valid only until the consumer asks for the next entry, or the
//     sequence ends; a consumer copies what it keeps.
//
// A backend may lend memory that outlives those bounds (the memory backend's
// entries are immutable), but a consumer must not rely on it. Writes, deletes
// and a Restore that happen while the view is read do not change what it
// yields, exactly as for Snapshot.
type SnapshotViewer interface {
	SnapshotView(ctx context.Context) iter.Seq2[Entry, error]
}

// Batcher is implemented by backends that apply many writes in one call faster
// than one call each.
type Batcher interface {
	NewBatch() Batch
}

// Batch collects writes for its backend and applies them at the latest on Commit.
//
// A Batch is not a transaction: a backend may apply writes in several steps
// before Commit returns, and after a failed Commit some of them may be applied.
// Writes of one key apply in the order they were added. A Batch is not safe for
// concurrent use; its methods copy their arguments.
type Batch interface {
	// Put writes key with the backend's default TTL, as Backend.Put does.
	Put(key, value []byte) error
	// PutEntry writes e exactly: a zero ExpiresAt never expires, whatever the
	// backend's default TTL.
	PutEntry(e Entry) error
	// Delete deletes key; a missing key is not an error.
	Delete(key []byte) error
	// Commit applies everything not yet applied and waits for it. A Batch
	// cannot be used after Commit.
	Commit(ctx context.Context) error
	// Discard drops what is not yet applied. It is safe to call after Commit.
	Discard()
}

// DefaultTTLer is implemented by backends with a default TTL: the TTL of a
// Put, and of a PutTTL or Update given a ttl of 0. 0 means never expire.
// A window store checks that its state lives long enough to fire.
type DefaultTTLer interface {
	DefaultTTL() time.Duration
}

// Flusher is implemented by persistent backends: after Flush returns, a crash of
// the process or the machine loses nothing written before Flush was called.
type Flusher interface {
	Flush(ctx context.Context) error
}

// StatsReporter is implemented by backends that count their operations.
type StatsReporter interface {
	Stats() Stats
}

// AtomicRestorer is implemented by Snapshotters whose Restore is all or
// nothing: a Restore that fails, an error from its entries included, leaves
// the contents as they were. A checkpoint restore into such a backend reads
// the file once, verifying it as it goes, instead of verifying all of it
// before it starts.
type AtomicRestorer interface {
	Snapshotter
	// RestoreIsAtomic reports whether Restore is all or nothing.
	RestoreIsAtomic() bool
}

// EntryChecker is implemented by backends that refuse some entries other
// backends accept (a key they reserve, a value longer than they hold).
// CheckEntry returns the error a write of e would return, and writes nothing.
// A checkpoint restore into a backend whose Restore is not all or nothing
// checks every entry it will write before it starts, so that an entry the
// backend refuses fails the restore while the contents are still whole.
type EntryChecker interface {
	CheckEntry(e Entry) error
}
