package runtime

// Generated code checks at compile time that it was generated for an API this
// runtime provides, as protobuf-go's generated code does: it declares
//
//	const _ = runtime.EnforceVersion(N - runtime.MinGenVersion)
//	const _ = runtime.EnforceVersion(runtime.MaxGenVersion - N)
//
// where N is the version it was generated for. Against a runtime that no
// longer supports N, one of them is a negative constant converted to an
// unsigned type, and the file fails to compile instead of misbehaving.
const (
	MinGenVersion = 1
	MaxGenVersion = 1
)

// EnforceVersion is the unsigned type of the compile-time version check.
type EnforceVersion uint
