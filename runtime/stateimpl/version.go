package stateimpl

// Generated code checks at compile time that it was generated for an API this
// package provides, as protobuf-go's generated code does: it declares
//
//	_ = stateimpl.EnforceVersion(N - stateimpl.MinGenVersion)
//	_ = stateimpl.EnforceVersion(stateimpl.MaxGenVersion - N)
//
// where N is the version it was generated for. Against a runtime that no
// longer supports N, one of them is a negative constant converted to an
// unsigned type, and the file fails to compile at that line instead of
// misbehaving. The first fails when the generated file is older than the
// runtime supports (regenerate it); the second when the runtime is older than
// the stategen that wrote the file (upgrade the statekit module).
const (
	// MinGenVersion is the oldest generator API version this package serves.
	MinGenVersion = 2
	// MaxGenVersion is the newest generator API version this package serves.
	MaxGenVersion = 2
)

// EnforceVersion is the unsigned type of the compile-time version check.
type EnforceVersion uint
