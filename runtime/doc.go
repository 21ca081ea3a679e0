// Package runtime is what statekit's users, its backends and its checkpoint
// coordinator share: the byte-level [Backend] contract and its optional
// capabilities, the error type and sentinels, [Stats], [Clock], [Window], the
// order-preserving key encoding, and the canonical CBOR modes.
//
// It imports no other package of this module. What exists only for generated
// code — the generic stores, the window engine, the CBOR primitives, the
// version guard — is in package stateimpl, which changes with the generator.
//
// # Backends
//
// A [Backend] stores byte keys and values. Optional capabilities are found by
// type assertion, as io.WriterTo is: [TTLWriter], [Updater], [Snapshotter],
// [Batcher], [Flusher] and [StatsReporter]. [Update] and [UpdateTTL] give an
// atomic read-modify-write on every backend, using [Updater] when it is there.
//
// # Keys
//
// Keys of generated stores are built with the AppendKey functions and read back
// with a [KeyReader]. The encoding preserves order: comparing two encoded keys
// bytewise compares their fields in order, and a prefix of the fields encodes to
// a prefix of the key.
package runtime
